"""Reading vendors' questionnaire answers: one vendor's, a page at a time; every vendor's on one requirement.

Storing them is reqtrace.services.responses' (an import replaces all of a vendor's answers at once, so every
answer of a vendor carries the same import time and questionnaire issue). Titles and priorities shown are the
requirements' as they read now; what a vendor is expected to answer is the scoring scope: the latest
baseline's requirements (else the approved ones) with a weight above 0, exactly the rows its questionnaire holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from reqtrace.model import Project, QuestionnaireIssue, Requirement, Vendor, VendorResponse
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid
from reqtrace.services.scope import weighted_scope_ids
from reqtrace.vocab import ANSWER, PRIORITY, UnknownValue

MAX_PER_PAGE = 500
# A vendor that answered nothing leaves the whole scope unanswered (10,000 rows at stress size): the page names
# this many, says how many more, and the priority filter narrows them down.
UNANSWERED_SHOWN = 200


@dataclass(frozen=True)
class AnswerFilter:
    answer: str = ""  # one of the six answers' slugs, or "" for all
    priority: str = ""  # must, should, could, wont, or "" for all

    @classmethod
    def parse(cls, *, answer: str = "", priority: str = "") -> "AnswerFilter":
        """Through the vocabularies, synonyms included ("config", "Must have"); anything else is refused, so a
        mistyped link never shows an empty list as if the vendor had given no such answer."""
        problems = []
        values = {}
        for name, plural, text, vocabulary in (("answer", "answers", answer, ANSWER),
                                               ("priority", "priorities", priority, PRIORITY)):
            try:
                values[name] = vocabulary.parse(text) if text.strip() else ""
            except UnknownValue:
                problems.append(Problem(name, f"{text!r} is not one of the {plural} ({vocabulary.choices()})"))
        if problems:
            raise Invalid(problems)
        return cls(**values)

    def as_dict(self) -> dict[str, str]:
        return {name: value for name, value in (("answer", self.answer), ("priority", self.priority)) if value}


def vendor_answers(session: Session, project: Project, vendor: Vendor, answer_filter: AnswerFilter, *,
                   page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """One page of the vendor's stored answers (filtered), the count of each answer, where they were imported
    from, and the requirements of the scope the vendor has no answer to."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    # The priority filter narrows the whole page (the counts, the table, the unanswered); the answer filter only
    # the table, so the counts still say how the answers split.
    conditions = [VendorResponse.vendor_id == vendor.id]
    if answer_filter.priority:
        conditions.append(Requirement.priority == answer_filter.priority)
    stored = dict(session.exec(select(VendorResponse.answer, func.count())
                               .join(Requirement, Requirement.id == VendorResponse.requirement_id)
                               .where(*conditions).group_by(VendorResponse.answer)).all())
    counts = {slug: stored.pop(slug, 0) for slug in ANSWER.slugs}
    counts.update(stored)  # an answer no longer in the vocabulary still counts, under its own name
    if answer_filter.answer:
        conditions.append(VendorResponse.answer == answer_filter.answer)
    matching = select(func.count()).select_from(VendorResponse) \
        .join(Requirement, Requirement.id == VendorResponse.requirement_id).where(*conditions)
    total = session.exec(matching).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(page, pages))
    label, baseline, in_scope = weighted_scope_ids(session, project)
    rows = session.exec(
        select(Requirement.id, Requirement.hid, Requirement.title, Requirement.priority, Requirement.status,
               VendorResponse.answer, VendorResponse.comment, VendorResponse.demonstration)
        .join(Requirement, Requirement.id == VendorResponse.requirement_id).where(*conditions)
        .order_by(Requirement.seq, Requirement.hid).offset((page - 1) * per_page).limit(per_page)).all()
    unanswered, unanswered_total = _unanswered(session, project, vendor, in_scope, answer_filter.priority)
    return {
        "counts": counts, "answered": sum(counts.values()), "total": total, "page": page, "pages": pages,
        "per_page": per_page, "filter": answer_filter.as_dict(),
        "rows": [{"id": hid, "title": title, "priority": priority, "status": status, "answer": answer,
                  "comment": comment, "demonstration": demonstration, "in_scope": requirement_id in in_scope}
                 for requirement_id, hid, title, priority, status, answer, comment, demonstration in rows],
        "imports": _imports(session, vendor),
        "scope": {"label": label, "baseline": baseline, "requirements": len(in_scope)},
        "unanswered": unanswered, "unanswered_total": unanswered_total,
    }


def requirement_answers(session: Session, project: Project, requirement: Requirement) -> list[dict[str, Any]]:
    """Every vendor of the project with its answer to `requirement` (None when it gave none), by slug."""
    rows = session.exec(
        select(Vendor.slug, Vendor.name, VendorResponse.answer, VendorResponse.comment, VendorResponse.demonstration)
        .outerjoin(VendorResponse, and_(VendorResponse.vendor_id == Vendor.id,
                                        VendorResponse.requirement_id == requirement.id))
        .where(Vendor.project_id == project.id).order_by(Vendor.slug)).all()
    return [{"vendor": slug, "name": name, "answer": answer, "comment": comment or "",
             "demonstration": demonstration or ""} for slug, name, answer, comment, demonstration in rows]


def _unanswered(session: Session, project: Project, vendor: Vendor, in_scope: set[int],
                priority: str) -> tuple[list[dict[str, Any]], int]:
    """The first UNANSWERED_SHOWN of the scope's requirements without an answer from `vendor`, in ID order (they
    are scored as unanswered), and how many there are."""
    conditions = [Requirement.project_id == project.id,
                  ~select(VendorResponse.id).where(VendorResponse.vendor_id == vendor.id,
                                                   VendorResponse.requirement_id == Requirement.id).exists()]
    if priority:
        conditions.append(Requirement.priority == priority)
    shown, total = [], 0
    # The scope is a set of ids (an IN list of 10,000 would not do): the unanswered are kept when in it.
    for requirement_id, hid, title, priority_ in session.exec(
            select(Requirement.id, Requirement.hid, Requirement.title, Requirement.priority)
            .where(*conditions).order_by(Requirement.seq, Requirement.hid)):
        if requirement_id in in_scope:
            total += 1
            if len(shown) < UNANSWERED_SHOWN:
                shown.append({"id": hid, "title": title, "priority": priority_})
    return shown, total


def _imports(session: Session, vendor: Vendor) -> list[dict[str, Any]]:
    """When the vendor's answers were imported, by whom, from which questionnaire issue (one entry, as an import
    replaces them all; answers stored before issues were recorded have no issue)."""
    rows = session.exec(
        select(VendorResponse.imported_at, VendorResponse.imported_by, QuestionnaireIssue.issued_at,
               QuestionnaireIssue.issued_by, QuestionnaireIssue.baseline, func.count())
        .outerjoin(QuestionnaireIssue, QuestionnaireIssue.id == VendorResponse.issue_id)
        .where(VendorResponse.vendor_id == vendor.id)
        .group_by(VendorResponse.imported_at, VendorResponse.imported_by, QuestionnaireIssue.id,
                  QuestionnaireIssue.issued_at, QuestionnaireIssue.issued_by, QuestionnaireIssue.baseline)
        .order_by(VendorResponse.imported_at.desc())).all()
    return [{"imported_at": imported_at, "imported_by": imported_by, "answers": answers,
             "issue": {"issued_at": issued_at, "issued_by": issued_by, "baseline": baseline}
             if issued_at is not None else None}
            for imported_at, imported_by, issued_at, issued_by, baseline, answers in rows]
