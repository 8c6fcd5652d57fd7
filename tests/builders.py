"""A fluent builder of small chains, for the database and for pure trace graphs.

    ProjectBuilder("p").strategy("STR-1").role("ROL-1", strategies=["STR-1"]) \
        .process("PRC-1", roles=["ROL-1"]).requirement("REQ-1", processes=["PRC-1"]).build(session)
"""

from __future__ import annotations

from typing import Any

from reqtrace.fingerprint import fingerprint
from reqtrace.model import Project
from reqtrace.schemas import validate_fields
from reqtrace.services.items import create_item
from reqtrace.services.projects import create_project
from reqtrace.trace.graph import Node, TraceGraph

LINK_KEY = {"role": "strategies", "process": "roles", "requirement": "processes"}
ABOVE = {"role": "strategy", "process": "role", "requirement": "process"}


class ProjectBuilder:
    def __init__(self, key: str = "test", name: str | None = None):
        self.key, self.name = key, name or f"Project {key}"
        self.items: list[tuple[str, str, dict[str, Any], list[str], str]] = []

    def _add(self, kind: str, hid: str, links: list[str] | None, status: str, fields: dict[str, Any]):
        fields.setdefault("title", f"{kind.title()} {hid}")
        self.items.append((kind, hid, fields, list(links or []), status))
        return self

    def strategy(self, hid: str, *, status: str = "approved", **fields: Any) -> "ProjectBuilder":
        fields.setdefault("sponsor", "Chief Executive Officer")
        fields.setdefault("kpi", "Customer retention rate")
        return self._add("strategy", hid, None, status, fields)

    def role(self, hid: str, *, strategies: list[str] | None = None, status: str = "approved",
             **fields: Any) -> "ProjectBuilder":
        return self._add("role", hid, strategies, status, fields)

    def process(self, hid: str, *, roles: list[str] | None = None, status: str = "approved",
                **fields: Any) -> "ProjectBuilder":
        return self._add("process", hid, roles, status, fields)

    def requirement(self, hid: str, *, processes: list[str] | None = None, status: str = "approved",
                    **fields: Any) -> "ProjectBuilder":
        return self._add("requirement", hid, processes, status, fields)

    def chain(self, n: int = 1) -> "ProjectBuilder":
        """n complete strategy -> role -> process -> requirement chains."""
        for i in range(1, n + 1):
            self.strategy(f"STR-{i}").role(f"ROL-{i}", strategies=[f"STR-{i}"]) \
                .process(f"PRC-{i}", roles=[f"ROL-{i}"]).requirement(f"REQ-{i}", processes=[f"PRC-{i}"])
        return self

    def build(self, session, *, actor: str = "test") -> Project:
        """Create the project and its items through the services (audited, validated)."""
        project = create_project(session, key=self.key, name=self.name, actor=actor)
        order = {"strategy": 0, "role": 1, "process": 2, "requirement": 3}
        for kind, hid, fields, links, status in sorted(self.items, key=lambda item: order[item[0]]):
            create_item(session=session, project=project, kind=kind, fields=fields, actor=actor, hid=hid,
                        status=status, upstream=links)
        session.flush()
        return project

    def graph(self) -> TraceGraph:
        """The same chain as a pure TraceGraph, for tests with no database."""
        graph = TraceGraph()
        for kind, hid, fields, _links, status in self.items:
            clean, problems = validate_fields(kind, fields)
            assert not problems, problems
            attrs = {name: clean.get(name) for name in
                     ("sponsor", "kpi", "perspective", "priority", "capability", "kind", "tags", "weight")
                     if name in clean}
            graph.add(Node(kind, hid, clean["title"], status, fingerprint(kind, clean),
                           int(hid.split("-")[-1]) if hid.split("-")[-1].isdigit() else 0, attrs))
        for kind, hid, _fields, links, _status in self.items:
            for upstream in links:
                graph.link(ABOVE[kind], upstream, hid)
        return graph
