"""Totals, knock-outs, rank, roll-ups and value for money (DESIGN.md, scoring model), hand-computed."""

from __future__ import annotations

import pytest

from reqtrace.scoring.engine import Evidence, Settings, score_vendors
from tests.scoring.inputs import by_slug, entry, evidence, requirement, score_one, vendor, with_demo


# --- totals --------------------------------------------------------------------------------------

def test_total_is_the_weighted_mean_of_n_times_100():
    # must (5) D 4 -> 0.8 ; should (3) fully -> 0.5 ; could (1) nothing -> 0 ; won't (0) D 5 -> 1 (counts nowhere)
    # T = 100 × (5×0.8 + 3×0.5 + 1×0 + 0×1) / (5+3+1) = 100 × 5.5 / 9 = 61.111…
    # must subtotal = 100 × 5×0.8 / 5 = 80
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should"), requirement("REQ-3", "could"),
                        requirement("REQ-4", "wont")],
                       with_demo({"REQ-2": "fully supported"}, ("REQ-1", 4), ("REQ-4", 5)))
    assert result.total == pytest.approx(100 * 5.5 / 9)
    assert result.must_subtotal == pytest.approx(80.0)


def test_total_is_zero_when_the_weights_sum_to_zero():
    result = score_one([requirement("REQ-1", "wont"), requirement("REQ-2", "should", weight=0)],
                       with_demo(None, ("REQ-1", 5), ("REQ-2", 5)))
    assert result.total == 0.0
    assert result.must_subtotal == 0.0
    assert result.knocked_out is False


def test_total_is_zero_with_nothing_in_scope():
    result = score_one([], Evidence())
    assert result.total == 0.0
    assert result.knocked_out is False


def test_must_subtotal_is_over_the_must_haves_only():
    # musts: 5 × 1 (D 5) and 2 (stored weight) × 0.5 (fully) ; should 3 × 0 (not supported)
    # subtotal = 100 × (5 + 1) / 7 = 85.714… ; T = 100 × 6 / 10 = 60
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "must", weight=2),
                        requirement("REQ-3", "should")],
                       with_demo({"REQ-2": "fully supported", "REQ-3": "not supported"}, ("REQ-1", 5)))
    assert result.must_subtotal == pytest.approx(600 / 7)
    assert result.total == pytest.approx(60.0)


# --- knock-outs ------------------------------------------------------------------------------------

def reasons_naming(result, *words: str) -> list[str]:
    return [reason for reason in result.knockout_reasons if all(word in reason for word in words)]


def test_a_must_have_below_the_threshold_knocks_out_with_a_reason():
    # customisation: 0.5 × 0.5 = 0.25 < 0.4
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "must")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-2": "customisation"}))
    assert result.knocked_out is True
    assert len(result.knockout_reasons) == 1
    assert reasons_naming(result, "REQ-2")


def test_a_must_have_at_exactly_the_threshold_is_no_knock_out():
    # configuration: 0.5 × 0.8 = 0.4, not below 0.4
    result = score_one([requirement("REQ-1", "must")], evidence(claims={"REQ-1": "configuration"}))
    assert result.knocked_out is False, result.knockout_reasons
    assert result.knockout_reasons == []


def test_floating_arithmetic_just_under_the_threshold_is_rounded_to_6_decimals():
    # Evaluator means 2, 8/3, 4/3 -> D = 2 exactly on paper, n = 0.4. In floating point, (2.0 + 2.666… + 1.333…)/3/5
    # can come out as 0.39999999999999997: rounded to 6 decimals it is 0.4, so no knock-out.
    found = evidence(demo=[entry("A", "S1", "REQ-1", 2),
                           entry("B", "S1", "REQ-1", 0), entry("B", "S2", "REQ-1", 3), entry("B", "S3", "REQ-1", 5),
                           entry("C", "S1", "REQ-1", 1), entry("C", "S2", "REQ-1", 1), entry("C", "S3", "REQ-1", 2)])
    result = score_one([requirement("REQ-1", "must")], found)
    assert result.requirements["REQ-1"].n == pytest.approx(0.4)
    assert result.knocked_out is False, result.knockout_reasons


def test_a_value_like_0_39999999999_is_no_knock_out():
    # consensus D = 1.99999999999 -> n = 0.399999999998 -> rounded to 6 decimals 0.4: not below 0.4
    result = score_one([requirement("REQ-1", "must")], evidence(consensus={"REQ-1": 1.99999999999}))
    assert result.knocked_out is False, result.knockout_reasons


def test_a_value_below_the_threshold_at_6_decimals_is_a_knock_out():
    # consensus D = 1.999997 -> n = 0.3999994 -> rounded 0.399999 < 0.4: knocked out
    result = score_one([requirement("REQ-1", "must")], evidence(consensus={"REQ-1": 1.999997}))
    assert result.knocked_out is True
    assert reasons_naming(result, "REQ-1")


def test_the_threshold_is_a_setting():
    # threshold 0.5: configuration (0.4) now knocks out ; fully supported (0.5) does not
    settings = Settings(knockout_threshold=0.5)
    assert score_one([requirement("REQ-1")], evidence(claims={"REQ-1": "configuration"}),
                     settings=settings).knocked_out is True
    assert score_one([requirement("REQ-1")], evidence(claims={"REQ-1": "fully supported"}),
                     settings=settings).knocked_out is False


def test_a_should_have_below_the_threshold_is_no_knock_out():
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-2": "not supported"}))
    assert result.knocked_out is False, result.knockout_reasons


def test_a_failed_probe_on_a_must_have_knocks_out_with_the_probe_in_the_reason():
    # probe cap raised to 0.5 so that n (D 5 -> 1, capped at 0.5) stays above the threshold:
    # the failed probe alone knocks out.
    result = score_one([requirement("REQ-1", "must")],
                       with_demo(None, ("REQ-1", 5), probes={"REQ-1": {"offline-sync": False}}),
                       settings=Settings(probe_cap=0.5))
    assert result.knocked_out is True
    assert reasons_naming(result, "REQ-1", "offline-sync")


def test_a_failed_probe_on_a_must_have_knocks_out_at_the_default_cap():
    result = score_one([requirement("REQ-1", "must")],
                       with_demo(None, ("REQ-1", 5), probes={"REQ-1": {"offline-sync": False}}))
    assert result.knocked_out is True
    assert reasons_naming(result, "offline-sync")


def test_a_failed_probe_on_a_should_have_is_no_knock_out():
    result = score_one([requirement("REQ-1", "must"), requirement("REQ-2", "should")],
                       with_demo(None, ("REQ-1", 5), ("REQ-2", 5), probes={"REQ-2": {"offline-sync": False}}))
    assert result.knocked_out is False, result.knockout_reasons
    # but its n is capped: T = 100 × (5×1 + 3×0.2) / 8 = 70
    assert result.total == pytest.approx(70.0)


def test_a_passed_probe_on_a_must_have_is_no_knock_out():
    result = score_one([requirement("REQ-1", "must")],
                       with_demo(None, ("REQ-1", 5), probes={"REQ-1": {"offline-sync": True}}))
    assert result.knocked_out is False


@pytest.mark.parametrize("deployment", ["thin-client", "hosted-only"])
def test_a_deployment_model_excluded_by_a_must_have_knocks_out(deployment):
    result = score_one([requirement("REQ-1", "must", excluded=["thin-client", "hosted-only"])],
                       with_demo(None, ("REQ-1", 5)), the_vendor=vendor(deployment=deployment))
    assert result.knocked_out is True
    assert result.total == pytest.approx(100.0)
    assert reasons_naming(result, "REQ-1", deployment)


@pytest.mark.parametrize("deployment", ["on-premise", "hybrid-offline"])
def test_a_deployment_model_not_excluded_is_no_knock_out(deployment):
    result = score_one([requirement("REQ-1", "must", excluded=["thin-client", "hosted-only"])],
                       with_demo(None, ("REQ-1", 5)), the_vendor=vendor(deployment=deployment))
    assert result.knocked_out is False


def test_a_deployment_model_excluded_by_a_should_have_is_no_knock_out():
    result = score_one([requirement("REQ-1", "should", excluded=["thin-client"])],
                       with_demo(None, ("REQ-1", 5)), the_vendor=vendor(deployment="thin-client"))
    assert result.knocked_out is False


def test_a_contract_demanded_before_the_poc_knocks_out():
    result = score_one([requirement("REQ-1", "must")], with_demo(None, ("REQ-1", 5)),
                       the_vendor=vendor(flags=["contract-before-poc"]))
    assert result.knocked_out is True
    assert result.total == pytest.approx(100.0)
    assert reasons_naming(result, "contract")


def test_every_knock_out_is_listed_with_its_reason():
    # REQ-1 excludes thin-client ; REQ-2 customisation (0.25) ; contract flag: three reasons
    result = score_one([requirement("REQ-1", "must", excluded=["thin-client"]), requirement("REQ-2", "must")],
                       with_demo({"REQ-2": "customisation"}, ("REQ-1", 5)),
                       the_vendor=vendor(deployment="thin-client", flags=["contract-before-poc"]))
    assert result.knocked_out is True
    assert len(result.knockout_reasons) == 3
    assert reasons_naming(result, "REQ-1", "thin-client")
    assert reasons_naming(result, "REQ-2")
    assert reasons_naming(result, "contract")
    assert all(isinstance(reason, str) and reason for reason in result.knockout_reasons)


# --- rank ------------------------------------------------------------------------------------------

def test_the_highest_total_knocked_out_by_one_must_have_ranks_after_every_vendor_not_knocked_out():
    # ten musts. "best": nine at D 5 and one customisation claim (0.25): T = 100 × (45 + 1.25)/50 = 92.5, knocked out.
    # "fair": all ten claimed configuration (0.5 × 0.8 = 0.4): T = 40. "poor": all ten shown at D 2 (n 0.4): T = 40,
    # so "fair" and "poor" tie on T and must subtotal (both 40) and are ordered by slug.
    requirements = [requirement(f"REQ-{i}", "must") for i in range(1, 11)]
    found = Evidence()
    for i in range(1, 10):
        found.demo.append(entry("A", f"S{i}", f"REQ-{i}", 5, vendor="best"))
    found.claims[("best", "REQ-10")] = "customisation"
    for i in range(1, 11):
        found.claims[("fair", f"REQ-{i}")] = "configuration"
        found.demo.append(entry("A", f"S{i}", f"REQ-{i}", 2, vendor="poor"))
    results = score_vendors(requirements, [vendor("best"), vendor("poor"), vendor("fair")], found)
    scores = by_slug(results)
    assert scores["best"].total == pytest.approx(92.5)
    assert scores["best"].knocked_out is True
    assert scores["fair"].total == pytest.approx(40.0) and scores["poor"].total == pytest.approx(40.0)
    assert [result.vendor for result in results] == ["fair", "poor", "best"]
    assert [scores[slug].rank for slug in ("fair", "poor", "best")] == [1, 2, 3]


def test_equal_totals_are_ordered_by_must_have_subtotal():
    # REQ-1 must (5), REQ-2 should with stored weight 5.
    # "alpha": n1 = 0.4 (configuration), n2 = 1 (D 5) -> T = 100 × (2 + 5)/10 = 70, must subtotal 40
    # "beta":  n1 = 1 (D 5), n2 = 0.4 (configuration) -> T = 70, must subtotal 100 -> beta first despite its slug
    requirements = [requirement("REQ-1", "must"), requirement("REQ-2", "should", weight=5)]
    found = Evidence(claims={("alpha", "REQ-1"): "configuration", ("beta", "REQ-2"): "configuration"},
                     demo=[entry("A", "S2", "REQ-2", 5, vendor="alpha"), entry("A", "S1", "REQ-1", 5, vendor="beta")])
    results = score_vendors(requirements, [vendor("alpha"), vendor("beta")], found)
    scores = by_slug(results)
    assert scores["alpha"].total == pytest.approx(70.0) and scores["beta"].total == pytest.approx(70.0)
    assert scores["alpha"].must_subtotal == pytest.approx(40.0)
    assert scores["beta"].must_subtotal == pytest.approx(100.0)
    assert [(result.vendor, result.rank) for result in results] == [("beta", 1), ("alpha", 2)]


def test_full_ties_are_ordered_by_slug():
    requirements = [requirement("REQ-1", "must")]
    found = Evidence(claims={(slug, "REQ-1"): "fully supported" for slug in ("zeta", "alpha", "mu")})
    results = score_vendors(requirements, [vendor("zeta"), vendor("mu"), vendor("alpha")], found)
    assert [(result.vendor, result.rank) for result in results] == [("alpha", 1), ("mu", 2), ("zeta", 3)]


def test_knocked_out_vendors_come_last_in_the_same_order():
    # not knocked out: "low" T = 100 × 0.4 = 40
    # knocked out: "ko-high" (contract flag, D 5: T 100), "ko-b" and "ko-a" (contract flag, fully: T 50, must 50)
    # and "ko-zero" (nothing: T 0). Order: low ; ko-high ; ko-a, ko-b (slug) ; ko-zero. Ranks 1..5.
    requirements = [requirement("REQ-1", "must")]
    contract = ["contract-before-poc"]
    found = Evidence(claims={("low", "REQ-1"): "configuration", ("ko-a", "REQ-1"): "fully supported",
                             ("ko-b", "REQ-1"): "fully supported"},
                     demo=[entry("A", "S1", "REQ-1", 5, vendor="ko-high")])
    vendors = [vendor("ko-zero"), vendor("ko-b", flags=contract), vendor("ko-high", flags=contract),
               vendor("low"), vendor("ko-a", flags=contract)]
    results = score_vendors(requirements, vendors, found)
    assert [(result.vendor, result.rank) for result in results] == [
        ("low", 1), ("ko-high", 2), ("ko-a", 3), ("ko-b", 4), ("ko-zero", 5)]
    assert [result.knocked_out for result in results] == [False, True, True, True, True]


def test_knocked_out_ties_on_total_are_ordered_by_must_have_subtotal():
    # both knocked out by the contract flag, both T = 70 ; "a" must subtotal 40, "b" 100 -> b before a
    requirements = [requirement("REQ-1", "must"), requirement("REQ-2", "should", weight=5)]
    found = Evidence(claims={("a", "REQ-1"): "configuration", ("b", "REQ-2"): "configuration"},
                     demo=[entry("A", "S2", "REQ-2", 5, vendor="a"), entry("A", "S1", "REQ-1", 5, vendor="b")])
    contract = ["contract-before-poc"]
    results = score_vendors(requirements, [vendor("a", flags=contract), vendor("b", flags=contract)], found)
    assert [(result.vendor, result.rank) for result in results] == [("b", 1), ("a", 2)]


# --- roll-ups --------------------------------------------------------------------------------------

def rollup_case():
    """Four requirements under a small chain, and one vendor's evidence.

    REQ-1 must  (5): STR-1, ROL-1, PRC-1, technology ; D 5          -> n 1
    REQ-2 should(3): STR-1+STR-2, ROL-1+ROL-2, PRC-1+PRC-2, people  ; fully -> n 0.5
    REQ-3 could (1): STR-2, ROL-2, PRC-2, technology ; nothing       -> n 0
    REQ-4 wont  (0): STR-3, ROL-3, PRC-3, process ; D 5              -> weight 0: nowhere
    REQ-5 should(3): no strategy, no role, no process, technology ; configuration -> n 0.4
    """
    requirements = [
        requirement("REQ-1", "must", strategies=["STR-1"], roles=["ROL-1"], processes=["PRC-1"]),
        requirement("REQ-2", "should", strategies=["STR-1", "STR-2"], roles=["ROL-1", "ROL-2"],
                    processes=["PRC-1", "PRC-2"], capability="people"),
        requirement("REQ-3", "could", strategies=["STR-2"], roles=["ROL-2"], processes=["PRC-2"]),
        requirement("REQ-4", "wont", strategies=["STR-3"], roles=["ROL-3"], processes=["PRC-3"],
                    capability="process"),
        requirement("REQ-5", "should"),
    ]
    return requirements, with_demo({"REQ-2": "fully supported", "REQ-5": "configuration"}, ("REQ-1", 5), ("REQ-4", 5))


def test_by_strategy_is_keyed_by_strategy_id_and_lists_only_scored_strategies():
    # STR-1: REQ-1, REQ-2 -> 100 × (5×1 + 3×0.5)/8 = 81.25
    # STR-2: REQ-2, REQ-3 -> 100 × (3×0.5 + 1×0)/4 = 37.5   (REQ-2 counts under both strategies)
    # STR-3: only REQ-4 (weight 0) -> not listed
    result = score_one(*rollup_case())
    assert result.by_strategy == pytest.approx({"STR-1": 81.25, "STR-2": 37.5})
    # T = 100 × (5 + 1.5 + 0 + 1.2)/(5+3+1+3) = 100 × 7.7/12
    assert result.total == pytest.approx(770 / 12)


def test_by_role_and_by_process():
    # ROL-1 / PRC-1: REQ-1, REQ-2 -> 81.25 ; ROL-2 / PRC-2: REQ-2, REQ-3 -> 37.5 ; ROL-3 / PRC-3 not listed
    result = score_one(*rollup_case())
    assert result.by_role == pytest.approx({"ROL-1": 81.25, "ROL-2": 37.5})
    assert result.by_process == pytest.approx({"PRC-1": 81.25, "PRC-2": 37.5})


def test_by_capability():
    # technology: REQ-1, REQ-3, REQ-5 -> 100 × (5 + 0 + 1.2)/(5+1+3) = 68.888… ; people: REQ-2 -> 50
    result = score_one(*rollup_case())
    assert result.by_capability == pytest.approx({"technology": 620 / 9, "people": 50.0})


def test_by_priority():
    # must: 100 ; should: REQ-2, REQ-5 -> 100 × (1.5 + 1.2)/6 = 45 ; could: 0 ; wont (weight 0) not listed
    result = score_one(*rollup_case())
    assert result.by_priority == pytest.approx({"must": 100.0, "should": 45.0, "could": 0.0})


def test_each_requirement_counts_once_per_strategy():
    # REQ-1 reaches STR-1 through two roles (the loader may give STR-1 twice): it counts once.
    # STR-1: REQ-1 (5, n 1) and REQ-2 (5, n 0) -> 50 ; counted twice it would be 100 × 10/15 = 66.7
    result = score_one([requirement("REQ-1", strategies=["STR-1", "STR-1"], roles=["ROL-1", "ROL-2"]),
                        requirement("REQ-2", strategies=["STR-1"], roles=["ROL-1"])],
                       with_demo({"REQ-2": "not supported"}, ("REQ-1", 5)))
    assert result.by_strategy == pytest.approx({"STR-1": 50.0})


# --- value for money -------------------------------------------------------------------------------

def test_value_for_money_is_total_per_5_year_cost():
    # T = 50 (fully supported claim), cost 1 000 000 -> 50 / 1e6 = 5e-05
    result = score_one([requirement("REQ-1")], evidence(claims={"REQ-1": "fully supported"}),
                       the_vendor=vendor(cost=1_000_000))
    assert result.as_dict()["value_for_money"] == pytest.approx(5e-05)
    assert result.as_dict()["cost_5y"] == 1_000_000


def test_value_for_money_is_none_without_a_cost():
    result = score_one([requirement("REQ-1")], evidence(claims={"REQ-1": "fully supported"}))
    assert result.as_dict()["value_for_money"] is None


def test_the_json_dictionary_carries_the_contract_keys_unrounded():
    # T = 100 × 5×0.5 ... with three requirements: 100 × (5×0.5 + 3×0.25 + 1×0)/9 = 36.111…
    result = score_one([requirement("REQ-1", "must", strategies=["STR-1"]), requirement("REQ-2", "should"),
                        requirement("REQ-3", "could")],
                       evidence(claims={"REQ-1": "fully supported", "REQ-2": "customisation"}))
    data = result.as_dict()
    assert {"vendor", "total", "rank", "knocked_out", "knockout_reasons", "by_strategy"} <= set(data)
    assert data["total"] == pytest.approx(325 / 9, abs=1e-12)
    assert data["total"] != round(data["total"], 2)
    assert data["rank"] == 1
    assert data["by_strategy"] == pytest.approx({"STR-1": 50.0})


# --- ties are ties on paper ------------------------------------------------------------------------

def test_totals_equal_on_paper_are_a_tie_broken_by_slug():
    # two should-haves (3 each), one evaluator, one step per requirement
    # "a": D 3 and 5 -> n 0.6 and 1   -> T = 100 × (1.8 + 3)/6   = 80
    # "b": D 4 and 4 -> n 0.8 and 0.8 -> T = 100 × (2.4 + 2.4)/6 = 80
    # equal totals, equal must subtotals (0: no must-have): the slug decides, "a" first.
    # (In floating point 3 × 0.8 + 3 × 0.8 = 4.800000000000001 > 3 × 0.6 + 3 × 1 = 4.8.)
    requirements = [requirement("REQ-1", "should"), requirement("REQ-2", "should")]
    found = Evidence(demo=[entry("A", "S1", "REQ-1", 3, vendor="a"), entry("A", "S2", "REQ-2", 5, vendor="a"),
                           entry("A", "S1", "REQ-1", 4, vendor="b"), entry("A", "S2", "REQ-2", 4, vendor="b")])
    results = score_vendors(requirements, [vendor("a"), vendor("b")], found)
    scores = by_slug(results)
    assert scores["a"].total == pytest.approx(80.0) and scores["b"].total == pytest.approx(80.0)
    assert [(result.vendor, result.rank) for result in results] == [("a", 1), ("b", 2)]


def test_totals_equal_on_paper_are_a_tie_broken_by_must_have_subtotal():
    # must REQ-1 (5), should REQ-2 (3), should REQ-3 (3); one evaluator, one step per requirement
    # "a": D 5, 0, 3 -> n 1, 0, 0.6     -> T = 100 × (5 + 0 + 1.8)/11     = 680/11 = 61.818…, must subtotal 100
    # "b": D 2, 4, 4 -> n 0.4, 0.8, 0.8 -> T = 100 × (2 + 2.4 + 2.4)/11 = 680/11,             must subtotal 40
    # a tie on T: the must subtotal decides, "a" first.
    requirements = [requirement("REQ-1", "must"), requirement("REQ-2", "should"), requirement("REQ-3", "should")]
    found = Evidence(demo=[entry("A", f"S{i}", f"REQ-{i}", score, vendor=slug)
                           for slug, scores in (("a", (5, 0, 3)), ("b", (2, 4, 4)))
                           for i, score in enumerate(scores, start=1)])
    results = score_vendors(requirements, [vendor("a"), vendor("b")], found)
    scores = by_slug(results)
    assert scores["a"].total == pytest.approx(680 / 11) and scores["b"].total == pytest.approx(680 / 11)
    assert scores["a"].must_subtotal == pytest.approx(100.0) and scores["b"].must_subtotal == pytest.approx(40.0)
    assert [(result.vendor, result.rank) for result in results] == [("a", 1), ("b", 2)]
