"""Deleting rows: through the on-delete collector when relations exist, else one DELETE."""

from __future__ import annotations

from orm import hooks, signals
from orm.connections import connections
from orm.query.compiler import execute

__all__ = ["delete_objects", "delete_queryset", "delete_statement", "fast_delete"]


def delete_objects(objs, using: str):
    """Delete model instances; returns ``(total, {label: count})``."""
    if hooks.collector_class is not None:
        objs = list(objs)
        # As Django: the delete signals name the instance deleted (``origin``).
        collector = hooks.collector_class(using=using, origin=objs[0] if len(objs) == 1 else None)
        collector.collect(objs)
        return collector.delete()
    model = type(objs[0])
    return _delete_with_signals(model, list(objs), using)


def delete_queryset(queryset):
    """Delete what ``queryset`` matches; returns ``(total, {label: count})``."""
    using = queryset.db
    if hooks.collector_class is not None:
        collector = hooks.collector_class(using=using, origin=queryset)
        collector.collect(queryset)
        return collector.delete()
    model = queryset.model
    if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
        return _delete_with_signals(model, list(queryset), using)
    count = fast_delete(queryset, connections[using])
    return count, ({model._meta.label: count} if count else {})


def fast_delete(queryset, connection) -> int:
    """One ``DELETE ... WHERE`` for the QuerySet's filters; returns rows deleted."""
    statement = delete_statement(queryset, connection)
    if statement is None:
        return 0
    sql, params = statement
    return connection.execute_count(sql, params)


def delete_statement(queryset, connection) -> tuple[str, list] | None:
    """The ``DELETE`` of the QuerySet's rows as ``(sql, params)``, ``None`` when it matches nothing.

    Without parameters, ``%%`` is already ``%`` (the SQL is sent as it is).
    """
    from orm.query.persistence import _where_for_write

    query = queryset.query.clone()
    where_sql, params = _where_for_write(query, connection)
    if where_sql is None:
        return None
    quote = connection.dialect.quote_name
    sql = f"DELETE FROM {quote(query.get_meta().db_table)}"
    if where_sql:
        sql += f" WHERE {where_sql}"
    if not params and "%%" in sql:
        sql = sql.replace("%%", "%")
    return sql, params


def _delete_with_signals(model, objs, using):
    from orm.transaction import atomic

    connection = connections[using]
    opts = model._meta
    with atomic(using=using, savepoint=False):
        for obj in objs:
            signals.pre_delete.send(sender=type(obj), instance=obj, using=using, origin=obj)
        pks = [obj.pk for obj in objs]
        quote = connection.dialect.quote_name
        count = 0
        batch = connection.dialect.bulk_batch_size(1, len(pks))
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor = execute(
                connection,
                f"DELETE FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} IN ({placeholders})",
                [opts.pk.get_db_prep_value(pk, connection) for pk in chunk],
            )
            count += cursor.rowcount
            cursor.close()
        for obj in objs:
            signals.post_delete.send(sender=type(obj), instance=obj, using=using, origin=obj)
            setattr(obj, opts.pk.attname, None)
    return count, ({opts.label: count} if count else {})
