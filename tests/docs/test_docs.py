"""Every code example of README.md and docs/*.md runs, so the documentation cannot rot.

Each Markdown file runs in a fresh interpreter (a subprocess) in a fresh
temporary directory, its blocks in document order, the ``python`` blocks
sharing one namespace. The fence's info string says what a block is:

- ```` ```python ```` runs.
- ```` ```python no-run ````, ```` ```pycon ````, ```` ```text ```` (and every other
  language) are shown, not run.
- ```` ```python file=blog/models.py ```` (or ```` ```toml file=pyproject.toml ````)
  is written to that path in the temporary directory instead of being run, so a
  page can build a real project (models module, pyproject) the way a reader would.
- ```` ```sh run ```` runs its lines with bash in the temporary directory, one
  command per line (a leading ``$ `` is dropped), with the ``manouche`` command
  of this interpreter on ``PATH``; a non-zero exit fails the file.

A failing block names the file and the line of the fence, and the traceback
points at lines of the Markdown file itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
SKIPPED_WORDS = {"no-run", "norun", "skip"}


@dataclass(frozen=True)
class Block:
    """One fenced block: what to do with it, where it starts (1-based line of its first line)."""

    kind: str  # "python", "file" or "sh"
    line: int
    source: str
    path: str = ""


def parse_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown text that the docs test acts on, in document order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, info, indent = match["fence"], match["info"].strip(), len(match["indent"])
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        block = _block_for(info, index + 2, "\n".join(body) + "\n")
        if block is not None:
            blocks.append(block)
        index = end + 1
    return blocks


def _block_for(info: str, line: int, source: str) -> Block | None:
    words = info.split()
    if not words:
        return None
    language, options = words[0].lower(), words[1:]
    target = next((word[len("file="):] for word in options if word.startswith("file=")), "")
    if target:
        return Block("file", line, source, target)
    if SKIPPED_WORDS & set(options):
        return None
    if language in ("python", "py"):
        return Block("python", line, source)
    if language in ("sh", "bash", "console", "shell") and "run" in options:
        return Block("sh", line, source)
    return None


# The program run in the subprocess: reads the blocks (JSON) from stdin, acts on them in order.
RUNNER = r"""
import json, os, subprocess, sys, traceback
document, blocks = json.load(sys.stdin)
sys.path.insert(0, os.getcwd())
namespace = {"__name__": "__main__"}
for block in blocks:
    where = f"{document}:{block['line']}"
    try:
        if block["kind"] == "file":
            os.makedirs(os.path.dirname(block["path"]) or ".", exist_ok=True)
            with open(block["path"], "w", encoding="utf-8") as handle:
                handle.write(block["source"])
        elif block["kind"] == "sh":
            for number, command in enumerate(block["source"].splitlines()):
                command = command.strip()
                if command.startswith("$ "):
                    command = command[2:]
                if not command or command.startswith("#"):
                    continue
                done = subprocess.run(["bash", "-c", command], text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                print(done.stdout, end="")
                if done.returncode:
                    print(f"DOCS-FAILED {document}:{block['line'] + number}: "
                          f"`{command}` exited {done.returncode}")
                    sys.exit(1)
        else:
            padded = "\n" * (block["line"] - 1) + block["source"]
            exec(compile(padded, document, "exec"), namespace)
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        print(f"DOCS-FAILED {where}: the block starting here raised (traceback above)")
        sys.exit(1)
"""


def documents() -> list[Path]:
    """README.md and every docs/*.md page."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _environment(tmp_path: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith("MANOUCHE_")
    }
    bin_dir = tmp_path.parent / f"{tmp_path.name}-bin"
    bin_dir.mkdir(exist_ok=True)
    # The docs' shell blocks call `manouche`: the one of the interpreter under test.
    shim = bin_dir / "manouche"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "import cli, sys; sys.exit(cli.main())" "$@"\n')
    shim.chmod(0o755)
    environment["PATH"] = f"{bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_code_blocks_run(document: Path, tmp_path: Path) -> None:
    """Every runnable block of ``document`` runs without error, in order, on SQLite."""
    blocks = parse_blocks(document.read_text(encoding="utf-8"))
    name = str(document.relative_to(ROOT))
    if not any(block.kind in ("python", "sh") for block in blocks):
        pytest.skip(f"{name} has no runnable block")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([name, [asdict(block) for block in blocks]]),
        cwd=tmp_path,
        env=_environment(tmp_path),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=300,
    )
    if done.returncode:
        failure = next(
            (line for line in done.stdout.splitlines() if line.startswith("DOCS-FAILED")),
            f"DOCS-FAILED {name}: the interpreter exited {done.returncode}",
        )
        pytest.fail(f"{failure[len('DOCS-FAILED '):]}\n\n{done.stdout[-6000:]}", pytrace=False)


def test_parser_finds_blocks_and_their_lines() -> None:
    """The fence parser: kinds, skip markers, file targets and 1-based first lines."""
    text = (
        "# Title\n"
        "```python\nx = 1\n```\n"
        "```python no-run\nboom()\n```\n"
        "```pycon\n>>> boom()\n```\n"
        "```toml file=pyproject.toml\n[tool.manouche]\n```\n"
        "```sh run\n$ manouche migrate\n```\n"
        "```sh\nmanouche migrate\n```\n"
        "````python\n```\ny = 2\n````\n"
    )
    blocks = parse_blocks(text)
    assert [(block.kind, block.line) for block in blocks] == [
        ("python", 3),
        ("file", 12),
        ("sh", 15),
        ("python", 21),
    ]
    assert blocks[1].path == "pyproject.toml"
    assert blocks[3].source == "```\ny = 2\n"


def test_a_failing_block_names_its_file_and_line(tmp_path: Path) -> None:
    """A broken example fails the test with the Markdown file and line of its block."""
    page = tmp_path / "page.md"
    page.write_text("Intro\n\n```python\nvalue = 1\n```\n\n```python\nassert value == 2\n```\n")
    blocks = parse_blocks(page.read_text())
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(["page.md", [asdict(block) for block in blocks]]),
        cwd=tmp_path,
        env=_environment(tmp_path),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert done.returncode == 1
    assert "DOCS-FAILED page.md:8" in done.stdout
    assert 'File "page.md", line 8' in done.stdout


LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_at_files(document: Path) -> None:
    """Every relative Markdown link of ``document`` names a file or folder that exists."""
    broken = [
        match["target"]
        for match in LINK.finditer(document.read_text(encoding="utf-8"))
        if "://" not in match["target"] and not match["target"].startswith("mailto:")
        and not (document.parent / match["target"]).exists()
    ]
    assert not broken, f"{document.relative_to(ROOT)}: broken links {broken}"


def test_every_page_is_linked_from_the_index() -> None:
    """docs/README.md links every page of docs/."""
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    linked = {match["target"] for match in LINK.finditer(index)}
    missing = [
        page.name
        for page in sorted((ROOT / "docs").glob("*.md"))
        if page.name != "README.md" and page.name not in linked
    ]
    assert not missing, f"docs/README.md does not link {missing}"
