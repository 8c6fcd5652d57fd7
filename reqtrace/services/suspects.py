"""Suspect links in detail: what changed above them since their review, and reviewing one link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import ITEM_MODELS, LINKS_UP, AuditEvent, Project, utcnow
from reqtrace.services.errors import NotFound
from reqtrace.services.items import find_item
from reqtrace.services.links import link_id
from reqtrace.trace.graph import hid_key


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


def review_link(*, session: Session, project: Project, link: str, actor: str) -> bool:
    """Review one link "FROM->TO"; returns whether it was suspect."""
    try:
        up_hid, down_hid = (part.strip() for part in link.split("->"))
    except ValueError:
        raise NotFound(f"{link!r} is not a link; write it as FROM->TO, e.g. STR-1->ROL-2") from None
    down_kind, down_item = find_item(session, project, down_hid)
    spec = LINKS_UP.get(down_kind)
    if spec is None:
        raise NotFound(f"nothing links into strategy {down_hid}")
    upper = ITEM_MODELS[spec.upstream]
    table = spec.model.__table__
    up_item = session.exec(select(upper).where(upper.project_id == project.id, upper.hid == up_hid)).scalars().first()
    if up_item is None:
        raise NotFound(f"no {spec.upstream} {up_hid} in project {project.key}")
    where = and_(getattr(table.c, spec.upstream_column) == up_item.id,
                 getattr(table.c, spec.downstream_column) == down_item.id)
    row = session.exec(select(table.c.reviewed_fingerprint).where(where)).first()
    if row is None:
        raise NotFound(f"there is no link {link_id(up_hid, down_hid)} in project {project.key}")
    if row[0] == up_item.fingerprint:
        return False
    session.exec(update(table).where(where).values(reviewed_fingerprint=up_item.fingerprint,
                                                   reviewed_at=utcnow(), reviewed_by=actor))
    audit.record(session, actor=actor, project_id=project.id, entity_type="link", entity_id=link_id(up_hid, down_hid),
                 action="review", before={"reviewed_fingerprint": row[0]},
                 after={"reviewed_fingerprint": up_item.fingerprint})
    return True

