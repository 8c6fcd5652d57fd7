"""Gather what scoring needs from the database: the scope, the chain above it, vendors and evidence."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.model import (
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    PocScript,
    ProbeResult,
    Project,
    Requirement,
    Step,
    Vendor,
    VendorResponse,
)
from reqtrace.scoring.engine import (
    DemoEntry,
    Evidence,
    RequirementInput,
    Settings,
    VendorInput,
    VendorScore,
    score_vendors,
)
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
    graph = load_graph(session, project)
    links = closure(graph)
    _place_retired_requirements(graph, links, {row["hid"] for row in scope.requirements})
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


def _place_retired_requirements(graph, links, scored: set[str]) -> None:
    """A baselined requirement retired since is still scored: give it the chain above it as it now stands."""
    processes = graph.nodes["process"]
    for edge in graph.edges["process"]:
        hid = edge.downstream
        if hid in scored and hid not in links.requirement_processes and edge.upstream in processes \
                and processes[edge.upstream].active:
            links.requirement_processes.setdefault(f"retired:{hid}", set()).add(edge.upstream)
    for key in [key for key in links.requirement_processes if key.startswith("retired:")]:
        hid, above = key.split(":", 1)[1], links.requirement_processes.pop(key)
        links.requirement_processes[hid] = above
        links.requirement_roles[hid] = set().union(*(links.process_roles.get(p, set()) for p in above))
        links.requirement_strategies[hid] = set().union(*(links.process_strategies.get(p, set()) for p in above))


def score_project(session: Session, project: Project) -> tuple[ScoringInput, list[VendorScore]]:
    data = load_scoring_input(session, project)
    return data, score_vendors(data.requirements, data.vendors, data.evidence, settings=data.settings,
                               strategy_weights=data.strategy_weights)


def _demo(session: Session, project: Project, evidence: Evidence) -> None:
    """Each evaluator's latest entry per step over all of a vendor's sessions; the steps' citations."""
    rows = session.exec(
        select(Vendor.slug, ChecklistResult.evaluator, ChecklistResult.step, ChecklistResult.score,
               ChecklistResult.verdict, DemoSession.script_id)
        .join(DemoSession, DemoSession.id == ChecklistResult.session_id)
        .join(Vendor, Vendor.id == DemoSession.vendor_id)
        .where(DemoSession.project_id == project.id)
        .order_by(ChecklistResult.recorded_at, ChecklistResult.id)).all()
    latest: dict[tuple[str, str, str], tuple] = {}
    for slug, evaluator, step, score, verdict, script_id in rows:
        latest[(slug, evaluator, step)] = (score, verdict, script_id)  # later entries replace earlier ones
    citations = {(script_id, hid): tuple(requirements) for script_id, hid, requirements in session.exec(
        select(Step.script_id, Step.hid, Step.requirements).join(PocScript, PocScript.id == Step.script_id)
        .where(PocScript.project_id == project.id)).all()}
    for (slug, evaluator, step), (score, verdict, script_id) in latest.items():
        evidence.demo.append(DemoEntry(vendor=slug, evaluator=evaluator, step=step,
                                       requirements=citations.get((script_id, step), ()), score=score,
                                       verdict=verdict or ""))


def _consensus(session: Session, project: Project, evidence: Evidence) -> None:
    rows = session.exec(select(Vendor.slug, ConsensusScore.requirement, ConsensusScore.score)
                        .join(Vendor, Vendor.id == ConsensusScore.vendor_id)
                        .where(ConsensusScore.project_id == project.id)
                        .order_by(ConsensusScore.recorded_at, ConsensusScore.id)).all()
    for slug, requirement, score in rows:
        evidence.consensus[(slug, requirement)] = score  # the latest consensus counts


def _probes(session: Session, project: Project, evidence: Evidence) -> None:
    """The latest result of each probe on each requirement."""
    rows = session.exec(select(Vendor.slug, ProbeResult.probe, ProbeResult.passed, ProbeResult.requirements)
                        .join(Vendor, Vendor.id == ProbeResult.vendor_id)
                        .where(ProbeResult.project_id == project.id)
                        .order_by(ProbeResult.run_at, ProbeResult.id)).all()
    for slug, probe, passed, requirements in rows:
        for hid in requirements or ():
            evidence.probes.setdefault((slug, hid), {})[probe] = bool(passed)


def _claims(session: Session, project: Project) -> dict[tuple[str, str], str]:
    rows = session.exec(select(Vendor.slug, Requirement.hid, VendorResponse.answer)
                        .join(Vendor, Vendor.id == VendorResponse.vendor_id)
                        .join(Requirement, Requirement.id == VendorResponse.requirement_id)
                        .where(VendorResponse.project_id == project.id)).all()
    return {(slug, hid): answer for slug, hid, answer in rows}


EVIDENCE_SOURCES = [_demo, _consensus, _probes]
