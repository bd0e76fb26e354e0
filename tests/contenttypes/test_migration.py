"""contenttypes/migrations/0001_initial.py applies, creates the table and the rows after migrate."""

from __future__ import annotations

import io

import pytest

import orm
from contenttypes import ContentType


@pytest.fixture
def migrated_db(db_url):
    orm.configure(apps=["contenttypes"], databases={"default": db_url})
    ContentType.objects.clear_cache()
    yield db_url
    ContentType.objects.clear_cache()
    orm.connections.close_all()


def _migrate(*args):
    from migrations_engine.commands import migrate

    output = io.StringIO()
    assert migrate(*args, database="default", stdout=output) == 0
    return output.getvalue()


def test_initial_migration_creates_the_table_and_rows(migrated_db):
    output = _migrate()
    assert "contenttypes.0001_initial" in output
    introspection = orm.connections["default"].introspection
    assert introspection.has_table("contenttypes_contenttype")
    columns = {column.name for column in introspection.get_columns("contenttypes_contenttype")}
    assert columns == {"id", "app_label", "model"}
    unique = [
        tuple(constraint.columns)
        for constraint in introspection.get_constraints("contenttypes_contenttype")
        if getattr(constraint, "kind", None) == "unique" or getattr(constraint, "unique", False)
    ]
    assert ("app_label", "model") in unique
    # post_migrate recorded a content type for the migrated app's models.
    assert ContentType.objects.filter(app_label="contenttypes", model="contenttype").exists()
    ContentType.objects.clear_cache()
    with orm.capture_queries() as queries:
        ContentType.objects.get_for_model(ContentType)
    assert len(queries) == 1
    with pytest.raises(orm.IntegrityError):
        ContentType.objects.create(app_label="contenttypes", model="contenttype")


def test_unapplying_drops_the_table_without_crashing_post_migrate(migrated_db):
    _migrate()
    _migrate("contenttypes", "zero")
    assert not orm.connections["default"].introspection.has_table("contenttypes_contenttype")
    _migrate()
    assert ContentType.objects.filter(model="contenttype").count() == 1
