"""``manouche dumpdata`` and ``manouche loaddata``: Django's JSON fixtures, on every backend."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import make_project, run_manouche

SHOP_MODELS = """\
import orm


class Tag(orm.Model):
    name = orm.CharField(max_length=20)


class Shop(orm.Model):
    name = orm.CharField(max_length=50)
    opened = orm.DateTimeField(null=True)


class Item(orm.Model):
    shop = orm.ForeignKey(Shop, on_delete=orm.CASCADE)
    name = orm.CharField(max_length=50)
    price = orm.DecimalField(max_digits=6, decimal_places=2)
    tags = orm.ManyToManyField(Tag)


class OpenManager(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(open=True)


class Counter(orm.Model):
    open = orm.BooleanField(default=True)

    objects = OpenManager()
"""

FORWARD = [
    {"model": "blog.item", "pk": 1, "fields": {"shop": 3, "name": "pen", "price": "1.50", "tags": [2]}},
    {"model": "blog.shop", "pk": 3, "fields": {"name": "Corner", "opened": "2024-01-02T03:04:05Z"}},
    {"model": "blog.tag", "pk": 2, "fields": {"name": "office"}},
]


@pytest.fixture
def shop(tmp_path, db_url):
    """A migrated project with the app ``blog`` (Tag, Shop, Item) on the backend under test."""
    project = make_project(tmp_path / "project", database=db_url, models=SHOP_MODELS)
    for command in (("makemigrations", "--noinput"), ("migrate",)):
        result = run_manouche(project, *command)
        assert result.returncode == 0, result.stderr
    return project


def load(invoke, project, fixture, name="fixture.json"):
    path = project.path / name
    path.write_text(fixture if isinstance(fixture, str) else json.dumps(fixture), encoding="utf-8")
    return invoke(project, "loaddata", str(path))


def dump(invoke, project, *args):
    result = invoke(project, "dumpdata", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_loaddata_takes_keys_that_point_forward(shop, invoke):
    result = load(invoke, shop, FORWARD)
    assert result.exit_code == 0, result.output
    assert result.output == "Installed 3 object(s) from 1 fixture(s)\n"
    assert dump(invoke, shop) == [FORWARD[2], FORWARD[1], FORWARD[0]]


def test_a_row_saved_after_loaddata_gets_a_new_key(shop, invoke):
    # PostgreSQL's identity sequences do not move for explicit keys: loaddata moves them.
    assert load(invoke, shop, [{"model": "blog.tag", "pk": 1, "fields": {"name": "one"}}]).exit_code == 0
    result = load(invoke, shop, [{"model": "blog.tag", "fields": {"name": "two"}}], name="more.json")
    assert result.exit_code == 0, result.output
    assert dump(invoke, shop, "blog.tag") == [
        {"model": "blog.tag", "pk": 1, "fields": {"name": "one"}},
        {"model": "blog.tag", "pk": 2, "fields": {"name": "two"}},
    ]


def test_dumpdata_orders_models_by_their_keys_and_rows_by_pk(shop, invoke):
    assert load(invoke, shop, FORWARD).exit_code == 0
    assert [item["model"] for item in dump(invoke, shop)] == ["blog.tag", "blog.shop", "blog.item"]
    assert dump(invoke, shop, "blog.shop", "blog.tag") == [FORWARD[1], FORWARD[2]]
    assert dump(invoke, shop, "blog.item", "blog.shop") == [FORWARD[1], FORWARD[0]]
    assert dump(invoke, shop, "blog", "--exclude", "blog.item", "-e", "blog.tag") == [FORWARD[1]]
    result = invoke(shop, "dumpdata", "blog.shop", "--indent", "2", "--output", "out.json")
    assert result.exit_code == 0 and result.output == ""
    text = (shop.path / "out.json").read_text(encoding="utf-8")
    assert text.startswith('[\n  {\n    "model": "blog.shop"') and json.loads(text) == [FORWARD[1]]


def test_dumpdata_reads_the_default_manager_unless_all(shop, invoke):
    fixture = [{"model": "blog.counter", "pk": 1, "fields": {"open": False}},
               {"model": "blog.counter", "pk": 2, "fields": {"open": True}}]
    assert load(invoke, shop, fixture).exit_code == 0
    assert dump(invoke, shop, "blog.counter") == fixture[1:]
    assert dump(invoke, shop, "blog.counter", "--all") == fixture


def test_dumpdata_then_loaddata_into_an_empty_database_gives_the_same_rows(shop, invoke, new_db_url):
    assert load(invoke, shop, FORWARD).exit_code == 0
    result = invoke(shop, "dumpdata", "--output", "all.json")
    assert result.exit_code == 0, result.output
    empty = new_db_url()
    assert run_manouche(shop, "--database-url", empty, "migrate").returncode == 0
    result = invoke(shop, "--database-url", empty, "loaddata", "all.json")
    assert result.exit_code == 0, result.output
    assert dump(invoke, shop, "--database-url", empty) == dump(invoke, shop)


def test_the_global_database_option_picks_the_database(shop, invoke, db_url, new_db_url):
    other = new_db_url()
    shop.write(
        "pyproject.toml",
        f"""\
        [tool.manouche]
        apps = ["blog"]

        [tool.manouche.databases]
        default = "{db_url}"
        other = "{other}"
        """,
    )
    assert run_manouche(shop, "--database", "other", "migrate").returncode == 0
    (shop.path / "fixture.json").write_text(json.dumps(FORWARD), encoding="utf-8")
    result = invoke(shop, "loaddata", "--database", "other", "fixture.json")
    assert result.exit_code == 0, result.output
    assert dump(invoke, shop, "--database", "other", "blog.tag") == [FORWARD[2]]
    assert dump(invoke, shop, "blog.tag") == []
    assert dump(invoke, shop, "--database", "other", "--exclude", "blog.tag") == [FORWARD[1], FORWARD[0]]


def test_models_the_routers_keep_off_the_database_are_skipped(tmp_path, db_url, invoke):
    project = make_project(tmp_path / "project", database=db_url, models=SHOP_MODELS)
    project.write(
        "blog/routers.py",
        """\
        class NoCounters:
            def allow_migrate(self, db, app_label, model_name=None, **hints):
                return False if model_name == "counter" else None
        """,
    )
    text = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    project.write("pyproject.toml", text + 'routers = ["blog.routers.NoCounters"]\n')
    for command in (("makemigrations", "--noinput"), ("migrate",)):
        result = run_manouche(project, *command)
        assert result.returncode == 0, result.stderr
    fixture = [{"model": "blog.counter", "pk": 1, "fields": {"open": True}}, FORWARD[2]]
    result = load(invoke, project, fixture)
    assert result.exit_code == 0, result.output
    assert result.output == "Installed 1 object(s) (of 2) from 1 fixture(s)\n"
    assert dump(invoke, project) == [FORWARD[2]]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (FORWARD[:1] + [{"model": "blog.nothing", "fields": {}}], "object 1: invalid model identifier"),
        (FORWARD[1:] + [{"model": "blog.tag", "fields": {"colour": "red"}}],
         "object 2: blog.tag has no field named 'colour'"),
        ('[{"model": "blog.tag", ', "invalid JSON"),
        (FORWARD[1:] + [{"model": "blog.item", "pk": 1, "fields": {"shop": 4, "name": "x", "price": "1"}}],
         "blog.item.shop = 4 points at no blog.shop row"),
        (FORWARD[1:] + [{"model": "blog.item", "pk": 1, "fields": {"name": "x", "price": "1"}}],
         "bad.json: object 2 could not be saved"),
    ],
)
def test_a_bad_fixture_exits_1_naming_the_file_and_loads_nothing(shop, invoke, fixture, message):
    result = load(invoke, shop, fixture, name="bad.json")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output, result.output
    assert "Traceback" not in result.output
    if "points at" not in message:
        assert "bad.json" in result.output
    assert dump(invoke, shop) == []


def test_loaddata_in_a_fresh_interpreter_names_the_file(shop):
    (shop.path / "bad.json").write_text('[{"model": "blog.tag", "fields": {"name": 5, "x": 1}}]')
    result = run_manouche(shop, "loaddata", "bad.json")
    assert result.returncode == 1
    assert result.stderr == "Error: bad.json: object 0: blog.tag has no field named 'x'; nothing was loaded\n"
