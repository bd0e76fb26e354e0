"""``cli.call_command``: Python keywords become the same options the command line takes."""

from __future__ import annotations

import pytest

from cli.app import manouche
from cli.call import _find_command, _option_argv


def option_argv(command_name: str, /, *args: str, **options: object) -> list[str]:
    words = command_name.split()
    return _option_argv(_find_command(words, args), command_name, dict(options))


def test_flags_values_and_repeated_options():
    assert option_argv(
        "makemigrations", dry_run=True, check=False, name="x", rename=["a.B.c=d", "a.E=F"]
    ) == ["--dry-run", "--name", "x", "--rename", "a.B.c=d", "--rename", "a.E=F"]
    assert option_argv("makemigrations", renames=("a.B.c=d",)) == ["--rename", "a.B.c=d"]
    assert option_argv("makemigrations", rename="a.B.c=d") == ["--rename", "a.B.c=d"]


def test_interactive_false_is_noinput():
    assert option_argv("makemigrations", interactive=False) == ["--noinput"]
    assert option_argv("makemigrations", interactive=True) == []
    assert option_argv("contenttypes prune", interactive=False) == ["--noinput"]
    assert option_argv("contenttypes", "prune", interactive=False) == ["--noinput"]


def test_name_is_an_option_not_the_command_name():
    from cli import call_command

    # `name` is call_command's own first parameter too: it must stay positional-only.
    with pytest.raises(TypeError, match="no option 'bogus'"):
        call_command("makemigrations", name="x", bogus=1)


def test_graph_choice_and_fake_initial():
    assert option_argv("showmigrations", graph_format="dot") == ["--graph", "dot"]
    assert option_argv("migrate", fake_initial=True) == ["--fake-initial"]


def test_unknown_keyword_names_the_valid_options():
    with pytest.raises(TypeError, match="--fake-initial|fake_initial"):
        option_argv("migrate", fake_initially=True)
    with pytest.raises(TypeError, match="unknown command"):
        option_argv("nosuchcommand", plan=True)


def test_every_option_of_every_command_is_reachable_by_its_python_name():
    from cli.reference import iter_commands

    for words, command in iter_commands(manouche):
        if not words:
            continue
        for param in command.params:
            if getattr(param, "is_flag", False) and param.name not in ("help",):
                argv = _option_argv(command, " ".join(words), {param.name: True})
                assert argv == [param.opts[0] if param.opts[0].startswith("--") else param.opts[1]]
