"""Approving several items at once, all or none, and the warning that an item sits below unapproved ones.

Each approval is the item page's own: `set_status` with the version the lead saw, so audit events, versions
and fingerprints (hence suspect links) come out exactly as if the items were approved one by one. What this
module adds is the check of the whole selection before anything is written: an item someone withdrew,
edited or approved since the lead loaded the page refuses the lot, naming the item and what happened to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from reqtrace.model import ITEM_MODELS, LEVELS, LINKS_UP, AuditEvent, Item, Project, User
from reqtrace.model.types import like_literal
from reqtrace.services.errors import PermissionDenied, SelectionRefused, VersionConflict
from reqtrace.services.items import kind_of_hid, set_status
from reqtrace.services.projects import describe
from reqtrace.trace.graph import hid_key
from reqtrace.workflow import APPROVED, AWAITING_APPROVAL, may_transition, role_may


@dataclass
class Approved:
    """What a bulk approval did: the items approved, top-down, and the warnings the item page would give."""

    items: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def approve_items(*, session: Session, project: Project, versions: dict[str, int | None], actor: str,
                  actor_role: str) -> Approved:
    """Approve every item in `versions` (ID -> the version the lead saw), or none of them.

    Refused as a whole (SelectionRefused) when any item is unknown, no longer awaiting approval, or at
    another version than the one shown. A save that slips in between this check and the write is caught
    by the version check in the UPDATE itself: SelectionRefused too, and the caller rolls back the
    approvals already flushed, so still none of them stands.
    """
    if not role_may(actor_role, "approve"):
        raise PermissionDenied("Your role may not approve items: the CRM lead does.")
    found = _load(session, project, list(versions))
    reasons: dict[str, str] = {}
    stale: list[tuple[str, Item]] = []
    for hid in sorted(versions, key=lambda hid: _order(found.get(hid), hid)):
        expected = versions[hid]
        if hid not in found:
            reasons[hid] = f"is not an item of project {project.key}"
            continue
        kind, item = found[hid]
        if expected is None:
            reasons[hid] = "came without the version the page showed: reload the page and select it again"
        elif item.version != expected:
            stale.append((kind, item))
            reasons[hid] = (f"changed since the page was loaded (version {expected} then, {item.version} now, "
                            f"{item.status})")
        elif item.status != AWAITING_APPROVAL:
            reasons[hid] = f"is {item.status}, not {AWAITING_APPROVAL} for approval"
        elif not may_transition(actor_role, actor, item.owner, item.status, APPROVED):
            reasons[hid] = "may not be approved by you"
    if reasons:
        for hid, what in _last_changes(session, project, stale).items():
            reasons[hid] += f": {what}"
        raise SelectionRefused(reasons)
    ordered = sorted(found.values(), key=lambda pair: _order(pair, pair[1].hid))
    for kind, item in ordered:
        try:
            set_status(session=session, project=project, kind=kind, item=item, status=APPROVED, actor=actor,
                       expected_version=versions[item.hid])
        except VersionConflict as conflict:
            now = conflict.current
            raise SelectionRefused({conflict.hid: f"was changed by someone else while the selection was being "
                                                  f"approved (now version {now.get('version')}, "
                                                  f"{now.get('status')})"}) from None
    approved: dict[str, list[Item]] = {}
    for kind, item in ordered:
        approved.setdefault(kind, []).append(item)
    above = unapproved_above(session, approved)
    return Approved(items=[item.hid for _kind, item in ordered],
                    warnings=[unapproved_above_warning(item.hid, above[kind, item.id])
                              for kind, item in ordered if above.get((kind, item.id))])


def unapproved_above(session: Session, items: dict[str, list[Item]]) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """For each item, keyed by (level, database id), the items directly above it that are not approved:
    (ID, status), retired ones included. One query per level, whatever the number of items."""
    result: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for kind, level_items in items.items():
        if kind not in LINKS_UP or not level_items:
            continue
        spec = LINKS_UP[kind]
        table, upper = spec.model.__table__, ITEM_MODELS[spec.upstream]
        down_column = getattr(table.c, spec.downstream_column)
        rows = session.exec(select(down_column, upper.hid, upper.status).select_from(table)
                            .join(upper, upper.id == getattr(table.c, spec.upstream_column))
                            .where(down_column.in_([item.id for item in level_items]), upper.status != APPROVED))
        for item_id, hid, status in rows:
            result.setdefault((kind, item_id), []).append((hid, status))
    for above in result.values():
        above.sort(key=lambda pair: hid_key(pair[0]))
    return result


def unapproved_above_warning(hid: str, above: list[tuple[str, str]]) -> str:
    """What approving `hid` under the items `above` (ID, status), none of them approved, leads to."""
    ids = ", ".join(above_hid for above_hid, _status in above)
    state = "retired" if all(status == "retired" for _hid, status in above) else "not approved yet"
    one = len(above) == 1
    return (f"{ids}, above {hid}, {'is' if one else 'are'} {state}: a baseline leaves out what is not approved, "
            f"so {hid} would arrive there without {'it' if one else 'them'}.")


def _load(session: Session, project: Project, hids: list[str]) -> dict[str, tuple[str, Item]]:
    """The items named, one query per level. An ID with a level's prefix is that level's; a custom ID (from a
    foreign workbook) is looked up from requirements upwards, as `find_item` does."""
    found: dict[str, tuple[str, Item]] = {}
    for kind in reversed(LEVELS):
        wanted = [hid for hid in hids if kind_of_hid(hid) in (kind, None) and hid not in found]
        if not wanted:
            continue
        model = ITEM_MODELS[kind]
        for item in session.exec(select(model).where(model.project_id == project.id, model.hid.in_(wanted))).scalars():
            found[item.hid] = (kind, item)
    return found


def _order(pair: tuple[str, Item] | None, hid: str) -> tuple:
    """Top-down: strategies first, so parents are approved (and listed) before their children."""
    level = LEVELS.index(pair[0]) if pair is not None else len(LEVELS)
    return (level, pair[1].seq if pair is not None else 0, hid_key(hid))


def _last_changes(session: Session, project: Project, stale: list[tuple[str, Item]]) -> dict[str, str]:
    """For each item changed since the page was loaded, its latest change in words ("owner withdrew REQ-4").

    Relinking an item bumps its version with only link events ("PRC-2->REQ-4") to show for it: those count.
    Only refused selections come here, naming a few items: one query for all of them.
    """
    if not stale:
        return {}
    own = [and_(AuditEvent.entity_type == kind, AuditEvent.entity_id == item.hid) for kind, item in stale]
    links = [and_(AuditEvent.entity_type == "link",
                  AuditEvent.entity_id.like(f"%->{like_literal(item.hid)}", escape="\\")) for _kind, item in stale]
    latest: dict[str, AuditEvent] = {}
    for event in session.exec(select(AuditEvent).where(AuditEvent.project_id == project.id, or_(*own, *links))
                              .order_by(AuditEvent.at, AuditEvent.id)).scalars():
        latest[event.entity_id.rsplit("->", 1)[-1]] = event
    actors = sorted({event.actor for event in latest.values()})
    roles = dict(session.exec(select(User.username, User.role).where(User.username.in_(actors))).all())
    return {item.hid: f"{event.actor} {describe(event, actor_role=roles.get(event.actor))}"
            for _kind, item in stale if (event := latest.get(item.hid)) is not None}
