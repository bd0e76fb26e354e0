"""The query layer: QuerySet, Query, compiler, expressions, lookups."""
