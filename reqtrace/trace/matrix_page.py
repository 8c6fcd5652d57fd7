"""One page of the trace matrix, filtered and paginated in SQL.

`trace_matrix` builds the whole matrix from a `TraceGraph`; a page of 50 rows
out of 10,000 should not pay for that. Here the filters and the page are
resolved in SQL and only the page's links are fetched: six statements,
whatever the project's size. Rows mean exactly what `trace_matrix` rows mean
(the tests compare the two).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Text, and_, func, or_, select, type_coerce
from sqlmodel import Session

from reqtrace.model import (
    Process,
    ProcessRequirement,
    Project,
    Requirement,
    Role,
    RoleProcess,
    Strategy,
    StrategyRole,
)
from reqtrace.model.types import slug_list_pattern
from reqtrace.trace.graph import hid_key

MAX_PER_PAGE = 500


@dataclass
class MatrixFilter:
    strategy: str = ""
    priority: str = ""
    capability: str = ""
    tag: str = ""
    status: str = ""  # empty: every status but retired
    text: str = ""
    trace: str = ""  # "", "technology-driven" or "suspect"

    @classmethod
    def from_args(cls, args) -> "MatrixFilter":
        return cls(**{f.name: (args.get(f.name) or "").strip() for f in fields(cls)})

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _strategy_reach(project_id: int, strategy_hid: str | None = None):
    """Requirement ids that reach an active strategy (or the named one) through active items."""
    statement = (
        select(ProcessRequirement.requirement_id)
        .join(Process, and_(Process.id == ProcessRequirement.process_id, Process.status != "retired"))
        .join(RoleProcess, RoleProcess.process_id == Process.id)
        .join(Role, and_(Role.id == RoleProcess.role_id, Role.status != "retired"))
        .join(StrategyRole, StrategyRole.role_id == Role.id)
        .join(Strategy, and_(Strategy.id == StrategyRole.strategy_id, Strategy.status != "retired"))
        .where(ProcessRequirement.project_id == project_id)
    )
    if strategy_hid:
        statement = statement.where(Strategy.hid == strategy_hid)
    return statement


def _conditions(project: Project, matrix_filter: MatrixFilter) -> list:
    conditions = [Requirement.project_id == project.id]
    if matrix_filter.status:
        conditions.append(Requirement.status == matrix_filter.status)
    else:
        conditions.append(Requirement.status != "retired")
    if matrix_filter.priority:
        conditions.append(Requirement.priority == matrix_filter.priority)
    if matrix_filter.capability:
        conditions.append(Requirement.capability == matrix_filter.capability)
    if matrix_filter.tag:
        # Compare the stored ",a,b," text: the column's list type would split the pattern into characters.
        conditions.append(type_coerce(Requirement.tags, Text).like(slug_list_pattern(matrix_filter.tag.lower()),
                                                                   escape="\\"))
    if matrix_filter.text:
        conditions.append(or_(Requirement.title.icontains(matrix_filter.text, autoescape=True),
                              Requirement.hid.icontains(matrix_filter.text, autoescape=True)))
    if matrix_filter.strategy:
        conditions.append(Requirement.id.in_(_strategy_reach(project.id, matrix_filter.strategy)))
    if matrix_filter.trace == "technology-driven":
        conditions.append(Requirement.id.not_in(_strategy_reach(project.id)))
    return conditions


def matrix_page(session: Session, project: Project, matrix_filter: MatrixFilter, *, page: int = 1,
                per_page: int = 50) -> dict[str, Any]:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions = _conditions(project, matrix_filter)
    if matrix_filter.trace == "suspect":
        # Suspicion needs the whole chain; filter after computing it (rare, small).
        return _suspect_page(session, project, conditions, page=page, per_page=per_page)
    total = session.exec(select(func.count(Requirement.id)).where(*conditions)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(page, pages))
    rows = session.exec(
        select(Requirement.id, Requirement.hid, Requirement.title, Requirement.status, Requirement.priority,
               Requirement.capability, Requirement.tags)
        .where(*conditions).order_by(Requirement.seq, Requirement.hid)
        .offset((page - 1) * per_page).limit(per_page)).all()
    return {"rows": _with_links(session, rows), "total": total, "page": page, "pages": pages,
            "per_page": per_page, "filter": matrix_filter.as_dict()}


def _suspect_page(session: Session, project: Project, conditions: list, *, page: int, per_page: int):
    rows = session.exec(
        select(Requirement.id, Requirement.hid, Requirement.title, Requirement.status, Requirement.priority,
               Requirement.capability, Requirement.tags)
        .where(*conditions).order_by(Requirement.seq, Requirement.hid)).all()
    matching = [row for row in _with_links(session, rows) if row["suspect"]]
    total = len(matching)
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(page, pages))
    return {"rows": matching[(page - 1) * per_page: page * per_page], "total": total, "page": page,
            "pages": pages, "per_page": per_page, "filter": {"trace": "suspect"}}


def _with_links(session: Session, rows) -> list[dict[str, Any]]:
    """Attach processes, roles, strategies and the suspect flag to requirement rows (three statements)."""
    requirement_ids = [row[0] for row in rows]
    process_links = session.exec(
        select(ProcessRequirement.requirement_id, Process.id, Process.hid,
               ProcessRequirement.reviewed_fingerprint != Process.fingerprint)
        .join(Process, and_(Process.id == ProcessRequirement.process_id, Process.status != "retired"))
        .where(ProcessRequirement.requirement_id.in_(requirement_ids))).all() if requirement_ids else []
    process_ids = {row[1] for row in process_links}
    role_links = session.exec(
        select(RoleProcess.process_id, Role.id, Role.hid, RoleProcess.reviewed_fingerprint != Role.fingerprint)
        .join(Role, and_(Role.id == RoleProcess.role_id, Role.status != "retired"))
        .where(RoleProcess.process_id.in_(process_ids))).all() if process_ids else []
    role_ids = {row[1] for row in role_links}
    strategy_links = session.exec(
        select(StrategyRole.role_id, Strategy.hid, StrategyRole.reviewed_fingerprint != Strategy.fingerprint)
        .join(Strategy, and_(Strategy.id == StrategyRole.strategy_id, Strategy.status != "retired"))
        .where(StrategyRole.role_id.in_(role_ids))).all() if role_ids else []

    role_strategies: dict[int, set[str]] = {}
    role_suspect: dict[int, bool] = {}
    for role_id, strategy_hid, suspect in strategy_links:
        role_strategies.setdefault(role_id, set()).add(strategy_hid)
        role_suspect[role_id] = role_suspect.get(role_id, False) or bool(suspect)
    process_roles: dict[int, set[str]] = {}
    process_strategies: dict[int, set[str]] = {}
    process_suspect: dict[int, bool] = {}
    for process_id, role_id, role_hid, suspect in role_links:
        process_roles.setdefault(process_id, set()).add(role_hid)
        process_strategies.setdefault(process_id, set()).update(role_strategies.get(role_id, ()))
        process_suspect[process_id] = process_suspect.get(process_id, False) or bool(suspect) or \
            role_suspect.get(role_id, False)
    by_requirement: dict[int, list] = {}
    for requirement_id, process_id, process_hid, suspect in process_links:
        by_requirement.setdefault(requirement_id, []).append((process_id, process_hid, bool(suspect)))

    result = []
    for requirement_id, hid, title, status, priority, capability, tags in rows:
        links = by_requirement.get(requirement_id, [])
        processes = {process_hid for _id, process_hid, _s in links}
        roles = set().union(*(process_roles.get(process_id, set()) for process_id, _h, _s in links))
        strategies = set().union(*(process_strategies.get(process_id, set()) for process_id, _h, _s in links))
        suspect = any(s or process_suspect.get(process_id, False) for process_id, _h, s in links)
        result.append({
            "id": hid, "title": title, "status": status, "priority": priority, "capability": capability,
            "tags": tags, "processes": sorted(processes, key=hid_key), "roles": sorted(roles, key=hid_key),
            "strategies": sorted(strategies, key=hid_key), "technology_driven": not strategies,
            "suspect": suspect,
        })
    return result
