"""The chain as plain data: nodes per level and the links between them.

No database and no Flask: tests build graphs by hand, the loader builds them
from the database in a constant number of queries.
"""

from __future__ import annotations

import functools
import gc
import re
import threading
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Iterable

LEVELS = ("strategy", "role", "process", "requirement")
BELOW = {"strategy": "role", "role": "process", "process": "requirement"}
ABOVE = {below: above for above, below in BELOW.items()}


_NUMBERS = re.compile(r"(\d+)")
_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True


def nogc(function):
    """Run `function` with the cyclic garbage collector paused.

    Building a graph allocates tens of thousands of small containers, none of
    them in a reference cycle; Python would keep scanning them for cycles it
    cannot find, and those scans grow with the heap (2N took 2.5-3x N). The
    pause is counted, so concurrent callers in a threaded server restore the
    collector only when the last of them is done.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        global _gc_pausers, _gc_was_enabled
        with _gc_lock:
            if _gc_pausers == 0:
                _gc_was_enabled = gc.isenabled()
                gc.disable()
            _gc_pausers += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _gc_lock:
                _gc_pausers -= 1
                if _gc_pausers == 0 and _gc_was_enabled:
                    gc.enable()
    return wrapper


def hid_key(hid: str) -> tuple:
    """Sort `REQ-2` before `REQ-10`."""
    return tuple(int(part) if part.isdigit() else part for part in _NUMBERS.split(hid))


@dataclass(slots=True)
class Node:
    kind: str
    hid: str
    title: str = ""
    status: str = "approved"
    fingerprint: str = ""
    seq: int = 0
    attrs: dict[str, Any] = field(default_factory=dict)  # sponsor, kpi, priority, capability, tags...

    @property
    def active(self) -> bool:
        return self.status != "retired"


@dataclass(slots=True)
class Edge:
    upstream: str
    downstream: str
    reviewed_fingerprint: str = ""

    @property
    def id(self) -> str:
        return f"{self.upstream}->{self.downstream}"


class TraceGraph:
    """Nodes keyed by level and ID; edges keyed by the upstream level."""

    def __init__(self, nodes: Iterable[Node] = (), edges: Iterable[tuple[str, Edge]] = ()):
        self.nodes: dict[str, dict[str, Node]] = {kind: {} for kind in LEVELS}
        self.edges: dict[str, list[Edge]] = {kind: [] for kind in BELOW}
        for node in nodes:
            self.add(node)
        for kind, edge in edges:
            self.edges[kind].append(edge)

    def add(self, node: Node) -> Node:
        self.nodes[node.kind][node.hid] = node
        return node

    def link(self, upstream_kind: str, upstream: str, downstream: str, reviewed_fingerprint: str | None = None):
        """Link two nodes; by default the link is reviewed against the upstream's current fingerprint."""
        if reviewed_fingerprint is None:
            reviewed_fingerprint = self.nodes[upstream_kind][upstream].fingerprint
        self.edges[upstream_kind].append(Edge(upstream, downstream, reviewed_fingerprint))

    def active(self, kind: str) -> list[Node]:
        nodes = sorted((node for node in self.nodes[kind].values() if node.active), key=attrgetter("seq"))
        # seq is the ID's number; parse IDs only when some tie (custom IDs, hand-built graphs).
        if any(first.seq == second.seq for first, second in zip(nodes, nodes[1:])):
            nodes.sort(key=lambda node: (node.seq, hid_key(node.hid)))
        return nodes

    def active_edges(self, upstream_kind: str) -> list[Edge]:
        upper, lower = self.nodes[upstream_kind], self.nodes[BELOW[upstream_kind]]
        return [edge for edge in self.edges[upstream_kind]
                if edge.upstream in upper and upper[edge.upstream].active
                and edge.downstream in lower and lower[edge.downstream].active]

    def down(self, upstream_kind: str) -> dict[str, list[str]]:
        """For each active node of a level, the active nodes directly below it."""
        result: dict[str, list[str]] = {}
        for edge in self.active_edges(upstream_kind):
            result.setdefault(edge.upstream, []).append(edge.downstream)
        return result

    def up(self, upstream_kind: str) -> dict[str, list[str]]:
        """For each active node of the level below `upstream_kind`, the active nodes directly above it."""
        result: dict[str, list[str]] = {}
        for edge in self.active_edges(upstream_kind):
            result.setdefault(edge.downstream, []).append(edge.upstream)
        return result

    def kind_of(self, hid: str) -> str | None:
        for kind in reversed(LEVELS):
            if hid in self.nodes[kind]:
                return kind
        return None
