"""The sample project's evidence: a baseline, the POC script issued to each vendor, their questionnaire
answers and probe results — so a new user of `reqtrace demo` sees every capability with data.

Each vendor has a demo session attended by the evaluator and the CRM lead (who scores too, so the
consensus view has two evaluators to compare): Keystone's and Nimbus's are over and submitted, with
disagreements and one agreed score; Atlas's is under way, its checklists partly filled: the lead has submitted
his, the evaluator is still scoring. Only submitted scores count, so Atlas's ranking rests on the lead's.

The vendors have different profiles: Atlas (offline-capable client) claims most things and passes the
offline probe; Keystone (on-premise) needs more configuration and customisation; Nimbus (browser only)
is strong on the web but cannot work without a connection, which knocks it out.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.formats.questionnaire_export import export_questionnaire
from reqtrace.model import PocScript, Project, QuestionnaireIssue, User, utcnow
from reqtrace.poc.scripts import build_version, issue_to_vendor, read_version
from reqtrace.probes.record import record_outcome
from reqtrace.probes.runner import Outcome
from reqtrace.services import checklists
from reqtrace.services.baselines import create_baseline
from reqtrace.services.responses import replace_answers
from reqtrace.services.scope import current_scope
from reqtrace.services.sessions import create_session
from reqtrace.services.vendors import list_vendors

BASELINE = "POC issue 1"
OFFLINE_TAGS = {"offline", "offline-edit", "no-telephony"}

# vendor -> (answers for must-haves, answers for the rest), each a list of (answer, share in 100).
PROFILES = {
    "atlas": ([("fully supported", 70), ("configuration", 30)],
              [("fully supported", 50), ("configuration", 30), ("customisation", 10), ("third party", 5),
               ("roadmap", 5)]),
    "keystone": ([("configuration", 55), ("fully supported", 45)],
                 [("configuration", 45), ("fully supported", 25), ("customisation", 20), ("roadmap", 10)]),
    "nimbus": ([("fully supported", 60), ("configuration", 40)],
               [("fully supported", 55), ("configuration", 25), ("roadmap", 10), ("not supported", 10)]),
}
COMMENTS = {"configuration": "Set up by an administrator in the settings screens; no code.",
            "customisation": "Needs a scripted extension, typically two to five days of work.",
            "third party": "Through a certified partner add-on, licensed separately.",
            "roadmap": "Planned for a release next year.",
            "not supported": "The product runs in the browser and needs a connection."}

PROBES = {  # vendor -> probe -> (passed, reason)
    "atlas": {"offline": (True, "the application kept its content through a reload and navigation with no "
                                "network"),
              "small-screen": (True, "no sideways scrolling and tap targets of at least 44 px on 3 page(s)")},
    "keystone": {"offline": (True, "the installed client kept working with the network cable pulled"),
                 "small-screen": (False, "/accounts scrolls sideways by 412 px; 17 tap targets smaller than 44 px")},
    "nimbus": {"offline": (False, "after a reload with no network the browser showed its own offline error "
                                  "instead of the application"),
               "small-screen": (True, "no sideways scrolling and tap targets of at least 44 px on 3 page(s)")},
}


def add_sample_evidence(session: Session, project: Project, *, actor: str) -> None:
    create_baseline(session, project, name=BASELINE, actor=actor, note="Issued to the three vendors for the POC.")
    script = build_version(session, project, actor=actor)
    requirements = current_scope(session, project).requirements
    for vendor in list_vendors(session, project):
        issue_to_vendor(session, project, script, vendor, actor=actor)
        export_questionnaire(session, project, vendor, io.BytesIO(), actor=actor)  # records the issue
        issue = session.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.vendor_id == vendor.id)
                             .order_by(QuestionnaireIssue.id.desc())).scalars().first()
        replace_answers(session, project, vendor, _answers(vendor.slug, requirements), actor=actor, issue=issue)
        for probe, (passed, reason) in PROBES.get(vendor.slug, {}).items():
            outcome = Outcome(probe, vendor.sandbox_url or f"https://sandbox.{vendor.slug}.example/", passed,
                              {"reason": reason, "sample": True})
            record_outcome(session, project, vendor, outcome, actor=actor)
    _sessions(session, project, script, {r["hid"]: set(r.get("tags") or ()) for r in requirements}, actor=actor)


# vendor -> (days ago, share of steps each attendee has scored, submitted). Atlas's demo is today, mid-way.
SESSIONS = {"keystone": (6, 1.0, True), "nimbus": (4, 1.0, True), "atlas": (0, 0.6, False)}
ATTENDEES = ("evaluator", "lead")
# Atlas's demo is under way: the lead scored the scenarios he watched and has submitted, so Atlas has counted
# demo scores (and the lead, no longer scoring, may see the ranking); the evaluator is still scoring.
EARLY_FINISHER = {"atlas": "lead"}
# vendor -> the score an evaluator tends to give (before a per-step, per-person variation of -1..+1).
TYPICAL_SCORE = {"atlas": 4, "keystone": 3, "nimbus": 4}
CONSENSUS_REASON = "Discussed after the demo: the workflow was shown, but only with the vendor's own data."


def _sessions(session: Session, project: Project, script: PocScript, tags: dict[str, set[str]], *,
              actor: str) -> None:
    """The sample demo sessions, scored through the same service the live checklist posts to."""
    people = [name for name in ATTENDEES if session.exec(select(User).where(User.username == name)).first()]
    if not people:  # a sample built without users has nobody to score
        return
    steps = [(step["hid"], list(step["requirements"])) for scenario in read_version(session, script)["scenarios"]
             for step in scenario["steps"]]
    for vendor in list_vendors(session, project):
        days_ago, share, submitted = SESSIONS[vendor.slug]
        # Atlas's demo began three hours ago (its ticks must not lie in the future); the others at 9:30.
        when = utcnow().replace(second=0, microsecond=0) - timedelta(hours=3) if not days_ago else \
            utcnow().replace(hour=9, minute=30, second=0, microsecond=0) - timedelta(days=days_ago)
        demo = create_session(session, project, vendor, script, actor=actor, title=f"{vendor.name} demonstration",
                              scheduled_for=when, attendees=people)
        for person_index, person in enumerate(people):
            finisher = EARLY_FINISHER.get(vendor.slug) == person  # scored every step shown so far
            done = steps[:max(1, round(len(steps) * share * (1 if person_index == 0 or finisher else 0.5)))] \
                if not submitted else steps
            ticks = [_tick(vendor.slug, person, hid, cited, tags, when + timedelta(minutes=number))
                     for number, (hid, cited) in enumerate(done)]
            checklists.record_ticks(session, project, demo, person, ticks, source="sample")
            if submitted or finisher:
                checklists.submit(session, project, demo, person)
        if vendor.slug == "keystone":
            view = checklists.consensus_view(session, project, demo)
            disputed = next((row for row in view["rows"] if row["disagree"] and row["requirements"]), None)
            if disputed is not None:
                agreed = min(value for value in disputed["scores"].values() if value is not None) + 1
                checklists.record_consensus(session, project, demo, requirement=disputed["requirements"][0],
                                            step=disputed["step"], score=agreed, reason=CONSENSUS_REASON,
                                            actor=actor)


def _tick(slug: str, person: str, step: str, cited: list[str], tags: dict[str, set[str]], when) -> dict:
    digest = int(hashlib.sha256(f"{slug}:{person}:{step}".encode()).hexdigest()[:8], 16)
    offline = any(tags.get(hid, set()) & OFFLINE_TAGS for hid in cited)
    if slug == "nimbus" and offline:
        return {"client_id": f"sample-{digest:08x}-{step}", "step": step, "verdict": "not shown", "score": 0,
                "note": "Showed the browser's offline page when the network was cut.", "recorded_at": when.isoformat()}
    # Keystone's evaluators see some steps very differently: the consensus view flags those.
    variation = (-2, 2)[digest % 2] if slug == "keystone" and digest % 13 == 0 else (0, 0, 0, 0, 0, 0, -1, 1)[digest % 8]
    score = max(0, min(5, TYPICAL_SCORE[slug] + variation))
    verdict = "demonstrated" if score >= 4 else "partly" if score >= 2 else "not shown"
    return {"client_id": f"sample-{digest:08x}-{step}", "step": step, "verdict": verdict, "score": score,
            "note": "", "recorded_at": when.isoformat()}


def _answers(slug: str, requirements: list[dict]) -> dict[str, dict]:
    musts, others = PROFILES[slug]
    answers = {}
    for requirement in requirements:
        tags = set(requirement.get("tags") or ())
        if slug == "nimbus" and tags & OFFLINE_TAGS:
            answer = "not supported"
        else:
            answer = _pick(musts if requirement.get("priority") == "must" else others, f"{slug}:{requirement['hid']}")
        answers[requirement["hid"]] = {"answer": answer, "comment": COMMENTS.get(answer, ""),
                                       "demonstration": "Shown live on our sandbox with your sample data."}
    return answers


def _pick(shares: list[tuple[str, int]], seed: str) -> str:
    """A deterministic choice by share: the same requirement always gets the same answer."""
    point = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % sum(share for _, share in shares)
    for answer, share in shares:
        if point < share:
            return answer
        point -= share
    return shares[-1][0]
