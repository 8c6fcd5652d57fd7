"""How far a change reaches into the proof of concept: the steps that cite the requirements below an item,
and the scores recorded on those steps, which a change would leave needing a re-score.

`trace.rules.impact` walks the chain (strategies → roles → processes → requirements); this module carries
on below the requirements, into the POC scripts and the demo sessions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace.model import ChecklistResult, DemoSession, PocScript, Project, Step, Vendor
from reqtrace.trace.graph import hid_key


def poc_impact(session: Session, project: Project, requirements: list[str]) -> dict[str, list[dict[str, Any]]]:
    """{"steps": the steps citing any of `requirements`, per script version; "scores": the entries recorded
    on those steps, per vendor session and step — each needs a re-score if the requirements change}."""
    affected = set(requirements)
    steps: list[dict[str, Any]] = []
    citing: dict[tuple[int, str], list[str]] = {}  # (script id, step) -> the affected requirements it cites
    for script_id, version, step, cited in session.exec(
            select(Step.script_id, PocScript.version, Step.hid, Step.requirements)
            .join(PocScript, PocScript.id == Step.script_id).where(PocScript.project_id == project.id)).all():
        hit = sorted(affected.intersection(cited or ()), key=hid_key)
        if hit:
            citing[(script_id, step)] = hit
            steps.append({"version": version, "step": step, "requirements": hit})
    steps.sort(key=lambda entry: (entry["version"], hid_key(entry["step"])))
    scores: list[dict[str, Any]] = []
    if citing:
        rows = session.exec(
            select(Vendor.slug, DemoSession.id, DemoSession.title, DemoSession.script_id, ChecklistResult.step,
                   func.count(ChecklistResult.id), func.count(func.distinct(ChecklistResult.evaluator)))
            .join(DemoSession, DemoSession.id == ChecklistResult.session_id)
            .join(Vendor, Vendor.id == DemoSession.vendor_id)
            .where(DemoSession.project_id == project.id, ChecklistResult.step.in_({step for _, step in citing}))
            .group_by(Vendor.slug, DemoSession.id, DemoSession.title, DemoSession.script_id,
                      ChecklistResult.step)).all()
        for slug, session_id, title, script_id, step, entries, evaluators in rows:
            hit = citing.get((script_id, step))
            if hit:
                scores.append({"vendor": slug, "session": session_id, "session_title": title, "step": step,
                               "requirements": hit, "entries": entries, "evaluators": evaluators,
                               "rescore_needed": True})
        scores.sort(key=lambda entry: (entry["vendor"], entry["session"], hid_key(entry["step"])))
    return {"steps": steps, "scores": scores}
