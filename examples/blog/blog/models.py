"""The blog's models: authors write posts, posts carry tags, anyone comments on posts and authors."""

import orm
from contenttypes import ContentType, GenericForeignKey, GenericRelation


class Comment(orm.Model):
    """A comment on anything: a post or an author (a generic foreign key)."""

    content_type = orm.ForeignKey(ContentType, on_delete=orm.CASCADE)
    object_id = orm.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    name = orm.CharField(max_length=100)
    text = orm.TextField()
    created = orm.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [orm.Index(fields=["content_type", "object_id"], name="comment_target_idx")]

    def __str__(self) -> str:
        return f"{self.name}: {self.text}"


class Author(orm.Model):
    name = orm.CharField(max_length=100)
    email = orm.EmailField(unique=True)
    bio = orm.TextField(blank=True, default="")
    comments = GenericRelation(Comment)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(orm.Model):
    name = orm.CharField(max_length=50, unique=True)
    slug = orm.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Post(orm.Model):
    STATUS_CHOICES = [("draft", "Draft"), ("published", "Published"), ("archived", "Archived")]

    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="posts")
    title = orm.CharField(max_length=200)
    body = orm.TextField(default="")
    status = orm.CharField(max_length=10, choices=STATUS_CHOICES, default="draft")
    tags = orm.ManyToManyField(Tag, blank=True, related_name="posts")
    comments = GenericRelation(Comment)
    created = orm.DateTimeField(auto_now_add=True)
    updated = orm.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [orm.Index(fields=["status", "created"], name="post_status_created_idx")]

    def __str__(self) -> str:
        return self.title
