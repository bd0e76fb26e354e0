"""Prefetching reverse foreign keys and many-to-many relations the lean way equals the ordinary way.

* ``leader.cubs`` managers build every instance's prefetched QuerySet in one
  pass (``related_querysets``), as many-to-many managers do;
* the rows of a reverse foreign key prefetch are loaded by the generated
  loader and get their ``leader`` cached afterwards (beside their values, until
  their state is built), unless ``post_init`` receivers or deferred fields ask
  for the loading loop;
* a related manager's ``__init__`` is a one-line one once its class is ready.

Every case is compared with lazy loading or with what a fresh manager gives.
"""

from __future__ import annotations

import gc

import pytest

import orm
from associations import Prefetch, prefetch_related_objects
from orm import signals
from orm.query import statement_cache
from orm.query.queryset import QuerySet

from .test_perf_prefetch_managers import CountingManager

APP = "assoc_perf_h4_prefetch"


class Leader(orm.Model):
    name = orm.CharField(max_length=20)
    code = orm.CharField(max_length=10, unique=True, null=True)

    class Meta:
        app_label = APP


class Cub(orm.Model):
    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.SET_NULL, null=True, related_name="cubs")

    class Meta:
        app_label = APP


class MadeCountingManager(CountingManager):
    """Counts the managers made: related managers must run the ``__init__`` at every access."""

    made = 0

    def __init__(self):
        super().__init__()
        MadeCountingManager.made += 1


class Pup(orm.Model):
    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.CASCADE, related_name="pups")

    objects = MadeCountingManager()

    class Meta:
        app_label = APP


class OrderedQuerySet(orm.QuerySet):
    def filter(self, *args, **kwargs):
        return super().filter(*args, **kwargs).order_by("-name")


class Kit(orm.Model):
    """Its QuerySet class overrides filter(): prefetched QuerySets take the ordinary path."""

    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.CASCADE, related_name="kits")

    objects = orm.Manager.from_queryset(OrderedQuerySet)()

    class Meta:
        app_label = APP


class Badge(orm.Model):
    """Points at its leader through the leader's code, not its id."""

    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.CASCADE, to_field="code", related_name="badges")

    class Meta:
        app_label = APP


class RecordingForeignKey(orm.ForeignKey):
    """Caches through its own set_cached_value: no value may wait beside the row for it."""

    calls = 0

    def set_cached_value(self, instance, value) -> None:
        RecordingForeignKey.calls += 1
        super().set_cached_value(instance, value)


class Tent(orm.Model):
    name = orm.CharField(max_length=20)
    leader = RecordingForeignKey(Leader, on_delete=orm.CASCADE, related_name="tents")

    class Meta:
        app_label = APP


class Guarded(orm.Model):
    """A custom ``__setattr__``: the rows take the field's set_cached_value."""

    name = orm.CharField(max_length=20)
    leader = orm.ForeignKey(Leader, on_delete=orm.CASCADE, related_name="guarded")

    def __setattr__(self, name, value):
        super().__setattr__(name, value)

    class Meta:
        app_label = APP


class Whistle(orm.Model):
    name = orm.CharField(max_length=20)
    leader = orm.OneToOneField(Leader, on_delete=orm.CASCADE, null=True, related_name="whistle")

    class Meta:
        app_label = APP


class Skill(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        app_label = APP


class Scout(orm.Model):
    name = orm.CharField(max_length=20)
    skills = orm.ManyToManyField(Skill, related_name="scouts")
    pups = orm.ManyToManyField(Pup, related_name="scouts")

    class Meta:
        app_label = APP


MODELS = (Leader, Cub, Pup, Kit, Badge, Tent, Guarded, Whistle, Skill, Scout)
RELATIONS = ("cubs", "pups", "kits", "badges", "tents", "guarded")
ROW_MODELS = {"cubs": Cub, "pups": Pup, "kits": Kit, "badges": Badge, "tents": Tent, "guarded": Guarded}


def _camp():
    """Leaders with 0, 1, 2, ... rows on each relation (and one row pointing nowhere)."""
    leaders = [Leader.objects.create(name=f"l{i}", code=f"c{i}") for i in range(4)]
    for index, leader in enumerate(leaders):
        for k in range(index):
            for model in ROW_MODELS.values():
                model.objects.create(name=f"{model.__name__[0].lower()}{index}{k}", leader=leader)
    Cub.objects.create(name="orphan", leader=None)
    return leaders


def _contents(leaders, relation) -> dict:
    return {leader.name: [row.name for row in getattr(leader, relation).all()] for leader in leaders}


@pytest.mark.parametrize("relation", RELATIONS)
def test_reverse_foreign_key_prefetch_equals_lazy_loading(setup_models, relation):
    setup_models(*MODELS)
    _camp()
    lazy = _contents(Leader.objects.order_by("name"), relation)
    loaded = list(Leader.objects.order_by("name").prefetch_related(relation))
    with orm.capture_queries() as queries:
        assert _contents(loaded, relation) == lazy
        for leader in loaded:
            for row in getattr(leader, relation).all():
                assert row.leader is leader
    assert not queries
    assert [len(rows) for rows in lazy.values()] == [0, 1, 2, 3]


def test_prefetched_rows_build_their_state_later_with_the_leader_cached(setup_models):
    setup_models(*MODELS)
    _camp()
    leaders = list(Leader.objects.order_by("name").prefetch_related("cubs"))
    cub = leaders[3].cubs.all()[0]
    waiting = vars(cub)  # the leader waits beside the values, no state built yet
    assert waiting["_state_cache_leader"] is leaders[3] and waiting["_state_db"] == "default"
    assert "_state" not in waiting
    assert cub._state.db == "default" and not cub._state.adding
    assert cub._state.fields_cache["leader"] is leaders[3]
    assert Cub._meta.get_field("leader").is_cached(cub)
    cub.name = "renamed"
    cub.save()
    assert Cub.objects.get(pk=cub.pk).name == "renamed"
    cub.leader = leaders[1]
    assert cub.leader_id == leaders[1].pk and cub.leader is leaders[1]


def test_prefetched_queryset_is_the_fresh_one_holding_its_rows(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    field = Cub._meta.get_field("leader")
    loaded = list(Leader.objects.order_by("name").prefetch_related("cubs"))
    held = loaded[2].cubs.all()
    fresh = QuerySet(model=Cub, using="default")
    assert type(held) is QuerySet
    assert held._deferred_filter == (False, (), {"leader_id": leaders[2].pk})
    assert held._known_related_objects == {field: {leaders[2].pk: loaded[2]}}
    assert held._plan is statement_cache.EMPTY_PLAN and held._prefetch_done
    assert held._prefetch_related_lookups == () and "_prefetch_related_lookups" in vars(held)
    ours = {"_deferred_filter", "_known_related_objects", "_result_cache", "_prefetch_done", "_prefetch_related_lookups"}
    assert {k: v for k, v in vars(held).items() if k not in ours} == {
        k: v for k, v in vars(fresh).items() if k not in ours
    }
    # Chained, it runs its own query: filtered to this leader, its rows knowing him.
    assert [cub.name for cub in held.filter(name="c21")] == ["c21"]
    assert held.filter(name="c21")[0].leader is loaded[2]
    assert held.count() == 2 and held.exists()
    assert sorted(held.values_list("name", flat=True)) == ["c20", "c21"]
    assert held.order_by("-name").first().name == "c21"
    assert held.update(name="x") == 2
    assert sorted(Cub.objects.filter(leader=leaders[2]).values_list("name", flat=True)) == ["x", "x"]
    assert loaded[0].cubs.all().count() == 0 and not loaded[0].cubs.exists()


def test_custom_managers_and_querysets_take_the_ordinary_path(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    made = MadeCountingManager.made
    manager = leaders[2].pups
    second = leaders[3].pups
    assert MadeCountingManager.made == made + 2 and manager.label == second.label == "counted"
    assert (manager.model, manager.name, manager.instance) == (Pup, "pups", leaders[2])
    lazy = _contents(Leader.objects.order_by("name"), "kits")
    loaded = list(Leader.objects.order_by("name").prefetch_related("kits"))
    assert _contents(loaded, "kits") == lazy and lazy["l3"] == ["k32", "k31", "k30"]
    assert [kit.name for kit in loaded[3].kits.filter(name__gte="k31")] == ["k32", "k31"]
    assert type(loaded[3].kits.all()) is OrderedQuerySet


def test_post_init_receivers_and_deferred_fields_keep_the_loading_loop(setup_models):
    setup_models(*MODELS)
    _camp()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(Cub._meta.get_field("leader").is_cached(instance))

    signals.post_init.connect(receiver, sender=Cub)
    try:
        loaded = list(Leader.objects.order_by("name").prefetch_related("cubs"))
    finally:
        signals.post_init.disconnect(receiver, sender=Cub)
    assert seen == [True] * 6  # the leader was cached before post_init, as while loading
    assert all(cub.leader is leader for leader in loaded for cub in leader.cubs.all())
    # Deferred fields: the loading loop as before (a deferred key is not read, so not cached).
    cases = [(Cub.objects.only("name", "leader"), True, 0), (Cub.objects.defer("name"), True, 3),
             (Cub.objects.only("name"), False, 0)]
    for queryset, cached, name_queries in cases:
        loaded = list(Leader.objects.order_by("name").prefetch_related(Prefetch("cubs", queryset=queryset)))
        with orm.capture_queries() as queries:
            names = [cub.name for cub in loaded[3].cubs.all()]
        assert sorted(names) == ["c30", "c31", "c32"] and len(queries) == name_queries
        assert [cub.leader is loaded[3] for cub in loaded[3].cubs.all()] == [cached] * 3
        assert all(cub.leader.name == "l3" for cub in loaded[3].cubs.all())


def test_prefetch_querysets_with_select_related_and_to_attr(setup_models):
    setup_models(*MODELS)
    _camp()
    loaded = list(
        Leader.objects.order_by("name").prefetch_related(
            Prefetch("cubs", queryset=Cub.objects.select_related("leader").order_by("-name")),
            Prefetch("pups", to_attr="pup_list"),
        )
    )
    assert [cub.name for cub in loaded[3].cubs.all()] == ["c32", "c31", "c30"]
    assert all(cub.leader is loaded[3] for cub in loaded[3].cubs.all())
    assert sorted(pup.name for pup in loaded[2].pup_list) == ["p20", "p21"]
    assert all(pup.leader is loaded[2] for pup in loaded[2].pup_list)


def test_foreign_keys_caching_their_own_way(setup_models):
    setup_models(*MODELS)
    _camp()
    RecordingForeignKey.calls = 0
    loaded = list(Leader.objects.order_by("name").prefetch_related("tents", "guarded"))
    assert RecordingForeignKey.calls == 6
    assert all(tent.leader is loaded[3] for tent in loaded[3].tents.all())
    assert all(row.leader is loaded[2] for row in loaded[2].guarded.all())
    assert "_state" in vars(loaded[2].guarded.all()[0])


def test_unsaved_and_other_model_instances(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    with pytest.raises(ValueError) as from_manager:
        Leader(name="new").cubs.all()
    with pytest.raises(ValueError) as from_prefetch:
        prefetch_related_objects([leaders[1], Leader(name="new")], "cubs")
    assert str(from_prefetch.value) == str(from_manager.value)
    # A Leader without a code cannot be prefetched through the code either.
    with pytest.raises(ValueError, match="Leader.badges"):
        prefetch_related_objects([Leader(name="nocode", code=None, pk=99)], "badges")


def test_prefetch_from_another_database_and_inside_a_transaction(setup_models, new_db_url):
    from .conftest import create_tables

    default = setup_models(*MODELS)
    _camp()
    other = new_db_url()
    create_tables(other, MODELS)
    orm.configure(apps=[], databases={"default": default, "other": other})
    far = Leader.objects.using("other").create(name="far", code="f")
    Cub.objects.using("other").create(name="remote", leader=far)
    loaded = list(Leader.objects.using("other").prefetch_related("cubs"))
    assert [cub.name for cub in loaded[0].cubs.all()] == ["remote"]
    assert loaded[0].cubs.all().db == "other"
    assert [cub.name for cub in loaded[0].cubs.filter(name="remote")] == ["remote"]
    assert loaded[0].cubs.all()[0]._state.db == "other"
    with orm.atomic():
        leader = Leader.objects.order_by("name").last()
        Cub.objects.create(name="late", leader=leader)
        again = list(Leader.objects.filter(pk=leader.pk).prefetch_related("cubs"))
        assert sorted(cub.name for cub in again[0].cubs.all()) == ["c30", "c31", "c32", "late"]


def test_many_to_many_managers_after_the_first(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    skills = [Skill.objects.create(name=f"k{i}") for i in range(3)]
    scouts = [Scout.objects.create(name=f"s{i}") for i in range(3)]
    scouts[0].skills.add(*skills)
    scouts[1].skills.add(skills[1])
    pup = Pup.objects.create(name="solo", leader=leaders[1])
    scouts[2].pups.add(pup)
    first, second = scouts[0].skills, scouts[1].skills
    assert vars(second) == {"instance": scouts[1]} and vars(first) == {"instance": scouts[0]}
    assert (second.model, second.name, second._db) == (Skill, "skills", None)
    made = MadeCountingManager.made
    pups = [scout.pups for scout in scouts]
    assert MadeCountingManager.made == made + 3
    assert [manager.label for manager in pups] == ["counted"] * 3
    assert [(m.model, m.name, m.instance) for m in pups] == [(Pup, "pups", s) for s in scouts]
    loaded = list(Scout.objects.order_by("name").prefetch_related("skills", "pups"))
    with orm.capture_queries() as queries:
        assert [sorted(k.name for k in s.skills.all()) for s in loaded] == [["k0", "k1", "k2"], ["k1"], []]
        assert [[p.name for p in s.pups.all()] for s in loaded] == [[], [], ["solo"]]
    assert not queries
    held = loaded[0].skills.all()
    assert held._prefetch_related_lookups == () and held._prefetch_done
    assert sorted(skill.name for skill in held.filter(name__gte="k1")) == ["k1", "k2"]


def test_objects_that_cannot_hold_a_prefetch_cache_are_left_alone(setup_models):
    setup_models(*MODELS)
    _camp()
    rows = list(Leader.objects.values("name"))
    prefetch_related_objects(rows, "cubs")
    assert all(set(row) == {"name"} for row in rows)
    leaders = list(Leader.objects.order_by("name"))
    leaders[1]._prefetched_objects_cache = {}
    prefetch_related_objects(leaders, "cubs")
    assert [len(leader.cubs.all()) for leader in leaders] == [0, 1, 2, 3]


def test_nested_lookups_through_a_reverse_foreign_key(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    skills = [Skill.objects.create(name=f"k{i}") for i in range(2)]
    scout = Scout.objects.create(name="s")
    scout.skills.add(*skills)
    scout.pups.add(*Pup.objects.filter(leader=leaders[3]))
    with orm.capture_queries() as queries:
        loaded = list(Leader.objects.order_by("name").prefetch_related("cubs__leader", "pups__scouts__skills"))
    assert len(queries) == 5  # leaders, cubs, pups, scouts, skills: the cubs' leaders are known
    with orm.capture_queries() as queries:
        assert [[cub.leader.name for cub in leader.cubs.all()] for leader in loaded] == [
            [], ["l1"], ["l2", "l2"], ["l3", "l3", "l3"],
        ]
        assert [[s.name for pup in leader.pups.all() for s in pup.scouts.all()] for leader in loaded] == [
            [], [], [], ["s", "s", "s"],
        ]
        assert sorted(k.name for k in loaded[3].pups.all()[0].scouts.all()[0].skills.all()) == ["k0", "k1"]
    assert not queries


def test_reverse_one_to_one_prefetch(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    for leader in leaders[1:3]:
        Whistle.objects.create(name=f"w{leader.name}", leader=leader)
    Whistle.objects.create(name="spare", leader=None)
    loaded = list(Leader.objects.order_by("name").prefetch_related("whistle"))
    with orm.capture_queries() as queries:
        found = [getattr(leader, "whistle", None) for leader in loaded]
        assert [w.name if w else None for w in found] == [None, "wl1", "wl2", None]
        assert all(w.leader is leader for w, leader in zip(found, loaded) if w)
    assert not queries
    assert found[1]._state.fields_cache["leader"] is loaded[1] and found[1]._state.db == "default"


def _in_oldest_generation(obj) -> bool:
    return any(item is obj for item in gc.get_objects(generation=2))


def test_prefetch_moves_what_it_made_to_the_oldest_generation_only_without_cycles(setup_models):
    setup_models(*MODELS)
    _camp()
    skill = Skill.objects.create(name="k")
    for index in range(3):
        Scout.objects.create(name=f"s{index}").skills.add(skill)
    scouts = list(Scout.objects.all()) * 200  # above the size where the collector waits
    prefetch_related_objects(scouts, "skills")
    assert gc.isenabled()
    assert _in_oldest_generation(scouts[0].skills.all())
    assert [s.name for s in scouts[599].skills.all()] == ["k"]
    # A reverse foreign key's QuerySets and rows refer back to their instance: left young.
    leaders = list(Leader.objects.all()) * 200
    prefetch_related_objects(leaders, "cubs")
    assert gc.isenabled() and not _in_oldest_generation(leaders[-1].cubs.all())
    # Objects the program froze itself stay frozen: nothing is moved.
    gc.freeze()
    try:
        scouts = list(Scout.objects.all()) * 200
        prefetch_related_objects(scouts, "skills")
        assert gc.get_freeze_count() and not _in_oldest_generation(scouts[0].skills.all())
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        prefetch_related_objects(list(Scout.objects.all()) * 200, "skills")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_large_reverse_foreign_key_prefetch(setup_models):
    setup_models(*MODELS)
    leaders = _camp()
    Cub.objects.bulk_create([Cub(name=f"x{i}", leader=leaders[1]) for i in range(600)])
    loaded = list(Leader.objects.order_by("name").prefetch_related("cubs"))
    assert gc.isenabled()
    cubs = loaded[1].cubs.all()
    assert len(cubs) == 601 and all(cub.leader is loaded[1] for cub in cubs)
    assert sorted(cub.name for cub in cubs) == sorted(Cub.objects.filter(leader=leaders[1]).values_list("name", flat=True))
    gc.disable()
    try:
        list(Leader.objects.prefetch_related("cubs"))
        assert not gc.isenabled()
    finally:
        gc.enable()
