# Written by hand: a data migration that seeds the blog's tags.
from migrations_engine import migrations

TAGS = [
    ("Databases", "databases"),
    ("Python", "python"),
    ("SQLite", "sqlite"),
    ("Tutorial", "tutorial"),
]


def seed_tags(apps, schema_editor):
    # The historical model, as the migrations before this one describe it (never
    # import blog.models here: the live class may have moved on).
    Tag = apps.get_model("blog", "Tag")
    for name, slug in TAGS:
        Tag.objects.get_or_create(slug=slug, defaults={"name": name})


def remove_tags(apps, schema_editor):
    Tag = apps.get_model("blog", "Tag")
    Tag.objects.filter(slug__in=[slug for _, slug in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
        migrations.RunPython(seed_tags, reverse_code=remove_tags),
    ]
