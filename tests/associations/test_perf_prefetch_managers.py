"""Many-to-many managers and their QuerySets made without the keyword calls equal the ordinary ones."""

from __future__ import annotations

import gc

import pytest

import orm
from associations import prefetch_related_objects
from orm.query import statement_cache
from orm.query.queryset import QuerySet

APP = "assoc_perf_prefetch_managers"


class Badge(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class CountingManager(orm.Manager):
    """A manager with its own ``__init__``: related managers must run it."""

    def __init__(self):
        super().__init__()
        self.label = "counted"


class Ribbon(orm.Model):
    name = orm.CharField(max_length=20)

    objects = CountingManager()

    class Meta:
        app_label = APP


class NamedAllManager(orm.Manager):
    """A manager overriding ``all()``: related managers must keep the override."""

    def all(self):
        return super().all().order_by("-name")


class Medal(orm.Model):
    name = orm.CharField(max_length=20)

    objects = NamedAllManager()

    class Meta:
        app_label = APP


class Scout(orm.Model):
    name = orm.CharField(max_length=20)
    badges = orm.ManyToManyField(Badge, related_name="scouts")
    ribbons = orm.ManyToManyField(Ribbon, related_name="scouts")
    medals = orm.ManyToManyField(Medal, related_name="scouts")

    class Meta:
        app_label = APP


class Patrol(orm.Model):
    code = orm.CharField(max_length=10, unique=True)
    badges = orm.ManyToManyField(Badge, through="Enrolment", related_name="patrols")

    class Meta:
        app_label = APP


class Enrolment(orm.Model):
    """A through model whose key to the patrol is its code, not its id."""

    patrol = orm.ForeignKey(Patrol, on_delete=orm.CASCADE, to_field="code")
    badge = orm.ForeignKey(Badge, on_delete=orm.CASCADE)

    class Meta:
        app_label = APP


class Leader(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Cub(orm.Model):
    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.SET_NULL, null=True, related_name="cubs")

    class Meta:
        app_label = APP


class Pup(orm.Model):
    """Its default manager has its own ``__init__``: ``leader.pups`` must run it."""

    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.CASCADE, related_name="pups")

    objects = CountingManager()

    class Meta:
        app_label = APP


MODELS = (Badge, Ribbon, Medal, Scout, Patrol, Enrolment, Leader, Cub, Pup)


def _troop():
    scouts = [Scout.objects.create(name=f"s{i}") for i in range(3)]
    badges = [Badge.objects.create(name=f"b{i}") for i in range(3)]
    ribbons = [Ribbon.objects.create(name=f"r{i}") for i in range(2)]
    medals = [Medal.objects.create(name=f"m{i}") for i in range(3)]
    scouts[0].badges.add(*badges)
    scouts[1].badges.add(badges[2])
    scouts[0].ribbons.add(*ribbons)
    scouts[0].medals.add(*medals)
    return scouts


def test_related_queryset_has_the_attributes_of_a_fresh_queryset_with_a_deferred_filter(setup_models):
    setup_models(*MODELS)
    scout = _troop()[0]
    fast = scout.badges.all()
    fresh = QuerySet(model=Badge, using=scout._state.db)
    assert type(fast) is QuerySet
    assert {name: value for name, value in vars(fast).items() if name != "_deferred_filter"} == vars(fresh)
    assert fast._plan is statement_cache.EMPTY_PLAN
    assert fast._deferred_filter == (False, (), {"scouts": scout.pk})
    assert sorted(badge.name for badge in fast) == ["b0", "b1", "b2"]


def test_prefetched_querysets_hold_their_rows_and_still_filter(setup_models):
    setup_models(*MODELS)
    _troop()
    scouts = list(Scout.objects.order_by("name"))
    prefetch_related_objects(scouts, "badges")
    with orm.capture_queries() as queries:
        held = [sorted(badge.name for badge in scout.badges.all()) for scout in scouts]
    assert held == [["b0", "b1", "b2"], ["b2"], []] and not queries
    assert all(scout.badges.all()._prefetch_done for scout in scouts)
    assert [badge.name for badge in scouts[0].badges.filter(name="b1")] == ["b1"]
    assert scouts[2].badges.count() == 0 and scouts[1].badges.exists()


def test_manager_attributes_without_basemanager_init(setup_models):
    setup_models(*MODELS)
    scout = _troop()[0]
    manager = scout.badges
    assert (manager.model, manager.name, manager.instance, manager._db) == (Badge, "badges", scout, None)
    assert manager.db == "default"
    other = manager.db_manager("default")
    assert other._db == "default" and manager._db is None
    assert sorted(badge.name for badge in other.all()) == ["b0", "b1", "b2"]
    reverse = Badge.objects.get(name="b2").scouts
    assert (reverse.model, reverse.name) == (Scout, "scouts")
    assert sorted(scout.name for scout in reverse.all()) == ["s0", "s1"]


def test_manager_with_its_own_init_runs_it(setup_models):
    setup_models(*MODELS)
    scouts = _troop()
    manager = scouts[0].ribbons
    assert manager.label == "counted"
    assert (manager.model, manager.name, manager.instance) == (Ribbon, "ribbons", scouts[0])
    lazy = [sorted(ribbon.name for ribbon in scout.ribbons.all()) for scout in scouts]
    loaded = list(Scout.objects.filter(pk__in=[scout.pk for scout in scouts]).order_by("name"))
    prefetch_related_objects(loaded, "ribbons")
    assert [sorted(ribbon.name for ribbon in scout.ribbons.all()) for scout in loaded] == lazy
    assert lazy[0] == ["r0", "r1"]


def test_manager_overriding_all_keeps_its_all(setup_models):
    setup_models(*MODELS)
    scout = _troop()[0]
    assert [medal.name for medal in scout.medals.all()] == ["m2", "m1", "m0"]
    assert sorted(medal.name for medal in scout.medals.get_queryset()) == ["m0", "m1", "m2"]


def test_prefetch_through_a_key_other_than_the_primary_key(setup_models):
    setup_models(*MODELS)
    badges = [Badge.objects.create(name=f"b{i}") for i in range(3)]
    patrols = [Patrol.objects.create(code=f"p{i}") for i in range(3)]
    for patrol, count in zip(patrols, (2, 0, 3)):
        for badge in badges[:count]:
            Enrolment.objects.create(patrol=patrol, badge=badge)
    lazy = {patrol.code: sorted(b.name for b in patrol.badges.all()) for patrol in Patrol.objects.all()}
    with orm.capture_queries() as queries:
        loaded = {p.code: sorted(b.name for b in p.badges.all()) for p in Patrol.objects.prefetch_related("badges")}
    assert loaded == lazy == {"p0": ["b0", "b1"], "p1": [], "p2": ["b0", "b1", "b2"]}
    assert len(queries) == 2
    assert queries[1].params == [["p0", "p1", "p2"]] or queries[1].params == ["p0", "p1", "p2"]
    reverse = {b.name: sorted(p.code for p in b.patrols.all()) for b in Badge.objects.prefetch_related("patrols")}
    assert reverse == {"b0": ["p0", "p2"], "b1": ["p0", "p2"], "b2": ["p2"]}


def test_objects_already_prefetched_are_skipped(setup_models):
    setup_models(*MODELS)
    scouts = _troop()
    loaded = list(Scout.objects.order_by("name"))
    prefetch_related_objects(loaded[:1], "badges")
    first = loaded[0].badges.all()
    with orm.capture_queries() as queries:
        prefetch_related_objects(loaded, "badges")
    assert len(queries) == 1
    assert sorted(key for value in queries[0].params for key in (value if isinstance(value, list) else [value])) == [
        scout.pk for scout in scouts[1:]
    ]
    assert loaded[0].badges.all() is first
    with orm.capture_queries() as queries:
        prefetch_related_objects(loaded, "badges")
    assert not queries
    assert [sorted(b.name for b in scout.badges.all()) for scout in loaded] == [["b0", "b1", "b2"], ["b2"], []]


def test_reverse_foreign_key_manager_attributes_and_prefetch(setup_models):
    setup_models(*MODELS)
    leaders = [Leader.objects.create(name=f"l{i}") for i in range(3)]
    for index, leader in enumerate(leaders):
        for k in range(index):
            Cub.objects.create(name=f"c{index}{k}", leader=leader)
            Pup.objects.create(name=f"p{index}{k}", leader=leader)
    manager = leaders[2].cubs
    assert (manager.model, manager.name, manager.field, manager.instance, manager._db) == (
        Cub, "cubs", Cub._meta.get_field("leader"), leaders[2], None,
    )
    assert manager.core_filters == {"leader": leaders[2]}
    assert manager.db_manager("default")._db == "default" and manager._db is None
    pups = leaders[2].pups
    assert pups.label == "counted" and (pups.model, pups.name, pups.instance) == (Pup, "pups", leaders[2])
    lazy = {
        leader.name: (sorted(c.name for c in leader.cubs.all()), sorted(p.name for p in leader.pups.all()))
        for leader in Leader.objects.all()
    }
    with orm.capture_queries() as queries:
        loaded = {
            leader.name: (sorted(c.name for c in leader.cubs.all()), sorted(p.name for p in leader.pups.all()))
            for leader in Leader.objects.prefetch_related("cubs", "pups")
        }
    assert loaded == lazy and len(queries) == 3
    assert lazy["l2"] == (["c20", "c21"], ["p20", "p21"])
    prefetched = list(Leader.objects.prefetch_related("cubs").order_by("name"))
    cub = prefetched[2].cubs.all()[0]
    assert cub.leader is prefetched[2]
    prefetched[2].cubs.remove(cub)
    assert sorted(c.name for c in prefetched[2].cubs.all()) == ["c21"]
    prefetched[1].cubs.clear()
    assert Cub.objects.filter(leader__isnull=True).count() == 2


def test_prefetch_leaves_the_cyclic_gc_as_it_found_it(setup_models):
    setup_models(*MODELS)
    _troop()
    scouts = list(Scout.objects.all()) * 200  # above the size where the GC waits
    assert gc.isenabled()
    prefetch_related_objects(list(scouts), "badges")
    assert gc.isenabled()
    with pytest.raises(AttributeError):
        prefetch_related_objects(list(scouts), "nothing_here")
    assert gc.isenabled()
    gc.disable()
    try:
        prefetch_related_objects(list(Scout.objects.all()) * 200, "ribbons")
        assert not gc.isenabled()
    finally:
        gc.enable()
