"""Everyday queries on the blog, printed: run `python queries.py` after `manouche migrate`.

The settings come from this directory's pyproject.toml ([tool.manouche]); the
database must be migrated first (run.sh does both).
"""

from __future__ import annotations

import sys

from blog.models import Author, Comment, Post, Tag

import orm

SEED = {
    "Ada Lovelace": {
        "email": "ada@example.com",
        "posts": [
            ("Notes on the analytical engine", "published", ["python", "tutorial"]),
            ("Loops, before loops", "published", ["python"]),
            ("A draft about Bernoulli numbers", "draft", []),
        ],
    },
    "Edgar Codd": {
        "email": "ted@example.com",
        "posts": [
            ("A relational model of data", "published", ["databases"]),
            ("Twelve rules", "published", ["databases", "tutorial"]),
            ("Normal forms, normally", "archived", ["databases"]),
        ],
    },
    "Richard Hipp": {
        "email": "drh@example.com",
        "posts": [
            ("Small. Fast. Reliable.", "published", ["sqlite", "databases"]),
            ("Why a file is a database", "draft", ["sqlite"]),
        ],
    },
}


def heading(title: str) -> None:
    print(f"\n-- {title}")


def seed() -> None:
    """Authors, posts (tagged with the tags the data migration made) and comments, in one transaction."""
    with orm.atomic():
        # Start from a clean slate, so the script can run again on the same database.
        Comment.objects.all().delete()
        Author.objects.all().delete()  # cascades to their posts
        tags = {tag.slug: tag for tag in Tag.objects.all()}
        for name, details in SEED.items():
            author = Author.objects.create(name=name, email=details["email"])
            for title, status, slugs in details["posts"]:
                post = Post.objects.create(author=author, title=title, status=status)
                post.tags.set([tags[slug] for slug in slugs])
        ada, ted = Author.objects.get(name="Ada Lovelace"), Author.objects.get(name="Edgar Codd")
        engine = Post.objects.get(title__startswith="Notes on")
        Comment.objects.create(content_object=engine, name="Charles", text="Splendid notes.")
        Comment.objects.create(content_object=engine, name="Mary", text="Is there a sequel?")
        Comment.objects.create(content_object=ada, name="Charles", text="The enchantress of numbers.")
        Comment.objects.create(content_object=ted, name="Chris", text="Rule 0 is my favourite.")


def filters_across_relations() -> None:
    heading("Published posts tagged 'databases', with their author (filter across FK and M2M)")
    posts = (
        Post.objects.filter(status="published", tags__slug="databases")
        .select_related("author")
        .order_by("title")
    )
    for post in posts:
        print(f"  {post.title!r} by {post.author.name} [{post.get_status_display()}]")

    heading("Authors with a post tagged 'python' (reverse FK, then M2M, distinct)")
    for author in Author.objects.filter(posts__tags__slug="python").distinct():
        print(f"  {author.name}")

    heading("Authors with no draft (exclude across a relation)")
    for author in Author.objects.exclude(posts__status="draft"):
        print(f"  {author.name}")


def annotate_and_aggregate() -> None:
    heading("Posts and comments per author (two multi-valued relations, counted correctly)")
    authors = Author.objects.annotate(
        post_count=orm.Count("posts"),
        published=orm.Count("posts", filter=orm.Q(posts__status="published")),
        comment_count=orm.Count("comments"),
    )
    for author in authors:
        print(
            f"  {author.name:<14} {author.post_count} posts, {author.published} published, "
            f"{author.comment_count} comments about them"
        )

    heading("Tags by number of posts")
    for tag in Tag.objects.annotate(uses=orm.Count("posts")).order_by("-uses", "name"):
        print(f"  {tag.name:<10} {tag.uses}")

    heading("Totals (aggregate)")
    totals = Post.objects.aggregate(
        posts=orm.Count("id"),
        authors=orm.Count("author", distinct=True),
        longest_title=orm.Max(orm.Length("title")),
    )
    print(f"  {totals}")


def loading_strategies() -> None:
    heading("Related loading: the query counts of orm.capture_queries()")
    with orm.capture_queries() as lazy:
        names = [post.author.name for post in Post.objects.all()]
    print(f"  lazy author per post:          {len(lazy.queries)} queries for {len(names)} posts")
    with orm.capture_queries() as joined:
        names = [post.author.name for post in Post.objects.select_related("author")]
    print(f"  select_related('author'):      {len(joined.queries)} query")
    with orm.capture_queries() as prefetched:
        tag_names = {post.title: [t.name for t in post.tags.all()] for post in Post.objects.prefetch_related("tags")}
    print(f"  prefetch_related('tags'):      {len(prefetched.queries)} queries for {len(tag_names)} posts")
    with orm.capture_queries() as generic:
        targets = [str(c.content_object) for c in Comment.objects.prefetch_related("content_object")]
    print(
        f"  prefetch_related('content_object'): {len(generic.queries)} queries "
        f"(comments, then one per content type) for {len(targets)} comments"
    )


def generic_relations() -> None:
    heading("Comments, wherever they are (a generic foreign key, filterable)")
    ada = Author.objects.get(name="Ada Lovelace")
    for comment in Comment.objects.prefetch_related("content_object"):
        kind = type(comment.content_object).__name__
        print(f"  on {kind} {str(comment.content_object)!r}: {comment}")
    print(f"  comments on Ada herself: {Comment.objects.filter(content_object=ada).count()}")
    commented = Post.objects.filter(comments__name="Charles").distinct()
    print(f"  posts Charles commented on: {[post.title for post in commented]}")


def transactions() -> None:
    heading("A transaction: publish a draft and announce it, all or nothing (orm.atomic)")
    draft = Post.objects.filter(status="draft").order_by("id").first()
    with orm.atomic():
        draft.status = "published"
        draft.save(update_fields=["status", "updated"])
        Comment.objects.create(content_object=draft, name="editor", text="Now published.")
    print(f"  {draft.title!r} is now {Post.objects.get(pk=draft.pk).get_status_display()}")

    before = Author.objects.count()
    try:
        with orm.atomic():
            Author.objects.create(name="Someone", email="someone@example.com")
            Author.objects.create(name="Impostor", email="ada@example.com")  # email is unique
    except orm.IntegrityError as error:
        print(f"  rolled back: {type(error).__name__} ({str(error).splitlines()[0]})")
    print(f"  authors before: {before}, after: {Author.objects.count()}")


def keyset_pagination() -> None:
    heading("Keyset pagination: pages of 3 posts, oldest first, without OFFSET (.after())")
    ordered = Post.objects.order_by("created", "id")
    page, number = list(ordered.after(None, size=3)), 1
    while page:
        print(f"  page {number}: {[post.title for post in page]}")
        page, number = list(ordered.after(page[-1], size=3)), number + 1


def main() -> int:
    try:
        seed()
        filters_across_relations()
        annotate_and_aggregate()
        loading_strategies()
        generic_relations()
        transactions()
        keyset_pagination()
    except (orm.Error, orm.ImproperlyConfigured) as error:
        # A database that is not there, not migrated or misconfigured: one line, no traceback.
        print(f"queries.py: {error} (did `manouche migrate` run?)", file=sys.stderr)
        return 1
    finally:
        orm.connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
