"""Questions ``makemigrations`` asks: renames, one-off defaults, merges.

``Questioner(interactive=True)`` asks on ``stdin``/``stdout``; with
``interactive=False`` it never asks: renames must be confirmed with
``renames=["blog.Post.old=new", "blog.Old=New"]`` and a NOT NULL field
without a default is an error naming the model and field.
"""

from __future__ import annotations

import datetime
import decimal
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

from migrations_engine.errors import CommandError

__all__ = [
    "Questioner",
    "RenameRequest",
    "UnconfirmedRenameError",
    "MissingDefaultError",
    "parse_renames",
    "NOT_PROVIDED",
]


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


#: The questioner's "no value" answer (``None`` is a valid default).
NOT_PROVIDED: Any = _NotProvided()


class UnconfirmedRenameError(CommandError):
    """A likely rename was neither confirmed nor declined (non-interactive mode)."""


class MissingDefaultError(CommandError):
    """A NOT NULL field is added without a default and no one-off default was given."""


@dataclass(frozen=True)
class RenameRequest:
    """One ``--rename``: a model (``field_old is None``) or a field of ``model``."""

    app_label: str
    model: str
    new: str
    old: str
    is_field: bool
    text: str


def parse_renames(texts) -> list[RenameRequest]:
    """Parse ``app.Model.old=new`` / ``app.Old=New``; ``CommandError`` for anything else."""
    requests = []
    for text in texts or ():
        left, sep, new = str(text).partition("=")
        parts = left.strip().split(".")
        new = new.strip()
        if not sep or not new or "." in new or len(parts) not in (2, 3) or not all(parts):
            raise CommandError(
                f"--rename {text!r}: expected app.Model.old_field=new_field or "
                "app.OldModel=NewModel"
            )
        if len(parts) == 3:
            requests.append(RenameRequest(parts[0], parts[1], new, parts[2], True, str(text)))
        else:
            requests.append(RenameRequest(parts[0], new, new, parts[1], False, str(text)))
    return requests


@dataclass
class Questioner:
    """Answers the autodetector's questions, interactively or from ``--rename``."""

    interactive: bool = True
    renames: Any = ()
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    unconfirmed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.requests = parse_renames(self.renames)
        self.used_requests: set[RenameRequest] = set()

    # -- renames ------------------------------------------------------------------

    def model_rename_requests(self) -> list[RenameRequest]:
        return [request for request in self.requests if not request.is_field]

    def field_rename_requests(self) -> list[RenameRequest]:
        return [request for request in self.requests if request.is_field]

    def ask_rename_model(self, app_label: str, old_name: str, new_name: str) -> bool:
        """Whether model ``old_name`` was renamed to ``new_name`` (same fields, new name)."""
        suggestion = f"--rename {app_label}.{old_name}={new_name}"
        if not self.interactive:
            self.unconfirmed.append(
                f"model {app_label}.{old_name} was removed and {app_label}.{new_name} added "
                f"with the same fields; if it is a rename, pass {suggestion}"
            )
            return False
        return self._ask_yes_no(f"Was the model {app_label}.{old_name} renamed to {new_name}?")

    def ask_rename_field(
        self, app_label: str, model_name: str, old_name: str, new_name: str, field_type: str
    ) -> bool:
        """Whether field ``old_name`` of ``model_name`` was renamed to ``new_name``."""
        suggestion = f"--rename {app_label}.{model_name}.{old_name}={new_name}"
        if not self.interactive:
            self.unconfirmed.append(
                f"field {app_label}.{model_name}.{old_name} was removed and {new_name!r} added "
                f"with the same definition ({field_type}); if it is a rename, pass {suggestion}"
            )
            return False
        return self._ask_yes_no(
            f"Was {app_label}.{model_name}.{old_name} renamed to "
            f"{app_label}.{model_name}.{new_name} (a {field_type})?"
        )

    def check_unconfirmed(self) -> None:
        """Stop with every unconfirmed likely rename named (non-interactive mode)."""
        if self.unconfirmed:
            lines = "\n".join(f"  - {item}" for item in self.unconfirmed)
            raise UnconfirmedRenameError(
                "makemigrations --noinput found likely renames that were not confirmed:\n"
                f"{lines}\n"
                "Nothing was written: without confirmation a rename would be a drop and "
                "re-add, losing the data. Confirm each with --rename, or run makemigrations "
                "without --noinput to answer the questions."
            )

    # -- defaults -----------------------------------------------------------------

    def ask_not_null_addition(self, app_label: str, model_name: str, field_name: str) -> Any:
        """A one-off default for existing rows when adding a NOT NULL field without one."""
        where = f"{app_label}.{model_name}.{field_name}"
        if not self.interactive:
            raise MissingDefaultError(
                f"{where}: cannot add a NOT NULL field without a default in non-interactive "
                "mode (existing rows need a value). Give the field a default=..., make it "
                "null=True, or run makemigrations without --noinput to give a one-off default."
            )
        self._say(
            f"It is impossible to add the non-nullable field {where} without a default: "
            "the database needs a value for existing rows.\n"
            " 1) Provide a one-off default now (set on all existing rows)\n"
            " 2) Quit and add a default (or null=True) in the model"
        )
        choice = self._choose(("1", "2"), default="2")
        if choice != "1":
            raise MissingDefaultError(f"{where}: no default given; nothing was written.")
        return self._ask_default(where)

    def ask_not_null_alteration(self, app_label: str, model_name: str, field_name: str) -> Any:
        """A one-off value for existing NULLs when a field becomes NOT NULL (or NOT_PROVIDED)."""
        where = f"{app_label}.{model_name}.{field_name}"
        if not self.interactive:
            return NOT_PROVIDED
        self._say(
            f"The field {where} becomes NOT NULL without a default; existing NULL rows "
            "need a value.\n"
            " 1) Provide a one-off default now (set on existing NULL rows)\n"
            " 2) Ignore for now (migrate fails if NULL rows exist)\n"
            " 3) Quit and add a default in the model"
        )
        choice = self._choose(("1", "2", "3"), default="3")
        if choice == "1":
            return self._ask_default(where)
        if choice == "2":
            return NOT_PROVIDED
        raise MissingDefaultError(f"{where}: no default given; nothing was written.")

    def ask_merge(self, app_label: str, leaves: list[str]) -> bool:
        """Whether to write a merge migration for ``app_label``'s ``leaves``."""
        if not self.interactive:
            return True
        return self._ask_yes_no(
            f"Merge the leaf migrations of {app_label} ({', '.join(leaves)})?", default=True
        )

    # -- input and output -----------------------------------------------------------

    def _ask_default(self, where: str) -> Any:
        self._say(
            "Enter the default as a Python expression (datetime, decimal, uuid and orm are "
            "available), e.g. \"\" or 0 or datetime.date(2024, 1, 1)."
        )
        namespace = _default_namespace()
        while True:
            text = self._ask(">>> ", default=None)
            if text is None:
                raise MissingDefaultError(f"{where}: no default given (end of input).")
            if not text.strip():
                continue
            try:
                return eval(text, namespace)  # noqa: S307 - the user types this at a prompt
            except Exception as error:  # noqa: BLE001 - any bad expression: ask again
                self._say(f"Invalid expression ({error}); try again.")

    def _choose(self, options: tuple[str, ...], default: str) -> str:
        """One of ``options``, asked again after anything else (end of input: ``default``)."""
        prompt = f"Select an option [{'/'.join(options)}]: "
        while True:
            answer = self._ask(prompt, default=default)
            if answer is None:
                return default
            answer = answer.strip()
            if answer in options:
                return answer
            self._say(f"Please select a valid option ({', '.join(options)}).")

    def _ask_yes_no(self, question: str, default: bool = False) -> bool:
        hint = "[Y/n]" if default else "[y/N]"
        while True:
            answer = self._ask(f"{question} {hint} ", default="")
            if answer is None:
                return default
            answer = answer.strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self._say("Please answer y or n.")

    def _ask(self, prompt: str, default: str | None) -> str | None:
        out = self.stdout or sys.stdout
        source = self.stdin or sys.stdin
        out.write(prompt)
        out.flush() if hasattr(out, "flush") else None
        line = source.readline()
        if not line:
            return default
        return line.rstrip("\n")

    def _say(self, text: str) -> None:
        (self.stdout or sys.stdout).write(text + "\n")


def _default_namespace() -> dict[str, Any]:
    import orm

    return {"datetime": datetime, "decimal": decimal, "uuid": uuid, "orm": orm,
            "timezone": datetime.timezone}
