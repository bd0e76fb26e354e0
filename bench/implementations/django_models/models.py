"""The benchmark tables as Django models (unmanaged: bench/dataset.py creates the tables)."""

from django.db import models


def _meta(table: str):
    return type("Meta", (), {"db_table": table, "managed": False})


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254)
    age = models.IntegerField()
    Meta = _meta("bench_author")


class Tag(models.Model):
    name = models.CharField(max_length=50)
    Meta = _meta("bench_tag")


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    isbn = models.CharField(max_length=20)
    pages = models.IntegerField()
    rating = models.FloatField()
    published = models.DateField()
    tags = models.ManyToManyField(Tag, db_table="bench_book_tags", related_name="books")
    Meta = _meta("bench_book")


class Person(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254)
    age = models.IntegerField()
    score = models.FloatField()
    Meta = _meta("bench_person")


class Event(models.Model):
    kind = models.CharField(max_length=20)
    value = models.IntegerField()
    weight = models.FloatField()
    Meta = _meta("bench_event")
