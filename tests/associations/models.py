"""Models shared by the associations tests (app label ``assoc``)."""

from __future__ import annotations

import orm
from associations import AssociationProxy


class Publisher(orm.Model):
    name = orm.CharField(max_length=50)
    country = orm.CharField(max_length=30, default="FR")

    class Meta:
        app_label = "assoc"


class Author(orm.Model):
    name = orm.CharField(max_length=50)
    publisher = orm.ForeignKey(Publisher, on_delete=orm.SET_NULL, null=True, related_name="authors")

    class Meta:
        app_label = "assoc"
        ordering = ["name"]


class Tag(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc"
        ordering = ["name"]


class Book(orm.Model):
    author = orm.ForeignKey("Author", on_delete=orm.CASCADE, related_name="books")
    title = orm.CharField(max_length=80)
    pages = orm.IntegerField(default=100)
    tags = orm.ManyToManyField("assoc.Tag", blank=True, related_name="books")

    author_name = AssociationProxy("author", "name")
    tag_names = AssociationProxy("tags", "name")

    class Meta:
        app_label = "assoc"
        ordering = ["title"]


class Review(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="reviews")
    stars = orm.IntegerField()

    class Meta:
        app_label = "assoc"


class Profile(orm.Model):
    author = orm.OneToOneField(Author, on_delete=orm.CASCADE)
    bio = orm.TextField(default="")

    class Meta:
        app_label = "assoc"


class Group(orm.Model):
    name = orm.CharField(max_length=30)
    members = orm.ManyToManyField(Author, through="Membership", related_name="member_groups")

    class Meta:
        app_label = "assoc"


class Membership(orm.Model):
    group = orm.ForeignKey(Group, on_delete=orm.CASCADE)
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE)
    role = orm.CharField(max_length=20, default="member")

    class Meta:
        app_label = "assoc"


ALL = [Publisher, Author, Tag, Book, Review, Profile, Group, Membership]
