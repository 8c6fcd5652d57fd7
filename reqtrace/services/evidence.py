"""Everything behind one vendor's score on one requirement: the demo entries, the consensus, the answer, the
probes and the photos — what the drill-down shows, so a number can be traced to who saw what.

Entries from evaluators who have not yet submitted their session are pending: they do not count in any score
until submission, and nobody but their author sees their value before it. The drill-down lists them apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.model import (
    Attachment,
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    PocScript,
    ProbeResult,
    Project,
    Requirement,
    ScriptIssue,
    SessionAttendee,
    Step,
    Vendor,
    VendorResponse,
)
from reqtrace.model.poc import LIVE_SESSION
from reqtrace.services.checklists import corrected_ids


def sealed_evaluators(session: Session, project: Project) -> set[tuple[str, str]]:
    """(vendor slug, evaluator) pairs still scoring: they attend a session of that vendor they have not
    submitted. Those entries are sealed and do not count yet; what they submitted elsewhere counts."""
    rows = session.exec(select(Vendor.slug, SessionAttendee.username)
                        .join(DemoSession, DemoSession.id == SessionAttendee.session_id)
                        .join(Vendor, Vendor.id == DemoSession.vendor_id)
                        .where(DemoSession.project_id == project.id, SessionAttendee.submitted_at.is_(None))).all()
    return {(slug, username) for slug, username in rows}


def evidence_warnings(session: Session, project: Project, graph, counted: list[str]) -> dict[str, Any]:
    """What the ranking and the report say before any number: who is still scoring, how many scores may be out
    of date, and which `counted` requirements some vendor was never asked to demonstrate."""
    return {"still_scoring": still_scoring(session, project),
            "rescore_needed": rescore_counts(session, project, graph),
            "never_scripted": never_scripted(session, project, counted)}


def still_scoring(session: Session, project: Project) -> dict[str, list[str]]:
    """Vendor slug -> the attendees of its sessions who have not submitted, whose entries do not count yet."""
    found: dict[str, list[str]] = {}
    for slug, evaluator in sorted(sealed_evaluators(session, project)):
        found.setdefault(slug, []).append(evaluator)
    return found


def rescore_counts(session: Session, project: Project, graph=None) -> dict[str, int]:
    """Vendor slug -> how many steps it was scored on cite something changed since the script was issued: those
    scores may be out of date (the POC scripts page lists every such step; one nobody scored yet needs the
    script issued again, not a re-score)."""
    from reqtrace.poc.scripts import rescore_needed  # poc builds on services: imported here, not at the top

    flagged = rescore_needed(session, project, graph)
    if not flagged:  # the usual case: no need to look through every entry of the project
        return {}
    scored = set(session.exec(
        select(Vendor.slug, ChecklistResult.step).distinct()
        .join(DemoSession, DemoSession.id == ChecklistResult.session_id).join(Vendor, Vendor.id == DemoSession.vendor_id)
        .where(DemoSession.project_id == project.id)).all())
    counts: dict[str, int] = {}
    for entry in flagged:
        if (entry["vendor"], entry["step"]) in scored:
            counts[entry["vendor"]] = counts.get(entry["vendor"], 0) + 1
    return counts


def never_scripted(session: Session, project: Project, counted: list[str]) -> dict[str, list[str]]:
    """Of the `counted` requirements, those some vendor was never asked to demonstrate: no step of any script
    issued to that vendor cites them (a baseline frozen after the scripts went out, say); {hid: [vendors]}.
    Vendors with no script issued yet are left out: nothing was asked of them at all."""
    cited: dict[str, set[str]] = {}  # vendor -> requirements cited by the scripts issued to it
    for slug, requirements in session.exec(
            select(Vendor.slug, Step.requirements).join(ScriptIssue, ScriptIssue.script_id == Step.script_id)
            .join(Vendor, Vendor.id == ScriptIssue.vendor_id).where(ScriptIssue.project_id == project.id)):
        cited.setdefault(slug, set()).update(requirements or ())
    missing = {hid: [slug for slug in sorted(cited) if hid not in cited[slug]] for hid in counted}
    return {hid: vendors for hid, vendors in missing.items() if vendors}


def requirement_evidence(session: Session, project: Project, vendor: Vendor, hid: str, *, viewer: str
                         ) -> dict[str, Any]:
    demos = {demo.id: demo for demo in session.exec(select(DemoSession).where(
        DemoSession.vendor_id == vendor.id, DemoSession.project_id == project.id,
        LIVE_SESSION)).scalars()}
    citing: dict[tuple[int, str], list[str]] = {}  # (script id, step) -> requirements, for steps citing hid
    scripts = {demo.script_id for demo in demos.values()}
    if scripts:
        for script_id, step, requirements in session.exec(select(Step.script_id, Step.hid, Step.requirements)
                                                          .where(Step.script_id.in_(scripts))).all():
            if hid in (requirements or ()):
                citing[(script_id, step)] = list(requirements)
    submitted = {(row.session_id, row.username): row.submitted_at is not None for row in session.exec(
        select(SessionAttendee).where(SessionAttendee.session_id.in_(list(demos) or [0]))).scalars()}
    versions = dict(session.exec(select(PocScript.id, PocScript.version).where(
        PocScript.project_id == project.id)).all())
    latest: dict[tuple[str, str, bool], ChecklistResult] = {}  # (evaluator, step, counted) -> entry
    rows = session.exec(select(ChecklistResult).where(ChecklistResult.session_id.in_(list(demos) or [0]))
                        .order_by(ChecklistResult.recorded_at, ChecklistResult.id)).scalars().all()
    replaced = corrected_ids(rows)
    for row in rows:
        if row.id not in replaced and (demos[row.session_id].script_id, row.step) in citing:
            counted = submitted.get((row.session_id, row.evaluator), True)  # an attendee's count once submitted
            latest[(row.evaluator, row.step, counted)] = row  # each evaluator's latest entry per step counts
    entries = []
    for (evaluator, step, counted), row in sorted(latest.items(), key=lambda item: (item[0][0], item[0][1],
                                                                                    not item[0][2])):
        sealed = not counted and evaluator != viewer
        demo = demos[row.session_id]
        entries.append({"evaluator": evaluator, "step": step, "session": demo.id, "session_title": demo.title,
                        "script_version": versions.get(demo.script_id), "sealed": sealed, "counted": counted,
                        "score": None if sealed else row.score, "verdict": "" if sealed else row.verdict,
                        "note": "" if sealed else row.note, "recorded_at": row.recorded_at, "source": row.source,
                        "corrects": row.corrects})
    photos = [{"id": photo.id, "step": photo.step, "evaluator": photo.evaluator, "filename": photo.filename}
              for photo in session.exec(select(Attachment).where(Attachment.session_id.in_(list(demos) or [0])))
              .scalars()
              if (demos[photo.session_id].script_id, photo.step) in citing
              and (photo.evaluator == viewer or submitted.get((photo.session_id, photo.evaluator), False))]
    consensus = [{"score": row.score, "reason": row.reason, "step": row.step, "by": row.recorded_by,
                  "at": row.recorded_at} for row in session.exec(
        select(ConsensusScore).where(ConsensusScore.vendor_id == vendor.id, ConsensusScore.requirement == hid)
        .order_by(ConsensusScore.recorded_at, ConsensusScore.id)).scalars()]
    requirement = session.exec(select(Requirement).where(Requirement.project_id == project.id,
                                                         Requirement.hid == hid)).scalars().first()
    answer = None
    if requirement is not None:
        response = session.exec(select(VendorResponse).where(VendorResponse.vendor_id == vendor.id,
                                                             VendorResponse.requirement_id == requirement.id)
                                ).scalars().first()
        if response is not None:
            answer = {"answer": response.answer, "comment": response.comment,
                      "demonstration": response.demonstration}
    probes = [{"id": row.id, "probe": row.probe, "passed": row.passed, "url": row.url, "run_at": row.run_at,
               "reason": (row.details or {}).get("reason", ""), "evidence": list(row.evidence or [])}
              for row in session.exec(select(ProbeResult).where(ProbeResult.vendor_id == vendor.id)
                                      .order_by(ProbeResult.run_at.desc(), ProbeResult.id.desc())).scalars()
              if hid in (row.requirements or ())]
    return {"entries": entries, "sealed": sum(1 for entry in entries if entry["sealed"]),
            "pending": sum(1 for entry in entries if not entry["counted"]), "photos": photos,
            "consensus": consensus, "answer": answer, "probes": probes,
            "steps": sorted({step for (_, step) in citing})}
