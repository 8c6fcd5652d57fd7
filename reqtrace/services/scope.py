"""What vendors are asked and scored on: the latest baseline's requirements, else the approved ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from reqtrace.model import BaselineItem, Project, Requirement
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
        return scope_label(self.baseline)


def scope_label(baseline: str) -> str:
    return f"baseline {baseline}" if baseline else "the approved requirements (no baseline yet)"


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


def weighted_scope_ids(session: Session, project: Project) -> tuple[str, str, set[int]]:
    """(label, baseline name, database ids) of the requirements vendors are scored on: `current_scope`'s with a
    weight above 0, chosen in SQL without reading their texts (for pages that only need what is in scope)."""
    baseline = latest_baseline(session, project)
    if baseline is None:
        statement = select(Requirement.id).where(*_approved_and_weighted(project))
        return scope_label(""), "", set(session.exec(statement).scalars())
    frozen = BaselineItem.data
    statement = select(Requirement.id).join(BaselineItem, and_(
        BaselineItem.baseline_id == baseline.id, BaselineItem.kind == "requirement",
        BaselineItem.hid == Requirement.hid)).where(
        Requirement.project_id == project.id,
        _weighted(frozen["weight"].as_float(), frozen["priority"].as_string()))
    return scope_label(baseline.name), baseline.name, set(session.exec(statement).scalars())


def approved_weighted_hids(session: Session, project: Project) -> set[str]:
    """The IDs of the requirements approved now that carry weight (the scope when there is no baseline)."""
    return set(session.exec(select(Requirement.hid).where(*_approved_and_weighted(project))).scalars())


def _approved_and_weighted(project: Project) -> tuple:
    return (Requirement.project_id == project.id, Requirement.status == "approved",
            _weighted(Requirement.weight, Requirement.priority))


def _weighted(weight, priority):
    """`effective_weight(...) > 0` as SQL: the stored weight when there is one, else the priority's default."""
    weightless = [name for name, default in PRIORITY_WEIGHT.items() if default <= 0]
    by_priority = or_(priority.is_(None), priority == "", priority.notin_(weightless)) \
        if PRIORITY_WEIGHT["should"] > 0 else priority.notin_(weightless)
    return or_(and_(weight.isnot(None), weight > 0), and_(weight.is_(None), by_priority))
