"""The model instance API, managers, mixins, inheritance and Meta options (SPEC §3)."""

from __future__ import annotations

import pytest

import orm
from orm import Q


class Person(orm.Model):
    name = orm.CharField(max_length=20)
    email = orm.EmailField(unique=True)
    age = orm.PositiveSmallIntegerField(null=True, blank=True)
    team = orm.CharField(max_length=10, blank=True, default="")
    number = orm.IntegerField(default=0)

    class Meta:
        app_label = "modeltests"
        db_table = "people"
        ordering = ["name"]
        get_latest_by = "number"
        unique_together = [("team", "number")]
        indexes = [orm.Index(fields=["team", "name"], name="people_team_name")]
        constraints = [
            orm.CheckConstraint(condition=Q(number__gte=0), name="people_number_positive")
        ]

    def clean(self):
        if self.name == "forbidden":
            raise orm.ValidationError({"name": "This name is not allowed."})


class AdultQuerySet(orm.QuerySet):
    def adults(self):
        return self.filter(age__gte=18)


class NamedManager(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().exclude(name="")

    def starting_with(self, letter):
        return self.filter(name__startswith=letter)


class Member(orm.Model):
    name = orm.CharField(max_length=20, blank=True)
    age = orm.IntegerField(default=0)

    objects = AdultQuerySet.as_manager()
    named = NamedManager()

    class Meta:
        app_label = "modeltests"


class Note(orm.TimestampedModel):
    text = orm.CharField(max_length=50)

    class Meta:
        app_label = "modeltests"


class Document(orm.SoftDeleteModel):
    title = orm.CharField(max_length=50)

    class Meta:
        app_label = "modeltests"


class Named(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        abstract = True
        ordering = ["-name"]


class Tag(Named):
    weight = orm.IntegerField(default=1)

    class Meta:
        app_label = "modeltests"


class Upper(Tag):
    class Meta:
        proxy = True
        app_label = "modeltests"

    def shout(self):
        return self.name.upper()


MODELS = [Person, Member, Note, Document, Tag]


@pytest.fixture(autouse=True)
def _tables(models_db):
    yield


def test_save_inserts_then_updates():
    person = Person(name="ann", email="ann@example.com")
    with orm.capture_queries() as queries:
        person.save()
    assert person.pk is not None and "INSERT" in queries[0].sql.upper()
    person.name = "anne"
    with orm.capture_queries() as queries:
        person.save()
    assert [query.sql.split()[0].upper() for query in queries] == ["UPDATE"]
    assert Person.objects.get(pk=person.pk).name == "anne"


def test_save_update_fields_writes_only_those_columns():
    person = Person.objects.create(name="ann", email="a@example.com", age=30)
    Person.objects.filter(pk=person.pk).update(age=31)
    person.name = "bob"
    person.save(update_fields=["name"])
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.name, fresh.age) == ("bob", 31)
    with pytest.raises(ValueError, match="unknown field 'nope'"):
        person.save(update_fields=["nope"])


def test_force_insert_and_force_update():
    person = Person.objects.create(name="ann", email="a@example.com")
    clone = Person(pk=person.pk, name="x", email="b@example.com")
    with pytest.raises(orm.IntegrityError):
        clone.save(force_insert=True)
    ghost = Person(pk=person.pk + 1000, name="ghost", email="g@example.com")
    with pytest.raises(orm.DatabaseError):  # as Django: the forced update hit no row
        ghost.save(force_update=True)
    with pytest.raises(ValueError):
        ghost.save(force_insert=True, force_update=True)


def test_delete_and_refresh_from_db():
    person = Person.objects.create(name="ann", email="a@example.com", age=5)
    Person.objects.filter(pk=person.pk).update(age=6, name="changed")
    person.refresh_from_db(fields=["age"])
    assert (person.age, person.name) == (6, "ann")
    person.refresh_from_db()
    assert person.name == "changed"
    assert person.delete() == (1, {"modeltests.Person": 1})
    with pytest.raises(Person.DoesNotExist):
        person.refresh_from_db()


def test_full_clean_reports_every_field():
    person = Person(name="x" * 30, email="not-an-email", age=-1)
    with pytest.raises(orm.ValidationError) as caught:
        person.full_clean()
    errors = caught.value.message_dict
    assert set(errors) >= {"name", "email", "age"}
    assert any("30" in message or "20" in message for message in errors["name"])


def test_clean_and_validate_unique():
    Person.objects.create(name="ann", email="a@example.com", team="red", number=1)
    duplicate = Person(name="forbidden", email="a@example.com", team="red", number=1)
    with pytest.raises(orm.ValidationError) as caught:
        duplicate.full_clean()
    errors = caught.value.message_dict
    assert "name" in errors and "email" in errors
    assert any("already exists" in message for message in errors["__all__"])
    duplicate.clean_fields()  # each field alone is fine
    Person(name="ok", email="b@example.com").full_clean()


def test_check_constraint_validates_in_python_and_database():
    with pytest.raises(orm.ValidationError):
        Person(name="n", email="n@example.com", number=-1).validate_constraints()
    with pytest.raises(orm.IntegrityError):
        Person.objects.create(name="n", email="n@example.com", number=-1)


def test_init_rejects_unknown_kwargs():
    with pytest.raises(TypeError, match="nmae"):
        Person(nmae="typo")


def test_equality_and_hashing():
    first = Person.objects.create(name="a", email="a@example.com")
    again = Person.objects.get(pk=first.pk)
    assert first == again and hash(first) == hash(again)
    assert first != Person(name="a", email="a@example.com")
    assert len({first, again}) == 1
    with pytest.raises(TypeError):
        hash(Person(name="unsaved", email="u@example.com"))
    tag = Tag.objects.create(name="t")
    assert Upper.objects.get(pk=tag.pk) == tag


def test_custom_managers_and_as_manager():
    Member.objects.create(name="kid", age=5)
    Member.objects.create(name="adult", age=40)
    Member.objects.create(name="", age=50)
    assert [m.name for m in Member.objects.adults().order_by("age")] == ["adult", ""]
    assert Member.named.count() == 2
    assert [m.name for m in Member.named.starting_with("k")] == ["kid"]
    assert Member._default_manager is Member.objects


def test_timestamped_model():
    note = Note.objects.create(text="hi")
    assert note.created_at is not None and note.updated_at is not None
    created = note.created_at
    note.text = "again"
    note.save()
    note.refresh_from_db()
    assert note.created_at == created and note.updated_at >= created


def test_soft_delete_model():
    keep = Document.objects.create(title="keep")
    gone = Document.objects.create(title="gone")
    assert gone.delete() == (1, {"modeltests.Document": 1})
    assert [d.title for d in Document.objects.all()] == ["keep"]
    assert Document.all_objects.count() == 2
    assert Document.all_objects.get(pk=gone.pk).is_deleted
    gone.restore()
    assert Document.objects.count() == 2
    Document.objects.filter(pk=keep.pk).delete()
    assert Document.objects.count() == 1 and Document.all_objects.count() == 2
    keep.hard_delete()
    assert Document.all_objects.count() == 1


def test_abstract_base_and_proxy():
    assert [f.name for f in Tag._meta.concrete_fields] == ["id", "name", "weight"]
    assert Tag._meta.ordering == ["-name"]
    Tag.objects.create(name="a")
    Tag.objects.create(name="b")
    assert [t.name for t in Tag.objects.all()] == ["b", "a"]
    shouted = Upper.objects.get(name="a")
    assert isinstance(shouted, Upper) and shouted.shout() == "A"
    assert Upper._meta.db_table == Tag._meta.db_table
    with pytest.raises(TypeError):
        Named(name="x")


def test_multi_table_inheritance_is_a_clear_error():
    with pytest.raises(orm.ImproperlyConfigured, match="multi-table inheritance"):

        class Child(Tag):
            extra = orm.IntegerField()

            class Meta:
                app_label = "modeltests"


def test_meta_options():
    opts = Person._meta
    assert opts.db_table == "people"
    assert opts.label == "modeltests.Person"
    assert [index.name for index in opts.indexes] == ["people_team_name"]
    assert opts.unique_together == [("team", "number")] or list(opts.unique_together) == [
        ("team", "number")
    ]
    Person.objects.create(name="b", email="b@example.com", number=2)
    Person.objects.create(name="a", email="a@example.com", number=1)
    assert [p.name for p in Person.objects.all()] == ["a", "b"]
    assert Person.objects.latest().name == "b"
    with pytest.raises(orm.IntegrityError):
        Person.objects.create(name="c", email="c@example.com", number=1)
    connection = orm.connections["default"]
    index_names = {index.name for index in connection.introspection.get_indexes("people")}
    assert "people_team_name" in index_names


def test_registry_finds_models():
    assert orm.registry.get_model("modeltests.Person") is Person
    assert orm.registry.get_model("modeltests", "person") is Person
    with pytest.raises(LookupError):
        orm.registry.get_model("modeltests.Nope")


def test_invalid_definitions_name_the_field():
    with pytest.raises(orm.ImproperlyConfigured, match=r"Broken\.title.*max_length"):

        class Broken(orm.Model):
            title = orm.CharField()

            class Meta:
                app_label = "modeltests"
