"""Vendors' questionnaire answers: stored all at once, replacing the vendor's previous set."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.bulk import bulk_insert
from reqtrace.model import Project, QuestionnaireIssue, Requirement, Vendor, VendorResponse, utcnow


def stored_answers(session: Session, vendor: Vendor) -> dict[str, str]:
    return {hid: answer for hid, (answer, _comment, _demo) in stored_responses(session, vendor).items()}


def stored_responses(session: Session, vendor: Vendor) -> dict[str, tuple[str, str, str]]:
    """Requirement ID -> (answer, comment, how it will be demonstrated)."""
    rows = session.exec(select(Requirement.hid, VendorResponse.answer, VendorResponse.comment,
                               VendorResponse.demonstration)
                        .join(Requirement, Requirement.id == VendorResponse.requirement_id)
                        .where(VendorResponse.vendor_id == vendor.id)).all()
    return {hid: (answer, comment, demonstration) for hid, answer, comment, demonstration in rows}


def replace_answers(session: Session, project: Project, vendor: Vendor, answers: dict[str, dict], *, actor: str,
                    issue: QuestionnaireIssue | None = None) -> None:
    """`answers`: requirement ID -> {"answer", "comment", "demonstration"}; the vendor's old ones go."""
    before = stored_answers(session, vendor)
    ids = dict(session.exec(select(Requirement.hid, Requirement.id).where(Requirement.project_id == project.id)).all())
    session.exec(delete(VendorResponse).where(VendorResponse.vendor_id == vendor.id))
    bulk_insert(session.connection(), VendorResponse.__table__, [
        {"requirement_id": ids[hid], "answer": row["answer"], "comment": row.get("comment", ""),
         "demonstration": row.get("demonstration", "")} for hid, row in answers.items() if hid in ids],
        {"project_id": project.id, "vendor_id": vendor.id, "issue_id": issue.id if issue else None,
         "imported_at": utcnow(), "imported_by": actor})
    audit.record(session, actor=actor, project_id=project.id, entity_type="responses", entity_id=vendor.slug,
                 action="import", before={"answers": before},
                 after={"answers": {hid: row["answer"] for hid, row in answers.items()},
                        "baseline": issue.baseline if issue else ""})
