"""Load a validated catalogue into a project: adds and updates items, never reviews a link.

Like a form and a workbook import, a catalogue gives no retired item a new link (links it already has stay),
and names as owners only people who may own items.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from reqtrace.catalog.reader import Catalog
from reqtrace.model import Project, User
from reqtrace.services.errors import Invalid
from reqtrace.services.users import owner_problem
from reqtrace.services.sync import (Desired, PlanOutdated, apply_plan, load_state, new_links_to_retired_items,
                                   plan_sync)
from reqtrace.words import first_named


def plan_catalog(session: Session, project: Project | None, catalog: Catalog, *, status: str | None = None):
    """What loading `catalog` would change; `status` None keeps existing items' statuses."""
    if not catalog.ok:
        raise Invalid([], "the catalogue has problems; nothing was loaded")
    desired = [Desired(kind=item.kind, hid=item.hid, fields=item.fields, upstream=item.upstream, status=status,
                       where={"file": item.file, "line": item.line, "item": item.hid})
               for item in catalog.items]
    state = load_state(session, project)
    plan = plan_sync(session, project, desired, default_status=status or "draft", state=state)
    for item, message in new_links_to_retired_items(plan, state):  # refused like any plan problem
        plan.errors.append({**item.where, "message": message})
    _check_owners(session, plan)
    return plan


def _check_owners(session: Session, plan) -> None:
    """An owner the catalogue sets (on a new item, or changed) may own items, as in the forms; one query."""
    wanted = [(item, item.values.get("owner")) for item in plan.items
              if item.values.get("owner") and (item.action == "add" or (
                  item.action == "change" and any(change.field == "owner" for change in item.changes)))]
    if not wanted:
        return
    accounts = {username: (role, active) for username, role, active in
                session.exec(select(User.username, User.role, User.active)
                             .where(User.username.in_({owner for _item, owner in wanted})).order_by(User.id)
                             .with_for_update(read=True)).all()}  # the owners named, held until saved (editing)
    for item, owner in wanted:
        problem = owner_problem(owner, accounts.get(owner))
        if problem:
            plan.errors.append({**item.where, "message": f"{problem}; add the account first "
                                                         f"(reqtrace user add NAME --role owner) or leave owner out"})


def load_catalog(session: Session, project: Project, catalog: Catalog, *, actor: str,
                 status: str | None = None) -> dict[str, Any]:
    """Apply the catalogue. Changed items keep their links, which turn suspect until reviewed."""
    plan = plan_catalog(session, project, catalog, status=status)
    try:
        summary = apply_plan(session, project, plan, actor=actor)
    except PlanOutdated as error:  # saved by someone else since planning: a refusal like any plan problem
        named = first_named(error.hids, 10)
        plan.errors.append({"file": None, "line": None, "item": error.hids[0],
                            "message": f"{named} changed while the catalogue was being loaded (someone saved it "
                                       f"meanwhile): nothing was loaded; load the catalogue again"})
        summary = plan.summary(applied=False)
    summary["warnings"] = [warning.as_dict() for warning in catalog.warnings] + summary["warnings"]
    return summary
