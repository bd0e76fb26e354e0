"""Tests of the backends package (connections, dialects, schema editor, introspection)."""
