"""SPEC §3: models and fields, through public names only, on every backend."""

from __future__ import annotations

import datetime
import decimal
import uuid
import warnings

import pytest

import orm

FIELD_NAMES = (
    "AutoField BigAutoField SmallAutoField CharField TextField SlugField EmailField URLField "
    "IntegerField BigIntegerField SmallIntegerField PositiveIntegerField "
    "PositiveSmallIntegerField PositiveBigIntegerField FloatField DecimalField BooleanField "
    "DateField DateTimeField TimeField DurationField UUIDField JSONField BinaryField "
    "GenericIPAddressField ForeignKey OneToOneField ManyToManyField"
).split()


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_every_field_class_is_importable_from_orm(name):
    assert isinstance(getattr(orm, name), type)


def test_meta_index_and_constraint_classes_are_in_orm():
    for name in ("Index", "UniqueConstraint", "CheckConstraint", "Q", "Model", "Manager"):
        assert hasattr(orm, name), name


def test_every_field_type_round_trips_its_python_type(models):
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.timezone.utc)
    key = uuid.uuid4()
    sample = models.Sample.objects.create(
        char="abc",
        text="long",
        slug="a-slug",
        email="a@b.org",
        url="https://example.org/x",
        integer=-5,
        big=2**40,
        small=-3,
        positive=7,
        positive_small=8,
        positive_big=2**40,
        floating=1.5,
        decimal=decimal.Decimal("12.34"),
        boolean=True,
        date=datetime.date(2024, 1, 2),
        datetime=moment,
        time=datetime.time(10, 11, 12),
        duration=datetime.timedelta(days=1, seconds=5),
        uuid=key,
        data={"owner": {"name": "x"}, "n": [1, 2]},
        binary=b"\x00\x01\xff",
        ip="192.168.0.1",
    )
    got = models.Sample.objects.get(pk=sample.pk)
    assert got.char == "abc" and got.slug == "a-slug" and got.url == "https://example.org/x"
    assert got.big == 2**40 and got.positive_big == 2**40 and got.small == -3
    assert got.floating == 1.5
    assert got.decimal == decimal.Decimal("12.34") and isinstance(got.decimal, decimal.Decimal)
    assert got.boolean is True
    assert got.date == datetime.date(2024, 1, 2) and type(got.date) is datetime.date
    assert got.datetime == moment and got.datetime.tzinfo is not None
    assert got.time == datetime.time(10, 11, 12)
    assert got.duration == datetime.timedelta(days=1, seconds=5)
    assert got.uuid == key and isinstance(got.uuid, uuid.UUID)
    assert got.data == {"owner": {"name": "x"}, "n": [1, 2]}
    assert bytes(got.binary) == b"\x00\x01\xff"
    assert got.ip == "192.168.0.1"
    assert isinstance(got.pk, int) and got.pk == got.id


def test_default_primary_key_is_big_auto_field_named_id(models):
    pk = models.Author._meta.pk
    assert pk.name == "id"
    assert isinstance(pk, orm.BigAutoField)


def test_naive_datetime_is_taken_as_utc_with_a_warning(models):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sample = models.Sample.objects.create(datetime=datetime.datetime(2024, 1, 1, 12, 0))
    assert caught, "a naive datetime should warn"
    got = models.Sample.objects.get(pk=sample.pk).datetime
    assert got == datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def test_aware_datetime_in_another_zone_is_stored_as_utc(models):
    zone = datetime.timezone(datetime.timedelta(hours=5))
    moment = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=zone)
    sample = models.Sample.objects.create(datetime=moment)
    got = models.Sample.objects.get(pk=sample.pk).datetime
    assert got == moment
    assert got.utcoffset() == datetime.timedelta(0)
    raw = orm.connections["default"].execute(
        "SELECT datetime FROM specblog_sample WHERE id = %s", [sample.pk]
    ).fetchone()[0]
    assert "07:00" in str(raw)  # stored as UTC: 12:00+05:00 is 07:00Z


def test_default_value_and_callable_default(models):
    post_author = models.Author.objects.create(name="A", email="a@x.org")
    post = models.Post.objects.create(author=post_author, title="t")
    assert post.body == "" and post.status == "draft"
    assert models.Post.objects.get(pk=post.pk).status == "draft"


def test_auto_now_add_and_auto_now(models):
    author = models.Author.objects.create(name="A", email="a@x.org")
    post = models.Post.objects.create(author=author, title="t")
    assert post.created is not None and post.updated is not None
    first_created, first_updated = post.created, post.updated
    post.title = "u"
    post.save()
    again = models.Post.objects.get(pk=post.pk)
    assert again.created == first_created
    assert again.updated >= first_updated


def test_init_rejects_unknown_keyword_with_type_error(models):
    with pytest.raises(TypeError) as error:
        models.Author(nickname="x")
    assert "nickname" in str(error.value)


def test_pk_aliases_primary_key(models):
    author = models.Author(name="A", email="a@x.org")
    assert author.pk is None
    author.save()
    assert author.pk == author.id and author.pk is not None
    author.pk = 1234
    assert author.id == 1234


def test_equality_by_class_and_pk_and_hashable_when_saved(models):
    author = models.Author.objects.create(name="A", email="a@x.org")
    same = models.Author.objects.get(pk=author.pk)
    assert author == same and hash(author) == hash(same)
    assert {author, same} == {author}
    tag = models.Tag.objects.create(name="x")
    assert tag.pk == author.pk or True
    if tag.pk == author.pk:
        assert tag != author
    unsaved = models.Author(name="B", email="b@x.org")
    with pytest.raises(TypeError):
        hash(unsaved)
    assert unsaved != models.Author(name="B", email="b@x.org")


def test_fields_are_descriptors_on_the_class(models):
    assert "name" in vars(models.Author) or hasattr(models.Author, "name")
    author = models.Author(name="A", email="e@x.org")
    assert author.name == "A"


def test_default_table_name_and_m2m_junction_default_name(models, spec_db):
    assert models.Author._meta.db_table == "specblog_author"
    tables = set(orm.connections["default"].introspection.table_names())
    assert {"specblog_author", "specblog_post", "specblog_post_tags"} <= tables


def test_foreign_key_column_is_name_id_and_indexed(models, spec_db):
    connection = orm.connections["default"]
    columns = [column.name for column in connection.introspection.get_columns("specblog_post")]
    post = models.Post(author_id=3)
    assert post.author_id == 3
    field = models.Post._meta.get_field("author")
    assert field.column == "author_id" and field.db_index is True
    assert "author_id" in columns
    indexed = {tuple(index.columns) for index in connection.introspection.get_indexes("specblog_post")}
    assert ("author_id",) in indexed


def test_save_signature_and_update_fields(models):
    author = models.Author.objects.create(name="A", email="a@x.org")
    author.name = "B"
    author.email = "changed@x.org"
    author.save(update_fields=["name"])
    again = models.Author.objects.get(pk=author.pk)
    assert again.name == "B" and again.email == "a@x.org"
    with pytest.raises(orm.DatabaseError):
        models.Author(pk=author.pk, name="dup", email="z@x.org").save(force_insert=True)
    with pytest.raises(orm.DatabaseError):
        models.Author(pk=99999, name="none", email="n@x.org").save(force_update=True)
    models.Author(pk=author.pk, name="C", email="a@x.org").save(using="default")
    assert models.Author.objects.get(pk=author.pk).name == "C"


def test_refresh_from_db_and_delete(models):
    author = models.Author.objects.create(name="A", email="a@x.org")
    models.Author.objects.filter(pk=author.pk).update(name="Z", email="z@x.org")
    author.refresh_from_db(fields=["name"])
    assert author.name == "Z" and author.email == "a@x.org"
    author.refresh_from_db()
    assert author.email == "z@x.org"
    result = author.delete()
    assert result == (1, {"specblog.Author": 1})
    with pytest.raises(models.Author.DoesNotExist):
        models.Author.objects.get(name="Z")


def test_full_clean_raises_validation_error_with_message_dict(models):
    author = models.Author(name="x" * 101, email="not-an-email")
    with pytest.raises(orm.ValidationError) as error:
        author.full_clean()
    messages = error.value.message_dict
    assert "name" in messages and "email" in messages
    with pytest.raises(orm.ValidationError) as error:
        models.Author(name="", email="a@x.org").clean_fields()
    assert "name" in error.value.message_dict


def test_validate_unique(models):
    models.Author.objects.create(name="A", email="a@x.org")
    with pytest.raises(orm.ValidationError) as error:
        models.Author(name="B", email="a@x.org").validate_unique()
    assert "email" in error.value.message_dict
    with pytest.raises(orm.ValidationError):
        models.Author(name="B", email="a@x.org").full_clean()


def test_choices_validation_and_display(models):
    author = models.Author.objects.create(name="A", email="a@x.org")
    post = models.Post(author=author, title="t", status="pub")
    assert post.get_status_display() == "Published"
    post.status = "zzz"
    assert post.get_status_display() == "zzz"
    with pytest.raises(orm.ValidationError) as error:
        post.full_clean()
    assert "status" in error.value.message_dict


def test_validators_option_runs_in_full_clean():
    from orm.validators import MinValueValidator

    class Rated(orm.Model):
        score = orm.IntegerField(validators=[MinValueValidator(1)])

        class Meta:
            app_label = "specvalid"

    with pytest.raises(orm.ValidationError) as error:
        Rated(score=0).full_clean()
    assert "score" in error.value.message_dict


def test_custom_manager_and_queryset_as_manager(models):
    class PublishedQuerySet(orm.QuerySet):
        def published(self):
            return self.filter(status="pub")

    class Published(orm.Manager):
        def get_queryset(self):
            return super().get_queryset().filter(status="pub")

    class Article(orm.Model):
        status = orm.CharField(max_length=5)
        objects = PublishedQuerySet.as_manager()
        published = Published()

        class Meta:
            app_label = "specmanagers"

    assert hasattr(Article.objects, "published")
    assert isinstance(Article.objects.published(), orm.QuerySet)
    assert isinstance(Article.published, orm.Manager)


def test_timestamped_model_sets_both_stamps(models):
    stamped = models.Stamped.objects.create(name="a")
    assert stamped.created_at is not None and stamped.updated_at is not None
    assert stamped.created_at.tzinfo is not None
    before = stamped.updated_at
    stamped.name = "b"
    stamped.save()
    assert stamped.updated_at >= before
    assert {f.name for f in models.Stamped._meta.fields} >= {"created_at", "updated_at"}


def test_soft_delete_model(models):
    kept = models.Note.objects.create(text="kept")
    gone = models.Note.objects.create(text="gone")
    gone.delete()
    assert gone.deleted_at is not None
    assert list(models.Note.objects.values_list("text", flat=True)) == ["kept"]
    assert set(models.Note.all_objects.values_list("text", flat=True)) == {"kept", "gone"}
    gone.restore()
    assert models.Note.objects.count() == 2
    gone.hard_delete()
    assert models.Note.all_objects.count() == 1
    assert models.Note.all_objects.get().pk == kept.pk
    models.Note.objects.all().delete()
    assert models.Note.objects.count() == 0 and models.Note.all_objects.count() == 1


def test_meta_options_are_honoured():
    class Base(orm.Model):
        name = orm.CharField(max_length=20)

        class Meta:
            abstract = True

    class Thing(Base):
        when = orm.DateField(null=True)

        class Meta:
            app_label = "specmeta"
            db_table = "custom_things"
            ordering = ["-name"]
            get_latest_by = "when"
            unique_together = [("name", "when")]
            managed = False
            constraints = [
                orm.UniqueConstraint(fields=["name"], name="uniq_name", condition=orm.Q(when=None)),
                orm.CheckConstraint(condition=orm.Q(name__startswith="a"), name="name_a"),
            ]

    class ThingProxy(Thing):
        class Meta:
            proxy = True
            app_label = "specmeta"

    class Owner(orm.Model):
        class Meta:
            app_label = "specmeta"
            default_related_name = "owned_things"

    opts = Thing._meta
    assert opts.db_table == "custom_things" and opts.app_label == "specmeta"
    assert list(opts.ordering) == ["-name"] and opts.get_latest_by == "when"
    assert opts.managed is False and not opts.abstract
    assert [tuple(x) for x in opts.unique_together] == [("name", "when")]
    assert {c.name for c in opts.constraints} == {"uniq_name", "name_a"}
    assert ThingProxy._meta.proxy and ThingProxy._meta.db_table == "custom_things"
    assert Base._meta.abstract
    assert Owner._meta.default_related_name == "owned_things"
    assert Thing._meta.label == "specmeta.Thing"


def test_multi_table_inheritance_is_a_clear_error():
    class Parent(orm.Model):
        class Meta:
            app_label = "specmti"

    with pytest.raises(orm.ImproperlyConfigured) as error:

        class Child(Parent):
            class Meta:
                app_label = "specmti"

    assert "Child" in str(error.value)


def test_deconstruct_returns_only_non_default_kwargs():
    name, path, args, kwargs = orm.CharField(max_length=20).deconstruct()
    assert path == "orm.CharField" and args == [] and kwargs == {"max_length": 20}
    assert orm.IntegerField().deconstruct()[3] == {}
    _, _, _, kwargs = orm.DecimalField(max_digits=5, decimal_places=2, null=True).deconstruct()
    assert kwargs == {"max_digits": 5, "decimal_places": 2, "null": True}
    _, path, _, kwargs = orm.ForeignKey("specblog.Author", on_delete=orm.CASCADE).deconstruct()
    assert path == "orm.ForeignKey" and kwargs["to"].lower() == "specblog.author"
    assert "db_index" not in kwargs


def test_db_column_db_default_and_unique(models, spec_db):
    class Widget(orm.Model):
        code = orm.CharField(max_length=10, db_column="widget_code", unique=True)
        size = orm.IntegerField(db_default=7)

        class Meta:
            app_label = "specwidget"

    assert Widget._meta.get_field("code").column == "widget_code"
    assert Widget._meta.get_field("size").deconstruct()[3] == {"db_default": 7}


def test_editable_help_text_verbose_name_are_kept():
    field = orm.CharField(max_length=5, editable=False, help_text="h", verbose_name="V")
    assert field.editable is False and field.help_text == "h" and field.verbose_name == "V"
    kwargs = field.deconstruct()[3]
    assert kwargs["editable"] is False and kwargs["help_text"] == "h"
