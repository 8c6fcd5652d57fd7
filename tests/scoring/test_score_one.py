"""`score_one`, behind the drill-down page, gives exactly what scoring every vendor gives for that cell.

The drill-down shows one vendor's score on one requirement; it computes only that one. Here every
vendor × requirement of the demo is checked against `score_vendors`, with the stored (equal) strategy
weights and with unequal ones, so a shortcut that forgot a source of evidence or the weights would show.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from reqtrace.db import make_engine
from reqtrace.model import Project
from reqtrace.scoring.engine import score_vendors
from reqtrace.scoring.load import load_scoring_input, score_one
from tests.scoring.test_demo_ranking import demo_db_url, demo_postgres_template  # noqa: F401  (fixtures)


@pytest.fixture
def demo_input(demo_db_url):  # noqa: F811
    engine = make_engine(demo_db_url)
    try:
        with Session(engine) as session:
            project = session.exec(select(Project).where(Project.key == "crm")).one()
            yield load_scoring_input(session, project)
    finally:
        engine.dispose()


def unequal_weights(data) -> dict[str, float]:
    strategies = sorted({s for r in data.requirements for s in r.strategies})
    raw = {hid: float(index + 1) for index, hid in enumerate(strategies)}
    return {hid: value / sum(raw.values()) for hid, value in raw.items()}


@pytest.mark.parametrize("weighting", ["stored", "unequal"])
def test_one_score_equals_the_same_cell_of_the_whole_ranking(demo_input, weighting):
    data = demo_input
    strategy_weights = data.strategy_weights if weighting == "stored" else unequal_weights(data)
    results = score_vendors(data.requirements, data.vendors, data.evidence, settings=data.settings,
                            strategy_weights=strategy_weights)
    kinds = set()
    for result in results:
        for requirement in data.requirements:
            expected = result.requirements[requirement.hid]
            assert score_one(data, result.vendor, requirement.hid, strategy_weights) == expected, \
                (result.vendor, requirement.hid)
            kinds.add(expected.basis)
    # the demo exercises each way a score arises, so the comparison above covers them all
    assert kinds >= {"demo", "consensus", "claim", "probe cap"}


def test_a_requirement_outside_the_scope_has_no_score(demo_input):
    assert score_one(demo_input, demo_input.vendors[0].slug, "REQ-99999") is None
