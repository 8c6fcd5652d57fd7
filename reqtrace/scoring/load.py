"""Gather what scoring needs from the database: the scope, the chain above it, vendors and evidence."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.model import Project, Requirement, Vendor, VendorResponse
from reqtrace.scoring.engine import Evidence, RequirementInput, Settings, VendorInput, VendorScore, score_vendors
from reqtrace.services.scope import Scope, current_scope, effective_weight
from reqtrace.services.vendors import list_vendors
from reqtrace.trace.graph import hid_key
from reqtrace.trace.load import load_graph
from reqtrace.trace.rules import closure


@dataclass
class ScoringInput:
    scope: Scope
    requirements: list[RequirementInput]
    vendors: list[VendorInput]
    evidence: Evidence
    settings: Settings
    strategy_weights: dict[str, float] | None


def load_scoring_input(session: Session, project: Project) -> ScoringInput:
    scope = current_scope(session, project)
    links = closure(load_graph(session, project))
    ordered = lambda ids: tuple(sorted(ids, key=hid_key))  # noqa: E731
    requirements = [RequirementInput(
        hid=row["hid"], title=row.get("title", ""), priority=row.get("priority") or "should",
        weight=effective_weight(row), capability=row.get("capability") or "technology",
        excluded_deployments=tuple(row.get("excluded_deployments") or ()),
        strategies=ordered(links.requirement_strategies.get(row["hid"], ())),
        roles=ordered(links.requirement_roles.get(row["hid"], ())),
        processes=ordered(links.requirement_processes.get(row["hid"], ()))) for row in scope.requirements]
    vendors = [VendorInput(slug=v.slug, name=v.name, deployment=v.deployment, flags=tuple(v.flags or ()),
                           cost_5y=v.cost_5y) for v in list_vendors(session, project)]
    evidence = Evidence(claims=_claims(session, project))
    for gather in EVIDENCE_SOURCES:
        gather(session, project, evidence)
    weights = (project.settings or {}).get("strategy_weights") or None
    return ScoringInput(scope, requirements, vendors, evidence, Settings.from_project(project.settings), weights)


def score_project(session: Session, project: Project) -> tuple[ScoringInput, list[VendorScore]]:
    data = load_scoring_input(session, project)
    return data, score_vendors(data.requirements, data.vendors, data.evidence, settings=data.settings,
                               strategy_weights=data.strategy_weights)


def _claims(session: Session, project: Project) -> dict[tuple[str, str], str]:
    rows = session.exec(select(Vendor.slug, Requirement.hid, VendorResponse.answer)
                        .join(Vendor, Vendor.id == VendorResponse.vendor_id)
                        .join(Requirement, Requirement.id == VendorResponse.requirement_id)
                        .where(VendorResponse.project_id == project.id)).all()
    return {(slug, hid): answer for slug, hid, answer in rows}


# Other capabilities (demo checklists, probes) register functions that add their evidence.
EVIDENCE_SOURCES: list = []
