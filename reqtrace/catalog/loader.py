"""Load a validated catalogue into a project: adds and updates items, never reviews a link.

Like a form and a workbook import, a catalogue gives no retired item a new link (links it already has stay).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from reqtrace.catalog.reader import Catalog
from reqtrace.model import LINKS_UP, Project
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid
from reqtrace.services.sync import (Desired, apply_plan, load_state, new_links_to_retired_items, plan_sync,
                                   retired_link_message)


def plan_catalog(session: Session, project: Project | None, catalog: Catalog, *, status: str | None = None):
    """What loading `catalog` would change; `status` None keeps existing items' statuses."""
    if not catalog.ok:
        raise Invalid([], "the catalogue has problems; nothing was loaded")
    desired = [Desired(kind=item.kind, hid=item.hid, fields=item.fields, upstream=item.upstream, status=status,
                       where={"file": item.file, "line": item.line, "item": item.hid})
               for item in catalog.items]
    state = load_state(session, project)
    plan = plan_sync(session, project, desired, default_status=status or "draft", state=state)
    refused = new_links_to_retired_items(plan, state)
    if refused:
        problems = [Problem(LINKS_UP[item.kind].label, f"{_place(item.where)}: {retired_link_message(item, up, hid)}")
                    for item, up, hid in refused]
        raise Invalid(problems, "the catalogue would link to retired items; nothing was loaded: "
                      + "; ".join(problem.message for problem in problems))
    return plan


def _place(where: dict[str, Any]) -> str:
    return where["file"] + (f":{where['line']}" if where.get("line") else "")


def load_catalog(session: Session, project: Project, catalog: Catalog, *, actor: str,
                 status: str | None = None) -> dict[str, Any]:
    """Apply the catalogue. Changed items keep their links, which turn suspect until reviewed."""
    plan = plan_catalog(session, project, catalog, status=status)
    summary = apply_plan(session, project, plan, actor=actor)
    summary["warnings"] = [warning.as_dict() for warning in catalog.warnings] + summary["warnings"]
    return summary
