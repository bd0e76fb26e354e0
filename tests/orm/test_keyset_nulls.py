"""Keyset pagination (`after()`) over nullable ordering values visits every row once, in order.

NULLs sort where the database puts them without NULLS FIRST/LAST (last
ascending on PostgreSQL, first on SQLite and MariaDB); `after()` follows the
queryset's own order on each backend, pages starting or ending inside the
NULLs included.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orm


class KeysetEntry(orm.Model):
    rank = orm.IntegerField(null=True)
    group = orm.CharField(max_length=5, null=True)
    parent = orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="children")

    class Meta:
        app_label = "keysetnulls"


MODELS = [KeysetEntry]


def _walk(queryset, size: int, as_values: bool = False) -> list[int]:
    """Every page of ``queryset`` through after(); the primary keys in page order."""
    seen: list[int] = []
    last = None
    for _ in range(200):
        page = list(queryset.after(last, size=size))
        if not page:
            return seen
        seen.extend(entry.pk for entry in page)
        last = page[-1]
        if as_values:
            names = [name.lstrip("-") for name in queryset.query.order_by]
            last = {name: getattr(last, name if name != "parent" else "parent_id") for name in names}
    raise AssertionError("after() did not come to an end")


ORDERINGS = [
    ("rank", "id"),
    ("-rank", "id"),
    ("rank", "-id"),
    ("group", "-rank", "id"),
    ("-group", "rank", "-id"),
    ("parent", "id"),
    ("parent__rank", "id"),
]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_paging_through_nulls_visits_every_row_in_order(models_db, ordering):
    ranks = [None, 3, None, 1, 3, None, 2, 1, None]
    groups = ["a", None, "b", "a", None, None, "b", "a", None]
    entries = [KeysetEntry.objects.create(rank=rank, group=group) for rank, group in zip(ranks, groups)]
    for child, parent in ((entries[1], entries[0]), (entries[4], entries[3]), (entries[7], entries[0])):
        child.parent = parent
        child.save()
    ordered = KeysetEntry.objects.order_by(*ordering)
    expected = [entry.pk for entry in ordered]
    for size in (1, 2, 4):
        assert _walk(ordered, size) == expected
    assert _walk(ordered.reverse(), 3) == [entry.pk for entry in ordered.reverse()]


def test_values_with_a_null_continue_after_the_null(models_db):
    for rank in (None, None, 5, 7):
        KeysetEntry.objects.create(rank=rank)
    ordered = KeysetEntry.objects.order_by("rank", "id")
    expected = [entry.pk for entry in ordered]
    assert _walk(ordered, 1, as_values=True) == expected


def test_none_for_a_value_that_cannot_be_null_is_refused(models_db):
    entry = KeysetEntry.objects.create(rank=1)
    with pytest.raises(ValueError, match="'id' cannot be NULL"):
        list(KeysetEntry.objects.order_by("rank", "id").after({"rank": 1, "id": None}))
    assert list(KeysetEntry.objects.order_by("rank", "id").after({"rank": None, "id": 0})) in ([], [entry])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=0, max_size=12),
    st.sampled_from(ORDERINGS[:5]),
    st.integers(1, 5),
)
def test_paging_matches_the_ordering_property(models_db, ranks, ordering, size):
    KeysetEntry.objects.all().delete()
    for index, rank in enumerate(ranks):
        KeysetEntry.objects.create(rank=rank, group=None if index % 3 == 0 else "abc"[index % 3])
    ordered = KeysetEntry.objects.order_by(*ordering)
    assert _walk(ordered, size) == [entry.pk for entry in ordered]
