"""Weights wᵣ: priority defaults, stored weights, weight 0, and AHP strategy weights (DESIGN.md, scoring model)."""

from __future__ import annotations

import pytest

from reqtrace.scoring.engine import weights
from reqtrace.services.scope import effective_weight
from tests.scoring.inputs import evidence, requirement, score_one, vendor, with_demo


# --- the weight of a requirement before strategy weights ---------------------------------------

@pytest.mark.parametrize("priority, expected", [("must", 5.0), ("should", 3.0), ("could", 1.0), ("wont", 0.0)])
def test_weight_defaults_by_priority(priority, expected):
    assert effective_weight({"priority": priority, "weight": None}) == expected


@pytest.mark.parametrize("priority, stored", [("must", 2.0), ("should", 7.5), ("could", 4.0), ("wont", 2.0)])
def test_a_stored_weight_overrides_the_priority_default(priority, stored):
    assert effective_weight({"priority": priority, "weight": stored}) == stored


def test_a_stored_weight_of_zero_overrides_a_must_have_default():
    assert effective_weight({"priority": "must", "weight": 0}) == 0.0


def test_default_weights_decide_the_total():
    # must (5) n = 0.5 (fully supported, claim) ; should (3) n = 0 (unanswered) ; could (1) n = 0.5
    # T = 100 × (5×0.5 + 3×0 + 1×0.5) / (5+3+1) = 100 × 3 / 9 = 33.333…
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should"), requirement("REQ-3", "could")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-3": "fully supported"}))
    assert result.total == pytest.approx(100 * 3 / 9)


def test_a_stored_weight_changes_the_total():
    # the should-have stored at weight 1 instead of 3:
    # T = 100 × (5×0.5 + 1×0 + 1×0.5) / (5+1+1) = 100 × 3 / 7 = 42.857…
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should", weight=1),
                        requirement("REQ-3", "could")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-3": "fully supported"}))
    assert result.total == pytest.approx(100 * 3 / 7)


# --- weight 0 counts nowhere -------------------------------------------------------------------

def test_a_wont_have_counts_nowhere_in_the_total_or_subtotal():
    # must n = 0.4 (configuration) ; won't (weight 0) n = 1 (D = 5): T = 100 × 5×0.4 / 5 = 40
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "wont")],
                       with_demo({"REQ-1": "configuration"}, ("REQ-2", 5)))
    assert result.total == pytest.approx(40.0)
    assert result.must_subtotal == pytest.approx(40.0)
    assert "wont" not in result.by_priority


def test_a_must_have_of_stored_weight_zero_scoring_zero_is_no_knock_out():
    # REQ-1: must, weight 0, unanswered (n = 0) -> counts nowhere. REQ-2: should, n = 0.5.
    # T = 100 × 3×0.5 / 3 = 50; the must subtotal has no requirement: 0.
    result = score_one([requirement("REQ-1", "must", weight=0), requirement("REQ-2", "should")],
                       evidence(claims={"REQ-2": "fully supported"}))
    assert result.total == pytest.approx(50.0)
    assert result.knocked_out is False
    assert result.knockout_reasons == []
    assert result.must_subtotal == 0.0


def test_a_must_have_of_weight_zero_excluding_the_deployment_is_no_knock_out():
    result = score_one([requirement("REQ-1", "must", weight=0, excluded=["thin-client"]),
                        requirement("REQ-2", "must")],
                       evidence(claims={"REQ-2": "fully supported"}),
                       the_vendor=vendor(deployment="thin-client"))
    assert result.knocked_out is False, result.knockout_reasons


def test_a_must_have_of_weight_zero_with_a_failed_probe_is_no_knock_out():
    result = score_one([requirement("REQ-1", "must", weight=0), requirement("REQ-2", "must")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-2": "fully supported"},
                                probes={"REQ-1": {"offline-sync": False}}))
    assert result.knocked_out is False, result.knockout_reasons


def test_a_weight_zero_requirement_is_in_no_roll_up():
    # STR-9 has only the weight-0 requirement beneath it: it is not listed at all.
    result = score_one([requirement("REQ-1", "must", strategies=["STR-1"], roles=["ROL-1"], processes=["PRC-1"]),
                        requirement("REQ-2", "must", weight=0, strategies=["STR-9"], roles=["ROL-9"],
                                    processes=["PRC-9"], capability="people")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-2": "fully supported"}))
    assert set(result.by_strategy) == {"STR-1"}
    assert set(result.by_role) == {"ROL-1"}
    assert set(result.by_process) == {"PRC-1"}
    assert set(result.by_capability) == {"technology"}


# --- AHP strategy weights ----------------------------------------------------------------------

AHP_REQUIREMENTS = [
    requirement("REQ-1", "must", strategies=["STR-1"]),
    requirement("REQ-2", "should", strategies=["STR-2", "STR-3"]),
    requirement("REQ-3", "could", strategies=["STR-3"]),
    requirement("REQ-4", "should"),  # above no strategy
]
# REQ-1 D = 5 -> n = 1 ; REQ-2 fully supported -> n = 0.5 ; REQ-3 unanswered -> 0 ; REQ-4 configuration -> 0.4
AHP_EVIDENCE = with_demo({"REQ-2": "fully supported", "REQ-4": "configuration"}, ("REQ-1", 5))


def test_unequal_strategy_weights_multiply_by_k_times_the_largest_weight_above():
    # k = 3; a = (0.5, 0.3, 0.2)
    # REQ-1: 5 × 3 × 0.5 = 7.5 ; REQ-2: 3 × 3 × max(0.3, 0.2) = 2.7 ; REQ-3: 1 × 3 × 0.2 = 0.6
    # REQ-4 is above no strategy and keeps 3 (docs/scoring.md; DESIGN.md is silent).
    found = weights(AHP_REQUIREMENTS, {"STR-1": 0.5, "STR-2": 0.3, "STR-3": 0.2})
    assert found == pytest.approx({"REQ-1": 7.5, "REQ-2": 2.7, "REQ-3": 0.6, "REQ-4": 3.0})


def test_unequal_strategy_weights_change_the_total():
    # T = 100 × (7.5×1 + 2.7×0.5 + 0.6×0 + 3×0.4) / (7.5 + 2.7 + 0.6 + 3)
    #   = 100 × (7.5 + 1.35 + 0 + 1.2) / 13.8 = 100 × 10.05 / 13.8 = 72.8260…
    result = score_one(AHP_REQUIREMENTS, AHP_EVIDENCE, strategy_weights={"STR-1": 0.5, "STR-2": 0.3, "STR-3": 0.2})
    assert result.total == pytest.approx(100 * 10.05 / 13.8)
    # without strategy weights: 100 × (5 + 1.5 + 0 + 1.2) / 12 = 64.1666…
    assert score_one(AHP_REQUIREMENTS, AHP_EVIDENCE).total == pytest.approx(100 * 7.7 / 12)


def test_a_requirement_under_two_strategies_takes_the_larger_weight():
    # k = 2, a = (0.1, 0.9): REQ-1 under both -> 5 × 2 × 0.9 = 9 ; REQ-2 under STR-1 only -> 5 × 2 × 0.1 = 1
    found = weights([requirement("REQ-1", strategies=["STR-1", "STR-2"]), requirement("REQ-2", strategies=["STR-1"])],
                    {"STR-1": 0.1, "STR-2": 0.9})
    assert found == pytest.approx({"REQ-1": 9.0, "REQ-2": 1.0})


@pytest.mark.parametrize("k", [2, 3, 4, 7])
def test_equal_strategy_weights_change_nothing(k):
    strategy_weights = {f"STR-{i}": 1 / k for i in range(1, k + 1)}
    found = weights(AHP_REQUIREMENTS, strategy_weights)
    assert found == pytest.approx({"REQ-1": 5.0, "REQ-2": 3.0, "REQ-3": 1.0, "REQ-4": 3.0})
    with_weights = score_one(AHP_REQUIREMENTS, AHP_EVIDENCE, strategy_weights=strategy_weights)
    without = score_one(AHP_REQUIREMENTS, AHP_EVIDENCE)
    assert with_weights.total == pytest.approx(without.total)
    assert with_weights.must_subtotal == pytest.approx(without.must_subtotal)
    assert with_weights.by_strategy == pytest.approx(without.by_strategy)


def test_strategy_weights_apply_in_the_roll_ups_too():
    # k = 2, a = (0.75, 0.25). ROL-1 holds REQ-1 (STR-1) and REQ-2 (STR-2), both musts:
    # weights 5×2×0.75 = 7.5 and 5×2×0.25 = 2.5 ; n = 1 (D 5) and 0 (not supported)
    # by_role ROL-1 = 100 × 7.5 / 10 = 75 (unweighted it would be 50)
    result = score_one([requirement("REQ-1", strategies=["STR-1"], roles=["ROL-1"]),
                        requirement("REQ-2", strategies=["STR-2"], roles=["ROL-1"])],
                       with_demo({"REQ-2": "not supported"}, ("REQ-1", 5)),
                       strategy_weights={"STR-1": 0.75, "STR-2": 0.25})
    assert result.by_role == pytest.approx({"ROL-1": 75.0})
    assert result.total == pytest.approx(75.0)
