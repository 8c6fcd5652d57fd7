"""Vendor questionnaires: each issue of one to a vendor, and the answers that came back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from reqtrace.model.types import utcnow


class QuestionnaireIssue(SQLModel, table=True):
    """A questionnaire as sent: which requirements, in which wording (checksum), from which baseline."""

    __tablename__ = "questionnaire_issue"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    token: str = Field(max_length=40, unique=True, index=True)  # written into the workbook's hidden metadata
    baseline: str = Field(default="", max_length=80)  # "" when issued from the approved set
    checksum: str = Field(max_length=64)  # of the issued rows: ID and requirement text
    rows: int = 0
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str = Field(default="", max_length=80)


class VendorResponse(SQLModel, table=True):
    """A vendor's answer to one requirement (the latest import replaces all of that vendor's answers)."""

    __tablename__ = "vendor_response"
    __table_args__ = (UniqueConstraint("vendor_id", "requirement_id", name="uq_vendor_response"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    vendor_id: int = Field(sa_column=Column(Integer, ForeignKey("vendor.id", ondelete="CASCADE"), index=True,
                                            nullable=False))
    requirement_id: int = Field(foreign_key="requirement.id", index=True)
    issue_id: int | None = Field(default=None, foreign_key="questionnaire_issue.id")
    answer: str = Field(max_length=30)
    comment: str = ""
    demonstration: str = ""  # "how we will demonstrate it"
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str = Field(default="", max_length=80)
