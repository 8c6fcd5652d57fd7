"""Strategy weights by pairwise comparison (AHP): the method, its refusals, and its effect on the scores.

Published reference numbers come from the worked example of the English
Wikipedia article "Analytic hierarchy process – leader example" (choosing a
leader among Tom, Dick and Harry on experience, education, charisma and age):
criteria priorities .547, .127, .270, .056 with CR .044; the candidates'
priorities per criterion; and the overall priorities Tom .358, Dick .493,
Harry .149. The numbers are also checked here by calculations independent of
power iteration: the row geometric mean (exact for three items, close for
more), the closed form of λmax for 3 × 3 reciprocal matrices, and the largest
root of the characteristic polynomial found by bisection on a determinant.
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine, session_scope
from reqtrace.model import AuditEvent
from reqtrace.scoring.ahp import (
    JudgementError,
    implied_value,
    pairwise_weights,
    parse_csv,
    parse_toml,
    reciprocal_matrix,
)
from reqtrace.scoring.engine import score_vendors
from reqtrace.services.items import list_items
from reqtrace.services.projects import get_project
from reqtrace.services.responses import replace_answers
from reqtrace.services.vendors import get_vendor
from tests.scoring.inputs import evidence, requirement, vendor

# Saaty's random index, n = 1..15 (the table the brief and docs/scoring.md give).
SAATY_RI = [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59]

CRITERIA = ["experience", "education", "charisma", "age"]
CRITERIA_JUDGEMENTS = {("experience", "education"): 4, ("experience", "charisma"): 3, ("experience", "age"): 7,
                       ("education", "charisma"): 1 / 3, ("education", "age"): 3, ("charisma", "age"): 5}
CRITERIA_PUBLISHED = {"experience": 0.547, "education": 0.127, "charisma": 0.270, "age": 0.056}
CRITERIA_PUBLISHED_CR = 0.044

CANDIDATES = ["tom", "dick", "harry"]
# criterion -> ((tom vs dick, tom vs harry, dick vs harry), published priorities tom, dick, harry)
CANDIDATE_JUDGEMENTS = {
    "experience": ((1 / 4, 4, 9), (0.217, 0.717, 0.066)),
    "education": ((3, 1 / 5, 1 / 7), (0.188, 0.081, 0.731)),
    "charisma": ((5, 9, 4), (0.743, 0.194, 0.063)),
    "age": ((1 / 3, 5, 9), (0.265, 0.672, 0.063)),
}
OVERALL_PUBLISHED = {"tom": 0.358, "dick": 0.493, "harry": 0.149}


# --- independent references --------------------------------------------------------------------

def full_matrix(items, judgements):
    index = {item: i for i, item in enumerate(items)}
    matrix = [[1.0] * len(items) for _ in items]
    for (a, b), value in judgements.items():
        matrix[index[a]][index[b]], matrix[index[b]][index[a]] = float(value), 1.0 / float(value)
    return matrix


def geometric_mean_weights(matrix):
    means = [math.prod(row) ** (1 / len(row)) for row in matrix]
    return [mean / sum(means) for mean in means]


def determinant(matrix):
    rows = [list(row) for row in matrix]
    n, result = len(rows), 1.0
    for column in range(n):
        pivot = max(range(column, n), key=lambda r: abs(rows[r][column]))
        if rows[pivot][column] == 0:
            return 0.0
        if pivot != column:
            rows[column], rows[pivot] = rows[pivot], rows[column]
            result = -result
        result *= rows[column][column]
        for r in range(column + 1, n):
            factor = rows[r][column] / rows[column][column]
            for c in range(column, n):
                rows[r][c] -= factor * rows[column][c]
    return result


def lambda_max_by_bisection(matrix):
    """The largest real root of det(A − λI) in [n, n²]: for a positive reciprocal matrix that is λmax."""
    n = len(matrix)
    char = lambda lam: determinant([[matrix[i][j] - (lam if i == j else 0) for j in range(n)]  # noqa: E731
                                    for i in range(n)])
    low, high = float(n) + 1e-9, float(n * n)
    sign_high = math.copysign(1, char(high))  # beyond the largest root the sign is fixed
    for _ in range(200):
        middle = (low + high) / 2
        if math.copysign(1, char(middle)) == sign_high:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def lambda_max_3x3(a12, a13, a23):
    """Closed form for a 3 × 3 reciprocal matrix: λmax = 1 + c^(1/3) + c^(−1/3), c = a13 / (a12 a23)."""
    c = a13 / (a12 * a23)
    return 1 + c ** (1 / 3) + c ** (-1 / 3)


# --- published examples --------------------------------------------------------------------------

def test_the_leader_example_criteria_match_the_published_priorities_and_cr():
    result = pairwise_weights(CRITERIA, CRITERIA_JUDGEMENTS)
    for criterion, published in CRITERIA_PUBLISHED.items():
        # the article prints 3 decimals; experience comes out 0.5476 (printed .547), the others round exactly
        assert result.weights[criterion] == pytest.approx(published, abs=0.001)
    assert sum(result.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert result.cr == pytest.approx(CRITERIA_PUBLISHED_CR, abs=0.0005)
    assert result.consistent

    matrix = full_matrix(CRITERIA, CRITERIA_JUDGEMENTS)
    reference = lambda_max_by_bisection(matrix)
    assert result.lambda_max == pytest.approx(reference, abs=1e-9)
    assert result.ci == pytest.approx((reference - 4) / 3, abs=1e-9)
    assert result.cr == pytest.approx((reference - 4) / 3 / 0.90, abs=1e-9)
    for weight, approximation in zip((result.weights[c] for c in CRITERIA), geometric_mean_weights(matrix)):
        assert weight == pytest.approx(approximation, abs=0.005)


@pytest.mark.parametrize("criterion", list(CANDIDATE_JUDGEMENTS))
def test_the_leader_example_candidates_match_the_published_priorities(criterion):
    (tom_dick, tom_harry, dick_harry), published = CANDIDATE_JUDGEMENTS[criterion]
    judgements = {("tom", "dick"): tom_dick, ("tom", "harry"): tom_harry, ("dick", "harry"): dick_harry}
    result = pairwise_weights(CANDIDATES, judgements)
    for candidate, expected in zip(CANDIDATES, published):
        assert result.weights[candidate] == pytest.approx(expected, abs=0.0005)
    # for three items the row geometric mean is the principal eigenvector exactly
    exact = geometric_mean_weights(full_matrix(CANDIDATES, judgements))
    assert [result.weights[c] for c in CANDIDATES] == pytest.approx(exact, abs=1e-10)
    expected_lambda = lambda_max_3x3(tom_dick, tom_harry, dick_harry)
    assert result.lambda_max == pytest.approx(expected_lambda, abs=1e-10)
    assert result.cr == pytest.approx((expected_lambda - 3) / 2 / 0.58, abs=1e-10)
    assert result.consistent


def test_the_leader_example_composes_to_the_published_overall_priorities():
    criteria = pairwise_weights(CRITERIA, CRITERIA_JUDGEMENTS).weights
    overall = dict.fromkeys(CANDIDATES, 0.0)
    for criterion, ((tom_dick, tom_harry, dick_harry), _published) in CANDIDATE_JUDGEMENTS.items():
        local = pairwise_weights(CANDIDATES, {("tom", "dick"): tom_dick, ("tom", "harry"): tom_harry,
                                              ("dick", "harry"): dick_harry}).weights
        for candidate in CANDIDATES:
            overall[candidate] += criteria[criterion] * local[candidate]
    assert overall == pytest.approx(OVERALL_PUBLISHED, abs=0.001)


# --- consistency -------------------------------------------------------------------------------

def consistent_judgements(weights: dict[str, float]) -> dict[tuple[str, str], float]:
    names = list(weights)
    return {(a, b): weights[a] / weights[b] for i, a in enumerate(names) for b in names[i + 1:]}


def test_a_perfectly_consistent_matrix_gives_cr_zero_and_the_exact_ratios():
    truth = {"STR-1": 8, "STR-2": 4, "STR-3": 2, "STR-4": 1}
    result = pairwise_weights(list(truth), consistent_judgements(truth))
    assert result.weights == pytest.approx({hid: value / 15 for hid, value in truth.items()}, abs=1e-12)
    assert result.weights["STR-1"] / result.weights["STR-4"] == pytest.approx(8, rel=1e-12)
    assert result.lambda_max == pytest.approx(4, abs=1e-10)
    assert result.cr == pytest.approx(0, abs=1e-10)
    assert result.consistent
    assert result.most_inconsistent.deviation == pytest.approx(1, abs=1e-10)


@pytest.mark.parametrize("n", [1, 2])
def test_one_or_two_strategies_are_always_consistent(n):
    names = ["STR-1", "STR-2"][:n]
    result = pairwise_weights(names, {("STR-1", "STR-2"): 9} if n == 2 else {})
    assert result.cr == 0
    assert result.consistent
    assert result.weights == pytest.approx({"STR-1": 0.9, "STR-2": 0.1} if n == 2 else {"STR-1": 1.0})


def test_the_random_index_table_is_saatys():
    from reqtrace.scoring.ahp import RANDOM_INDEX

    assert list(RANDOM_INDEX) == SAATY_RI


def test_an_inconsistent_set_names_the_most_inconsistent_pair():
    # consistent with 8:4:2:1 except STR-1 vs STR-4, judged the wrong way round (1/9 instead of 8)
    judgements = consistent_judgements({"STR-1": 8, "STR-2": 4, "STR-3": 2, "STR-4": 1})
    judgements[("STR-1", "STR-4")] = 1 / 9
    result = pairwise_weights(["STR-1", "STR-2", "STR-3", "STR-4"], judgements)
    assert result.cr > 0.10 and not result.consistent
    worst = result.most_inconsistent
    assert (worst.a, worst.b) == ("STR-1", "STR-4")
    assert worst.value == pytest.approx(1 / 9)
    # The other five judgements are exactly 8:4:2:1, so they imply STR-1 = 8 × STR-4 (not the weights' ratio,
    # which the wrong judgement itself drags down to about 0.61).
    assert worst.consistent_value == pytest.approx(8, rel=1e-9)
    assert worst.describe() == "STR-1 vs STR-4 judged 1/9, the other judgements imply 8.00 (≈ 8)"


def _one_ahead_and_some_disputes(disputes: dict[tuple[str, str], float]) -> tuple[list[str], dict]:
    """STR-1 three times every other strategy, the others equal, except the disputed pairs."""
    names = [f"STR-{k}" for k in range(1, 12)]
    judgements = {(a, b): 3.0 if a == "STR-1" else 1.0 for i, a in enumerate(names) for b in names[i + 1:]}
    judgements.update(disputes)
    return names, judgements


@pytest.mark.parametrize("disputes", [
    {("STR-6", "STR-7"): 9},
    {("STR-2", "STR-3"): 1 / 9, ("STR-4", "STR-5"): 9, ("STR-6", "STR-7"): 9},
])
def test_the_value_the_other_judgements_imply_leaves_out_the_judgement_itself(disputes):
    """STR-6 and STR-7 are judged alike against everything else: the other judgements imply 1, whatever
    STR-6 vs STR-7 says (the full weights, pulled by that judgement, said 1.67 or 1.77)."""
    names, judgements = _one_ahead_and_some_disputes(disputes)
    worst = pairwise_weights(names, judgements).most_inconsistent
    assert (worst.a, worst.b) in disputes
    assert worst.consistent_value == pytest.approx(1, rel=1e-9)
    assert worst.deviation == pytest.approx(9, rel=1e-9)
    assert worst.describe().endswith(", the other judgements imply 1.00 (≈ 1)")


def test_the_implied_value_of_each_disputed_pair_is_what_the_rest_say():
    names, judgements = _one_ahead_and_some_disputes({("STR-2", "STR-3"): 1 / 9, ("STR-6", "STR-7"): 9})
    matrix, _given = reciprocal_matrix(names, judgements)
    index = {name: position for position, name in enumerate(names)}
    assert implied_value(matrix, index["STR-6"], index["STR-7"]) == pytest.approx(1, rel=1e-9)
    assert implied_value(matrix, index["STR-2"], index["STR-3"]) == pytest.approx(1, rel=1e-9)
    # STR-1 is judged 3 × STR-8 directly and 3 × everything else too: leaving the direct judgement out, the rest
    # still say 3.
    assert implied_value(matrix, index["STR-1"], index["STR-8"]) == pytest.approx(3, rel=1e-6)


def test_with_two_strategies_no_other_judgement_implies_anything():
    worst = pairwise_weights(["STR-1", "STR-2"], {("STR-1", "STR-2"): 9}).most_inconsistent
    assert (worst.consistent_value, worst.deviation) == (pytest.approx(9), pytest.approx(1))


def test_a_missing_pair_is_an_error_naming_the_pair():
    judgements = consistent_judgements({"STR-1": 3, "STR-2": 2, "STR-3": 1})
    del judgements[("STR-2", "STR-3")]
    with pytest.raises(JudgementError, match="STR-2 vs STR-3") as error:
        pairwise_weights(["STR-1", "STR-2", "STR-3"], judgements)
    assert error.value.pair == ("STR-2", "STR-3")


@pytest.mark.parametrize("value", [10, 1 / 10, 0, -3, float("nan"), float("inf")])
def test_a_value_off_the_scale_is_refused_naming_the_pair(value):
    with pytest.raises(JudgementError, match="STR-1 vs STR-2"):
        pairwise_weights(["STR-1", "STR-2"], {("STR-1", "STR-2"): value})


def test_a_judgement_given_both_ways_must_agree():
    assert pairwise_weights(["A", "B"], {("A", "B"): 3, ("B", "A"): 1 / 3}).weights["A"] == pytest.approx(0.75)
    with pytest.raises(JudgementError, match="twice"):
        pairwise_weights(["A", "B"], {("A", "B"): 3, ("B", "A"): 3})


def test_an_unknown_strategy_is_refused():
    with pytest.raises(JudgementError, match="STR-9"):
        pairwise_weights(["STR-1", "STR-2"], {("STR-1", "STR-2"): 3, ("STR-1", "STR-9"): 2})


def test_more_than_fifteen_strategies_have_no_random_index():
    names = [f"STR-{i}" for i in range(1, 17)]
    with pytest.raises(JudgementError, match="15"):
        pairwise_weights(names, consistent_judgements(dict.fromkeys(names, 1)))


def test_judgement_files_csv_and_toml():
    assert parse_csv("A,B,Value\n# comment\n\nSTR-1,STR-2,3\nSTR-1,STR-3,1/5\n") == {
        ("STR-1", "STR-2"): 3.0, ("STR-1", "STR-3"): 0.2}
    assert parse_toml('[STR-1]\nSTR-2 = 3\nSTR-3 = "1/5"\n') == {("STR-1", "STR-2"): 3.0, ("STR-1", "STR-3"): 0.2}
    assert parse_toml('[judgements.STR-1]\nSTR-2 = 0.5\n') == {("STR-1", "STR-2"): 0.5}
    with pytest.raises(JudgementError, match="STR-1 vs STR-2"):
        parse_csv("STR-1,STR-3,5\nSTR-1,STR-2,three\n")  # a first row that is no judgement is a header


# --- the effect on the scores -----------------------------------------------------------------------

def three_strategy_requirements():
    return [requirement("REQ-1", "must", strategies=["STR-1"]),
            requirement("REQ-2", "should", strategies=["STR-2", "STR-3"]),
            requirement("REQ-3", "could", strategies=["STR-1", "STR-2"]),
            requirement("REQ-4", "should", strategies=["STR-3"])]


def claims_evidence():
    return evidence(claims={"REQ-1": "fully supported", "REQ-2": "configuration", "REQ-3": "roadmap",
                            "REQ-4": "not supported"})


def test_equal_strategy_weights_change_no_total():
    equal = pairwise_weights(["STR-1", "STR-2", "STR-3"], {("STR-1", "STR-2"): 1, ("STR-1", "STR-3"): 1,
                                                           ("STR-2", "STR-3"): 1})
    assert equal.weights == pytest.approx({"STR-1": 1 / 3, "STR-2": 1 / 3, "STR-3": 1 / 3}, abs=1e-15)
    (plain,) = score_vendors(three_strategy_requirements(), [vendor()], claims_evidence())
    (weighted,) = score_vendors(three_strategy_requirements(), [vendor()], claims_evidence(),
                                strategy_weights=equal.weights)
    assert weighted.total == pytest.approx(plain.total, rel=1e-12)
    assert weighted.must_subtotal == pytest.approx(plain.must_subtotal, rel=1e-12)
    assert weighted.by_strategy == pytest.approx(plain.by_strategy, rel=1e-12)


def test_applied_weights_scale_requirement_weights_by_k_times_the_largest_weight_above():
    # STR-1 twice as important as STR-2 and STR-3: a = 0.5, 0.25, 0.25; k = 3
    result = pairwise_weights(["STR-1", "STR-2", "STR-3"], {("STR-1", "STR-2"): 2, ("STR-1", "STR-3"): 2,
                                                            ("STR-2", "STR-3"): 1})
    assert result.weights == pytest.approx({"STR-1": 0.5, "STR-2": 0.25, "STR-3": 0.25}, abs=1e-12)
    (scored,) = score_vendors(three_strategy_requirements(), [vendor()], claims_evidence(),
                              strategy_weights=result.weights)
    # wᵣ × k × max aₛ: REQ-1 5 × 1.5 = 7.5; REQ-2 3 × 0.75 = 2.25; REQ-3 1 × 1.5 (STR-1 wins) = 1.5;
    # REQ-4 3 × 0.75 = 2.25. nᵣ = 0.5 × claim: 0.5, 0.4, 0.1, 0.
    weights = {"REQ-1": 7.5, "REQ-2": 2.25, "REQ-3": 1.5, "REQ-4": 2.25}
    n = {"REQ-1": 0.5, "REQ-2": 0.4, "REQ-3": 0.1, "REQ-4": 0.0}
    assert {hid: score.weight for hid, score in scored.requirements.items()} == pytest.approx(weights)
    expected = 100 * sum(weights[h] * n[h] for h in weights) / sum(weights.values())
    assert scored.total == pytest.approx(expected)
    (plain,) = score_vendors(three_strategy_requirements(), [vendor()], claims_evidence())
    assert plain.total == pytest.approx(100 * (5 * 0.5 + 3 * 0.4 + 1 * 0.1 + 3 * 0) / 12)
    assert scored.total != pytest.approx(plain.total)


# --- the command line on the sample project ------------------------------------------------------------

@pytest.fixture(autouse=True)
def close_engines():
    yield
    dispose_all()


def reqtrace(url: str, *args):
    return CliRunner().invoke(main, ["--db", url, *map(str, args)])


def sample_setup(url: str) -> list[str]:
    """Atlas answers every approved requirement (cycling through three answers); returns the active strategies."""
    engine = make_engine(url)
    try:
        with session_scope(engine, write=True) as session:
            project = get_project(session, "crm")
            answers = ("fully supported", "configuration", "customisation")
            approved = [item.hid for item in list_items(session, project, "requirement") if item.status == "approved"]
            replace_answers(session, project, get_vendor(session, project, "atlas"),
                            {hid: {"answer": answers[i % 3]} for i, hid in enumerate(approved)}, actor="test")
            return [item.hid for item in list_items(session, project, "strategy", include_retired=False)]
    finally:
        engine.dispose()


def audit_events(url: str, action: str) -> list[AuditEvent]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                     .order_by(AuditEvent.id)).scalars())
    finally:
        engine.dispose()


def project_settings(url: str) -> dict:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return dict(get_project(session, "crm").settings or {})
    finally:
        engine.dispose()


def scoring_inputs(url: str):
    from reqtrace.scoring.load import load_scoring_input

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return load_scoring_input(session, get_project(session, "crm"))
    finally:
        engine.dispose()


def score(url: str) -> dict:
    result = reqtrace(url, "score", "--project", "crm", "--details", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_csv(path, judgements: dict[tuple[str, str], float]):
    path.write_text("A,B,Value\n" + "".join(f"{a},{b},{value!r}\n" for (a, b), value in judgements.items()))
    return path


def test_pairwise_weights_round_trip_on_the_sample_project(sample_url, cli_env, tmp_path):
    strategies = sample_setup(sample_url)
    assert len(strategies) >= 3
    truth = {hid: (3 if i == 0 else 2 if i == 1 else 1) for i, hid in enumerate(strategies)}
    expected = {hid: value / sum(truth.values()) for hid, value in truth.items()}
    csv_file = write_csv(tmp_path / "judgements.csv", consistent_judgements(truth))
    before = score(sample_url)

    dry = reqtrace(sample_url, "weights", "pairwise", "--project", "crm", csv_file, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    document = json.loads(dry.stdout)
    assert document["applied"] is False and document["weights"] == pytest.approx(expected, abs=1e-12)
    assert "strategy_weights" not in project_settings(sample_url)
    assert audit_events(sample_url, "strategy_weights") == []

    applied = reqtrace(sample_url, "weights", "pairwise", "--project", "crm", csv_file, "--json")
    assert applied.exit_code == 0, applied.output
    document = json.loads(applied.stdout)
    assert document["applied"] is True and document["cr"] == pytest.approx(0, abs=1e-10)
    assert document["weights"] == pytest.approx(expected, abs=1e-12)

    (event,) = audit_events(sample_url, "strategy_weights")
    assert event.actor == "cli:test" and event.entity_type == "project" and event.entity_id == "crm"
    assert event.before == {"strategy_weights": None, "strategy_judgements": None}
    assert event.after["strategy_weights"] == pytest.approx(expected, abs=1e-12)
    assert len(event.after["strategy_judgements"]) == len(strategies) * (len(strategies) - 1) // 2

    after = score(sample_url)
    assert after["strategy_weights"] == pytest.approx(expected, abs=1e-12)
    # each requirement's weight is its own × k × the largest aₛ above it (DESIGN.md)
    k = len(strategies)
    above = {r.hid: r.strategies for r in scoring_inputs(sample_url).requirements}
    atlas_before = next(v for v in before["vendors"] if v["vendor"] == "atlas")
    atlas_after = next(v for v in after["vendors"] if v["vendor"] == "atlas")
    base = {row["hid"]: row["weight"] for row in atlas_before["requirements"]}
    n = {row["hid"]: row["n"] for row in atlas_before["requirements"]}
    scaled = {hid: weight * k * max(expected[s] for s in above[hid]) if any(s in expected for s in above[hid])
              else weight for hid, weight in base.items()}
    assert {row["hid"]: row["weight"] for row in atlas_after["requirements"]} == pytest.approx(scaled, rel=1e-12)
    counted = [hid for hid in scaled if scaled[hid] > 0]
    total = 100 * sum(scaled[h] * n[h] for h in counted) / sum(scaled[h] for h in counted)
    assert atlas_after["total"] == pytest.approx(total, rel=1e-12)
    assert atlas_after["total"] != pytest.approx(atlas_before["total"], rel=1e-9)

    shown = reqtrace(sample_url, "weights", "show", "--project", "crm", "--json")
    assert shown.exit_code == 0, shown.output
    shown_document = json.loads(shown.stdout)
    assert shown_document["strategy_weights"] == pytest.approx(expected, abs=1e-12)
    assert shown_document["consistency"]["consistent"] is True

    cleared = reqtrace(sample_url, "weights", "clear", "--project", "crm")
    assert cleared.exit_code == 0, cleared.output
    assert len(audit_events(sample_url, "strategy_weights_clear")) == 1
    final = score(sample_url)
    assert final["strategy_weights"] is None
    assert next(v for v in final["vendors"] if v["vendor"] == "atlas")["total"] == pytest.approx(
        atlas_before["total"], rel=1e-12)


def test_inconsistent_or_incomplete_judgements_are_refused_with_nothing_stored(sample_url, cli_env, tmp_path):
    strategies = sample_setup(sample_url)
    first, second, third = strategies[:3]
    judgements = consistent_judgements(dict.fromkeys(strategies, 1))
    # a cycle: first ≫ second ≫ third ≫ first
    judgements[(first, second)], judgements[(second, third)], judgements[(first, third)] = 9, 9, 1 / 9
    refused = reqtrace(sample_url, "weights", "pairwise", "--project", "crm",
                       write_csv(tmp_path / "cycle.csv", judgements))
    assert refused.exit_code == 1
    assert "CR" in refused.stderr and " vs " in refused.stderr
    assert "strategy_weights" not in project_settings(sample_url)
    assert audit_events(sample_url, "strategy_weights") == []

    as_json = reqtrace(sample_url, "weights", "pairwise", "--project", "crm", tmp_path / "cycle.csv", "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["applied"] is False and document["cr"] > 0.10 and document["consistent"] is False
    worst = document["most_inconsistent"]
    assert f"{worst['a']} vs {worst['b']}" in document["error"]

    incomplete = consistent_judgements(dict.fromkeys(strategies, 1))
    del incomplete[(strategies[-2], strategies[-1])]
    missing = reqtrace(sample_url, "weights", "pairwise", "--project", "crm",
                       write_csv(tmp_path / "missing.csv", incomplete))
    assert missing.exit_code == 1
    assert f"{strategies[-2]} vs {strategies[-1]}" in missing.stderr
    assert "strategy_weights" not in project_settings(sample_url)


def test_a_scoring_settings_override_changes_the_score_and_is_audited(sample_url, cli_env):
    sample_setup(sample_url)
    before = score(sample_url)
    assert before["settings"] == {"claim_factor": 0.5, "knockout_threshold": 0.4, "probe_cap": 0.2}

    result = reqtrace(sample_url, "settings", "scoring", "--project", "crm", "--claim-factor", "0.25", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["changed"] is True and document["scoring"]["claim_factor"] == 0.25
    (event,) = audit_events(sample_url, "scoring_settings")
    assert event.before == {} and event.after == {"claim_factor": 0.25}
    assert event.actor == "cli:test"

    after = score(sample_url)
    assert after["settings"]["claim_factor"] == 0.25
    atlas = lambda doc: next(v for v in doc["vendors"] if v["vendor"] == "atlas")  # noqa: E731
    # atlas has only claims: every nᵣ, and so T, halves with the claim factor
    assert atlas(after)["total"] == pytest.approx(atlas(before)["total"] / 2, rel=1e-12)
    # and a must-have claimed "fully supported" now scores 0.25, below the 0.4 threshold: a knock-out
    fully = lambda doc: [r for r in atlas(doc)["knockout_reasons"] if "claimed fully supported" in r]  # noqa: E731
    assert fully(before) == [] and fully(after) != []


@pytest.mark.parametrize("option, value", [("--claim-factor", "1.5"), ("--knockout-threshold", "-0.1"),
                                           ("--probe-cap", "nan")])
def test_invalid_scoring_settings_are_refused_with_nothing_stored(sample_url, cli_env, option, value):
    result = reqtrace(sample_url, "settings", "scoring", "--project", "crm", "--claim-factor", "0.3", option, value,
                      "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["errors"][0]["field"] == option[2:].replace("-", "_")
    assert "scoring" not in project_settings(sample_url)
    assert audit_events(sample_url, "scoring_settings") == []
