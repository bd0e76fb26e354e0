"""The migration dependency graph: a networkx ``DiGraph`` of ``(app_label, name)`` nodes.

An edge ``parent -> child`` means ``child`` depends on ``parent``. Plans
are deterministic: ties are broken by ``(app_label, name)``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from .errors import CircularDependencyError, ConflictError, NodeNotFoundError

__all__ = ["MigrationGraph", "Node"]

Node = tuple[str, str]


class MigrationGraph:
    """Migrations as nodes, dependencies as edges; plans forwards and backwards."""

    def __init__(self) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()
        self.nodes: dict[Node, Any] = {}
        self._missing: list[tuple[Node, Node]] = []

    def add_node(self, key: Node, migration: Any) -> None:
        """Add a migration (``migration`` may be None for a placeholder)."""
        self.nodes[key] = migration
        self.graph.add_node(key)

    def add_dependency(self, child: Node, parent: Node, skip_validation: bool = False) -> None:
        """Record that ``child`` depends on ``parent`` (a missing one is reported later)."""
        if parent not in self.nodes or child not in self.nodes:
            self._missing.append((child, parent))
            if not skip_validation:
                self.validate_consistency()
            return
        self.graph.add_edge(parent, child)

    def _describe(self, key: Node) -> str:
        migration = self.nodes.get(key)
        path = getattr(migration, "path", None)
        return f"{key[0]}.{key[1]}" + (f" ({path})" if path else "")

    def validate_consistency(self) -> None:
        """Raise NodeNotFoundError for the first dependency on a migration that does not exist."""
        for child, parent in self._missing:
            if child not in self.nodes:
                raise NodeNotFoundError(
                    f"migration {child[0]}.{child[1]} is named as a dependant (run_before) of "
                    f"{self._describe(parent)} but does not exist",
                    child,
                )
            if parent not in self.nodes:
                known = sorted(name for app, name in self.nodes if app == parent[0])
                raise NodeNotFoundError(
                    f"migration {self._describe(child)} depends on {parent[0]}.{parent[1]}, "
                    f"which does not exist (migrations of {parent[0]!r}: "
                    f"{', '.join(known) or 'none'}); fix the dependencies list in that file",
                    parent,
                )

    def ensure_not_cyclic(self) -> None:
        """Raise CircularDependencyError naming the migrations of a cycle."""
        try:
            cycle = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            return
        members = [edge[0] for edge in cycle]
        names = " -> ".join(self._describe(node) for node in [*members, members[0]])
        raise CircularDependencyError(
            f"migrations depend on each other in a cycle: {names}; remove one of these "
            "dependencies"
        )

    # -- replacements (squashed migrations) -------------------------------------------

    def remove_replaced_nodes(self, replacement: Node, replaced: list[Node]) -> None:
        """Use ``replacement`` instead of the nodes it replaces (repointing their edges)."""
        replaced_set = set(replaced)
        for node in replaced:
            if node not in self.nodes:
                continue
            for child in list(self.graph.successors(node)):
                if child not in replaced_set and child != replacement:
                    self.graph.add_edge(replacement, child)
            for parent in list(self.graph.predecessors(node)):
                if parent not in replaced_set and parent != replacement:
                    self.graph.add_edge(parent, replacement)
            self.graph.remove_node(node)
            del self.nodes[node]

    def remove_replacement_node(self, replacement: Node, replaced: list[Node]) -> None:
        """Use the replaced nodes instead of ``replacement`` (its dependants follow the last one)."""
        if replacement not in self.nodes:
            return
        last = replaced[-1]
        for child in list(self.graph.successors(replacement)):
            if child not in replaced and last in self.nodes:
                self.graph.add_edge(last, child)
        self.graph.remove_node(replacement)
        del self.nodes[replacement]

    # -- queries ------------------------------------------------------------------------

    def _check(self, target: Node) -> None:
        if target not in self.nodes:
            raise NodeNotFoundError(f"no migration {target[0]}.{target[1]}", target)

    def forwards_plan(self, target: Node) -> list[Node]:
        """Every node ``target`` needs, dependencies first, ending with ``target``."""
        self._check(target)
        nodes = nx.ancestors(self.graph, target) | {target}
        return list(nx.lexicographical_topological_sort(self._subgraph(nodes)))

    def backwards_plan(self, target: Node) -> list[Node]:
        """Every node depending on ``target``, dependants first, ending with ``target``."""
        self._check(target)
        nodes = nx.descendants(self.graph, target) | {target}
        return list(reversed(list(nx.lexicographical_topological_sort(self._subgraph(nodes)))))

    def _subgraph(self, nodes: set[Node]) -> nx.DiGraph:
        """A plain graph of ``nodes`` and the edges between them.

        Sorting it costs about half of sorting ``self.graph.subgraph(nodes)``,
        a view that filters every neighbour it walks; the order is the same
        (the sort breaks ties by node, not by insertion order).
        """
        subgraph: nx.DiGraph = nx.DiGraph()
        subgraph.add_nodes_from(nodes)
        subgraph.add_edges_from((parent, child) for parent, child in self.graph.edges(nodes) if child in nodes)
        return subgraph

    def full_plan(self) -> list[Node]:
        """Every node, dependencies first."""
        return list(nx.lexicographical_topological_sort(self.graph))

    def parents(self, node: Node) -> list[Node]:
        return sorted(self.graph.predecessors(node))

    def children(self, node: Node) -> list[Node]:
        return sorted(self.graph.successors(node))

    def leaf_nodes(self, app: str | None = None) -> list[Node]:
        """Nodes with no dependant in their own app (one per app unless there is a conflict)."""
        leaves = []
        for node in self.nodes:
            if app is not None and node[0] != app:
                continue
            if not any(child[0] == node[0] for child in self.graph.successors(node)):
                leaves.append(node)
        return sorted(leaves)

    def root_nodes(self, app: str | None = None) -> list[Node]:
        """Nodes with no dependency in their own app."""
        roots = []
        for node in self.nodes:
            if app is not None and node[0] != app:
                continue
            if not any(parent[0] == node[0] for parent in self.graph.predecessors(node)):
                roots.append(node)
        return sorted(roots)

    def conflicts(self) -> dict[str, list[str]]:
        """``{app: [leaf names]}`` for apps with more than one leaf."""
        result: dict[str, list[str]] = {}
        for app in sorted({node[0] for node in self.nodes}):
            leaves = self.leaf_nodes(app)
            if len(leaves) > 1:
                result[app] = [name for _, name in leaves]
        return result

    def ensure_no_conflicts(self) -> None:
        """Raise ConflictError naming the leaves and the fix."""
        conflicts = self.conflicts()
        if conflicts:
            parts = []
            for app, names in conflicts.items():
                files = ", ".join(self._describe((app, name)) for name in names)
                parts.append(f"{app}: {files}")
            raise ConflictError(
                "conflicting migrations detected; several leaf migrations in "
                + "; ".join(parts)
                + ". To fix them run 'manouche makemigrations --merge'"
            )

    def __contains__(self, node: object) -> bool:
        return node in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<MigrationGraph: nodes={len(self.nodes)}, edges={self.graph.number_of_edges()}>"
