"""An item's place in the chain: the items directly above and below it, and the strategies it serves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlmodel import Session

from reqtrace.model import (
    ITEM_MODELS,
    LINKS_DOWN,
    LINKS_UP,
    Item,
    Process,
    ProcessRequirement,
    Role,
    RoleProcess,
    Strategy,
    StrategyRole,
)
from reqtrace.trace.graph import hid_key


def neighbours(session: Session, kind: str, item: Item) -> dict[str, Any]:
    """{"up": [...], "down": [...], "strategies": [...]}; each link row names the item at its other end
    (id, title, status, owner) and says whether the link is suspect.

    As in the trace rules (and the review, reqtrace.services.suspects), a link with a retired item at either
    end is not suspect: nothing below a retired item needs reviewing against it.
    """
    result: dict[str, Any] = {"up": [], "down": [], "strategies": []}
    retired = item.status == "retired"
    if kind in LINKS_UP:
        result["up"] = _links(session, LINKS_UP[kind], this_side="down", item_id=item.id, retired=retired)
    if kind in LINKS_DOWN:
        result["down"] = _links(session, LINKS_DOWN[kind], this_side="up", item_id=item.id, retired=retired)
    result["strategies"] = strategies_above(session, kind, item)
    return result


def _links(session: Session, spec, *, this_side: str, item_id: int, retired: bool) -> list[dict[str, Any]]:
    table = spec.model.__table__
    up_col, down_col = getattr(table.c, spec.upstream_column), getattr(table.c, spec.downstream_column)
    if this_side == "down":  # the item is below: list the items above it
        other = upper = ITEM_MODELS[spec.upstream]
        mine, theirs = down_col, up_col
    else:  # the item is above: list the items below it; the fingerprint is the item's own
        other, upper = ITEM_MODELS[spec.downstream], ITEM_MODELS[spec.upstream]
        mine, theirs = up_col, down_col
    statement = select(other.hid, other.title, other.status, other.owner, table.c.reviewed_fingerprint,
                       upper.fingerprint, table.c.reviewed_at, table.c.reviewed_by
                       ).select_from(table).join(other, other.id == theirs)
    if upper is not other:
        statement = statement.join(upper, upper.id == up_col)
    statement = statement.where(mine == item_id)
    rows = [{"id": hid, "title": title, "status": status, "owner": owner,
             "suspect": reviewed != current and status != "retired" and not retired, "reviewed_at": reviewed_at,
             "reviewed_by": reviewed_by}
            for hid, title, status, owner, reviewed, current, reviewed_at, reviewed_by in session.exec(statement)]
    return sorted(rows, key=lambda row: hid_key(row["id"]))


def strategies_above(session: Session, kind: str, item: Item) -> list[dict[str, Any]]:
    """The active strategies an item serves, through active roles and processes (one query)."""
    if kind == "strategy":
        return []
    statement = select(Strategy.hid, Strategy.title).distinct().select_from(StrategyRole) \
        .join(Strategy, and_(Strategy.id == StrategyRole.strategy_id, Strategy.status != "retired"))
    if kind == "role":
        statement = statement.where(StrategyRole.role_id == item.id)
    else:
        statement = statement.join(RoleProcess, RoleProcess.role_id == StrategyRole.role_id) \
            .join(Role, and_(Role.id == RoleProcess.role_id, Role.status != "retired"))
        if kind == "process":
            statement = statement.where(RoleProcess.process_id == item.id)
        else:
            statement = statement.join(ProcessRequirement, ProcessRequirement.process_id == RoleProcess.process_id) \
                .join(Process, and_(Process.id == ProcessRequirement.process_id, Process.status != "retired")) \
                .where(ProcessRequirement.requirement_id == item.id)
    rows = [{"id": hid, "title": title} for hid, title in session.exec(statement)]
    return sorted(rows, key=lambda row: hid_key(row["id"]))
