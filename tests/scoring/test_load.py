"""Scoring a project from the database: what is scored, default weights, the chain above, project settings.

Claims are stored as a questionnaire import stores them (one VendorResponse per
answered requirement); the expectations are computed by hand in comments.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reqtrace.model import Requirement, VendorResponse
from reqtrace.scoring.load import score_project
from reqtrace.services.baselines import create_baseline
from reqtrace.services.items import get_item, set_status, update_item
from reqtrace.services.vendors import add_vendor
from tests.builders import ProjectBuilder


def store_answers(session, project, vendor, answers: dict[str, str]) -> None:
    ids = dict(session.exec(select(Requirement.hid, Requirement.id).where(Requirement.project_id == project.id)).all())
    for hid, answer in answers.items():
        session.add(VendorResponse(project_id=project.id, vendor_id=vendor.id, requirement_id=ids[hid], answer=answer))
    session.flush()


def scores(session, project) -> dict:
    _data, results = score_project(session, project)
    return {result.vendor: result for result in results}


ANSWERS = {"REQ-1": "fully supported", "REQ-2": "configuration", "REQ-3": "roadmap", "REQ-4": "not supported",
           "REQ-5": "fully supported", "REQ-6": "customisation"}


@pytest.fixture
def project(session):
    """STR-1 drives ROL-1 and ROL-2; PRC-1 (ROL-1), PRC-2 (ROL-2).

    REQ-1 must            PRC-1 + PRC-2 (reaches STR-1 through both roles), excludes thin-client, hosted-only
    REQ-2 must            PRC-1
    REQ-3 should          PRC-2
    REQ-4 could           PRC-2
    REQ-5 wont            PRC-2
    REQ-6 could, weight 4 PRC-1
    REQ-7 must, draft     PRC-1   (not approved: not scored)
    REQ-8 should          no process (technology-driven: scored, under no strategy)
    Vendors atlas (hybrid-offline) and nimbus (thin-client), both with ANSWERS.
    """
    project = (ProjectBuilder("crm").strategy("STR-1")
               .role("ROL-1", strategies=["STR-1"]).role("ROL-2", strategies=["STR-1"])
               .process("PRC-1", roles=["ROL-1"]).process("PRC-2", roles=["ROL-2"])
               .requirement("REQ-1", processes=["PRC-1", "PRC-2"], priority="must",
                            excluded_deployments=["thin-client", "hosted-only"])
               .requirement("REQ-2", processes=["PRC-1"], priority="must")
               .requirement("REQ-3", processes=["PRC-2"], priority="should")
               .requirement("REQ-4", processes=["PRC-2"], priority="could")
               .requirement("REQ-5", processes=["PRC-2"], priority="wont")
               .requirement("REQ-6", processes=["PRC-1"], priority="could", weight=4)
               .requirement("REQ-7", processes=["PRC-1"], priority="must", status="draft")
               .requirement("REQ-8", priority="should")
               .build(session))
    for slug, deployment in (("atlas", "hybrid-offline"), ("nimbus", "thin-client")):
        vendor = add_vendor(session, project, slug=slug, name=slug.title(), deployment=deployment, actor="test")
        store_answers(session, project, vendor, ANSWERS)
    return project


# n: REQ-1 0.5 ; REQ-2 0.4 ; REQ-3 0.1 ; REQ-4 0 ; REQ-5 (weight 0) ; REQ-6 0.25 ; REQ-8 0 (unanswered)
# weights (defaults, REQ-6 stored): 5, 5, 3, 1, 0, 4, -, 3
# T = 100 × (5×0.5 + 5×0.4 + 3×0.1 + 1×0 + 4×0.25 + 3×0) / (5+5+3+1+4+3) = 100 × 5.8 / 21 = 27.619…
TOTAL = 580 / 21
MUST_SUBTOTAL = 100 * (2.5 + 2) / 10  # 45
# STR-1 holds REQ-1 (once, although it is reached through two roles), -2, -3, -4, -6: 100 × 5.8 / 18 = 32.222…
STR_1 = 580 / 18
# ROL-1 / PRC-1: REQ-1, REQ-2, REQ-6 -> 100 × (2.5 + 2 + 1) / 14 ; ROL-2 / PRC-2: REQ-1, REQ-3, REQ-4 -> 100 × 2.8 / 9
ROL_1, ROL_2 = 550 / 14, 280 / 9


def test_the_approved_requirements_are_scored_with_default_weights(session, project):
    atlas = scores(session, project)["atlas"]
    assert atlas.total == pytest.approx(TOTAL)
    assert atlas.must_subtotal == pytest.approx(MUST_SUBTOTAL)
    assert atlas.knocked_out is False, atlas.knockout_reasons  # REQ-7 (draft, unanswered) is not scored


def test_roll_ups_through_the_chain_count_each_requirement_once(session, project):
    atlas = scores(session, project)["atlas"]
    assert atlas.by_strategy == pytest.approx({"STR-1": STR_1})
    assert atlas.by_role == pytest.approx({"ROL-1": ROL_1, "ROL-2": ROL_2})
    assert atlas.by_process == pytest.approx({"PRC-1": ROL_1, "PRC-2": ROL_2})
    # must 45 ; should REQ-3, REQ-8: 100 × 0.3 / 6 = 5 ; could REQ-4, REQ-6: 100 × 1 / 5 = 20 ; wont not listed
    assert atlas.by_priority == pytest.approx({"must": 45.0, "should": 5.0, "could": 20.0})


def test_a_deployment_excluded_by_a_must_have_knocks_out_in_the_database_too(session, project):
    results = scores(session, project)
    nimbus = results["nimbus"]
    assert nimbus.total == pytest.approx(TOTAL)
    assert nimbus.knocked_out is True
    assert any("thin-client" in reason and "REQ-1" in reason for reason in nimbus.knockout_reasons)
    assert (results["atlas"].rank, nimbus.rank) == (1, 2)


def test_suspect_links_still_count_in_the_roll_ups(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    update_item(session=session, project=project, kind="strategy", item=strategy,
                fields={"statement": "A changed statement: every link below is now suspect."}, actor="test")
    session.flush()
    assert scores(session, project)["atlas"].by_strategy == pytest.approx({"STR-1": STR_1})


def test_a_baseline_freezes_what_is_scored(session, project):
    create_baseline(session, project, name="B1", actor="test")
    # after the baseline: REQ-2 becomes a could-have, the draft must-have REQ-7 is approved (and unanswered)
    update_item(session=session, project=project, kind="requirement", item=get_item(session, project, "requirement",
                                                                                     "REQ-2"),
                fields={"priority": "could"}, actor="test")
    set_status(session=session, project=project, kind="requirement",
               item=get_item(session, project, "requirement", "REQ-7"), status="approved", actor="test")
    session.flush()
    atlas = scores(session, project)["atlas"]
    # still the baseline's requirements and weights
    assert atlas.total == pytest.approx(TOTAL)
    assert atlas.must_subtotal == pytest.approx(MUST_SUBTOTAL)
    assert atlas.knocked_out is False, atlas.knockout_reasons


def test_without_a_baseline_the_approved_set_moves(session, project):
    set_status(session=session, project=project, kind="requirement",
               item=get_item(session, project, "requirement", "REQ-7"), status="approved", actor="test")
    session.flush()
    atlas = scores(session, project)["atlas"]
    # REQ-7 (must, 5, unanswered: n 0) joins: T = 100 × 5.8 / 26 ; knocked out by REQ-7
    assert atlas.total == pytest.approx(580 / 26)
    assert atlas.knocked_out is True
    assert any("REQ-7" in reason for reason in atlas.knockout_reasons)


def test_project_scoring_settings_apply(session, project):
    project.settings = {"scoring": {"claim_factor": 0.25}}
    session.add(project)
    session.flush()
    atlas = scores(session, project)["atlas"]
    # every n halves (all evidence is claims): T = 27.619… / 2 ; REQ-2 now 0.25 × 0.8 = 0.2 < 0.4: knocked out
    assert atlas.total == pytest.approx(TOTAL / 2)
    assert atlas.knocked_out is True


def test_project_strategy_weights_apply(session):
    # STR-1 -> REQ-1 (must), STR-2 -> REQ-2 (must); atlas: REQ-1 fully (0.5), REQ-2 configuration (0.4)
    project = ProjectBuilder("aw").chain(2).build(session)
    for hid in ("REQ-1", "REQ-2"):
        update_item(session=session, project=project, kind="requirement",
                    item=get_item(session, project, "requirement", hid), fields={"priority": "must"}, actor="test")
    vendor = add_vendor(session, project, slug="atlas", name="Atlas", deployment="on-premise", actor="test")
    store_answers(session, project, vendor, {"REQ-1": "fully supported", "REQ-2": "configuration"})
    # no weights: T = 100 × (5×0.5 + 5×0.4) / 10 = 45
    assert scores(session, project)["atlas"].total == pytest.approx(45.0)
    # equal weights change nothing
    project.settings = {"strategy_weights": {"STR-1": 0.5, "STR-2": 0.5}}
    session.add(project)
    session.flush()
    assert scores(session, project)["atlas"].total == pytest.approx(45.0)
    # a = (0.8, 0.2), k = 2: w1 = 5 × 2 × 0.8 = 8, w2 = 5 × 2 × 0.2 = 2 ; T = 100 × (8×0.5 + 2×0.4) / 10 = 48
    project.settings = {"strategy_weights": {"STR-1": 0.8, "STR-2": 0.2}}
    session.add(project)
    session.flush()
    atlas = scores(session, project)["atlas"]
    assert atlas.total == pytest.approx(48.0)
    assert atlas.by_strategy == pytest.approx({"STR-1": 50.0, "STR-2": 40.0})


def test_a_baselined_requirement_retired_later_stays_in_the_roll_ups_of_the_chain_above_it(session, project):
    # REQ-3 is frozen in baseline B1, so it is still scored (T and knock-outs are the baseline's). Retiring it later
    # changes no role or process: it is still beneath PRC-2, ROL-2 and STR-1 through the current roles and
    # processes, so every roll-up keeps it — STR-1 stays 32.222…, like the total over the same requirements.
    create_baseline(session, project, name="B1", actor="test")
    set_status(session=session, project=project, kind="requirement",
               item=get_item(session, project, "requirement", "REQ-3"), status="retired", actor="test")
    session.flush()
    atlas = scores(session, project)["atlas"]
    assert atlas.total == pytest.approx(TOTAL)
    assert atlas.by_strategy == pytest.approx({"STR-1": STR_1})
    assert atlas.by_role == pytest.approx({"ROL-1": ROL_1, "ROL-2": ROL_2})
