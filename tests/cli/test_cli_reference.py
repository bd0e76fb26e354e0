"""docs/cli.md is generated from the click commands and documents every command and option."""

from __future__ import annotations

import click

from cli.app import manouche
from cli.reference import iter_commands, render_reference
from tests.cli.conftest import ROOT

CLI_REFERENCE = ROOT / "docs" / "cli.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_docs_cli_md_is_up_to_date():
    assert CLI_REFERENCE.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is out of date: run `python -m cli.reference > docs/cli.md`"
    )


def test_every_command_and_option_has_help_text():
    undocumented = []
    for words, command in iter_commands(manouche):
        name = " ".join(("manouche", *words))
        if not (command.help or "").strip():
            undocumented.append(name)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                undocumented.append(f"{name} {param.opts[0]}")
    assert not undocumented, f"add help= to: {', '.join(undocumented)}"


def test_every_command_and_option_appears_in_docs_cli_md():
    text = CLI_REFERENCE.read_text(encoding="utf-8")
    missing = []
    for words, command in iter_commands(manouche):
        title = " ".join(("manouche", *words))
        if words and f"## `{title}`" not in text:
            missing.append(title)
        for param in command.params:
            if isinstance(param, click.Option):
                missing += [f"{title} {opt}" for opt in param.opts if f"`{opt}`" not in text]
    assert not missing, f"not in docs/cli.md: {', '.join(missing)}"


def test_spec_commands_and_options_exist():
    """The commands and options SPEC §9 lists, by name."""
    expected = {
        (): {"--config", "--database-url", "--database", "-v", "--verbosity", "--no-color"},
        ("makemigrations",): {
            "--dry-run", "--check", "--name", "--empty", "--merge", "--noinput", "--no-input",
            "--rename",
        },
        ("migrate",): {"--plan", "--fake", "--fake-initial"},
        ("showmigrations",): {"--plan", "--graph"},
        ("sqlmigrate",): {"--backwards"},
        ("squashmigrations",): {"--squashed-name", "--noinput"},
        ("checkdb",): set(),
        ("inspectdb",): set(),
        ("dbshell",): set(),
        ("contenttypes", "prune"): {"--noinput"},
    }  # fmt: skip
    commands = dict(iter_commands(manouche))
    for words, options in expected.items():
        assert words in commands, f"missing command: {' '.join(words)}"
        present = {
            opt
            for param in commands[words].params
            if isinstance(param, click.Option)
            for opt in (*param.opts, *param.secondary_opts)
        }
        assert options <= present, f"{' '.join(words)}: missing {options - present}"


def test_configuration_reference_names_every_setting():
    text = CONFIGURATION.read_text(encoding="utf-8")
    for key in ("apps", "database", "databases", "routers", "default_auto_field", "DATABASE_URL"):
        assert f"`{key}`" in text, key
    for option in ("isolation_level", "pool_size", "connect_timeout", "conn_max_age"):
        assert option in text, option
