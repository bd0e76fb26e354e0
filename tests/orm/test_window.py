"""Window expressions: ranking, offsets, running aggregates and frames, on every backend."""

from __future__ import annotations

import decimal

import pytest

import orm
from orm import (
    Avg,
    CumeDist,
    DenseRank,
    F,
    FirstValue,
    Lag,
    LastValue,
    Lead,
    NthValue,
    NTile,
    PercentRank,
    Rank,
    RowNumber,
    RowRange,
    Sum,
    ValueRange,
    Window,
)


class Score(orm.Model):
    player = orm.CharField(max_length=20)
    team = orm.CharField(max_length=20)
    points = orm.IntegerField()
    bonus = orm.IntegerField(null=True)
    weight = orm.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        app_label = "windowtests"


MODELS = [Score]

ROWS = [
    ("ann", "red", 30, 1, "1.50"),
    ("bob", "red", 20, None, "2.00"),
    ("cid", "red", 20, 3, "0.50"),
    ("dee", "blue", 50, 4, "1.00"),
    ("eve", "blue", 10, None, "3.25"),
]


@pytest.fixture
def scores(models_db):
    Score.objects.bulk_create(
        Score(player=p, team=t, points=n, bonus=b, weight=decimal.Decimal(w)) for p, t, n, b, w in ROWS
    )
    return Score.objects.order_by("player")


def column(queryset, name):
    return {row["player"]: row[name] for row in queryset.values("player", name)}


def test_ranking_functions_per_partition(scores):
    ranked = scores.annotate(
        number=Window(RowNumber(), partition_by="team", order_by=["-points", "player"]),
        rank=Window(Rank(), partition_by=F("team"), order_by=F("points").desc()),
        dense=Window(DenseRank(), order_by="-points"),
    )
    assert column(ranked, "number") == {"ann": 1, "bob": 2, "cid": 3, "dee": 1, "eve": 2}
    assert column(ranked, "rank") == {"ann": 1, "bob": 2, "cid": 2, "dee": 1, "eve": 2}
    assert column(ranked, "dense") == {"dee": 1, "ann": 2, "bob": 3, "cid": 3, "eve": 4}
    assert all(type(value) is int for value in column(ranked, "rank").values())


def test_distribution_functions(scores):
    spread = scores.annotate(
        percent=Window(PercentRank(), order_by="points"),
        cume=Window(CumeDist(), order_by="points"),
        tile=Window(NTile(2), order_by=["points", "player"]),
    )
    assert column(spread, "percent") == {"eve": 0.0, "bob": 0.25, "cid": 0.25, "ann": 0.75, "dee": 1.0}
    assert column(spread, "cume") == {"eve": 0.2, "bob": 0.6, "cid": 0.6, "ann": 0.8, "dee": 1.0}
    assert column(spread, "tile") == {"eve": 1, "bob": 1, "cid": 1, "ann": 2, "dee": 2}


def test_offset_functions_and_defaults(scores):
    order = ["points", "player"]
    shifted = scores.annotate(
        previous=Window(Lag("points"), partition_by="team", order_by=order),
        two_back=Window(Lag("points", offset=2), order_by=order),
        following=Window(Lead("player"), partition_by="team", order_by=order),
        first=Window(FirstValue("player"), partition_by="team", order_by=order),
        second=Window(NthValue("points", nth=2), partition_by="team", order_by=order),
        last=Window(
            LastValue("player"), partition_by="team", order_by=order, frame=RowRange(None, None)
        ),
    )
    assert column(shifted, "previous") == {"bob": None, "cid": 20, "ann": 20, "eve": None, "dee": 10}
    assert column(shifted, "two_back") == {"eve": None, "bob": None, "cid": 10, "ann": 20, "dee": 20}
    assert column(shifted, "following") == {"bob": "cid", "cid": "ann", "ann": None, "eve": "dee", "dee": None}
    assert column(shifted, "first") == {"ann": "bob", "bob": "bob", "cid": "bob", "dee": "eve", "eve": "eve"}
    assert column(shifted, "second") == {"bob": None, "cid": 20, "ann": 20, "eve": None, "dee": 50}
    assert column(shifted, "last") == {"ann": "ann", "bob": "ann", "cid": "ann", "dee": "dee", "eve": "dee"}


def test_lag_default_fills_the_edges(scores, vendor):
    defaulted = scores.annotate(
        previous=Window(Lag("points", offset=1, default=0), partition_by="team", order_by=["points", "player"])
    )
    assert column(defaulted, "previous") == {"bob": 0, "cid": 20, "ann": 20, "eve": 0, "dee": 10}
    # The default is for a missing row, not for a NULL value (MariaDB takes no default: emulated).
    order = ["player"]
    nulls = scores.annotate(
        before=Window(Lag("bonus", default=-1), order_by=order),
        after=Window(Lead("bonus", offset=2, default=-1), partition_by="team", order_by=order),
    )
    # bonus by player: ann 1, bob None, cid 3, dee 4, eve None
    assert column(nulls, "before") == {"ann": -1, "bob": 1, "cid": None, "dee": 3, "eve": 4}
    assert column(nulls, "after") == {"ann": 3, "bob": -1, "cid": -1, "dee": -1, "eve": -1}


def test_aggregates_over_windows_keep_every_row(scores):
    totals = scores.annotate(
        team_total=Window(Sum("points"), partition_by="team"),
        running=Window(Sum("points"), order_by=["points", "player"], frame=RowRange(None, 0)),
        moving=Window(Sum("points"), order_by=["points", "player"], frame=RowRange(-1, 1)),
        same_or_less=Window(Sum("points"), order_by="points", frame=ValueRange(None, 0)),
        average_weight=Window(Avg("weight"), partition_by="team"),
    )
    assert totals.count() == 5
    assert column(totals, "team_total") == {"ann": 70, "bob": 70, "cid": 70, "dee": 60, "eve": 60}
    # order: eve 10, bob 20, cid 20, ann 30, dee 50
    assert column(totals, "running") == {"eve": 10, "bob": 30, "cid": 50, "ann": 80, "dee": 130}
    assert column(totals, "moving") == {"eve": 30, "bob": 50, "cid": 70, "ann": 100, "dee": 80}
    assert column(totals, "same_or_less") == {"eve": 10, "bob": 50, "cid": 50, "ann": 80, "dee": 130}
    averages = column(totals, "average_weight")
    assert averages["ann"] == decimal.Decimal("1.33")  # quantized to the field, as Avg alone


def test_windows_on_model_instances_and_ordering_by_them(scores):
    ranked = list(
        Score.objects.annotate(rank=Window(Rank(), order_by="-points")).order_by("rank", "player")
    )
    assert [(score.player, score.rank) for score in ranked] == [
        ("dee", 1), ("ann", 2), ("bob", 3), ("cid", 3), ("eve", 5)
    ]


def test_filtering_on_a_window_is_refused_with_a_reason(scores):
    ranked = scores.annotate(rank=Window(Rank(), order_by="-points"))
    with pytest.raises(orm.NotSupportedError, match="window expression"):
        ranked.filter(rank=1)
    with pytest.raises(orm.NotSupportedError, match="window expression"):
        scores.annotate(shifted=Window(Rank(), order_by="points") + 1).filter(shifted__gt=1)
    # Filtering other columns still narrows the rows the window sees.
    assert column(ranked.filter(team="blue"), "rank") == {"dee": 1, "eve": 2}


def test_bad_window_arguments_raise_early():
    with pytest.raises(ValueError, match="cannot be used in a window"):
        Window(F("points"))
    with pytest.raises(TypeError, match="RowRange or ValueRange"):
        Window(Rank(), frame=(0, 1))
    with pytest.raises(TypeError, match="integers or None"):
        RowRange(start="1")
    with pytest.raises(ValueError, match="positive integer"):
        NTile(0)
    with pytest.raises(ValueError, match="non-negative integer"):
        Lag("points", offset=-1)
    with pytest.raises(ValueError, match="positive integer"):
        NthValue("points", nth=0)
    with pytest.raises(TypeError):
        RowNumber("points")


def test_the_sql_reads_as_written(scores):
    queryset = scores.annotate(
        running=Window(Sum("points"), partition_by="team", order_by="-points", frame=RowRange(-2, 0))
    )
    sql = str(queryset.query)
    assert "SUM(" in sql and "OVER (PARTITION BY" in sql
    assert "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW" in sql
    assert "GROUP BY" not in sql
