"""Properties of the scoring model that hold for any evidence (hypothesis)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reqtrace.scoring.engine import DemoEntry, Evidence, score_vendors
from tests.scoring.inputs import ANSWERS, CLAIM_VALUE, requirement, vendor

PROPERTY = settings(max_examples=200, deadline=None)
STRATEGIES = ("STR-1", "STR-2", "STR-3")
SLUGS = ("alpha", "bravo", "charlie", "delta")
EVALUATORS = ("ana", "ben", "cy")
STEPS = ("S1", "S2", "S3", "S4")
DEPLOYMENTS = ("on-premise", "hybrid-offline", "thin-client", "hosted-only")

# built once: drawing from prebuilt strategies keeps each example fast
PRIORITIES = st.sampled_from(["must", "should", "could", "wont"])
WEIGHTS = st.none() | st.sampled_from([0, 0.5, 1, 2, 3, 5, 8])
STRATEGY_LISTS = st.lists(st.sampled_from(STRATEGIES), unique=True, max_size=3)
ROLE_LISTS = st.lists(st.sampled_from(["ROL-1", "ROL-2"]), unique=True, max_size=2)
CAPABILITIES = st.sampled_from(["technology", "people"])
EXCLUDED = st.lists(st.sampled_from(["thin-client", "hosted-only"]), unique=True, max_size=2)
FLAGS = st.sampled_from([(), ("contract-before-poc",)])
COSTS = st.none() | st.integers(1, 10**6)
ENTRY_KEYS = st.lists(st.tuples(st.sampled_from(EVALUATORS), st.sampled_from(STEPS)), unique=True, max_size=8)
SCORES = st.none() | st.integers(0, 5).map(float) | st.floats(0, 5, allow_nan=False)
VERDICTS = st.sampled_from(["demonstrated", "partly", "not shown"])
CLAIMS = st.none() | st.sampled_from(ANSWERS)
ZERO_TO_FIVE = st.floats(0, 5, allow_nan=False)


@dataclasses.dataclass
class Case:
    requirements: list
    vendors: list
    evidence: Evidence


@st.composite
def cases(draw):
    count = draw(st.integers(1, 6))
    hids = [f"REQ-{i}" for i in range(1, count + 1)]
    requirements = [requirement(
        hid, draw(PRIORITIES), weight=draw(WEIGHTS), strategies=draw(STRATEGY_LISTS), roles=draw(ROLE_LISTS),
        capability=draw(CAPABILITIES), excluded=draw(EXCLUDED))
        for hid in hids]
    slugs = draw(st.lists(st.sampled_from(SLUGS), unique=True, min_size=1, max_size=4))
    vendors = [vendor(slug, deployment=draw(st.sampled_from(DEPLOYMENTS)), flags=draw(FLAGS), cost=draw(COSTS))
               for slug in slugs]
    # the script: each step cites one to three requirements, the same for every vendor and evaluator
    cited = {step: tuple(draw(st.lists(st.sampled_from(hids), unique=True, min_size=1, max_size=3)))
             for step in STEPS}
    found = Evidence()
    for slug in slugs:
        # at most one (latest) entry per evaluator and step
        for evaluator, step in draw(ENTRY_KEYS):
            found.demo.append(DemoEntry(slug, evaluator, step, cited[step], draw(SCORES), draw(VERDICTS)))
        for hid in hids:
            answer = draw(CLAIMS)
            if answer is not None:
                found.claims[(slug, hid)] = answer
            if draw(st.integers(0, 9)) == 0:
                found.consensus[(slug, hid)] = draw(ZERO_TO_FIVE)
            if draw(st.integers(0, 5)) == 0:
                found.probes[(slug, hid)] = {"sync": draw(st.booleans()), "pdf": draw(st.booleans())}
    return Case(requirements, vendors, found)


def run(case: Case, **options) -> dict:
    return {result.vendor: result for result in score_vendors(case.requirements, case.vendors, case.evidence,
                                                               **options)}


def assert_same_scores(first: dict, second: dict) -> None:
    assert set(first) == set(second)
    for slug, result in first.items():
        other = second[slug]
        assert other.total == pytest.approx(result.total, rel=1e-12, abs=1e-9), slug
        assert other.must_subtotal == pytest.approx(result.must_subtotal, rel=1e-12, abs=1e-9), slug
        assert other.knocked_out == result.knocked_out, slug
        assert sorted(other.knockout_reasons) == sorted(result.knockout_reasons), slug
        assert other.by_strategy == pytest.approx(result.by_strategy, rel=1e-12, abs=1e-9), slug
        assert other.by_role == pytest.approx(result.by_role, rel=1e-12, abs=1e-9), slug
        assert other.rank == result.rank, slug


@PROPERTY
@given(cases())
def test_totals_are_between_0_and_100(case):
    results = score_vendors(case.requirements, case.vendors, case.evidence)
    for result in results:
        assert 0.0 <= result.total <= 100.0
        assert 0.0 <= result.must_subtotal <= 100.0
        for rollup in (result.by_strategy, result.by_role, result.by_process, result.by_capability,
                       result.by_priority):
            assert all(0.0 <= value <= 100.0 for value in rollup.values()), rollup
    assert sorted(result.rank for result in results) == list(range(1, len(results) + 1))


@PROPERTY
@given(cases(), st.data())
def test_raising_one_evaluators_score_never_lowers_the_total(case, data):
    counted = [i for i, item in enumerate(case.evidence.demo)
               if item.score is not None or item.verdict == "not shown"]
    if not counted:
        return
    index = data.draw(st.sampled_from(counted))
    before = case.evidence.demo[index]
    old = before.score if before.score is not None else 0.0  # "not shown" without a score counts 0
    new = data.draw(st.floats(old, 5, allow_nan=False))
    first = run(case)
    case.evidence.demo[index] = dataclasses.replace(before, score=new)
    second = run(case)
    assert second[before.vendor].total >= first[before.vendor].total - 1e-9


@PROPERTY
@given(cases(), st.data())
def test_a_better_claim_never_lowers_the_total(case, data):
    slug = data.draw(st.sampled_from([v.slug for v in case.vendors]))
    hid = data.draw(st.sampled_from([r.hid for r in case.requirements]))
    old = case.evidence.claims.get((slug, hid))
    floor = CLAIM_VALUE[old] if old is not None else 0.0
    better = data.draw(st.sampled_from([answer for answer in ANSWERS if CLAIM_VALUE[answer] >= floor]))
    first = run(case)
    case.evidence.claims[(slug, hid)] = better
    second = run(case)
    assert second[slug].total >= first[slug].total - 1e-9


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_vendors_changes_no_score_or_rank(case, random):
    first = run(case)
    random.shuffle(case.vendors)
    assert_same_scores(first, run(case))


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_requirements_changes_no_score_or_rank(case, random):
    first = run(case)
    random.shuffle(case.requirements)
    assert_same_scores(first, run(case))


@PROPERTY
@given(cases(), st.integers(1, 12))
def test_equal_strategy_weights_change_nothing(case, k):
    strategies = list(STRATEGIES) + [f"STR-{i}" for i in range(4, k + 1)]
    equal = {strategy: 1 / len(strategies) for strategy in strategies}
    assert_same_scores(run(case), run(case, strategy_weights=equal))
