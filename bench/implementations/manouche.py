"""manouche doing each workload the way its documentation says to."""

from __future__ import annotations

from bench.dataset import person_rows
from bench.workloads import FILTER_MIN_PAGES, aggregate_thresholds, filter_author_ids, get_pks

from .base import Implementation

__all__ = ["Manouche"]

_models = None


def define_models():
    """The benchmark models (app label ``bench``), defined once per process."""
    global _models
    if _models is not None:
        return _models
    import orm

    relations = hasattr(orm, "ForeignKey") and hasattr(orm, "ManyToManyField")

    class Author(orm.Model):
        name = orm.CharField(max_length=100)
        email = orm.CharField(max_length=254)
        age = orm.IntegerField()

        class Meta:
            app_label = "bench"
            db_table = "bench_author"

    class Tag(orm.Model):
        name = orm.CharField(max_length=50)

        class Meta:
            app_label = "bench"
            db_table = "bench_tag"

    book_attrs = {
        "__module__": __name__,
        "title": orm.CharField(max_length=200),
        "isbn": orm.CharField(max_length=20),
        "pages": orm.IntegerField(),
        "rating": orm.FloatField(),
        "published": orm.DateField(),
        "Meta": type("Meta", (), {"app_label": "bench", "db_table": "bench_book"}),
    }
    if relations:
        book_attrs["author"] = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="books")
        book_attrs["tags"] = orm.ManyToManyField(Tag, related_name="books")
    else:
        book_attrs["author_id"] = orm.BigIntegerField(db_index=True)
    Book = type("Book", (orm.Model,), book_attrs)

    class Person(orm.Model):
        name = orm.CharField(max_length=100)
        email = orm.CharField(max_length=254)
        age = orm.IntegerField()
        score = orm.FloatField()

        class Meta:
            app_label = "bench"
            db_table = "bench_person"

    class Event(orm.Model):
        kind = orm.CharField(max_length=20)
        value = orm.IntegerField()
        weight = orm.FloatField()

        class Meta:
            app_label = "bench"
            db_table = "bench_event"

    _models = (Author, Tag, Book, Person, Event, relations)
    return _models


class Manouche(Implementation):
    """manouche, through its public QuerySet/Model API."""

    name = "manouche"

    def setup(self, env) -> None:
        super().setup(env)
        import orm

        orm.configure(apps=[], databases={"default": env.url})
        (self.Author, self.Tag, self.Book, self.Person, self.Event,
         self.relations) = define_models()
        self.orm = orm

    def teardown(self) -> None:
        self.orm.connections.close_all()

    def supports(self, workload) -> bool:
        if "relations" in workload.needs and not self.relations:
            return False
        return super().supports(workload)

    def insert_one(self, sizes):
        Person = self.Person
        created = []
        with self.orm.atomic():
            for name, email, age, score in person_rows(sizes.insert_one):
                created.append(Person.objects.create(name=name, email=email, age=age, score=score))
        return created

    def bulk_insert(self, sizes):
        Person = self.Person
        with self.orm.atomic():
            Person.objects.bulk_create(
                [Person(name=name, email=email, age=age, score=score)
                 for name, email, age, score in person_rows(sizes.bulk_insert)]
            )

    def load(self, sizes):
        return list(self.Book.objects.all())

    def get_by_pk(self, sizes):
        get = self.Book.objects.get
        return [get(pk=pk) for pk in get_pks(sizes)]

    def filter_order_limit(self, sizes):
        objects = self.Book.objects
        return [
            list(objects.filter(author_id=author_id, pages__gte=FILTER_MIN_PAGES)
                 .order_by("-published", "id")[:10])
            for author_id in filter_author_ids(sizes)
        ]

    def fk_join(self, sizes):
        books = list(self.Book.objects.select_related("author").order_by("id")[: sizes.fk_join])
        for book in books:
            book.author  # noqa: B018 - touching the related object is the work measured
        return books

    def m2m_prefetch(self, sizes):
        books = list(self.Book.objects.prefetch_related("tags").order_by("id")[: sizes.prefetch])
        for book in books:
            list(book.tags.all())
        return books

    def aggregate(self, sizes):
        orm = self.orm
        objects = self.Book.objects
        results = []
        for bound in aggregate_thresholds(sizes):
            values = objects.filter(pages__gte=bound).aggregate(
                n=orm.Count("id"), avg=orm.Avg("rating"), most=orm.Max("pages")
            )
            results.append((values["n"], values["avg"], values["most"]))
        return results

    def update(self, sizes):
        return self.Book.objects.filter(id__lte=sizes.update_rows).update(
            isbn=self.env.next_isbn()
        )

    def delete(self, sizes):
        return self.Book.objects.filter(id__lte=sizes.delete).delete()

    def iterator(self, sizes):
        count = total = 0
        weight = 0.0
        for event in self.Event.objects.iterator(chunk_size=2000):
            count += 1
            total += event.value
            weight += event.weight
        return (count, total, weight)
