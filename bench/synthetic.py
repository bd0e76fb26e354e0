"""A synthetic project for the migrations benchmark: K models, ~8 fields each, FKs to one hub, some M2M.

``write_app(root, app, k)`` writes the package ``<root>/<app>/`` with a
``models.py`` declaring ``Model0000 .. Model<k-1>``; ``models_source`` gives
the text alone. The output is deterministic: the same arguments give the same
file, so timings are comparable between runs and machines.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["models_source", "write_app", "changed_field_source"]


def _model_source(index: int, changed: bool = False) -> str:
    name_length = 120 if changed else 100
    lines = [
        f"class Model{index:04d}(orm.Model):",
        f"    name = orm.CharField(max_length={name_length})",
        "    code = orm.CharField(max_length=20, db_index=True)",
        "    count = orm.IntegerField(default=0)",
        "    ratio = orm.FloatField(null=True)",
        "    created = orm.DateField(null=True)",
        "    active = orm.BooleanField(default=True)",
        '    notes = orm.TextField(default="")',
    ]
    if index > 0:
        # ``(index * n) % index`` is always 0: every foreign key and many-to-many field
        # points at Model0000, a hub model like a project's User. Kept so figures stay
        # comparable with earlier runs; it makes the reverse-name clash checks of model
        # import quadratic in K (see bench/README.md, migrations).
        target = (index * 7919) % index
        lines.append(
            f"    parent = orm.ForeignKey(\"Model{target:04d}\", on_delete=orm.CASCADE, "
            f"related_name=\"children_{index:04d}\")"
        )
    if index > 0 and index % 10 == 0:
        target = (index * 31) % index
        lines.append(
            f"    links = orm.ManyToManyField(\"Model{target:04d}\", "
            f"related_name=\"linked_{index:04d}\")"
        )
    return "\n".join(lines) + "\n"


def models_source(k: int, changed: int | None = None) -> str:
    """``models.py`` of a synthetic app with ``k`` models (``changed``: one altered field)."""
    parts = ['"""Synthetic models for the migrations benchmark (generated)."""\n', "import orm\n"]
    for index in range(k):
        parts.append("\n\n" + _model_source(index, changed=index == changed))
    return "".join(parts)


def changed_field_source(k: int) -> str:
    """The models of ``write_app`` with one field changed (a max_length in the middle model)."""
    return models_source(k, changed=k // 2)


def write_app(root: str | Path, app: str, k: int, models: int | None = None,
              changed: bool = False) -> Path:
    """Write ``<root>/<app>/__init__.py`` and ``models.py`` (the first ``models`` of ``k``)."""
    package = Path(root) / app
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(f'"""Synthetic app {app} ({k} models)."""\n')
    count = k if models is None else models
    text = changed_field_source(count) if changed else models_source(count)
    (package / "models.py").write_text(text)
    return package
