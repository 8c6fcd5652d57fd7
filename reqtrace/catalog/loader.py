"""Load a validated catalogue into a project: adds and updates items, never reviews a link."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from reqtrace.catalog.reader import Catalog
from reqtrace.model import Project
from reqtrace.services.errors import Invalid
from reqtrace.services.sync import Desired, apply_plan, plan_sync


def plan_catalog(session: Session, project: Project | None, catalog: Catalog, *, status: str | None = None):
    """What loading `catalog` would change; `status` None keeps existing items' statuses."""
    if not catalog.ok:
        raise Invalid([], "the catalogue has problems; nothing was loaded")
    desired = [Desired(kind=item.kind, hid=item.hid, fields=item.fields, upstream=item.upstream, status=status,
                       where={"file": item.file, "line": item.line, "item": item.hid})
               for item in catalog.items]
    return plan_sync(session, project, desired, default_status=status or "draft")


def load_catalog(session: Session, project: Project, catalog: Catalog, *, actor: str,
                 status: str | None = None) -> dict[str, Any]:
    """Apply the catalogue. Changed items keep their links, which turn suspect until reviewed."""
    plan = plan_catalog(session, project, catalog, status=status)
    summary = apply_plan(session, project, plan, actor=actor)
    summary["warnings"] = [warning.as_dict() for warning in catalog.warnings] + summary["warnings"]
    return summary
