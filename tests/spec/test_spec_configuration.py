"""SPEC §2: configuration, URLs, precedence, apps and the registry."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import backends
import orm
from tests.spec.test_spec_cli import ROOT, make_project, manouche, ok, write


def run_python(cwd: Path, code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120,
    )


def test_registry_get_model(models):
    assert orm.registry.get_model("specblog.Post") is models.Post
    assert orm.registry.get_model("specblog", "Post") is models.Post
    with pytest.raises(LookupError):
        orm.registry.get_model("specblog.Nothing")


def test_first_use_loads_nearest_pyproject_and_puts_its_directory_on_sys_path(tmp_path):
    project = make_project(tmp_path / "proj", database="sqlite:///first.sqlite3")
    ok(manouche(project, "makemigrations"))
    ok(manouche(project, "migrate"))
    (project / "deep").mkdir()
    result = run_python(project / "deep", """\
        import orm
        Post = orm.registry.get_model("blog.Post")
        print(Post.objects.count(), Post._meta.db_table)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "blog_post"]


def test_database_url_environment_overrides_default(tmp_path, db_url, vendor):
    project = make_project(tmp_path / "proj")
    ok(manouche(project, "makemigrations"))
    env = {"DATABASE_URL": db_url}
    ok(manouche(project, "migrate", env=env))
    result = run_python(project, """\
        import orm
        print(orm.connections["default"].vendor, orm.registry.get_model("blog.Author").objects.count())
        """, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [vendor, "0"]
    assert not (project / "db.sqlite3").exists()


def test_configure_wins_over_pyproject_and_environment(tmp_path, monkeypatch):
    project = make_project(tmp_path / "proj", database="sqlite:///from_pyproject.sqlite3")
    ok(manouche(project, "makemigrations"))
    target = tmp_path / "configured.sqlite3"
    result = run_python(project, f"""\
        import orm, cli
        orm.configure(apps=["blog"], databases={{"default": "sqlite:///{target}"}})
        assert cli.call_command("migrate", verbosity=0) == 0
        print(orm.connections["default"].execute("SELECT COUNT(*) FROM blog_author").fetchone()[0])
        """, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'from_env.sqlite3'}"})
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert not (project / "from_pyproject.sqlite3").exists()
    assert not (tmp_path / "from_env.sqlite3").exists()


def test_models_in_the_app_module_itself_and_meta_app_label(tmp_path):
    root = tmp_path / "proj"
    write(root / "pyproject.toml", '[tool.manouche]\napps = ["solo", "pkg.inner"]\n')
    write(root / "solo.py", """\
        import orm


        class Thing(orm.Model):
            name = orm.CharField(max_length=10)
        """)
    write(root / "pkg" / "__init__.py", "")
    write(root / "pkg" / "inner" / "__init__.py", "")
    write(root / "pkg" / "inner" / "models.py", """\
        import orm


        class Inside(orm.Model):
            pass


        class Elsewhere(orm.Model):
            class Meta:
                app_label = "solo"
        """)
    result = run_python(root, """\
        import orm
        print(orm.registry.get_model("solo.Thing")._meta.db_table)
        print(orm.registry.get_model("inner.Inside")._meta.db_table)
        print(orm.registry.get_model("solo.Elsewhere")._meta.db_table)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["solo_thing", "inner_inside", "solo_elsewhere"]


def test_default_auto_field_setting(tmp_path):
    root = make_project(tmp_path / "proj")
    write(root / "pyproject.toml", """\
        [tool.manouche]
        apps = ["blog"]
        default_auto_field = "orm.AutoField"
        """)
    result = run_python(root, """\
        import orm
        print(type(orm.registry.get_model("blog.Author")._meta.pk).__name__)
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "AutoField"
    ok(manouche(root, "makemigrations"))
    text = (root / "blog" / "migrations" / "0001_initial.py").read_text()
    assert '("id", orm.AutoField(' in text


def test_url_forms(tmp_path, database_urls):
    relative = backends.parse_url("sqlite:///relative/path.db")
    absolute = backends.parse_url("sqlite:////absolute/path.db")
    memory = backends.parse_url("sqlite:///:memory:")
    assert str(getattr(absolute, "name", absolute)).endswith("/absolute/path.db")
    assert "relative/path.db" in str(getattr(relative, "name", relative))
    assert ":memory:" in str(getattr(memory, "name", memory))
    pg = backends.parse_url("postgresql://user:pass@host:5433/name?sslmode=require")
    assert (pg.vendor, pg.user, pg.password, pg.host, pg.port, pg.name) == (
        "postgresql", "user", "pass", "host", 5433, "name"
    )
    assert dict(pg.options).get("sslmode") == "require"
    my = backends.parse_url("mysql://user:pass@host:3307/name?charset=utf8mb4")
    assert (my.vendor, my.port, my.name) == ("mysql", 3307, "name")
    assert dict(my.options).get("charset") == "utf8mb4"
    connection = backends.connect("sqlite:///:memory:")
    try:
        assert connection.execute("SELECT 1").fetchone()[0] == 1
    finally:
        connection.close()
    for vendor, admin_url in database_urls.items():
        separator = "&" if "?" in admin_url else "?"
        option = "connect_timeout=5"
        live = backends.connect(f"{admin_url}{separator}{option}")
        try:
            assert live.vendor == vendor
            assert live.execute("SELECT 1").fetchone()[0] == 1
        finally:
            live.close()


def test_bad_configuration_is_improperly_configured(tmp_path):
    with pytest.raises(orm.ImproperlyConfigured):
        backends.connect("oracle://x@y/z")
    result = run_python(tmp_path, """\
        import orm
        orm.configure(apps=["no_such_app_anywhere"], databases={"default": "sqlite:///:memory:"})
        orm.registry.get_model("x.Y")
        """)
    assert "ImproperlyConfigured" in result.stderr and "no_such_app_anywhere" in result.stderr
