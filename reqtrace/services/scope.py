"""What vendors are asked and scored on: the latest baseline's requirements, else the approved ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.model import Project, Requirement
from reqtrace.schemas import EDITABLE_FIELDS
from reqtrace.services.baselines import baseline_state, latest_baseline
from reqtrace.trace.graph import hid_key
from reqtrace.vocab import PRIORITY_WEIGHT


@dataclass
class Scope:
    source: str  # "baseline" or "approved"
    baseline: str  # the baseline's name, "" for the approved set
    requirements: list[dict[str, Any]]  # fields as frozen (or current), plus "id" (database) and "hid"

    @property
    def label(self) -> str:
        return f"baseline {self.baseline}" if self.baseline else "the approved requirements (no baseline yet)"


def effective_weight(requirement: dict[str, Any]) -> float:
    """The stored weight, else the priority's default (must 5, should 3, could 1, won't 0)."""
    weight = requirement.get("weight")
    return float(weight) if weight is not None else PRIORITY_WEIGHT[requirement.get("priority") or "should"]


def current_scope(session: Session, project: Project) -> Scope:
    baseline = latest_baseline(session, project)
    ids = dict(session.exec(select(Requirement.hid, Requirement.id).where(Requirement.project_id == project.id)).all())
    if baseline is not None:
        rows = [{"hid": hid, "id": ids.get(hid), **data}
                for (kind, hid), data in baseline_state(session, baseline).items() if kind == "requirement"]
        source, name = "baseline", baseline.name
    else:
        names = ["id", "hid", "status", "version", *EDITABLE_FIELDS["requirement"]]
        statement = select(*(getattr(Requirement, name) for name in names)).where(
            Requirement.project_id == project.id, Requirement.status == "approved")
        rows = [dict(zip(names, row)) for row in session.exec(statement)]
        source, name = "approved", ""
    rows = [row for row in rows if row["id"] is not None]
    rows.sort(key=lambda row: hid_key(row["hid"]))
    return Scope(source, name, rows)
