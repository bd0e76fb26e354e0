"""SQLAlchemy 2's ORM doing each workload (optional: ``pip install manouche[bench]``)."""

# No ``from __future__ import annotations``: the models below are declared inside a
# function, and SQLAlchemy evaluates their ``Mapped[...]`` annotations where they are.

import datetime

from bench.dataset import person_rows
from bench.workloads import FILTER_MIN_PAGES, aggregate_thresholds, filter_author_ids, get_pks

from .base import Implementation as Base
from .base import Unavailable

__all__ = ["Implementation"]

_models = None


def _define():
    global _models
    if _models is not None:
        return _models
    from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    class Base_(DeclarativeBase):
        pass

    book_tags = Table(
        "bench_book_tags", Base_.metadata,
        Column("id", Integer, primary_key=True),
        Column("book_id", ForeignKey("bench_book.id")),
        Column("tag_id", ForeignKey("bench_tag.id")),
    )

    class Author(Base_):
        __tablename__ = "bench_author"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(100))
        email: Mapped[str] = mapped_column(String(254))
        age: Mapped[int] = mapped_column(Integer)

    class Tag(Base_):
        __tablename__ = "bench_tag"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

    class Book(Base_):
        __tablename__ = "bench_book"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("bench_author.id"))
        title: Mapped[str] = mapped_column(String(200))
        isbn: Mapped[str] = mapped_column(String(20))
        pages: Mapped[int] = mapped_column(Integer)
        rating: Mapped[float] = mapped_column(Float)
        published: Mapped[datetime.date]
        author: Mapped[Author] = relationship()
        tags: Mapped[list[Tag]] = relationship(secondary=book_tags)

    class Person(Base_):
        __tablename__ = "bench_person"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(100))
        email: Mapped[str] = mapped_column(String(254))
        age: Mapped[int] = mapped_column(Integer)
        score: Mapped[float] = mapped_column(Float)

    class Event(Base_):
        __tablename__ = "bench_event"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(20))
        value: Mapped[int] = mapped_column(Integer)
        weight: Mapped[float] = mapped_column(Float)

    _models = (Author, Tag, Book, Person, Event, book_tags)
    return _models


class Implementation(Base):
    """SQLAlchemy ORM: one Session per workload run (its identity map starts empty)."""

    name = "sqlalchemy"

    def __init__(self, vendor: str) -> None:
        try:
            import sqlalchemy
        except ImportError as error:
            raise Unavailable("SQLAlchemy is not installed") from error
        self.version = sqlalchemy.__version__

    def setup(self, env) -> None:
        super().setup(env)
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker

        if env.vendor == "sqlite":
            url = f"sqlite:///{env.sqlite_path}"
        else:
            parsed = env.parsed
            driver = "postgresql+psycopg" if env.vendor == "postgresql" else "mysql+pymysql"
            auth = parsed.user + (f":{parsed.password}" if parsed.password else "")
            url = f"{driver}://{auth}@{parsed.host}:{parsed.port}/{parsed.name}"
        self.engine = create_engine(url)
        if env.vendor == "sqlite":
            @event.listens_for(self.engine, "connect")
            def _foreign_keys(connection, record):
                connection.execute("PRAGMA foreign_keys = ON")
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self.Author, self.Tag, self.Book, self.Person, self.Event, self.book_tags = _define()

    def teardown(self) -> None:
        self.engine.dispose()

    def insert_one(self, sizes):
        Person = self.Person
        created = []
        with self.Session() as session, session.begin():
            for name, email, age, score in person_rows(sizes.insert_one):
                person = Person(name=name, email=email, age=age, score=score)
                session.add(person)
                session.flush()
                created.append(person)
        return created

    def bulk_insert(self, sizes):
        Person = self.Person
        with self.Session() as session, session.begin():
            session.add_all(
                [Person(name=name, email=email, age=age, score=score)
                 for name, email, age, score in person_rows(sizes.bulk_insert)]
            )

    def load(self, sizes):
        from sqlalchemy import select

        with self.Session() as session:
            return session.scalars(select(self.Book)).all()

    def get_by_pk(self, sizes):
        Book = self.Book
        with self.Session() as session:
            get = session.get
            return [get(Book, pk) for pk in get_pks(sizes)]

    def filter_order_limit(self, sizes):
        from sqlalchemy import select

        Book = self.Book
        pages = []
        with self.Session() as session:
            for author_id in filter_author_ids(sizes):
                statement = (
                    select(Book)
                    .where(Book.author_id == author_id, Book.pages >= FILTER_MIN_PAGES)
                    .order_by(Book.published.desc(), Book.id)
                    .limit(10)
                )
                pages.append(session.scalars(statement).all())
        return pages

    def fk_join(self, sizes):
        from sqlalchemy import select
        from sqlalchemy.orm import joinedload

        Book = self.Book
        with self.Session() as session:
            books = session.scalars(
                select(Book).options(joinedload(Book.author)).order_by(Book.id).limit(sizes.fk_join)
            ).all()
            for book in books:
                book.author  # noqa: B018
        return books

    def m2m_prefetch(self, sizes):
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        Book = self.Book
        with self.Session() as session:
            books = session.scalars(
                select(Book).options(selectinload(Book.tags)).order_by(Book.id).limit(sizes.prefetch)
            ).all()
            for book in books:
                list(book.tags)
        return books

    def normalize_m2m_prefetch(self, result, env):
        return [(book.id, sorted(tag.name for tag in book.tags)) for book in result]

    def aggregate(self, sizes):
        from sqlalchemy import func, select

        Book = self.Book
        results = []
        with self.Session() as session:
            for bound in aggregate_thresholds(sizes):
                row = session.execute(
                    select(func.count(Book.id), func.avg(Book.rating), func.max(Book.pages))
                    .where(Book.pages >= bound)
                ).one()
                results.append(tuple(row))
        return results

    def update(self, sizes):
        from sqlalchemy import update

        Book = self.Book
        with self.Session() as session, session.begin():
            result = session.execute(
                update(Book).where(Book.id <= sizes.update_rows).values(isbn=self.env.next_isbn()),
                execution_options={"synchronize_session": False},
            )
            return result.rowcount

    def delete(self, sizes):
        from sqlalchemy import delete, select

        Book, book_tags = self.Book, self.book_tags
        with self.Session() as session, session.begin():
            ids = select(Book.id).where(Book.id <= sizes.delete)
            first = session.execute(delete(book_tags).where(book_tags.c.book_id.in_(ids)))
            second = session.execute(
                delete(Book).where(Book.id <= sizes.delete),
                execution_options={"synchronize_session": False},
            )
            return first.rowcount + second.rowcount

    def iterator(self, sizes):
        from sqlalchemy import select

        count = total = 0
        weight = 0.0
        with self.Session() as session:
            for event in session.scalars(select(self.Event).execution_options(yield_per=2000)):
                count += 1
                total += event.value
                weight += event.weight
        return (count, total, weight)
