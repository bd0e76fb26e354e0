"""Relation field definitions: targets, columns, deconstruction, and bad input."""

from __future__ import annotations

import itertools

import pytest

import backends
import orm
from associations import check_pending_references
from backends.schema import ForeignKeyRef

from .models import Author, Book, Group, Profile, Tag

_labels = itertools.count()


def fresh_app() -> str:
    return f"assoc_fields_{next(_labels)}"


def model(name: str, app: str, **attrs):
    """A model class built at run time (``type()``), in app ``app``."""
    meta = type("Meta", (), {"app_label": app})
    return type(name, (orm.Model,), {"__module__": __name__, "Meta": meta, **attrs})


def test_foreign_key_column_attname_and_type():
    field = Book._meta.get_field("author")
    assert (field.attname, field.column) == ("author_id", "author_id")
    assert field.get_internal_type() == "ForeignKey"
    assert field.related_model is Author and field.target_field is Author._meta.pk
    assert field.remote_field.related_model is Book
    assert field.is_relation and field.many_to_one and not field.one_to_one
    assert field.db_index


@pytest.mark.parametrize("url", ["sqlite:///:memory:"])
def test_column_description_references_target(url):
    connection = backends.connect(url)
    try:
        column = Book._meta.get_field("author").column_description(connection)
        assert column.name == "author_id" and not column.null
        assert column.references == ForeignKeyRef("assoc_author", "id", deferrable=True)
        assert column.type == Author._meta.pk.rel_db_type(connection)
        assert Profile._meta.get_field("author").column_description(connection).unique
    finally:
        connection.close()


def test_deconstruct_gives_public_paths_and_label_strings():
    name, path, args, kwargs = Book._meta.get_field("author").deconstruct()
    assert (name, path, args) == ("author", "orm.ForeignKey", [])
    assert kwargs == {"to": "assoc.Author", "on_delete": orm.CASCADE, "related_name": "books"}
    assert Profile._meta.get_field("author").deconstruct()[1:] == (
        "orm.OneToOneField", [], {"to": "assoc.Author", "on_delete": orm.CASCADE}
    )
    assert Book._meta.get_field("tags").deconstruct()[3] == {"to": "assoc.Tag", "blank": True, "related_name": "books"}
    assert Group._meta.get_field("members").deconstruct()[3]["through"] == "assoc.Membership"
    assert orm.CASCADE.deconstruct() == ("orm.CASCADE", (), {})
    assert orm.SET(3).deconstruct() == ("orm.SET", (3,), {})


@pytest.mark.parametrize("field", [
    orm.ForeignKey("assoc.Author", on_delete=orm.PROTECT, null=True, related_name="+", db_index=False),
    orm.ForeignKey("assoc.Author", on_delete=orm.SET_NULL, null=True, to_field="name", db_constraint=False),
    orm.OneToOneField("assoc.Author", on_delete=orm.CASCADE, related_query_name="bio"),
    orm.ManyToManyField("assoc.Tag", db_table="custom_links", related_name="things"),
    orm.ManyToManyField("assoc.Author", through="assoc.Membership", through_fields=("group", "author")),
])
def test_deconstruct_round_trips(field):
    _name, _path, args, kwargs = field.deconstruct()
    rebuilt = type(field)(*args, **kwargs)
    assert rebuilt.deconstruct()[2:] == (args, kwargs)


def test_string_target_defined_later_resolves_lazily():
    app = fresh_app()
    Post = model("Post", app, writer=orm.ForeignKey("Writer", on_delete=orm.CASCADE))
    field = Post._meta.get_field("writer")
    assert field.related_model is None
    Writer = model("Writer", app)
    assert field.related_model is Writer
    assert [rel.field for rel in Writer._meta.related_objects] == [field]
    assert hasattr(Writer, "post_set")
    assert field.deconstruct()[3]["to"] == f"{app}.Writer"


def test_self_reference_and_self_m2m():
    app = fresh_app()
    Person = model(
        "Person", app,
        boss=orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="reports"),
        friends=orm.ManyToManyField("self"),
    )
    assert Person._meta.get_field("boss").related_model is Person
    junction = Person.friends.through
    assert {f.name for f in junction._meta.concrete_fields} == {"id", "from_person", "to_person"}
    assert Person._meta.get_field("boss").deconstruct()[3]["to"] == f"{app}.Person"


def test_auto_created_junction_model_and_table_description():
    junction = Book.tags.through
    assert junction._meta.auto_created and junction._meta.db_table == "assoc_book_tags"
    assert junction._meta.unique_together == [("book", "tag")]
    connection = backends.connect("sqlite:///:memory:")
    try:
        table = Book._meta.get_field("tags").junction_table_description(connection)
        assert table.name == "assoc_book_tags"
        assert [c.name for c in table.columns] == ["id", "book_id", "tag_id"]
        assert table.constraints[0].kind == "unique" and table.constraints[0].columns == ("book_id", "tag_id")
        assert Group._meta.get_field("members").junction_table_description(connection) is None
    finally:
        connection.close()
    assert junction not in orm.registry.get_models()
    assert junction in orm.registry.get_models(include_auto_created=True)


def test_m2m_db_table_option():
    app = fresh_app()
    Label = model("Label", app)
    Item = model("Item", app, labels=orm.ManyToManyField(Label, db_table="item_labels"))
    assert Item.labels.through._meta.db_table == "item_labels"


# -- bad input --------------------------------------------------------------------------


def test_missing_on_delete_names_model_field_and_fix():
    app = fresh_app()
    with pytest.raises(orm.ImproperlyConfigured, match=r"Post\.author: on_delete is required \(e\.g\. on_delete=orm\.CASCADE"):
        model("Post", app, author=orm.ForeignKey(Author))


def test_clashing_reverse_accessors_name_both_fields():
    app = fresh_app()
    with pytest.raises(orm.ImproperlyConfigured) as info:
        model("Note", app, first=orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name=f"{app}_notes"),
              second=orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name=f"{app}_notes"))
    message = str(info.value)
    assert "Note.second" in message and "Note.first" in message and "related_name" in message


def test_reverse_accessor_clashing_with_a_field():
    app = fresh_app()
    Target = model("Target", app, notes=orm.CharField(max_length=5))
    with pytest.raises(orm.ImproperlyConfigured, match=r"Note\.target.*Target\.notes"):
        model("Note", app, target=orm.ForeignKey(Target, on_delete=orm.CASCADE, related_name="notes"))


def test_unknown_target_is_reported_by_check_schema_and_first_query(setup_models):
    app = fresh_app()
    Orphan = model("Orphan", app, ghost=orm.ForeignKey(f"{app}.Ghost", on_delete=orm.CASCADE))
    message = rf"Orphan\.ghost: the related model '{app}\.Ghost' was never defined"
    with pytest.raises(orm.ImproperlyConfigured, match=message):
        check_pending_references()
    connection = backends.connect("sqlite:///:memory:")
    try:
        with pytest.raises(orm.ImproperlyConfigured, match=message):
            Orphan._meta.get_field("ghost").column_description(connection)
    finally:
        connection.close()
    url = setup_models()
    raw = backends.connect(url)
    try:
        raw.execute(f"CREATE TABLE {app}_orphan (id integer primary key, ghost_id integer)")
        raw.execute(f"INSERT INTO {app}_orphan VALUES (1, 1)")
    finally:
        raw.close()
    try:
        with pytest.raises(orm.ImproperlyConfigured, match=message):
            list(Orphan.objects.all())
        with pytest.raises(orm.ImproperlyConfigured, match=message):
            list(Orphan.objects.filter(ghost__pk=1))
    finally:
        model("Ghost", app)  # resolve it so later checks stay clean
    check_pending_references()


def test_through_model_without_both_keys_names_model_and_field():
    app = fresh_app()
    Club = model("Club", app)
    model("Badge", app, club=orm.ForeignKey(Club, on_delete=orm.CASCADE))
    with pytest.raises(orm.ImproperlyConfigured, match=r"Person\.clubs: the through model Badge needs exactly one foreign key to"):
        model("Person", app, clubs=orm.ManyToManyField(Club, through="Badge"))


def test_related_name_must_be_an_identifier():
    app = fresh_app()
    with pytest.raises(orm.ImproperlyConfigured, match="not a valid Python identifier"):
        model("Note", app, author=orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="bad name"))


def test_reverse_relation_objects_api():
    rel = Author._meta.get_field("books")
    assert rel.one_to_many and not rel.concrete and rel.null and rel.is_relation
    assert (rel.name, rel.get_accessor_name(), rel.related_model, rel.model) == ("books", "books", Book, Author)
    assert rel.get_path_info()[0].m2m
    one = Author._meta.get_field("profile")
    assert one.one_to_one and not one.get_path_info()[0].m2m
    m2m = Tag._meta.get_field("books")
    assert m2m.many_to_many and [p.m2m for p in m2m.get_path_info()] == [True, False]
