"""Suspect links in detail: what changed above them since their review, and reviewing them.

A link is reviewed by the CRM lead or by the owner of the item it leads into
(`workflow.may_review`); reviewing an item's links reviews those the reviewer
may review and leaves the others suspect, saying whose they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import ITEM_MODELS, LINKS_DOWN, LINKS_UP, AuditEvent, Project, utcnow
from reqtrace.services.errors import NotFound, PermissionDenied
from reqtrace.services.items import find_item
from reqtrace.services.links import link_id
from reqtrace.trace.graph import hid_key
from reqtrace.workflow import may_review


@dataclass(frozen=True)
class LeftLink:
    """A suspect link the reviewer may not review: it leads into `to`, which `owner` owns."""

    id: str
    to: str
    owner: str | None

    @property
    def why(self) -> str:
        return who_reviews(self.to, self.owner)


@dataclass(frozen=True)
class ItemReview:
    """What reviewing an item's links did: the links reviewed, and the suspect ones left for someone else."""

    reviewed: list[str] = field(default_factory=list)
    left: list[LeftLink] = field(default_factory=list)


def who_reviews(downstream_hid: str, owner: str | None) -> str:
    """Who may review the links into an item, in words: "only lead, who owns PRC-29, or the CRM lead ..."."""
    if owner:
        return f"only {owner}, who owns {downstream_hid}, or the CRM lead may review links into it"
    return f"nobody owns {downstream_hid}, so only the CRM lead may review links into it"


def suspect_details(session: Session, project: Project) -> list[dict[str, Any]]:
    """Every suspect link with both ends and the upstream changes since it was reviewed (four queries)."""
    found: list[dict[str, Any]] = []
    for kind, spec in LINKS_UP.items():
        table = spec.model.__table__
        upper, lower = ITEM_MODELS[spec.upstream], ITEM_MODELS[kind]
        statement = (
            select(upper.hid, upper.title, lower.hid, lower.title, lower.owner, table.c.reviewed_at,
                   table.c.reviewed_by)
            .select_from(table)
            .join(upper, upper.id == getattr(table.c, spec.upstream_column))
            .join(lower, lower.id == getattr(table.c, spec.downstream_column))
            .where(table.c.project_id == project.id, table.c.reviewed_fingerprint != upper.fingerprint,
                   upper.status != "retired", lower.status != "retired"))
        for up_hid, up_title, down_hid, down_title, down_owner, reviewed_at, reviewed_by in session.exec(statement):
            found.append({"id": link_id(up_hid, down_hid), "from": {"kind": spec.upstream, "id": up_hid,
                                                                    "title": up_title},
                          "to": {"kind": kind, "id": down_hid, "title": down_title, "owner": down_owner},
                          "reviewed_at": reviewed_at, "reviewed_by": reviewed_by, "changes": []})
    if found:
        _attach_changes(session, project, found)
    return sorted(found, key=lambda link: (hid_key(link["from"]["id"]), hid_key(link["to"]["id"])))


def review_link(*, session: Session, project: Project, link: str, actor: str, role: str) -> bool:
    """Review one link "FROM->TO" as `actor` (whose role is `role`); returns whether it was suspect.

    Refused (PermissionDenied) unless `actor` may review links into TO: the CRM lead, or TO's owner.
    """
    try:
        up_hid, down_hid = (part.strip() for part in link.split("->"))
    except ValueError:
        up_hid = down_hid = ""
    if not (up_hid and down_hid):
        raise NotFound(f"{link!r} is not a link; write it as FROM->TO, e.g. STR-1->ROL-2")
    # What the link names is checked before who may review it: a refusal about an item's owner
    # would hide that the other end does not exist, or that the two could never be linked.
    down_kind, down_item = find_item(session, project, down_hid)
    up_kind, up_item = find_item(session, project, up_hid)
    up_hid, down_hid = up_item.hid, down_item.hid
    spec = LINKS_UP.get(down_kind)
    if spec is None or up_kind != spec.upstream:
        raise NotFound(f"{link_id(up_hid, down_hid)} is not a link: {_links_into(down_kind)}, "
                       f"and {up_hid} is a {up_kind}")
    table = spec.model.__table__
    where = and_(getattr(table.c, spec.upstream_column) == up_item.id,
                 getattr(table.c, spec.downstream_column) == down_item.id)
    row = session.exec(select(table.c.reviewed_fingerprint).where(where)).first()
    if row is None:
        raise NotFound(f"there is no link {link_id(up_hid, down_hid)} in project {project.key}")
    if not may_review(role, actor, down_item.owner):
        raise PermissionDenied(f"You may not review {link_id(up_hid, down_hid)}: "
                               f"{who_reviews(down_hid, down_item.owner)}.")
    if row[0] == up_item.fingerprint:
        return False
    session.exec(update(table).where(where).values(reviewed_fingerprint=up_item.fingerprint,
                                                   reviewed_at=utcnow(), reviewed_by=actor))
    audit.record(session, actor=actor, project_id=project.id, entity_type="link", entity_id=link_id(up_hid, down_hid),
                 action="review", before={"reviewed_fingerprint": row[0]},
                 after={"reviewed_fingerprint": up_item.fingerprint})
    return True


def review_links(*, session: Session, project: Project, hid: str, actor: str, role: str) -> ItemReview:
    """Review the suspect links into and out of an item that `actor` (whose role is `role`) may review.

    Each takes its upstream's current fingerprint. Suspect links into items
    someone else owns stay suspect and are returned as `left`. Refused
    (PermissionDenied, nothing written) when the item has suspect links and
    none of them is the actor's to review.
    """
    kind, item = find_item(session, project, hid)
    sides = []  # (link spec, suspect rows) for the links into the item, then those out of it
    if kind in LINKS_UP:
        sides.append((LINKS_UP[kind], _suspect_rows(session, LINKS_UP[kind], downstream_id=item.id)))
    if kind in LINKS_DOWN:
        sides.append((LINKS_DOWN[kind], _suspect_rows(session, LINKS_DOWN[kind], upstream_id=item.id)))
    mine = [(spec, [row for row in rows if may_review(role, actor, row.owner)]) for spec, rows in sides]
    left = [LeftLink(link_id(row.up_hid, row.down_hid), row.down_hid, row.owner)
            for _spec, rows in sides for row in rows if not may_review(role, actor, row.owner)]
    if left and not any(rows for _spec, rows in mine):
        raise PermissionDenied(f"You may review none of the suspect links into or out of {item.hid}: "
                               + "; ".join(f"{link.id}: {link.why}" for link in left) + ".")
    now = utcnow()
    reviewed: list[str] = []
    for spec, rows in mine:
        reviewed += _mark_reviewed(session, project, spec, rows, actor=actor, now=now)
    return ItemReview(reviewed=reviewed, left=left)


def _links_into(kind: str) -> str:
    """What may link into an item of `kind`, in words: "a requirement links only to the processes above it"."""
    spec = LINKS_UP.get(kind)
    if spec is None:
        return f"nothing links into a {kind}"
    return f"a {kind} links only to the {spec.label} above it"


def _attach_changes(session: Session, project: Project, links: list[dict[str, Any]]) -> None:
    """The field changes of each upstream item made after the link's last review."""
    since = min(link["reviewed_at"] for link in links)
    upstream = {link["from"]["id"] for link in links}
    events = session.exec(select(AuditEvent).where(
        AuditEvent.project_id == project.id, AuditEvent.entity_id.in_(upstream), AuditEvent.at >= since,
        AuditEvent.action.in_(["update"])).order_by(AuditEvent.at, AuditEvent.id)).scalars().all()
    for link in links:
        for event in events:
            if event.entity_id == link["from"]["id"] and _after(event.at, link["reviewed_at"]):
                for name, before, after in audit.diff(event.before, event.after):
                    if name not in ("version", "hid", "status", "owner"):
                        link["changes"].append({"at": event.at, "actor": event.actor, "field": name,
                                                "before": before, "after": after})


def _after(moment, reference) -> bool:
    # SQLite hands back naive datetimes for some drivers; compare both as naive UTC.
    strip = lambda value: value.replace(tzinfo=None) if value is not None and value.tzinfo else value  # noqa: E731
    return strip(moment) >= strip(reference)


def _suspect_rows(session: Session, spec, *, upstream_id: int | None = None, downstream_id: int | None = None):
    """The suspect links of one link table at one item, each with the owner of the item it leads into.

    As in the trace rules, a link with a retired item at either end is not suspect.
    """
    link = spec.model.__table__
    upper, lower = ITEM_MODELS[spec.upstream], ITEM_MODELS[spec.downstream]
    up_col, down_col = getattr(link.c, spec.upstream_column), getattr(link.c, spec.downstream_column)
    condition = up_col == upstream_id if upstream_id is not None else down_col == downstream_id
    rows = session.exec(
        select(up_col.label("up_id"), down_col.label("down_id"), upper.hid.label("up_hid"),
               lower.hid.label("down_hid"), lower.owner.label("owner"), upper.fingerprint.label("fingerprint"),
               link.c.reviewed_fingerprint.label("reviewed"))
        .select_from(link).join(upper, upper.id == up_col).join(lower, lower.id == down_col)
        .where(condition, link.c.reviewed_fingerprint != upper.fingerprint, upper.status != "retired",
               lower.status != "retired")).all()
    return sorted(rows, key=lambda row: (hid_key(row.up_hid), hid_key(row.down_hid)))


def _mark_reviewed(session: Session, project: Project, spec, rows, *, actor: str, now) -> list[str]:
    if not rows:
        return []
    link = spec.model.__table__
    up_col, down_col = getattr(link.c, spec.upstream_column), getattr(link.c, spec.downstream_column)
    session.exec(
        update(link).where(up_col == bindparam("up"), down_col == bindparam("down"))
        .values(reviewed_fingerprint=bindparam("fp"), reviewed_at=now, reviewed_by=actor),
        params=[{"up": row.up_id, "down": row.down_id, "fp": row.fingerprint} for row in rows])
    ids = [link_id(row.up_hid, row.down_hid) for row in rows]
    audit.record_all(session, [
        audit.event(actor=actor, project_id=project.id, entity_type="link", entity_id=entity_id, action="review",
                    before={"reviewed_fingerprint": row.reviewed}, after={"reviewed_fingerprint": row.fingerprint})
        for entity_id, row in zip(ids, rows)])
    return ids
