"""Evidence to requirement score nᵣ: the demo score D, claims and probes (DESIGN.md, scoring model).

Each test scores one vendor on one requirement of weight 5, so T = 100 × nᵣ:
the total is checked as well as nᵣ itself.
"""

from __future__ import annotations

import pytest

from reqtrace.scoring.engine import Settings
from tests.scoring.inputs import ANSWERS, CLAIM_VALUE, entry, evidence, requirement, score_one, with_demo

R = "REQ-1"


def n_of(found, *, settings=None, priority: str = "should"):
    """(nᵣ, T) for the single requirement REQ-1 (weight 5)."""
    result = score_one([requirement(R, priority, weight=5)], found, settings=settings)
    return result.requirements[R].n, result.total


def assert_n(found, expected, **options):
    n, total = n_of(found, **options)
    assert n == pytest.approx(expected)
    assert total == pytest.approx(100 * expected)


# --- the demo score D --------------------------------------------------------------------------

def test_d_is_the_mean_of_evaluator_means():
    # A: 5 and 3 on two steps -> mean 4 ; B: 2 on one step -> mean 2 ; D = (4 + 2) / 2 = 3 ; n = 3/5 = 0.6
    # (the mean of all three scores would be 10/3 -> n 0.667: not the model)
    assert_n(evidence(demo=[entry("A", "S1", R, 5), entry("A", "S2", R, 3), entry("B", "S1", R, 2)]), 0.6)


def test_the_docs_worked_example():
    # docs/scoring.md: must REQ-1 (5), should REQ-2 (3). Vendor A: evaluators 4 and 5, and 3 on REQ-1
    # -> means 4.5 and 3, D = 3.75, n1 = 0.75 ; REQ-2 claimed configuration -> n2 = 0.5 × 0.8 = 0.4
    # T = 100 × (5 × 0.75 + 3 × 0.4) / 8 = 61.875
    found = evidence(demo=[entry("A", "S1", "REQ-1", 4), entry("A", "S2", "REQ-1", 5), entry("B", "S1", "REQ-1", 3)],
                     claims={"REQ-2": "configuration"})
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should")], found)
    assert result.total == pytest.approx(61.875)
    assert result.knocked_out is False


def test_a_step_citing_two_requirements_counts_for_both():
    # S1 cites REQ-1 and REQ-2, A scores 4 ; S2 cites REQ-2 only, A scores 2.
    # REQ-1: D = 4 -> n 0.8 ; REQ-2: A's mean (4 + 2)/2 = 3 -> n 0.6
    # T = 100 × (5×0.8 + 5×0.6) / 10 = 70
    found = evidence(demo=[entry("A", "S1", ["REQ-1", "REQ-2"], 4), entry("A", "S2", "REQ-2", 2)])
    result = score_one([requirement("REQ-1"), requirement("REQ-2")], found)
    assert result.requirements["REQ-1"].n == pytest.approx(0.8)
    assert result.requirements["REQ-2"].n == pytest.approx(0.6)
    assert result.total == pytest.approx(70.0)


def test_not_shown_without_a_score_counts_zero():
    # A: "not shown" -> 0 ; B: 4 ; D = (0 + 4)/2 = 2 ; n = 0.4
    assert_n(evidence(demo=[entry("A", "S1", R, None, "not shown"), entry("B", "S1", R, 4)]), 0.4)


def test_not_shown_alone_is_demonstrated_and_beats_the_claim():
    # D = 0 from "not shown" is demonstrated: n = 0/5 = 0, the "fully supported" claim (0.5) is not used
    assert_n(evidence(demo=[entry("A", "S1", R, None, "not shown")], claims={R: "fully supported"}), 0.0)


def test_not_shown_within_one_evaluators_mean():
    # A: "not shown" on S1 (0) and 4 on S2 -> mean 2 ; D = 2 ; n = 0.4
    assert_n(evidence(demo=[entry("A", "S1", R, None, "not shown"), entry("A", "S2", R, 4)]), 0.4)


def test_a_score_counts_whatever_the_verdict():
    # "the score (0-5) is what counts": "not shown" with a score 3 counts 3 ; "partly" with 1 counts 1
    # A mean 3, B mean 1 ; D = 2 ; n = 0.4
    assert_n(evidence(demo=[entry("A", "S1", R, 3, "not shown"), entry("B", "S1", R, 1, "partly")]), 0.4)


def test_partly_without_a_score_is_not_assessed():
    # A: partly, no score -> skipped ; B: 4 -> D = 4 (not (0 + 4)/2) ; n = 0.8
    assert_n(evidence(demo=[entry("A", "S1", R, None, "partly"), entry("B", "S1", R, 4)]), 0.8)


def test_partly_without_a_score_is_skipped_within_an_evaluators_mean():
    # A: partly/no score on S1, 5 on S2 -> A's mean 5 (not 2.5) ; D = 5 ; n = 1
    assert_n(evidence(demo=[entry("A", "S1", R, None, "partly"), entry("A", "S2", R, 5)]), 1.0)


def test_an_evaluator_with_only_not_assessed_entries_does_not_count():
    # A: partly and demonstrated, neither scored -> A has no mean ; B: 3 -> D = 3 ; n = 0.6
    found = evidence(demo=[entry("A", "S1", R, None, "partly"), entry("A", "S2", R, None, "demonstrated"),
                           entry("B", "S1", R, 3)])
    assert_n(found, 0.6)


def test_only_not_assessed_entries_means_not_demonstrated():
    # nobody has a counted score: r was not demonstrated, the claim counts: 0.5 × 0.8 = 0.4
    found = evidence(demo=[entry("A", "S1", R, None, "partly"), entry("B", "S1", R, None, "demonstrated")],
                     claims={R: "configuration"})
    n, _total = n_of(found)
    assert n == pytest.approx(0.4)
    assert score_one([requirement(R)], found).requirements[R].demonstrated is False


def test_a_consensus_score_replaces_d():
    # evaluators 5 and 1 -> D would be 3 (n 0.6) ; the lead's consensus 4 replaces it -> n = 0.8
    found = evidence(demo=[entry("A", "S1", R, 5), entry("B", "S1", R, 1)], consensus={R: 4})
    assert_n(found, 0.8)


def test_a_consensus_of_zero_replaces_d_too():
    # consensus 0 (a falsy value) still replaces D = 5: n = 0
    assert_n(evidence(demo=[entry("A", "S1", R, 5)], consensus={R: 0}), 0.0)


def test_evidence_of_another_vendor_does_not_count():
    # other-vendor's 5 on REQ-1 and its claim are not acme's evidence: acme's n = 0.5 × 0.2 (roadmap) = 0.1
    found = evidence(claims={R: "roadmap"})
    found.demo.append(entry("A", "S1", R, 5, vendor="other-vendor"))
    found.claims[("other-vendor", R)] = "fully supported"
    found.consensus[("other-vendor", R)] = 5
    assert_n(found, 0.1)


def test_a_requirement_shown_by_no_step_falls_back_to_the_questionnaire():
    # REQ-1 is shown (A: 5 -> n 1) ; REQ-2 is cited by no step and claimed roadmap -> n = 0.5 × 0.2 = 0.1
    # T = 100 × (5×1 + 5×0.1) / 10 = 55
    found = evidence(demo=[entry("A", "S1", "REQ-1", 5)], claims={"REQ-1": "not supported", "REQ-2": "roadmap"})
    result = score_one([requirement("REQ-1", "should", weight=5), requirement("REQ-2", "should", weight=5)], found)
    assert result.requirements["REQ-2"].n == pytest.approx(0.1)
    assert result.total == pytest.approx(55.0)


# --- claims ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", ANSWERS)
def test_an_undemonstrated_claim_counts_at_the_claim_factor(answer):
    # n = 0.5 × value: fully 0.5, configuration 0.4, customisation 0.25, third party 0.25, roadmap 0.1, not 0
    assert_n(evidence(claims={R: answer}), 0.5 * CLAIM_VALUE[answer])


def test_claim_values_as_written_in_the_design():
    assert {answer: 0.5 * value for answer, value in CLAIM_VALUE.items()} == {
        "fully supported": 0.5, "configuration": 0.4, "customisation": 0.25, "third party": 0.25,
        "roadmap": 0.1, "not supported": 0.0}


def test_the_claim_factor_is_a_setting():
    # claim_factor 0.25: fully supported -> 0.25 × 1.0 = 0.25
    assert_n(evidence(claims={R: "fully supported"}), 0.25, settings=Settings(claim_factor=0.25))


def test_neither_demonstrated_nor_answered_scores_zero():
    assert_n(evidence(), 0.0)


def test_a_demonstration_beats_a_better_claim():
    # demonstrated with D = 1 -> n = 0.2 even though "fully supported" would give 0.5
    assert_n(with_demo({R: "fully supported"}, (R, 1)), 0.2)


# --- probes ----------------------------------------------------------------------------------------

def test_a_failed_probe_caps_n_even_with_a_demo_score_of_5():
    # D = 5 -> n = 1, capped at 0.2
    assert_n(with_demo(None, (R, 5), probes={R: {"offline-sync": False}}), 0.2)


def test_a_failed_probe_caps_a_claim_too():
    # fully supported -> 0.5, capped at 0.2
    assert_n(evidence(claims={R: "fully supported"}, probes={R: {"offline-sync": False}}), 0.2)


def test_the_probe_cap_is_a_cap_not_a_floor():
    # roadmap -> 0.1, below the cap: stays 0.1
    assert_n(evidence(claims={R: "roadmap"}, probes={R: {"offline-sync": False}}), 0.1)


def test_a_passed_probe_changes_nothing():
    assert_n(with_demo(None, (R, 4), probes={R: {"offline-sync": True}}), 0.8)


def test_the_latest_result_of_each_probe_counts():
    # offline-sync failed earlier and passed last: evidence holds {offline-sync: passed}. It changes nothing;
    # the other probe's latest result is a failure: capped.
    assert_n(with_demo(None, (R, 5), probes={R: {"offline-sync": True}}), 1.0)
    assert_n(with_demo(None, (R, 5), probes={R: {"offline-sync": True, "quote-pdf": False}}), 0.2)


def test_the_probe_cap_is_a_setting():
    assert_n(with_demo(None, (R, 5), probes={R: {"offline-sync": False}}), 0.3, settings=Settings(probe_cap=0.3))


def test_a_probe_on_another_requirement_does_not_cap():
    # the failed probe is on REQ-2: REQ-1 keeps n = 1
    found = with_demo(None, (R, 5), probes={"REQ-2": {"offline-sync": False}})
    assert_n(found, 1.0)
