"""``ForeignKey.validate()``: the target row must exist and pass ``limit_choices_to``."""

from __future__ import annotations

import pytest

import orm
from tests.associations.conftest import create_tables

APP = "assoc_validation"


class ActiveOnly(orm.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(active=True)


class Writer(orm.Model):
    name = orm.CharField(max_length=30)
    active = orm.BooleanField(default=True)

    objects = ActiveOnly()  # the default manager hides inactive writers; validation must not

    class Meta:
        app_label = APP


def _active_writers():
    return orm.Q(active=True)


class Article(orm.Model):
    author = orm.ForeignKey(Writer, on_delete=orm.CASCADE, related_name="articles")
    by_dict = orm.ForeignKey(
        Writer, on_delete=orm.CASCADE, null=True, blank=True, related_name="+",
        limit_choices_to={"active": True},
    )
    by_q = orm.ForeignKey(
        Writer, on_delete=orm.CASCADE, null=True, blank=True, related_name="+",
        limit_choices_to=orm.Q(name__startswith="A"),
    )
    by_callable = orm.ForeignKey(
        Writer, on_delete=orm.CASCADE, null=True, blank=True, related_name="+",
        limit_choices_to=_active_writers,
    )
    editor = orm.ForeignKey(Writer, on_delete=orm.SET_NULL, null=True, blank=True, related_name="edited")

    class Meta:
        app_label = APP


@pytest.fixture
def writers(setup_models):
    setup_models(Writer, Article)
    ada = Writer.objects.create(name="Ada")
    bob = Writer.objects.create(name="Bob", active=False)
    return ada, bob


def _errors(article) -> dict[str, list[str]]:
    with pytest.raises(orm.ValidationError) as caught:
        article.full_clean()
    return caught.value.message_dict


def test_existing_target_passes(writers):
    ada, _bob = writers
    Article(author=ada, by_dict=ada, by_q=ada, by_callable=ada, editor=ada).full_clean()
    Article(author_id=ada.pk).clean_fields()


def test_target_hidden_by_default_manager_still_passes(writers):
    _ada, bob = writers
    assert not Writer.objects.filter(pk=bob.pk).exists()  # the base manager is what counts
    Article(author=bob).full_clean()


def test_dangling_id_fails_naming_the_field(writers):
    ada, _bob = writers
    errors = _errors(Article(author_id=99, editor_id=ada.pk))
    assert errors == {"author": ["writer instance with id 99 does not exist."]}


def test_dangling_nullable_key_fails_too(writers):
    ada, _bob = writers
    errors = _errors(Article(author=ada, editor_id=12345))
    assert errors == {"editor": ["writer instance with id 12345 does not exist."]}


def test_limit_choices_to_dict(writers):
    ada, bob = writers
    errors = _errors(Article(author=ada, by_dict=bob))
    assert errors == {"by_dict": [f"writer instance with id {bob.pk} does not exist."]}


def test_limit_choices_to_q(writers):
    ada, bob = writers
    errors = _errors(Article(author=ada, by_q=bob))
    assert list(errors) == ["by_q"]


def test_limit_choices_to_callable(writers):
    ada, bob = writers
    errors = _errors(Article(author=ada, by_callable=bob))
    assert list(errors) == ["by_callable"]
    # Every excluded target is reported, each under its own field.
    errors = _errors(Article(author_id=99, by_dict=bob, by_q=bob, by_callable=bob))
    assert sorted(errors) == ["author", "by_callable", "by_dict", "by_q"]


def test_limit_choices_to_does_not_narrow_queries(writers):
    ada, bob = writers
    Article.objects.create(author=ada, by_dict=bob)
    article = Article.objects.get()
    assert article.by_dict == bob
    assert Article.objects.filter(by_dict__name="Bob").count() == 1


def test_null_keys_pass_without_a_query(writers):
    ada, _bob = writers
    article = Article(author=ada)
    article.full_clean()
    editor = Article._meta.get_field("editor")
    with orm.capture_queries() as captured:
        editor.validate(None, article)
        editor.clean(None, article)
    assert captured.queries == []


def test_none_in_a_required_key_is_refused_without_a_query(writers):
    author = Article._meta.get_field("author")
    with orm.capture_queries() as captured, pytest.raises(orm.ValidationError) as caught:
        author.validate(None, Article())
    assert captured.queries == []
    assert caught.value.messages == ["This field cannot be null."]


def test_validation_reads_the_instances_database(db_url, new_db_url):
    other_url = new_db_url()
    create_tables(db_url, [Writer, Article])
    create_tables(other_url, [Writer, Article])
    orm.configure(apps=[], databases={"default": db_url, "other": other_url})
    try:
        only_there = Writer.objects.db_manager("other").create(name="Ann")
        article = Article(author_id=only_there.pk)
        with pytest.raises(orm.ValidationError):
            article.full_clean()  # not saved anywhere yet: reads "default", where Ann is not
        article._state.db = "other"
        with orm.capture_queries(using="other") as captured:
            article.full_clean(validate_unique=False)
        assert len(captured.queries) == 1
    finally:
        orm.connections.close_all()
