"""Build a `TraceGraph` from the database in seven queries, whatever the project's size."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.model import ITEM_MODELS, LINKS_UP, Project
from reqtrace.trace.graph import Edge, Node, TraceGraph, nogc

# Columns beyond the common ones that the rules read, per level.
ATTRS = {
    "strategy": ("sponsor", "kpi", "perspective"),
    "role": ("department",),
    "process": ("management",),
    "requirement": ("priority", "capability", "kind", "tags", "weight", "excluded_deployments"),
}


@nogc
def load_graph(session: Session, project: Project) -> TraceGraph:
    graph = TraceGraph()
    # Plain column selects: Core rows, without the ORM's per-row result processing.
    connection = session.connection()
    ids: dict[str, dict[int, str]] = {}
    for kind, model in ITEM_MODELS.items():
        extra = ATTRS[kind]
        statement = select(model.id, model.hid, model.title, model.status, model.fingerprint, model.seq,
                           *(getattr(model, name) for name in extra)).where(model.project_id == project.id)
        by_id: dict[int, str] = {}
        nodes = graph.nodes[kind]
        for row in connection.execute(statement):
            by_id[row[0]] = row[1]
            nodes[row[1]] = Node(kind, row[1], row[2], row[3], row[4], row[5], dict(zip(extra, row[6:])))
        ids[kind] = by_id
    for kind, spec in LINKS_UP.items():
        table = spec.model.__table__
        up_ids, down_ids = ids[spec.upstream], ids[kind]
        statement = select(getattr(table.c, spec.upstream_column), getattr(table.c, spec.downstream_column),
                           table.c.reviewed_fingerprint).where(table.c.project_id == project.id)
        graph.edges[spec.upstream] = [Edge(up_ids[up], down_ids[down], reviewed)
                                      for up, down, reviewed in connection.execute(statement)]
    return graph
