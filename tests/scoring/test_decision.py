"""Decision checks (DESIGN.md "Decision checks"), each against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reqtrace.scoring.decision import (
    claims_not_backed,
    decision_checks,
    evaluator_spread,
    imbalance,
    rank_stability,
    value_for_money,
)
from reqtrace.scoring.engine import Evidence, score_vendors
from tests.scoring.inputs import entry, evidence, requirement, score_one, vendor


def test_evaluator_spread_flags_two_or_more_and_reports_the_means():
    reqs = [requirement("REQ-1"), requirement("REQ-2", "should")]
    found = evidence(demo=[
        entry("ana", "S1", "REQ-1", 5), entry("ben", "S1", "REQ-1", 3),  # spread 2: flagged
        entry("ana", "S2", "REQ-2", 4), entry("ben", "S2", "REQ-2", 3),  # spread 1: not
    ])
    (flag,) = evaluator_spread([score_one(reqs, found)])
    assert (flag.requirement, flag.spread, flag.evaluator_means) == ("REQ-1", 2.0, {"ana": 5.0, "ben": 3.0})


def test_a_spread_settled_by_a_consensus_score_carries_it():
    reqs = [requirement("REQ-1"), requirement("REQ-2")]
    demo = [entry("ana", "S1", "REQ-1", 5), entry("ben", "S1", "REQ-1", 1),
            entry("ana", "S2", "REQ-2", 4), entry("ben", "S2", "REQ-2", 1)]
    flags = evaluator_spread([score_one(reqs, evidence(demo=demo, consensus={"REQ-1": 3.0}))])
    assert [(flag.requirement, flag.spread, flag.consensus) for flag in flags] == [("REQ-1", 4.0, 3.0),
                                                                                  ("REQ-2", 3.0, None)]


def test_evaluator_spread_uses_each_evaluators_mean_over_the_steps():
    # ana: steps 5 and 1 -> mean 3; ben: 4 -> spread 1, though single entries differ by 4.
    found = evidence(demo=[entry("ana", "S1", "REQ-1", 5), entry("ana", "S2", "REQ-1", 1),
                           entry("ben", "S1", "REQ-1", 4)])
    assert evaluator_spread([score_one([requirement("REQ-1")], found)]) == []


def test_one_evaluator_has_no_spread():
    found = evidence(demo=[entry("ana", "S1", "REQ-1", 0)])
    assert evaluator_spread([score_one([requirement("REQ-1")], found)]) == []


def test_a_claim_the_demo_did_not_back_is_listed():
    reqs = [requirement("REQ-1"), requirement("REQ-2"), requirement("REQ-3"), requirement("REQ-4")]
    found = evidence(
        demo=[entry("ana", "S1", "REQ-1", 1), entry("ben", "S1", "REQ-1", 2),  # D = 1.5 < 2, claimed fully
              entry("ana", "S2", "REQ-2", 2),  # D = 2: backed (not below 2)
              entry("ana", "S3", "REQ-3", 0)],  # D = 0 but claimed only customisation: not a claim to back
        claims={"REQ-1": "fully supported", "REQ-2": "configuration", "REQ-3": "customisation",
                "REQ-4": "fully supported"})  # REQ-4 not demonstrated at all: nothing to compare
    assert claims_not_backed([score_one(reqs, found)]) == [
        {"vendor": "acme", "requirement": "REQ-1", "claim": "fully supported", "demo": 1.5}]


def test_imbalance_is_the_weighted_standard_deviation_of_n():
    # n: REQ-1 (w 5) 1.0, REQ-2 (w 3) 0.2, REQ-3 (w 1) 0.0 (no evidence), REQ-4 (won't, w 0) ignored.
    reqs = [requirement("REQ-1"), requirement("REQ-2", "should"), requirement("REQ-3", "could"),
            requirement("REQ-4", "wont")]
    found = evidence(demo=[entry("ana", "S1", "REQ-1", 5), entry("ana", "S2", "REQ-2", 1),
                           entry("ana", "S4", "REQ-4", 5)])
    result = score_one(reqs, found)
    mean = (5 * 1.0 + 3 * 0.2 + 1 * 0.0) / 9
    expected = math.sqrt((5 * (1.0 - mean) ** 2 + 3 * (0.2 - mean) ** 2 + 1 * (0.0 - mean) ** 2) / 9)
    assert imbalance(result) == pytest.approx(expected)
    assert imbalance(result) == pytest.approx(0.42630, abs=1e-5)  # by hand: mean 0.62222, variance 0.18173


def test_an_even_vendor_has_no_imbalance():
    reqs = [requirement("REQ-1"), requirement("REQ-2", "should")]
    found = evidence(demo=[entry("ana", "S1", ("REQ-1", "REQ-2"), 3)])
    assert imbalance(score_one(reqs, found)) == pytest.approx(0.0)


def test_value_for_money_is_the_total_per_million_of_five_year_cost():
    found = evidence(demo=[entry("ana", "S1", "REQ-1", 4)])  # T = 80
    result = score_one([requirement("REQ-1")], found, the_vendor=vendor(cost=1_600_000))
    assert value_for_money(result) == pytest.approx(50.0)
    assert value_for_money(score_one([requirement("REQ-1")], found)) is None  # no cost given
    # A cost too small to divide by (only a database written by hand holds one: the services refuse it) gives
    # no value, never a division by zero or an infinity in the JSON.
    assert value_for_money(score_one([requirement("REQ-1")], found, the_vendor=vendor(cost=1e-320))) is None


def two_close_vendors():
    """A leads on REQ-1 (w 5), B on REQ-2 and REQ-3 (w 3 each): T(A) = 100·(5·1 + 3·.4 + 3·.4)/11 = 67.27,
    T(B) = 100·(5·.6 + 3·1 + 3·1)/11 = 81.82."""
    reqs = [requirement("REQ-1"), requirement("REQ-2", "should"), requirement("REQ-3", "should")]
    demo = [entry("ana", "S1", "REQ-1", 5, vendor="a"), entry("ana", "S2", "REQ-2", 2, vendor="a"),
            entry("ana", "S3", "REQ-3", 2, vendor="a"),
            entry("ana", "S1", "REQ-1", 3, vendor="b"), entry("ana", "S2", "REQ-2", 5, vendor="b"),
            entry("ana", "S3", "REQ-3", 5, vendor="b")]
    results = score_vendors(reqs, [vendor("a"), vendor("b")], Evidence(demo=demo))
    return reqs, results


def test_rank_stability_gives_the_same_answer_for_the_same_seed():
    reqs, results = two_close_vendors()
    first = rank_stability(reqs, results, samples=400, seed=7)
    assert first == rank_stability(reqs, results, samples=400, seed=7)
    assert sum(first.values()) == pytest.approx(1.0)


def test_rank_stability_of_a_clear_leader_is_one():
    reqs, results = two_close_vendors()
    assert [r.vendor for r in results] == ["b", "a"]
    shares = rank_stability(reqs, results, samples=500, seed=1)
    # B leads by 14.5 points; moving weights by at most ±20 % cannot close that: check by the extremes.
    worst = (5 * 1.2 * (0.6 - 1.0) + 3 * 0.8 * (1.0 - 0.4) + 3 * 0.8 * (1.0 - 0.4))
    assert worst > 0  # B still ahead when the weights favour A as much as they can
    assert shares == {"a": 0.0, "b": 1.0}


def test_a_knocked_out_vendor_never_ranks_first_in_any_run():
    reqs = [requirement("REQ-1"), requirement("REQ-2", "should")]
    demo = [entry("ana", "S1", "REQ-1", 1, vendor="a"), entry("ana", "S2", "REQ-2", 5, vendor="a"),  # n .2: out
            entry("ana", "S1", "REQ-1", 3, vendor="b"), entry("ana", "S2", "REQ-2", 1, vendor="b")]
    results = score_vendors(reqs, [vendor("a"), vendor("b")], Evidence(demo=demo))
    assert results[1].vendor == "a" and results[1].knocked_out
    assert rank_stability(reqs, results, samples=200, seed=3) == {"a": 0.0, "b": 1.0}


def test_rank_stability_splits_between_vendors_the_weights_can_reorder():
    # A: REQ-1 1.0, REQ-2 0.0. B: REQ-1 0.0, REQ-2 1.0; equal weights (both should): a coin toss per run.
    reqs = [requirement("REQ-1", "should"), requirement("REQ-2", "should")]
    demo = [entry("ana", "S1", "REQ-1", 5, vendor="a"), entry("ana", "S2", "REQ-2", 5, vendor="b")]
    results = score_vendors(reqs, [vendor("a"), vendor("b")], Evidence(demo=demo))
    shares = rank_stability(reqs, results, samples=2000, seed=11)
    assert 0.45 < shares["a"] < 0.55 and shares["a"] + shares["b"] == pytest.approx(1.0)


def test_rank_stability_needs_a_sample():
    reqs, results = two_close_vendors()
    with pytest.raises(ValueError):
        rank_stability(reqs, results, samples=0)


def test_decision_checks_bundle_every_check():
    reqs, results = two_close_vendors()
    checks = decision_checks(reqs, results, samples=50, seed=5)
    assert set(checks) == {"evaluator_spread", "claims_not_backed", "imbalance", "rank_stability",
                           "value_for_money"}
    assert checks["rank_stability"]["samples"] == 50 and checks["rank_stability"]["seed"] == 5


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=8), st.integers(0, 2 ** 31))
def test_first_place_shares_sum_to_one_when_anyone_is_in(scores, seed):
    reqs = [requirement(f"REQ-{i}", "should") for i in range(1, len(scores) + 1)]
    demo = [entry("ana", f"S{i}", f"REQ-{i}", a, vendor="a") for i, (a, _) in enumerate(scores, 1)] + \
           [entry("ana", f"S{i}", f"REQ-{i}", b, vendor="b") for i, (_, b) in enumerate(scores, 1)]
    results = score_vendors(reqs, [vendor("a"), vendor("b")], Evidence(demo=demo))
    shares = rank_stability(reqs, results, samples=20, seed=seed)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(0.0 <= share <= 1.0 for share in shares.values())
