"""A probe's outcome as evidence: one result against every requirement tagged for that probe."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import ProbeResult, Project, Requirement, Vendor, utcnow
from reqtrace.model.types import slug_list_pattern
from reqtrace.probes.runner import Outcome


def tagged_requirements(session: Session, project: Project, tag: str) -> list[str]:
    """Active requirements carrying `tag` (a probe runs against those tagged with its name)."""
    rows = session.exec(select(Requirement.hid).where(
        Requirement.project_id == project.id, Requirement.status != "retired",
        type_coerce(Requirement.tags, Text).like(slug_list_pattern(tag), escape="\\")
    ).order_by(Requirement.seq)).scalars().all()
    return list(rows)


def record_outcome(session: Session, project: Project, vendor: Vendor, outcome: Outcome, *, actor: str,
                   requirements: list[str] | None = None) -> ProbeResult:
    cited = requirements if requirements is not None else tagged_requirements(session, project, outcome.probe)
    result = ProbeResult(project_id=project.id, vendor_id=vendor.id, probe=outcome.probe, url=outcome.url,
                         passed=outcome.passed, requirements=cited, details=outcome.details,
                         evidence=outcome.evidence, run_at=utcnow(), run_by=actor)
    session.add(result)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="probe", entity_id=vendor.slug,
                 action="run", after={"probe": outcome.probe, "passed": outcome.passed, "requirements": cited,
                                      "url": outcome.url})
    return result
