"""The sample project's evidence: a baseline, the POC script issued to each vendor, their questionnaire
answers and probe results — so a new user of `reqtrace demo` sees every capability with data.

The vendors have different profiles: Atlas (offline-capable client) claims most things and passes the
offline probe; Keystone (on-premise) needs more configuration and customisation; Nimbus (browser only)
is strong on the web but cannot work without a connection, which knocks it out.
"""

from __future__ import annotations

import hashlib
import io

from sqlmodel import Session

from reqtrace.formats.questionnaire_export import export_questionnaire
from reqtrace.model import Project
from reqtrace.poc.scripts import build_version, issue_to_vendor
from reqtrace.probes.record import record_outcome
from reqtrace.probes.runner import Outcome
from reqtrace.services.baselines import create_baseline
from reqtrace.services.responses import replace_answers
from reqtrace.services.scope import current_scope
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
        from reqtrace.model import QuestionnaireIssue
        from sqlalchemy import select

        issue = session.exec(select(QuestionnaireIssue).where(QuestionnaireIssue.vendor_id == vendor.id)
                             .order_by(QuestionnaireIssue.id.desc())).scalars().first()
        replace_answers(session, project, vendor, _answers(vendor.slug, requirements), actor=actor, issue=issue)
        for probe, (passed, reason) in PROBES.get(vendor.slug, {}).items():
            outcome = Outcome(probe, vendor.sandbox_url or f"https://sandbox.{vendor.slug}.example/", passed,
                              {"reason": reason, "sample": True})
            record_outcome(session, project, vendor, outcome, actor=actor)


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
