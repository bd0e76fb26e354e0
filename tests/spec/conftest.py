"""SPEC conformance fixtures: the example project ``tests/spec/project`` migrated on each backend.

These tests use public names only, as an outside tester would: models come
from the app ``specblog`` and its committed migrations, tables are made by
``cli.call_command("migrate")``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import cli
import orm

PROJECT = Path(__file__).resolve().parent / "project"
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

APPS = ["specblog", "contenttypes"]


@pytest.fixture
def spec_db(db_url: str, vendor: str) -> Iterator[str]:
    """``orm`` configured for a fresh database of ``vendor`` with every migration applied."""
    orm.configure(apps=APPS, databases={"default": db_url})
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.call_command("migrate", stdout=out, stderr=err)
        assert code == 0, out.getvalue() + err.getvalue()
        yield vendor
    finally:
        orm.connections.close_all()


@pytest.fixture
def models(spec_db: str):  # type: ignore[no-untyped-def]
    """The ``specblog.models`` module, on a migrated database."""
    import specblog.models

    return specblog.models
