"""Configuration (SPEC §2): pyproject [tool.manouche], DATABASE_URL, configure() precedence."""

from __future__ import annotations

import sys
import textwrap

import pytest

import orm
from orm.config import load_settings, settings


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with an app ``cfgblog`` and a pyproject, as the working directory."""
    app = tmp_path / "cfgblog"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(
        textwrap.dedent(
            """
            import orm

            class Post(orm.Model):
                title = orm.CharField(max_length=20)
            """
        )
    )
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "demo"

            [tool.manouche]
            apps = ["cfgblog"]
            default_auto_field = "orm.AutoField"

            [tool.manouche.databases]
            default = "sqlite:///main.db"
            replica = "sqlite:////tmp/replica.db"
            routers = ["somewhere.Router"]
            """
        )
    )
    nested = tmp_path / "src" / "deeper"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.reset()
    yield tmp_path
    settings.reset()
    orm.connections.close_all()
    orm.connections.reset()
    sys.modules.pop("cfgblog.models", None)
    sys.modules.pop("cfgblog", None)


def test_pyproject_is_found_from_a_subdirectory(project):
    loaded = load_settings()
    assert loaded.apps == ["cfgblog"]
    assert loaded.databases["default"] == f"sqlite:///{(project / 'main.db').as_posix()}"
    assert loaded.databases["replica"] == "sqlite:////tmp/replica.db"
    assert loaded.routers == ["somewhere.Router"]
    assert loaded.default_auto_field == "orm.AutoField"


def test_database_url_overrides_default(project, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    loaded = load_settings()
    assert loaded.databases["default"] == "sqlite:///:memory:"
    assert "replica" in loaded.databases


def test_configure_wins_over_everything(project, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    chosen = orm.configure(databases={"default": "sqlite:///:memory:"})
    assert settings.get() is chosen
    assert orm.connections.urls == {"default": "sqlite:///:memory:"}


def test_pyproject_apps_are_loaded_and_models_registered(project):
    settings.reset()
    orm.registry.populate(settings.get().apps)
    post = orm.registry.get_model("cfgblog.Post")
    assert post._meta.db_table == "cfgblog_post"
    assert type(post._meta.pk).__name__ == "AutoField"


def test_broken_pyproject_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.manouche\napps = 1")
    with pytest.raises(orm.ImproperlyConfigured, match="pyproject.toml"):
        load_settings(tmp_path / "pyproject.toml")
    (tmp_path / "bad.toml").write_text("[tool.manouche]\napps = 'blog'\n")
    with pytest.raises(orm.ImproperlyConfigured, match="apps must be a list"):
        load_settings(tmp_path / "bad.toml")


def test_defaults_without_any_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    loaded = load_settings()
    assert loaded.databases == {"default": "sqlite:///db.sqlite3"}
    settings.reset()


def test_configure_needs_a_default_alias():
    with pytest.raises(orm.ImproperlyConfigured, match="default"):
        orm.configure(databases={"other": "sqlite:///:memory:"})


def test_unknown_alias_is_a_clear_error():
    orm.configure(databases={"default": "sqlite:///:memory:"})
    with pytest.raises(orm.ImproperlyConfigured, match="replica"):
        orm.connections["replica"]
