"""Decision checks: how far the ranking can be trusted, as pure functions over scored results.

- evaluator spread: per vendor and requirement, the largest minus the smallest
  evaluator mean; 2 or more is flagged for discussion;
- claims not backed: the vendor claimed "fully supported" or "configuration"
  but the demo score D is below 2;
- imbalance: the weighted standard deviation of nᵣ over the counted
  requirements, √(Σ wᵣ(nᵣ − n̄)² / Σ wᵣ) with n̄ = Σ wᵣnᵣ / Σ wᵣ: a vendor
  strong in some places and absent in others scores high here;
- rank stability: every weight multiplied by an independent U(0.8, 1.2) draw,
  `samples` times with a seeded generator; the share of runs each vendor ranks
  first (knock-outs do not depend on weights, so they stay out of first place);
- value for money: T per million of 5-year cost.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from operator import mul
from typing import Any

from reqtrace.scoring.engine import ROUND_FOR_TIES, RequirementInput, VendorScore

SPREAD_FLAG = 2.0
BACKED_BELOW = 2.0
BACKED_CLAIMS = ("fully supported", "configuration")
STABILITY_SAMPLES = 1000
STABILITY_SEED = 20261201
JITTER = (0.8, 1.2)


@dataclass
class Spread:
    vendor: str
    requirement: str
    spread: float
    evaluator_means: dict[str, float]
    consensus: float | None = None  # the score the lead recorded for it: the evaluators have talked it over


def evaluator_spread(results: list[VendorScore]) -> list[Spread]:
    """Requirements whose evaluators' means differ by SPREAD_FLAG or more, widest first, each with the consensus
    score recorded for it, if any (then it is settled, no longer one to discuss).

    The means hold submitted entries only (scoring.load), so a spread never reveals a sealed score."""
    flagged = []
    for result in results:
        for score in result.requirements.values():
            if len(score.evaluator_means) > 1 and score.weight > 0:
                spread = max(score.evaluator_means.values()) - min(score.evaluator_means.values())
                if spread >= SPREAD_FLAG:
                    flagged.append(Spread(result.vendor, score.hid, spread, dict(score.evaluator_means),
                                          score.consensus))
    return sorted(flagged, key=lambda s: (-s.spread, s.vendor, s.requirement))


def settled(spreads: list[dict[str, Any]]) -> int:
    """How many of the flagged spreads (as `decision_checks` lists them) a consensus score has settled."""
    return sum(1 for spread in spreads if spread["consensus"] is not None)


def claims_not_backed(results: list[VendorScore]) -> list[dict[str, Any]]:
    """Claimed fully supported or configuration, then demonstrated with D below 2."""
    found = []
    for result in results:
        for score in result.requirements.values():
            if score.weight > 0 and score.claim in BACKED_CLAIMS and score.demonstrated \
                    and score.demo is not None and score.demo < BACKED_BELOW:
                found.append({"vendor": result.vendor, "requirement": score.hid, "claim": score.claim,
                              "demo": score.demo})
    return sorted(found, key=lambda f: (f["vendor"], f["demo"], f["requirement"]))


def imbalance(result: VendorScore) -> float:
    counted = [score for score in result.requirements.values() if score.weight > 0]
    weight_sum = sum(score.weight for score in counted)
    if not weight_sum:
        return 0.0
    mean = sum(score.weight * score.n for score in counted) / weight_sum
    return math.sqrt(sum(score.weight * (score.n - mean) ** 2 for score in counted) / weight_sum)


def value_for_money(result: VendorScore) -> float | None:
    """T per million of 5-year cost; None without a cost."""
    millions = (result.cost_5y or 0) / 1_000_000
    return result.total / millions if millions > 0 else None  # a cost too small to divide by gives no value


def rank_stability(requirements: list[RequirementInput], results: list[VendorScore], *,
                   samples: int = STABILITY_SAMPLES, seed: int = STABILITY_SEED) -> dict[str, float]:
    """Share of `samples` weight perturbations in which each vendor ranks first; the same seed, the same answer."""
    if samples < 1:
        raise ValueError("rank stability needs at least one sample")
    counted = [r for r in requirements if results and results[0].requirements[r.hid].weight > 0]
    weights = [results[0].requirements[r.hid].weight for r in counted]
    musts = [index for index, r in enumerate(counted) if r.priority == "must"]
    contenders = [result for result in results if not result.knocked_out]
    wins = {result.vendor: 0 for result in results}
    if not contenders or not counted:
        return {vendor: 0.0 for vendor in wins}
    # nᵣ does not depend on the weights: precompute wᵣnᵣ per vendor, then each sample is a few dot products.
    weighted = {result.vendor: [w * result.requirements[r.hid].n for w, r in zip(weights, counted)]
                for result in contenders}
    generator = random.Random(seed)
    low, high = JITTER
    span = high - low
    draw = generator.random
    for _ in range(samples):
        factors = [low + span * draw() for _ in counted]
        weight_sum = sum(map(mul, weights, factors))
        totals = {vendor: sum(map(mul, values, factors)) / weight_sum for vendor, values in weighted.items()}
        best = max(round(value, ROUND_FOR_TIES) for value in totals.values())
        leaders = [vendor for vendor, value in totals.items() if round(value, ROUND_FOR_TIES) == best]
        if len(leaders) > 1:  # the documented tie-breaks: must-have subtotal, then slug
            must_sum = sum(weights[i] * factors[i] for i in musts) or 1.0
            leaders.sort(key=lambda vendor: (-round(sum(weighted[vendor][i] * factors[i] for i in musts) / must_sum,
                                                    ROUND_FOR_TIES), vendor))
        wins[leaders[0]] += 1
    return {vendor: count / samples for vendor, count in wins.items()}


def decision_checks(requirements: list[RequirementInput], results: list[VendorScore], *,
                    samples: int = STABILITY_SAMPLES, seed: int = STABILITY_SEED) -> dict[str, Any]:
    stability = rank_stability(requirements, results, samples=samples, seed=seed)
    return {
        "evaluator_spread": [spread.__dict__ for spread in evaluator_spread(results)],
        "claims_not_backed": claims_not_backed(results),
        "imbalance": {result.vendor: imbalance(result) for result in results},
        "rank_stability": {"samples": samples, "seed": seed, "jitter": list(JITTER), "first_place_share": stability},
        "value_for_money": {result.vendor: value_for_money(result) for result in results},
    }
