"""peewee doing each workload (optional: ``pip install manouche[bench]``)."""

from __future__ import annotations

from bench.dataset import person_rows
from bench.workloads import FILTER_MIN_PAGES, aggregate_thresholds, filter_author_ids, get_pks

from .base import Implementation as Base
from .base import Unavailable

__all__ = ["Implementation"]


class Implementation(Base):
    """peewee with its own connection to the benchmark database."""

    name = "peewee"

    def __init__(self, vendor: str) -> None:
        try:
            import peewee
        except ImportError as error:
            raise Unavailable("peewee is not installed") from error
        self.version = peewee.__version__

    def setup(self, env) -> None:
        super().setup(env)
        import peewee as pw

        if env.vendor == "sqlite":
            db = pw.SqliteDatabase(env.sqlite_path, pragmas={"foreign_keys": 1})
        else:
            url = env.parsed
            options = dict(user=url.user, password=url.password or "", host=url.host,
                           port=url.port)
            if env.vendor == "postgresql":
                db = pw.PostgresqlDatabase(url.name, **options)  # psycopg 3 when psycopg2 is absent
            else:
                db = pw.MySQLDatabase(url.name, **options)
        self.db = db
        self.pw = pw

        class BaseModel(pw.Model):
            class Meta:
                database = db

        class Author(BaseModel):
            name = pw.CharField(max_length=100)
            email = pw.CharField(max_length=254)
            age = pw.IntegerField()

            class Meta:
                table_name = "bench_author"

        class Tag(BaseModel):
            name = pw.CharField(max_length=50)

            class Meta:
                table_name = "bench_tag"

        class Book(BaseModel):
            author = pw.ForeignKeyField(Author, backref="books", column_name="author_id")
            title = pw.CharField(max_length=200)
            isbn = pw.CharField(max_length=20)
            pages = pw.IntegerField()
            rating = pw.DoubleField()
            published = pw.DateField()

            class Meta:
                table_name = "bench_book"

        class BookTag(BaseModel):
            book = pw.ForeignKeyField(Book, backref="book_tags", column_name="book_id")
            tag = pw.ForeignKeyField(Tag, column_name="tag_id")

            class Meta:
                table_name = "bench_book_tags"

        class Person(BaseModel):
            name = pw.CharField(max_length=100)
            email = pw.CharField(max_length=254)
            age = pw.IntegerField()
            score = pw.DoubleField()

            class Meta:
                table_name = "bench_person"

        class Event(BaseModel):
            kind = pw.CharField(max_length=20)
            value = pw.IntegerField()
            weight = pw.DoubleField()

            class Meta:
                table_name = "bench_event"

        self.Author, self.Tag, self.Book, self.BookTag = Author, Tag, Book, BookTag
        self.Person, self.Event = Person, Event
        db.connect()

    def teardown(self) -> None:
        self.db.close()

    def insert_one(self, sizes):
        Person = self.Person
        created = []
        with self.db.atomic():
            for name, email, age, score in person_rows(sizes.insert_one):
                created.append(Person.create(name=name, email=email, age=age, score=score))
        return created

    def bulk_insert(self, sizes):
        Person = self.Person
        with self.db.atomic():
            Person.bulk_create(
                [Person(name=name, email=email, age=age, score=score)
                 for name, email, age, score in person_rows(sizes.bulk_insert)],
                batch_size=1000,
            )

    def load(self, sizes):
        return list(self.Book.select())

    def get_by_pk(self, sizes):
        get = self.Book.get_by_id
        return [get(pk) for pk in get_pks(sizes)]

    def filter_order_limit(self, sizes):
        Book = self.Book
        return [
            list(Book.select()
                 .where((Book.author == author_id) & (Book.pages >= FILTER_MIN_PAGES))
                 .order_by(Book.published.desc(), Book.id).limit(10))
            for author_id in filter_author_ids(sizes)
        ]

    def fk_join(self, sizes):
        Book, Author = self.Book, self.Author
        books = list(Book.select(Book, Author).join(Author).order_by(Book.id).limit(sizes.fk_join))
        for book in books:
            book.author  # noqa: B018
        return books

    def m2m_prefetch(self, sizes):
        Book, BookTag, Tag = self.Book, self.BookTag, self.Tag
        books = self.pw.prefetch(
            Book.select().order_by(Book.id).limit(sizes.prefetch),
            BookTag.select(BookTag, Tag).join(Tag),
        )
        return [(book, [link.tag for link in book.book_tags]) for book in books]

    def normalize_m2m_prefetch(self, result, env):
        return [(book.id, sorted(tag.name for tag in tags)) for book, tags in result]

    def aggregate(self, sizes):
        fn = self.pw.fn
        Book = self.Book
        return [
            Book.select(fn.COUNT(Book.id), fn.AVG(Book.rating), fn.MAX(Book.pages))
            .where(Book.pages >= bound).tuples().get()
            for bound in aggregate_thresholds(sizes)
        ]

    def update(self, sizes):
        Book = self.Book
        return Book.update(isbn=self.env.next_isbn()).where(Book.id <= sizes.update_rows).execute()

    def delete(self, sizes):
        Book, BookTag = self.Book, self.BookTag
        with self.db.atomic():
            ids = Book.select(Book.id).where(Book.id <= sizes.delete)
            total = BookTag.delete().where(BookTag.book.in_(ids)).execute()
            total += Book.delete().where(Book.id <= sizes.delete).execute()
        return total

    def iterator(self, sizes):
        count = total = 0
        weight = 0.0
        for event in self.Event.select().iterator():
            count += 1
            total += event.value
            weight += event.weight
        return (count, total, weight)
