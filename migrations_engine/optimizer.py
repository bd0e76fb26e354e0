"""Fold a list of operations into a shorter equivalent one, using each operation's ``reduce``."""

from __future__ import annotations

from typing import Any

__all__ = ["MigrationOptimizer", "optimize"]


def optimize(operations: list[Any], app_label: str) -> list[Any]:
    """Return an equivalent, usually shorter, list of operations (the input is not changed)."""
    return MigrationOptimizer().optimize(operations, app_label)


class MigrationOptimizer:
    """Django's optimizer: compare each operation with every later one until nothing changes.

    ``a.reduce(b)`` returning a list replaces both by the list; True lets
    ``b`` move across ``a`` (so a later match may combine over it); False
    blocks.
    """

    def optimize(self, operations: list[Any], app_label: str) -> list[Any]:
        self._iterations = 0
        while True:
            result = self._optimize_inner(operations, app_label)
            self._iterations += 1
            if len(result) == len(operations) and all(
                a is b for a, b in zip(result, operations)
            ):
                return result
            operations = result

    def _optimize_inner(self, operations: list[Any], app_label: str) -> list[Any]:
        new_operations: list[Any] = []
        for i, operation in enumerate(operations):
            right = True  # whether ``operation`` can move right to meet ``other``
            for j, other in enumerate(operations[i + 1:]):
                result = operation.reduce(other, app_label)
                if isinstance(result, list):
                    in_between = operations[i + 1:i + j + 1]
                    if right:
                        new_operations.extend(in_between)
                        new_operations.extend(result)
                    elif all(op.reduce(other, app_label) is True for op in in_between):
                        # ``other`` can move left across everything in between.
                        new_operations.extend(result)
                        new_operations.extend(in_between)
                    else:
                        new_operations.append(operation)
                        break
                    new_operations.extend(operations[i + j + 2:])
                    return new_operations
                if not result:
                    right = False
            else:
                new_operations.append(operation)
        return new_operations
