"""Trace links between the levels (reviewing them is in reqtrace.services.suspects)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import ITEM_MODELS, LINKS_DOWN, LINKS_UP, Item, Project, utcnow
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid
from reqtrace.services.items import check_hid


def link_id(upstream_hid: str, downstream_hid: str) -> str:
    return f"{upstream_hid}->{downstream_hid}"


def upstream_hids(session: Session, project: Project, kind: str, item: Item) -> list[str]:
    """IDs of the items directly above `item`, in ID order."""
    if kind not in LINKS_UP:
        return []
    spec = LINKS_UP[kind]
    link, upper = spec.model.__table__, ITEM_MODELS[spec.upstream]
    rows = session.exec(
        select(upper.hid).join(link, getattr(link.c, spec.upstream_column) == upper.id)
        .where(getattr(link.c, spec.downstream_column) == item.id).order_by(upper.seq, upper.hid))
    return [row[0] for row in rows]


def downstream_hids(session: Session, project: Project, kind: str, item: Item) -> list[str]:
    if kind not in LINKS_DOWN:
        return []
    spec = LINKS_DOWN[kind]
    link, lower = spec.model.__table__, ITEM_MODELS[spec.downstream]
    rows = session.exec(
        select(lower.hid).join(link, getattr(link.c, spec.downstream_column) == lower.id)
        .where(getattr(link.c, spec.upstream_column) == item.id).order_by(lower.seq, lower.hid))
    return [row[0] for row in rows]


def resolve_upstream(session: Session, project: Project, kind: str, hids: list[str],
                     linked: Iterable[str] = ()) -> tuple[dict[str, Item], list[Problem]]:
    """The items above `kind` named by `hids`, and a problem for each that does not exist.

    A retired item takes no new links: only one already `linked` may stay.
    """
    if kind not in LINKS_UP:
        return {}, ([Problem("links", "a strategy has nothing above it to link to")] if hids else [])
    spec = LINKS_UP[kind]
    upper_model = ITEM_MODELS[spec.upstream]
    wanted: dict[str, Item] = {}
    problems: list[Problem] = []
    cleaned: list[str] = []
    for raw in hids:
        try:
            cleaned.append(check_hid(spec.upstream, raw))
        except Invalid as error:
            problems.extend(Problem(spec.label, problem.message) for problem in error.problems)
    if cleaned:
        found = session.exec(select(upper_model).where(upper_model.project_id == project.id,
                                                       upper_model.hid.in_(cleaned))).scalars().all()
        by_hid = {target.hid: target for target in found}
        kept = set(linked)
        for hid in cleaned:
            if hid not in by_hid:
                problems.append(Problem(spec.label, f"there is no {spec.upstream} {hid} in project {project.key}"))
            elif by_hid[hid].status == "retired" and hid not in kept:
                problems.append(Problem(spec.label, f"{hid} is retired and takes no new links: choose an item in "
                                                    f"use, or ask the CRM lead to restore {hid}"))
            else:
                wanted[hid] = by_hid[hid]
    return wanted, problems


def set_upstream(*, session: Session, project: Project, kind: str, item: Item, hids: list[str],
                 actor: str) -> tuple[list[str], list[str]]:
    """Make the links up from `item` exactly `hids`; returns (added, removed) upstream IDs.

    A new link counts as reviewed by whoever makes it; links that stay keep
    their review state (and so stay suspect if they were).
    """
    if kind not in LINKS_UP:
        if hids:
            raise Invalid([Problem("links", "a strategy has nothing above it to link to")])
        return [], []
    spec = LINKS_UP[kind]
    upper_model = ITEM_MODELS[spec.upstream]
    current = set(upstream_hids(session, project, kind, item))
    wanted, problems = resolve_upstream(session, project, kind, hids, linked=current)
    if problems:
        raise Invalid(problems)
    added = [hid for hid in wanted if hid not in current]
    removed = sorted(current - set(wanted))
    link = spec.model.__table__
    now = utcnow()
    if added:
        session.exec(insert(link), params=[{
            spec.upstream_column: wanted[hid].id, spec.downstream_column: item.id, "project_id": project.id,
            "reviewed_fingerprint": wanted[hid].fingerprint, "reviewed_at": now, "reviewed_by": actor,
        } for hid in added])
    if removed:
        ids = session.exec(select(upper_model.id).where(upper_model.project_id == project.id,
                                                        upper_model.hid.in_(removed))).scalars().all()
        session.exec(delete(link).where(getattr(link.c, spec.downstream_column) == item.id,
                                        getattr(link.c, spec.upstream_column).in_(ids)))
    audit.record_all(session, [
        *(audit.event(actor=actor, project_id=project.id, entity_type="link", entity_id=link_id(hid, item.hid),
                      action="link", after={"from": hid, "to": item.hid}) for hid in added),
        *(audit.event(actor=actor, project_id=project.id, entity_type="link", entity_id=link_id(hid, item.hid),
                      action="unlink", before={"from": hid, "to": item.hid}) for hid in removed),
    ])
    return added, removed
