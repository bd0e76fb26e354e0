"""The autodetector on plain states: each kind of change gives the right operations (no database)."""

from __future__ import annotations

import pytest

import orm
from migrations_engine import migrations
from migrations_engine.arrangement import arrange_migrations
from migrations_engine.autodetector import detect_changes
from migrations_engine.questioner import MissingDefaultError, Questioner, UnconfirmedRenameError
from migrations_engine.state import ModelState, ProjectState


def model(model_name, app="blog", options=None, bases=None, **fields):
    all_fields = {"id": orm.BigAutoField(primary_key=True), **fields}
    return ModelState(app, model_name, all_fields, options or {}, bases or ("orm.Model",))


def state(*models):
    project = ProjectState()
    for model_state in models:
        project.add_model(model_state)
    return project


def operations(before, after, questioner=None):
    return [step.operation for step in detect_changes(before, after, questioner)]


def kinds(before, after, questioner=None):
    return [type(op).__name__ for op in operations(before, after, questioner)]


def author(**extra):
    return model("Author", name=orm.CharField(max_length=50), **extra)


def test_no_change_no_operation():
    assert operations(state(author()), state(author())) == []


def test_created_models_ordered_by_dependencies_across_apps():
    post = model("Post", author=orm.ForeignKey("blog.Author", on_delete=orm.CASCADE))
    tag = model("Tag", app="shop", post=orm.ForeignKey("blog.Post", on_delete=orm.CASCADE))
    created = operations(ProjectState(), state(tag, post, author()))
    assert [op.name for op in created] == ["Author", "Post", "Tag"]
    changes = arrange_migrations(detect_changes(ProjectState(), state(tag, post, author())), {})
    assert changes["shop"][0].dependencies == [("blog", "0001_initial")]


def test_dependency_on_another_apps_latest_migration():
    tag = model("Tag", app="shop", post=orm.ForeignKey("blog.Author", on_delete=orm.CASCADE))
    steps = detect_changes(state(author()), state(author(), tag))
    changes = arrange_migrations(steps, {"blog": "0007_last"})
    assert changes["shop"][0].dependencies == [("blog", "0007_last")]
    assert "blog" not in changes


def test_circular_foreign_keys_in_one_app_split_into_create_and_add_field():
    a = model("A", b=orm.ForeignKey("blog.B", on_delete=orm.CASCADE))
    b = model("B", a=orm.ForeignKey("blog.A", on_delete=orm.CASCADE))
    assert kinds(ProjectState(), state(a, b)) == ["CreateModel", "CreateModel", "AddField"]


def test_circular_foreign_keys_across_apps_make_a_second_migration():
    a = model("A", b=orm.ForeignKey("shop.B", on_delete=orm.CASCADE))
    b = model("B", app="shop", a=orm.ForeignKey("blog.A", on_delete=orm.CASCADE))
    changes = arrange_migrations(detect_changes(ProjectState(), state(a, b)), {})
    assert [m.name for m in changes["blog"]] == ["0001_initial", "0002_initial"]
    assert [type(op).__name__ for op in changes["blog"][1].operations] == ["AddField"]
    assert changes["blog"][1].dependencies == [("blog", "0001_initial"), ("shop", "0001_initial")]
    assert changes["shop"][0].dependencies == [("blog", "0001_initial")]


def test_added_removed_and_altered_fields():
    before = state(author(age=orm.IntegerField(null=True)))
    after = state(model("Author", name=orm.CharField(max_length=80),
                        bio=orm.TextField(blank=True)))
    assert kinds(before, after) == ["RemoveField", "AddField", "AlterField"]


@pytest.mark.parametrize("change", [
    {"null": True}, {"default": "x"}, {"max_length": 10}, {"unique": True}, {"db_index": True},
    {"db_column": "n"}, {"choices": [("a", "A")]},
])
def test_each_field_option_change_is_an_alter_field(change):
    after = state(model("Author", name=orm.CharField(**{"max_length": 50, **change})))
    altered = operations(state(author()), after)
    assert [type(op) for op in altered] == [migrations.AlterField]
    assert altered[0].field.deconstruct()[3] == {"max_length": 50, **change}


def test_on_delete_and_related_target_changes():
    other = model("Other")
    before = state(author(), other, model("Post", to=orm.ForeignKey("blog.Author",
                                                                    on_delete=orm.CASCADE)))
    for field in (orm.ForeignKey("blog.Author", on_delete=orm.PROTECT),
                  orm.ForeignKey("blog.Other", on_delete=orm.CASCADE)):
        after = state(author(), other, model("Post", to=field))
        assert kinds(before, after) == ["AlterField"]


def test_not_null_field_without_default_asks_or_fails():
    after = state(author(age=orm.IntegerField()))
    with pytest.raises(MissingDefaultError, match=r"blog\.Author\.age"):
        operations(state(author()), after)
    import io

    questioner = Questioner(interactive=True, stdin=io.StringIO("1\n7\n"), stdout=io.StringIO())
    [added] = operations(state(author()), after, questioner)
    assert added.preserve_default is False and added.field.default == 7


def test_an_invalid_menu_choice_is_asked_again():
    import io

    after = state(author(age=orm.IntegerField()))
    out = io.StringIO()
    questioner = Questioner(interactive=True, stdin=io.StringIO("3\n\nx\n1\n7\n"), stdout=out)
    [added] = operations(state(author()), after, questioner)
    assert added.field.default == 7
    assert out.getvalue().count("Select an option [1/2]: ") == 4
    assert out.getvalue().count("Please select a valid option (1, 2).") == 3
    quitting = Questioner(interactive=True, stdin=io.StringIO("9\n2\n"), stdout=io.StringIO())
    with pytest.raises(MissingDefaultError, match=r"blog\.Author\.age"):
        operations(state(author()), after, quitting)
    at_end = Questioner(interactive=True, stdin=io.StringIO("9\n"), stdout=io.StringIO())
    with pytest.raises(MissingDefaultError):  # end of input: the default answer, quit
        operations(state(author()), after, at_end)


def test_field_rename_needs_confirmation():
    before = state(author())
    after = state(model("Author", full_name=orm.CharField(max_length=50)))
    with pytest.raises(UnconfirmedRenameError, match=r"--rename blog\.Author\.name=full_name"):
        operations(before, after)
    renamed = operations(before, after, Questioner(interactive=False,
                                                   renames=["blog.Author.name=full_name"]))
    assert [type(op) for op in renamed] == [migrations.RenameField]


def test_explicit_rename_with_a_changed_definition_is_rename_then_alter():
    before = state(author())
    after = state(model("Author", full_name=orm.CharField(max_length=90)))
    questioner = Questioner(interactive=False, renames=["blog.Author.name=full_name"])
    assert kinds(before, after, questioner) == ["RenameField", "AlterField"]


def test_model_rename_needs_confirmation_and_repoints_relations():
    post = model("Post", author=orm.ForeignKey("blog.Author", on_delete=orm.CASCADE))
    writer_post = model("Post", author=orm.ForeignKey("blog.Writer", on_delete=orm.CASCADE))
    before = state(author(), post)
    after = state(model("Writer", name=orm.CharField(max_length=50)), writer_post)
    with pytest.raises(UnconfirmedRenameError, match=r"--rename blog\.Author=Writer"):
        operations(before, after)
    assert kinds(before, after, Questioner(interactive=False, renames=["blog.Author=Writer"])) == [
        "RenameModel"]


def test_table_rename_and_option_changes():
    before = state(author())
    after = state(model("Author", options={"db_table": "writers", "ordering": ["name"],
                                           "verbose_name": "writer"},
                        name=orm.CharField(max_length=50)))
    altered = operations(before, after)
    assert [type(op) for op in altered] == [migrations.AlterModelTable,
                                            migrations.AlterModelOptions]
    assert altered[1].options == {"ordering": ["name"], "verbose_name": "writer"}
    # Written with the lower-case model name, as Django writes these operations.
    assert [op.name for op in altered] == ["author", "author"]
    together = state(model("Author", options={"unique_together": [("name",)]},
                           name=orm.CharField(max_length=50)))
    [alter_together] = operations(before, together)
    assert alter_together.name == "author"
    assert alter_together.describe() == "Alter unique_together for author (1 constraint(s))"


def test_indexes_added_removed_and_renamed():
    index = orm.Index(fields=["name"], name="old_idx")
    before = state(model("Author", options={"indexes": [index]},
                         name=orm.CharField(max_length=50)))
    renamed = state(model("Author", options={"indexes": [orm.Index(fields=["name"],
                                                                   name="new_idx")]},
                          name=orm.CharField(max_length=50)))
    [rename] = operations(before, renamed)
    assert isinstance(rename, migrations.RenameIndex) and rename.old_name == "old_idx"
    assert kinds(before, state(author())) == ["RemoveIndex"]
    assert kinds(state(author()), before) == ["AddIndex"]


def test_constraints_and_unique_together():
    check = orm.CheckConstraint(condition=orm.Q(name__gt=""), name="named")
    with_options = state(model("Author", options={"constraints": [check],
                                                  "unique_together": [("name", "age")]},
                               name=orm.CharField(max_length=50),
                               age=orm.IntegerField(null=True)))
    plain = state(model("Author", name=orm.CharField(max_length=50),
                        age=orm.IntegerField(null=True)))
    assert kinds(plain, with_options) == ["AlterUniqueTogether", "AddConstraint"]
    assert kinds(with_options, plain) == ["AlterUniqueTogether", "RemoveConstraint"]


def test_removed_field_in_unique_together_drops_the_entry_first():
    before = state(model("Author", options={"unique_together": [("name", "age")]},
                         name=orm.CharField(max_length=50), age=orm.IntegerField(null=True)))
    assert kinds(before, state(author())) == ["AlterUniqueTogether", "RemoveField"]


def test_many_to_many_with_through_model_waits_for_it():
    tag = model("Tag")
    through = model("Tagging", post=orm.ForeignKey("blog.Post", on_delete=orm.CASCADE),
                    tag=orm.ForeignKey("blog.Tag", on_delete=orm.CASCADE))
    post = model("Post", tags=orm.ManyToManyField("blog.Tag", through="blog.Tagging"))
    created = operations(ProjectState(), state(tag, through, post))
    descriptions = [op.describe() for op in created]
    assert descriptions.index("Create model Tagging") < len(descriptions)
    add = [op for op in created if isinstance(op, migrations.AddField) and op.name == "tags"]
    create_through = [i for i, op in enumerate(created) if getattr(op, "name", "") == "Tagging"]
    assert add and created.index(add[0]) > create_through[0]


def test_proxy_models_come_after_their_base():
    proxy = ModelState("blog", "Famous", {}, {"proxy": True}, ("blog.Author",))
    created = operations(ProjectState(), state(proxy, author()))
    assert [op.name for op in created] == ["Author", "Famous"]
    assert created[1].options == {"proxy": True}


def test_deleted_models_after_the_fields_pointing_at_them():
    post = model("Post", author=orm.ForeignKey("blog.Author", on_delete=orm.CASCADE))
    assert kinds(state(author(), post), state(model("Post"))) == ["RemoveField", "DeleteModel"]
    assert kinds(state(author(), post), ProjectState()) == [
        "RemoveField", "DeleteModel", "DeleteModel"]


def test_migration_names():
    before = state(author())
    after = state(author(subtitle=orm.CharField(max_length=5, default="")))
    changes = arrange_migrations(detect_changes(before, after), {"blog": "0001_initial"})
    assert [m.name for m in changes["blog"]] == ["0002_author_subtitle"]
    assert changes["blog"][0].dependencies == [("blog", "0001_initial")]
