"""Gather what scoring needs from the database: the scope, the chain above it, vendors and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from reqtrace.model import (
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    PocScript,
    ProbeResult,
    Project,
    Requirement,
    SessionAttendee,
    Step,
    Vendor,
    VendorResponse,
)
from reqtrace.scoring.engine import (
    Evidence,
    RequirementInput,
    RequirementScore,
    Settings,
    VendorInput,
    VendorScore,
    demo_scores,
    requirement_score,
    score_vendors,
    weights,
)
from reqtrace.schemas import Problem
from reqtrace.services.errors import Invalid
from reqtrace.services.scope import Scope, current_scope, effective_weight
from reqtrace.services.vendors import list_vendors
from reqtrace.trace.graph import TraceGraph, hid_key, nogc
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
    graph: TraceGraph | None = None  # the chain it was scored on, for pages and reports that show it



@nogc  # a million rows and hundreds of thousands of small containers, none of them in a cycle
def load_scoring_input(session: Session, project: Project) -> ScoringInput:
    scope = current_scope(session, project)
    graph = load_graph(session, project)
    links = closure(graph)
    _place_retired_requirements(graph, links, {row["hid"] for row in scope.requirements})
    keys: dict[str, tuple] = {}  # hid_key of each ID above, worked out once: thousands of requirements share them

    def sort_key(hid: str) -> tuple:
        key = keys.get(hid)
        if key is None:
            key = keys[hid] = hid_key(hid)
        return key

    ordered = lambda ids: tuple(sorted(ids, key=sort_key))  # noqa: E731
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
    try:
        settings = Settings.from_project(project.settings)
    except ValueError as error:
        raise Invalid([Problem("scoring", str(error))]) from None
    return ScoringInput(scope, requirements, vendors, evidence, settings, weights, graph)


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


def score_one(data: ScoringInput, vendor: str, hid: str,
              strategy_weights: dict[str, float] | None = None) -> RequirementScore | None:
    """One vendor's score on one requirement, as `score_vendors` gives it, without scoring everything else.

    None when the requirement is not scored. nᵣ depends only on this vendor's evidence on r, and wᵣ only
    on r and the strategy weights, so a drill-down need not score every vendor to show one number.
    """
    requirement = next((r for r in data.requirements if r.hid == hid), None)
    if requirement is None:
        return None
    evidence = data.evidence
    means = demo_scores([entry for entry in evidence.demo if entry.vendor == vendor and hid in entry.requirements],
                        [row for row in evidence.demo_rows if row[0] == vendor and hid in row[3]]).get((vendor, hid))
    return requirement_score(vendor, requirement, weights([requirement], strategy_weights)[hid], means, evidence,
                             data.settings)


def _demo(session: Session, project: Project, evidence: Evidence) -> None:
    """Each evaluator's latest entry per step over all of a vendor's sessions they have submitted; the citations.

    A correction replaces the entry it corrects, whatever the clocks say: an entry some correction names
    does not count, even when the correction's recorded_at is earlier (a device with its clock behind).
    At stress size this reads a million entries, so it works on plain Core rows: the database sorts them
    (by when they were recorded, then id), and a dict built from (vendor, evaluator, step) keys keeps the
    latest row of each key in the place of its first: the order the entries came in.
    """
    connection = _connection(session)
    slugs = dict(connection.execute(
        select(DemoSession.vendor_id, Vendor.slug).join(Vendor, Vendor.id == DemoSession.vendor_id)
        .where(DemoSession.project_id == project.id)).all())
    correction, corrected_session = aliased(ChecklistResult), aliased(DemoSession)
    corrected = (select(correction.corrects).join(corrected_session, corrected_session.id == correction.session_id)
                 .where(corrected_session.project_id == project.id, correction.corrects.is_not(None)))
    statement = (
        select(DemoSession.vendor_id, ChecklistResult.evaluator, ChecklistResult.step, ChecklistResult.score,
               ChecklistResult.verdict, DemoSession.script_id)
        .join(DemoSession, DemoSession.id == ChecklistResult.session_id)
        .where(DemoSession.project_id == project.id, ChecklistResult.id.not_in(corrected))
        .order_by(ChecklistResult.recorded_at, ChecklistResult.id))
    pending = _pending_entries(project)
    if connection.execute(pending.limit(1)).first() is not None:  # usually none: no cost when all have submitted
        statement = statement.where(ChecklistResult.id.not_in(pending))
    rows = connection.execute(statement).all()
    if len(set(slugs.values())) == len(slugs):
        key = itemgetter(0, 1, 2)  # one vendor per slug: the vendor's id stands for its slug
    else:  # sessions of vendors of other projects that share a slug: one key per slug
        key = lambda row: (slugs.get(row[0]), row[1], row[2])  # noqa: E731
    latest = dict(zip(map(key, rows), rows))  # later entries replace earlier ones, in the first one's place
    citations = {(script_id, hid): tuple(requirements) for script_id, hid, requirements in connection.execute(
        select(Step.script_id, Step.hid, Step.requirements).join(PocScript, PocScript.id == Step.script_id)
        .where(PocScript.project_id == project.id))}
    cited = citations.get
    append = evidence.demo_rows.append
    for vendor_id, evaluator, step, score, verdict, script_id in latest.values():
        slug = slugs.get(vendor_id)
        if slug is not None:
            append((slug, evaluator, step, cited((script_id, step), ()), score, verdict or ""))


def _pending_entries(project: Project):
    """The ids of entries whose evaluator has not yet submitted that session: sealed, and not counted until then.

    Counting them would put a sealed score on the ranking pages (a requirement's D is one evaluator's score
    when only they scored it), and it would make numbers nobody else may check by hand.
    """
    return (select(ChecklistResult.id)
            .join(SessionAttendee, (SessionAttendee.session_id == ChecklistResult.session_id)
                  & (SessionAttendee.username == ChecklistResult.evaluator))
            .join(DemoSession, DemoSession.id == ChecklistResult.session_id)
            .where(DemoSession.project_id == project.id, SessionAttendee.submitted_at.is_(None)))


def _connection(session: Session):
    """The session's connection, for plain Core rows (lighter than ORM rows), after the flush the ORM would make."""
    if session.autoflush:
        session.flush()
    return session.connection()


def _consensus(session: Session, project: Project, evidence: Evidence) -> None:
    rows = _connection(session).execute(
        select(Vendor.slug, ConsensusScore.requirement, ConsensusScore.score)
        .join(Vendor, Vendor.id == ConsensusScore.vendor_id)
        .where(ConsensusScore.project_id == project.id)
        .order_by(ConsensusScore.recorded_at, ConsensusScore.id))
    for slug, requirement, score in rows:
        evidence.consensus[(slug, requirement)] = score  # the latest consensus counts


def _probes(session: Session, project: Project, evidence: Evidence) -> None:
    """The latest result of each probe on each requirement."""
    rows = _connection(session).execute(
        select(Vendor.slug, ProbeResult.probe, ProbeResult.passed, ProbeResult.requirements)
        .join(Vendor, Vendor.id == ProbeResult.vendor_id)
        .where(ProbeResult.project_id == project.id)
        .order_by(ProbeResult.run_at, ProbeResult.id))
    for slug, probe, passed, requirements in rows:
        for hid in requirements or ():
            evidence.probes.setdefault((slug, hid), {})[probe] = bool(passed)


def _claims(session: Session, project: Project) -> dict[tuple[str, str], str]:
    rows = _connection(session).execute(
        select(Vendor.slug, Requirement.hid, VendorResponse.answer)
        .join(Vendor, Vendor.id == VendorResponse.vendor_id)
        .join(Requirement, Requirement.id == VendorResponse.requirement_id)
        .where(VendorResponse.project_id == project.id))
    return {(slug, hid): answer for slug, hid, answer in rows}


EVIDENCE_SOURCES = [_demo, _consensus, _probes]
