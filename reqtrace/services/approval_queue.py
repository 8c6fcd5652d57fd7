"""The approval queue: every item awaiting the CRM lead's approval, top-down, with what to look at first.

Per item: who proposed it and when (from the audit trail), when it last changed, the version to approve it
at, and the warnings the rest of the app already gives about it: items above it not approved (the item
page's warning on approving), and the trace findings of the gaps page (technology-driven, serving nothing,
unsupported, no sponsor or KPI, suspect links into it). Queries do not grow with the number of items.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from reqtrace.model import ITEM_MODELS, LEVELS, AuditEvent, Item, Project
from reqtrace.services.approvals import unapproved_above, unapproved_above_warning
from reqtrace.trace import check
from reqtrace.trace.load import load_graph
from reqtrace.trace.rules import TraceReport
from reqtrace.workflow import AWAITING_APPROVAL

# Items shown per level: approving the first ones (parents first) brings the next ones up.
QUEUE_LIMIT = 200


def approval_queue(session: Session, project: Project, *, level: str | None = None,
                   limit: int = QUEUE_LIMIT) -> dict[str, Any]:
    """{"levels": [{"level", "total", "items": [...]}], "total"}: one entry per level (or only `level`),
    strategies first; each level's items in ID order, at most `limit` of them."""
    shown: dict[str, list[Item]] = {}
    totals: dict[str, int] = {}
    for kind in LEVELS if level is None else [level]:
        model = ITEM_MODELS[kind]
        waiting = (model.project_id == project.id, model.status == AWAITING_APPROVAL)
        totals[kind] = session.exec(select(func.count(model.id)).where(*waiting)).scalar_one()
        shown[kind] = list(session.exec(select(model).where(*waiting).order_by(model.seq, model.hid).limit(limit))
                           .scalars()) if totals[kind] else []
    findings = _Findings(check(load_graph(session, project))) if any(totals.values()) else None
    above = unapproved_above(session, shown)
    levels = []
    for kind, items in shown.items():
        submitted = _submissions(session, project, kind, [item.hid for item in items])
        entries = [_entry(kind, item, submitted.get(item.hid), above.get((kind, item.id), []), findings)
                   for item in items]
        levels.append({"level": kind, "total": totals[kind], "items": entries})
    return {"levels": levels, "total": sum(totals.values())}


def _entry(kind: str, item: Item, submitted: tuple | None, above: list[tuple[str, str]],
           findings: "_Findings | None") -> dict[str, Any]:
    warnings = [unapproved_above_warning(item.hid, above)] if above else []
    waiting_above = [hid for hid, status in above if status == AWAITING_APPROVAL]
    if waiting_above:
        warnings[0] += f" {', '.join(waiting_above)} {'is' if len(waiting_above) == 1 else 'are'} in this queue too."
    warnings += findings.about(kind, item.hid) if findings is not None else []
    return {"id": item.hid, "title": item.title, "owner": item.owner, "version": item.version,
            "updated_at": item.updated_at, "submitted_at": submitted[0] if submitted else None,
            "submitted_by": submitted[1] if submitted else None,
            "above_not_approved": [{"id": hid, "status": status} for hid, status in above], "warnings": warnings}


class _Findings:
    """The gaps page's findings (one trace check of the project), indexed to be asked about each item."""

    def __init__(self, report: TraceReport):
        self.reasons = report.reasons
        self.without_sponsor = set(report.strategies_without_sponsor)
        self.without_kpi = set(report.strategies_without_kpi)
        self.orphans = {"role": set(report.roles_without_strategy), "process": set(report.processes_without_role),
                        "requirement": set(report.technology_driven)}
        self.suspect_into: dict[str, list[str]] = {}
        for link in report.suspect_links:
            self.suspect_into.setdefault(link.rsplit("->", 1)[1], []).append(link)

    def about(self, kind: str, hid: str) -> list[str]:
        found = []
        if kind == "strategy":
            if hid in self.reasons:
                found.append(f"Unsupported: {self.reasons[hid]}.")
            if hid in self.without_sponsor:
                found.append("No executive sponsor: nobody at the top owns it.")
            if hid in self.without_kpi:
                found.append("No KPI: it cannot be measured.")
        elif hid in self.orphans[kind]:
            found.append(ORPHAN[kind])
        suspect = self.suspect_into.get(hid, [])
        if suspect:
            found.append(f"Suspect link{'s' if len(suspect) > 1 else ''} into it: {', '.join(suspect)} "
                         "(the item above changed since the link was reviewed).")
        return found


# An item with nothing in use above it, as the gaps page calls it.
ORPHAN = {"role": "Serves no strategy.", "process": "No role runs it.",
          "requirement": "Technology-driven: it reaches no strategy."}


def _submissions(session: Session, project: Project, kind: str, hids: list[str]) -> dict[str, tuple]:
    """For each item, (when, who) of the change that last brought it to the queue: the Propose button, or a
    workbook or catalogue that set the status. One query over those items' events only."""
    if not hids:
        return {}
    after, before = AuditEvent.after["status"].as_string(), AuditEvent.before["status"].as_string()
    rows = session.exec(select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.actor).where(
        AuditEvent.project_id == project.id, AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(hids),
        after == AWAITING_APPROVAL, or_(before.is_(None), before != AWAITING_APPROVAL))
        .order_by(AuditEvent.at, AuditEvent.id))
    return {hid: (at, actor) for hid, at, actor in rows}  # the latest wins
