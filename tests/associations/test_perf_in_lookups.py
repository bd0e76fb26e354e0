"""``__in`` lists of plain values skip the per-item resolution, and give what mixed lists give."""

from __future__ import annotations

import orm

from .models import ALL, Author, Book, Tag


def _library():
    tags = [Tag.objects.create(name=f"t{i}") for i in range(4)]
    author = Author.objects.create(name="a")
    books = [Book.objects.create(author=author, title=f"b{i}", pages=100 + i) for i in range(4)]
    for index, book in enumerate(books):
        book.tags.add(*tags[: index + 1])
    return tags, books


def _titles(queryset) -> list[str]:
    return sorted({book.title for book in queryset})


def test_relation_in_with_plain_keys_equals_instances_and_mixed_lists(setup_models):
    setup_models(*ALL)
    tags, books = _library()
    keys = [tags[2].pk, tags[3].pk]
    expected = ["b2", "b3"]
    assert _titles(Book.objects.filter(tags__in=keys)) == expected
    assert _titles(Book.objects.filter(tags__in=tuple(keys))) == expected
    assert _titles(Book.objects.filter(tags__in=set(keys))) == expected
    assert _titles(Book.objects.filter(tags__in=[tags[2], tags[3]])) == expected
    assert _titles(Book.objects.filter(tags__in=[tags[2], keys[1]])) == expected
    assert _titles(Book.objects.filter(tags__in=[*keys, None])) == expected
    assert _titles(Book.objects.filter(tags__in=[str(key) for key in keys])) == expected
    assert sorted(Tag.objects.filter(books__in=[books[1].pk]).values_list("name", flat=True)) == ["t0", "t1"]


def test_plain_in_list_is_copied_and_expressions_in_lists_still_resolve(setup_models):
    setup_models(*ALL)
    _tags, books = _library()
    keys = [books[0].pk, books[1].pk]
    queryset = Book.objects.filter(pk__in=keys)
    keys.append(books[2].pk)  # changing the list afterwards does not change the query
    assert _titles(queryset) == ["b0", "b1"]
    assert _titles(Book.objects.filter(pages__in=[orm.F("pages"), 101])) == ["b0", "b1", "b2", "b3"]
    assert _titles(Book.objects.filter(pages__in=[orm.Value(102), 103])) == ["b2", "b3"]
    assert _titles(Book.objects.filter(pages__in=(100, 103))) == ["b0", "b3"]


class UpperField(orm.CharField):
    """Stores text upper-cased: its database value differs from the Python one."""

    def get_internal_type(self) -> str:
        return "CharField"

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return value.upper() if isinstance(value, str) else value


class Code(orm.Model):
    code = UpperField(max_length=10)
    weight = orm.FloatField(default=1.0)
    active = orm.BooleanField(default=True)

    class Meta:
        app_label = "assoc_perf_in"


def test_plain_in_values_still_go_through_the_fields_database_preparation(setup_models):
    setup_models(Code)
    Code.objects.create(code="ab", weight=0.5, active=False)
    Code.objects.create(code="cd", weight=2.0)
    assert sorted(Code.objects.filter(code__in=["ab", "zz"]).values_list("weight", flat=True)) == [0.5]
    assert Code.objects.filter(code__in=("AB", "cd")).count() == 2
    assert Code.objects.filter(weight__in=[0.5, 3.0]).count() == 1
    assert Code.objects.filter(active__in=[False]).count() == 1
    assert Code.objects.filter(code__in=["ab", None]).count() == 1
    assert Code.objects.filter(code__in=[None]).count() == 0
