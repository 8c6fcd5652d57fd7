"""The scoring model of DESIGN.md, as pure functions over plain data.

Every number can be reproduced by hand:

- weight wᵣ: the stored weight, else the priority's (must 5, should 3,
  could 1, won't 0); with strategy weights aₛ applied (k strategies, summing
  to 1), wᵣ × k × the largest aₛ above r. wᵣ = 0 counts nowhere.
- demo score D: per evaluator, the mean of their counted scores on the steps
  citing r; D is the mean of those means. "not shown" without a score counts
  0; other entries without a score are not assessed. A consensus score
  recorded by the lead replaces D. No counted score: not demonstrated.
- nᵣ = D/5 if demonstrated, else claim_factor × the claim's value if
  answered, else 0; any failed probe caps nᵣ at probe_cap.
- total T = 100 × Σ wᵣnᵣ / Σ wᵣ (0 when Σ wᵣ = 0), over any set of requirements.
- knock-outs: a must-have with round(nᵣ, 6) < threshold; a failed probe on a
  must-have; the vendor's deployment excluded by a must-have; a contract
  demanded before the proof of concept.
- rank: vendors not knocked out by T, then must-have subtotal (both
  descending), then slug; then the knocked-out vendors in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import reduce
from itertools import chain
from operator import add
from typing import Any, Iterable

from reqtrace.trace.graph import nogc
from reqtrace.vocab import CLAIM_VALUE

ROUND_FOR_KNOCKOUT = 6


@dataclass(frozen=True)
class Settings:
    claim_factor: float = 0.5
    knockout_threshold: float = 0.4
    probe_cap: float = 0.2

    @classmethod
    def from_project(cls, settings: dict[str, Any] | None) -> "Settings":
        scoring = (settings or {}).get("scoring") or {}
        values = {}
        for name in ("claim_factor", "knockout_threshold", "probe_cap"):
            if scoring.get(name) is None:
                continue
            try:
                value = float(scoring[name])
            except (TypeError, ValueError):
                value = math.nan
            if not 0.0 <= value <= 1.0:  # only a hand-edited database gets here: the services validate
                raise ValueError(f"the project's scoring setting {name} is {scoring[name]!r}, not a number from 0 "
                                 f"to 1: set it again with `reqtrace settings scoring`")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True)
class RequirementInput:
    hid: str
    title: str
    priority: str
    weight: float  # before strategy weights: stored, else the priority's default
    capability: str = "technology"
    excluded_deployments: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()  # the active strategies above it now, suspect links included
    roles: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VendorInput:
    slug: str
    name: str = ""
    deployment: str = ""
    flags: tuple[str, ...] = ()
    cost_5y: float | None = None


@dataclass(frozen=True)
class DemoEntry:
    """One evaluator's counted (latest) entry on one step of one vendor's demo."""

    vendor: str
    evaluator: str
    step: str
    requirements: tuple[str, ...]  # the requirement IDs the step cites
    score: float | None  # 0..5, or None
    verdict: str = ""  # demonstrated, partly, not shown


# A demo entry as a plain tuple, in DemoEntry's field order: DemoEntry(*row) is the same entry.
DemoRow = tuple[str, str, str, tuple[str, ...], "float | None", str]


@dataclass
class Evidence:
    demo: list[DemoEntry] = field(default_factory=list)
    # More counted entries, as DemoRow tuples, read after `demo`: what load_scoring_input fills, since at
    # stress size building 200,000 DemoEntry objects costs more than scoring them.
    demo_rows: list[DemoRow] = field(default_factory=list)
    consensus: dict[tuple[str, str], float] = field(default_factory=dict)  # (vendor, requirement) -> 0..5
    claims: dict[tuple[str, str], str] = field(default_factory=dict)  # (vendor, requirement) -> answer slug
    probes: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)  # -> {probe: passed (latest)}


@dataclass
class RequirementScore:
    hid: str
    weight: float
    n: float
    demonstrated: bool
    demo: float | None  # D, 0..5
    evaluator_means: dict[str, float]
    consensus: float | None
    claim: str | None
    claim_value: float | None
    failed_probes: list[str]
    basis: str  # "demo", "consensus", "claim", "probe cap" or "none": where nᵣ came from


@dataclass
class VendorScore:
    vendor: str
    name: str
    total: float
    must_subtotal: float
    knocked_out: bool
    knockout_reasons: list[str]
    rank: int = 0
    by_strategy: dict[str, float] = field(default_factory=dict)
    by_role: dict[str, float] = field(default_factory=dict)
    by_process: dict[str, float] = field(default_factory=dict)
    by_capability: dict[str, float] = field(default_factory=dict)
    by_priority: dict[str, float] = field(default_factory=dict)
    requirements: dict[str, RequirementScore] = field(default_factory=dict)
    cost_5y: float | None = None

    def as_dict(self, *, details: bool = False) -> dict[str, Any]:
        data = {"vendor": self.vendor, "name": self.name, "total": self.total, "rank": self.rank,
                "knocked_out": self.knocked_out, "knockout_reasons": self.knockout_reasons,
                "must_subtotal": self.must_subtotal, "by_strategy": self.by_strategy, "by_role": self.by_role,
                "by_process": self.by_process, "by_capability": self.by_capability,
                "by_priority": self.by_priority, "cost_5y": self.cost_5y,
                "value_for_money": (self.total / self.cost_5y) if self.cost_5y else None}
        if details:
            data["requirements"] = [score.__dict__ for score in self.requirements.values()]
        return data


def weights(requirements: Iterable[RequirementInput], strategy_weights: dict[str, float] | None = None
            ) -> dict[str, float]:
    """wᵣ per requirement, strategy weights applied (equal strategy weights change nothing)."""
    result = {}
    k = len(strategy_weights or {})
    for requirement in requirements:
        weight = requirement.weight
        if strategy_weights:
            above = [strategy_weights[s] for s in requirement.strategies if s in strategy_weights]
            if above:  # a requirement under no weighted strategy keeps its weight
                weight *= k * max(above)
        result[requirement.hid] = weight
    return result


def demo_scores(entries: Iterable[DemoEntry], rows: Iterable[DemoRow] = ()
                ) -> dict[tuple[str, str], dict[str, float]]:
    """(vendor, requirement) -> {evaluator: mean of that evaluator's counted scores}.

    `entries` and then `rows` (the same entries as DemoRow tuples); evaluators are listed in the order
    their first counted entry on the requirement comes.
    """
    as_rows = ((e.vendor, e.evaluator, e.step, e.requirements, e.score, e.verdict) for e in entries)
    sums: dict[tuple[str, str], dict[str, list[float]]] = {}  # (vendor, hid) -> evaluator -> [total, count]
    get = sums.get
    for vendor, evaluator, _step, requirements, score, verdict in chain(as_rows, rows):
        if score is not None:
            value = float(score)
        elif verdict == "not shown":
            value = 0.0
        else:
            continue  # not assessed
        for hid in requirements:
            key = (vendor, hid)
            by_evaluator = get(key)
            if by_evaluator is None:
                sums[key] = {evaluator: [0.0 + value, 1.0]}
                continue
            bucket = by_evaluator.get(evaluator)
            if bucket is None:
                by_evaluator[evaluator] = [0.0 + value, 1.0]
            else:
                bucket[0] += value
                bucket[1] += 1
    return {key: {evaluator: total / count for evaluator, (total, count) in by_evaluator.items()}
            for key, by_evaluator in sums.items()}


def requirement_score(vendor: str, requirement: RequirementInput, weight: float, means: dict[str, float] | None,
                      evidence: Evidence, settings: Settings) -> RequirementScore:
    """nᵣ and where it came from, for one vendor and requirement (`means`: its evaluator means, if any)."""
    means_of = {(vendor, requirement.hid): means} if means is not None else {}
    return _requirement_scores(vendor, [requirement], {requirement.hid: weight}, means_of, evidence,
                               settings)[requirement.hid]


def total(scores: Iterable[RequirementScore]) -> float:
    """T = 100 × Σ wᵣnᵣ / Σ wᵣ, 0 when Σ wᵣ = 0."""
    weighted = weight_sum = 0.0
    for score in scores:
        weighted += score.weight * score.n
        weight_sum += score.weight
    return 100.0 * weighted / weight_sum if weight_sum else 0.0


@nogc  # hundreds of thousands of scores and sums, none of them in a cycle
def score_vendors(requirements: list[RequirementInput], vendors: list[VendorInput], evidence: Evidence, *,
                  settings: Settings | None = None, strategy_weights: dict[str, float] | None = None
                  ) -> list[VendorScore]:
    """Score and rank every vendor; the list is in rank order."""
    settings = settings or Settings()
    weight_of = weights(requirements, strategy_weights)
    means_of = demo_scores(evidence.demo, evidence.demo_rows)
    counted = [r for r in requirements if weight_of[r.hid] > 0]  # weight 0 counts nowhere
    musts = [r for r in counted if r.priority == "must"]
    # Which requirements each total and roll-up sums over, and its Σ wᵣ, do not depend on the vendor.
    everything = _Sum(counted, range(len(counted)), weight_of)
    must_sum = _Sum(counted, [i for i, r in enumerate(counted) if r.priority == "must"], weight_of)
    rollups = {name: {group: _Sum(counted, members, weight_of) for group, members in _groups(counted, of).items()}
               for name, of in ROLLUPS}
    results = []
    for vendor in vendors:
        scores = _requirement_scores(vendor.slug, requirements, weight_of, means_of, evidence, settings)
        weighted = [score.weight * score.n for score in map(scores.__getitem__, (r.hid for r in counted))]
        result = VendorScore(
            vendor=vendor.slug, name=vendor.name or vendor.slug,
            total=everything.total(weighted), must_subtotal=must_sum.total(weighted),
            knocked_out=False, knockout_reasons=knockouts(vendor, musts, scores, settings),
            requirements=scores, cost_5y=vendor.cost_5y)
        result.knocked_out = bool(result.knockout_reasons)
        for name, groups in rollups.items():
            setattr(result, name, {group: sums.total(weighted) for group, sums in groups.items()})
        results.append(result)
    return rank(results)


ROLLUPS = (("by_strategy", lambda r: r.strategies), ("by_role", lambda r: r.roles),
           ("by_process", lambda r: r.processes), ("by_capability", lambda r: (r.capability,)),
           ("by_priority", lambda r: (r.priority,)))


class _Sum:
    """`total` over a fixed set of requirements (indices into the counted ones), summed in the same order."""

    __slots__ = ("members", "weight_sum")

    def __init__(self, counted: list[RequirementInput], members, weight_of: dict[str, float]):
        self.members = members
        self.weight_sum = reduce(add, (weight_of[counted[i].hid] for i in members), 0.0)

    def total(self, weighted: list[float]) -> float:
        """100 × Σ wᵣnᵣ / Σ wᵣ, given wᵣnᵣ per counted requirement: the very additions `total` makes."""
        if not self.weight_sum:
            return 0.0
        return 100.0 * reduce(add, map(weighted.__getitem__, self.members), 0.0) / self.weight_sum


def _groups(requirements: list[RequirementInput], groups) -> dict[str, list[int]]:
    """Group -> indices of its requirements, each requirement once per group, groups in order of first member."""
    members: dict[str, list[int]] = {}
    for index, requirement in enumerate(requirements):
        for group in dict.fromkeys(groups(requirement)):
            members.setdefault(group, []).append(index)
    return members


def _requirement_scores(vendor: str, requirements: list[RequirementInput], weight_of: dict[str, float],
                        means_of: dict[tuple[str, str], dict[str, float]], evidence: Evidence,
                        settings: Settings) -> dict[str, RequirementScore]:
    """`requirement_score` for every requirement of one vendor, with the lookups hoisted out of the loop."""
    consensus_of, claims_of, probes_of, means_get = (evidence.consensus.get, evidence.claims.get,
                                                     evidence.probes.get, means_of.get)
    claim_value_of = CLAIM_VALUE.get
    claim_factor, probe_cap = settings.claim_factor, settings.probe_cap
    scores = {}
    for requirement in requirements:
        hid = requirement.hid
        key = (vendor, hid)
        means = means_get(key)
        consensus = consensus_of(key)
        demo = None
        if means:
            demo = sum(means.values()) / len(means)
        if consensus is not None:
            demo = float(consensus)
        claim = claims_of(key)
        claim_value = claim_value_of(claim) if claim else None
        if demo is not None:
            n, basis = demo / 5.0, "consensus" if consensus is not None else "demo"
        elif claim_value is not None:
            n, basis = claim_factor * claim_value, "claim"
        else:
            n, basis = 0.0, "none"
        probes = probes_of(key)
        failed = sorted(name for name, passed in probes.items() if not passed) if probes else []
        if failed and n > probe_cap:
            n, basis = probe_cap, "probe cap"
        scores[hid] = RequirementScore(hid, weight_of[hid], n, demo is not None, demo, dict(means) if means else {},
                                       consensus, claim, claim_value, failed, basis)
    return scores


def knockouts(vendor: VendorInput, musts: list[RequirementInput], scores: dict[str, RequirementScore],
              settings: Settings) -> list[str]:
    reasons = []
    if "contract-before-poc" in vendor.flags:
        reasons.append("asked for a contract before the proof of concept")
    for requirement in musts:
        score = scores[requirement.hid]
        if vendor.deployment and vendor.deployment in requirement.excluded_deployments:
            reasons.append(f"{requirement.hid} (must) excludes the {vendor.deployment} deployment model: "
                           f"{requirement.title}")
        for probe in score.failed_probes:
            reasons.append(f"the {probe} probe failed on {requirement.hid} (must): {requirement.title}")
        if round(score.n, ROUND_FOR_KNOCKOUT) < settings.knockout_threshold:
            reasons.append(f"{requirement.hid} (must) scored {score.n:.2f}, below {settings.knockout_threshold:.2f}"
                           f" ({_basis(score)}): {requirement.title}")
    return reasons


ROUND_FOR_TIES = 9  # totals equal on paper can differ in the 15th digit; that is still a tie


def rank(results: list[VendorScore]) -> list[VendorScore]:
    order = sorted(results, key=lambda r: (r.knocked_out, -round(r.total, ROUND_FOR_TIES),
                                           -round(r.must_subtotal, ROUND_FOR_TIES), r.vendor))
    for position, result in enumerate(order, start=1):
        result.rank = position
    return order


def _basis(score: RequirementScore) -> str:
    if score.basis == "probe cap":
        return f"capped by the failed {', '.join(score.failed_probes)} probe"
    if score.basis in ("demo", "consensus"):
        return f"{'consensus' if score.basis == 'consensus' else 'demo'} score {score.demo:.2f} of 5"
    if score.basis == "claim":
        return f"not demonstrated; claimed {score.claim}"
    return "neither demonstrated nor answered"
