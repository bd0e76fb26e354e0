"""Django's ORM doing each workload (optional: ``pip install manouche[bench]``)."""

from __future__ import annotations

from bench.dataset import person_rows
from bench.workloads import FILTER_MIN_PAGES, aggregate_thresholds, filter_author_ids, get_pks

from .base import Implementation as Base
from .base import Unavailable

__all__ = ["Implementation"]

def _configure(env) -> None:
    from django.conf import settings

    if env.vendor == "sqlite":
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": env.sqlite_path}
    else:
        url = env.parsed
        database = {
            "ENGINE": f"django.db.backends.{env.vendor}", "NAME": url.name, "USER": url.user,
            "PASSWORD": url.password or "", "HOST": url.host or "", "PORT": str(url.port or ""),
        }
    if settings.configured:
        settings.DATABASES["default"].update(database)
        return
    settings.configure(DATABASES={"default": database},
                       INSTALLED_APPS=["bench.implementations.django_models"], USE_TZ=False,
                       DEFAULT_AUTO_FIELD="django.db.models.BigAutoField")
    import django

    django.setup()


def _define():
    from bench.implementations.django_models import models

    return models.Author, models.Tag, models.Book, models.Person, models.Event


class Implementation(Base):
    """Django, configured in-process with ``settings.configure()``."""

    name = "django"

    def __init__(self, vendor: str) -> None:
        try:
            import django
        except ImportError as error:
            raise Unavailable("Django is not installed") from error
        if vendor == "mysql":
            try:
                import MySQLdb  # noqa: F401
            except ImportError:
                import pymysql

                pymysql.install_as_MySQLdb()
        self.version = django.__version__

    def setup(self, env) -> None:
        super().setup(env)
        _configure(env)
        self.Author, self.Tag, self.Book, self.Person, self.Event = _define()
        from django.db import connections, models, transaction

        self.connections = connections
        self.models = models
        self.transaction = transaction
        connections["default"].ensure_connection()
        if env.vendor == "sqlite":
            connections["default"].cursor().execute("PRAGMA foreign_keys = ON")

    def teardown(self) -> None:
        self.connections.close_all()

    def insert_one(self, sizes):
        Person = self.Person
        created = []
        with self.transaction.atomic():
            for name, email, age, score in person_rows(sizes.insert_one):
                created.append(Person.objects.create(name=name, email=email, age=age, score=score))
        return created

    def bulk_insert(self, sizes):
        Person = self.Person
        with self.transaction.atomic():
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
            book.author  # noqa: B018
        return books

    def m2m_prefetch(self, sizes):
        books = list(self.Book.objects.prefetch_related("tags").order_by("id")[: sizes.prefetch])
        for book in books:
            list(book.tags.all())
        return books

    def aggregate(self, sizes):
        models = self.models
        objects = self.Book.objects
        results = []
        for bound in aggregate_thresholds(sizes):
            values = objects.filter(pages__gte=bound).aggregate(
                n=models.Count("id"), avg=models.Avg("rating"), most=models.Max("pages")
            )
            results.append((values["n"], values["avg"], values["most"]))
        return results

    def update(self, sizes):
        return self.Book.objects.filter(id__lte=sizes.update_rows).update(isbn=self.env.next_isbn())

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
