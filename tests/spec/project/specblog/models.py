"""SPEC's example models (§3, §5, §7) plus a few for the audit's corner cases."""

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation


class Author(orm.Model):
    name = orm.CharField(max_length=100)
    email = orm.EmailField(unique=True)
    born = orm.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [orm.Index(fields=["name"], name="author_name_idx")]


class Tag(orm.Model):
    name = orm.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]


class Comment(orm.Model):
    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    object_id = orm.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    text = orm.TextField()


class Post(orm.Model):
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="posts")
    title = orm.CharField(max_length=200)
    body = orm.TextField(default="")
    status = orm.CharField(
        max_length=10, choices=[("draft", "Draft"), ("pub", "Published")], default="draft"
    )
    tags = orm.ManyToManyField("Tag", blank=True)
    created = orm.DateTimeField(auto_now_add=True)
    updated = orm.DateTimeField(auto_now=True)
    comments = GenericRelation(Comment)


class Photo(orm.Model):
    caption = orm.CharField(max_length=50, default="")
    comments = GenericRelation(Comment)


class Profile(orm.Model):
    author = orm.OneToOneField(Author, on_delete=orm.CASCADE, related_name="profile")
    bio = orm.TextField(default="")


class Group(orm.Model):
    name = orm.CharField(max_length=50)
    members = orm.ManyToManyField(Author, through="Membership", related_name="member_of")


class Membership(orm.Model):
    group = orm.ForeignKey(Group, on_delete=orm.CASCADE)
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE)
    role = orm.CharField(max_length=20, default="member")


class Category(orm.Model):
    name = orm.CharField(max_length=50)


class Guarded(orm.Model):
    """Relations with every on_delete action pointing at Category."""

    protected = orm.ForeignKey(
        Category, on_delete=orm.PROTECT, null=True, related_name="+"
    )
    restricted = orm.ForeignKey(
        Category, on_delete=orm.RESTRICT, null=True, related_name="restricted_by"
    )
    nulled = orm.ForeignKey(Category, on_delete=orm.SET_NULL, null=True, related_name="nulled_by")
    defaulted = orm.ForeignKey(
        Category, on_delete=orm.SET_DEFAULT, null=True, default=None, related_name="defaulted_by"
    )
    set_to = orm.ForeignKey(
        Category, on_delete=orm.SET(None), null=True, related_name="set_by"
    )
    ignored = orm.ForeignKey(
        Category, on_delete=orm.DO_NOTHING, null=True, db_constraint=False, related_name="ignored_by"
    )


class Sample(orm.Model):
    """One column of every field type of SPEC §3."""

    char = orm.CharField(max_length=20, default="")
    text = orm.TextField(default="")
    slug = orm.SlugField(default="")
    email = orm.EmailField(default="")
    url = orm.URLField(default="")
    integer = orm.IntegerField(default=0)
    big = orm.BigIntegerField(default=0)
    small = orm.SmallIntegerField(default=0)
    positive = orm.PositiveIntegerField(default=0)
    positive_small = orm.PositiveSmallIntegerField(default=0)
    positive_big = orm.PositiveBigIntegerField(default=0)
    floating = orm.FloatField(default=0.0)
    decimal = orm.DecimalField(max_digits=10, decimal_places=2, default=0)
    boolean = orm.BooleanField(default=False)
    date = orm.DateField(null=True)
    datetime = orm.DateTimeField(null=True)
    time = orm.TimeField(null=True)
    duration = orm.DurationField(null=True)
    uuid = orm.UUIDField(null=True)
    data = orm.JSONField(null=True)
    binary = orm.BinaryField(null=True)
    ip = orm.GenericIPAddressField(null=True)


class Stamped(orm.TimestampedModel):
    name = orm.CharField(max_length=20)


class Note(orm.SoftDeleteModel):
    text = orm.CharField(max_length=50)


class Node(orm.Model):
    name = orm.CharField(max_length=20)
    parent = orm.ForeignKey("self", on_delete=orm.CASCADE, null=True, related_name="children")
