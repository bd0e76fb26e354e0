"""The async twins of related managers: they keep the relation, as the sync methods do."""

from __future__ import annotations

import asyncio

from .models import ALL, Author, Book, Tag


def test_related_managers_async(setup_models):
    setup_models(*ALL)
    author = Author.objects.create(name="ann")
    book = Book.objects.create(author=author, title="first")
    tags = [Tag.objects.create(name=f"t{i}") for i in range(3)]

    async def main():
        made = await author.books.acreate(title="second")
        assert made.author_id == author.pk
        again, created = await author.books.aget_or_create(title="second")
        assert not created and again.pk == made.pk
        updated, created = await author.books.aupdate_or_create(title="third", defaults={"title": "third"})
        assert created and updated.author_id == author.pk
        assert await author.books.acount() == 3

        await book.tags.aadd(tags[0], tags[1])
        assert sorted([t.name async for t in book.tags.all()]) == ["t0", "t1"]
        await book.tags.aremove(tags[0])
        await book.tags.aset([tags[2]])
        assert [t.name async for t in book.tags.all()] == ["t2"]
        linked = await book.tags.acreate(name="t3")
        assert await book.tags.filter(pk=linked.pk).aexists()
        await book.tags.aclear()
        assert await book.tags.acount() == 0

    asyncio.run(main())
