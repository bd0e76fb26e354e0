"""The async API: ``a``-prefixed QuerySet and model methods, ``async for``, ``orm.run_sync``."""

from __future__ import annotations

import asyncio
import threading

import pytest

import orm
from orm import Count, Sum


class Track(orm.Model):
    title = orm.CharField(max_length=40, unique=True)
    plays = orm.IntegerField(default=0)

    class Meta:
        app_label = "asynctests"
        ordering = ["title"]


MODELS = [Track]


@pytest.fixture
def tracks(models_db):
    Track.objects.bulk_create(Track(title=t, plays=p) for t, p in [("Minor swing", 3), ("Nuages", 5)])


def run(coroutine):
    return asyncio.run(coroutine)


def test_reads(tracks):
    async def main():
        assert await Track.objects.acount() == 2
        assert (await Track.objects.aget(title="Nuages")).plays == 5
        assert (await Track.objects.afirst()).title == "Minor swing"
        assert (await Track.objects.alast()).title == "Nuages"
        assert (await Track.objects.alatest("plays")).title == "Nuages"
        assert (await Track.objects.aearliest("plays")).title == "Minor swing"
        assert await Track.objects.filter(plays__gt=4).aexists()
        assert await Track.objects.aaggregate(total=Sum("plays"), n=Count("id")) == {"total": 8, "n": 2}
        by_title = await Track.objects.ain_bulk(["Nuages"], field_name="title")
        assert list(by_title) == ["Nuages"]
        nuages = by_title["Nuages"]
        assert await Track.objects.acontains(nuages)
        assert (await Track.objects.filter(title="Nuages").aexplain()).strip()
        titles = [track.title async for track in Track.objects.filter(plays__gte=3)]
        assert titles == ["Minor swing", "Nuages"]
        streamed = [track.title async for track in Track.objects.all().aiterator(chunk_size=1)]
        assert streamed == titles
        with pytest.raises(Track.DoesNotExist):
            await Track.objects.aget(title="Absent")

    run(main())


def test_writes(tracks):
    async def main():
        created = await Track.objects.acreate(title="Djangology", plays=1)
        assert created.pk is not None
        track, made = await Track.objects.aget_or_create(title="Djangology")
        assert not made and track.pk == created.pk
        track, made = await Track.objects.aupdate_or_create(title="Belleville", defaults={"plays": 9})
        assert made and track.plays == 9
        assert await Track.objects.filter(plays__lt=5).aupdate(plays=0) == 2
        more = await Track.objects.abulk_create(Track(title=f"t{i}") for i in range(3))
        assert all(t.pk is not None for t in more)
        for t in more:
            t.plays = 4
        assert await Track.objects.abulk_update(more, ["plays"]) == 3
        created.plays = 42
        await created.asave()
        await created.arefresh_from_db()
        assert created.plays == 42
        deleted, per_model = await Track.objects.filter(title__startswith="t").adelete()
        assert deleted == 3 and per_model == {"asynctests.Track": 3}
        await created.adelete()
        assert await Track.objects.acount() == 3
        bad = Track(title="x" * 50)
        with pytest.raises(orm.ValidationError):
            await bad.afull_clean()

    run(main())


def test_calls_run_in_one_orm_thread_and_run_sync_keeps_a_transaction_together(tracks):
    threads = set()

    def transfer():
        threads.add(threading.get_ident())
        with orm.atomic():
            Track.objects.filter(title="Nuages").update(plays=0)
            raise RuntimeError("rolled back")

    async def main():
        with pytest.raises(RuntimeError):
            await orm.run_sync(transfer)
        assert (await Track.objects.aget(title="Nuages")).plays == 5
        threads.add(await orm.run_sync(threading.get_ident))
        # Many coroutines at once: all served, in the same thread, one after another.
        counts = await asyncio.gather(*(Track.objects.acount() for _ in range(20)))
        assert counts == [2] * 20

    run(main())
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_errors_come_back_as_ours(tracks):
    async def main():
        with pytest.raises(orm.IntegrityError):
            await Track.objects.acreate(title="Nuages")

    run(main())


class AlbumA(orm.Model):
    name = orm.CharField(max_length=40)

    class Meta:
        app_label = "asynctests"


class SongA(orm.Model):
    album = orm.ForeignKey(AlbumA, on_delete=orm.CASCADE, related_name="songs")
    title = orm.CharField(max_length=40)

    class Meta:
        app_label = "asynctests"


MODELS += [AlbumA, SongA]


def test_aprefetch_related_objects(models_db):
    album = AlbumA.objects.create(name="Djangology")
    SongA.objects.bulk_create([SongA(album=album, title="Nuages"), SongA(album=album, title="Tears")])

    async def main():
        albums = [a async for a in AlbumA.objects.all()]
        await orm.aprefetch_related_objects(albums, "songs")
        return albums

    albums = run(main())
    with orm.capture_queries() as queries:
        assert sorted(song.title for song in albums[0].songs.all()) == ["Nuages", "Tears"]
    assert len(queries) == 0
