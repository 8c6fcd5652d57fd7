"""What vendors are scored on, read two ways: whole (`current_scope`, for exports and scoring) and as ids only
(`weighted_scope_ids`, for pages); on SQLite and PostgreSQL both must name the same requirements."""

from __future__ import annotations

import pytest
from sqlmodel import select

from reqtrace.model import Requirement
from reqtrace.services.baselines import create_baseline
from reqtrace.services.items import find_item, update_item
from reqtrace.services.scope import current_scope, effective_weight, weighted_scope_ids
from tests.builders import ProjectBuilder


@pytest.fixture
def session(rollback_session):
    return rollback_session


@pytest.fixture
def project(session):
    """Approved must, should, could and won't requirements, one with its own weight 0 and one with 2.5, a draft."""
    built = ProjectBuilder("crm").strategy("STR-1").role("ROL-1", strategies=["STR-1"]) \
        .process("PRC-1", roles=["ROL-1"]) \
        .requirement("REQ-1", processes=["PRC-1"], priority="must") \
        .requirement("REQ-2", processes=["PRC-1"], priority="should") \
        .requirement("REQ-3", processes=["PRC-1"], priority="could") \
        .requirement("REQ-4", processes=["PRC-1"], priority="wont") \
        .requirement("REQ-5", processes=["PRC-1"], priority="must", weight=0) \
        .requirement("REQ-6", processes=["PRC-1"], priority="wont", weight=2.5) \
        .requirement("REQ-7", processes=["PRC-1"], priority="must", status="draft").build(session)
    session.flush()
    return built


def hids(session, ids: set[int]) -> set[str]:
    return set(session.exec(select(Requirement.hid).where(Requirement.id.in_(ids))))


def whole(session, project) -> set[int]:
    return {row["id"] for row in current_scope(session, project).requirements if effective_weight(row) > 0}


def test_without_a_baseline_the_approved_requirements_that_carry_weight(session, project):
    label, baseline, ids = weighted_scope_ids(session, project)
    assert (label, baseline) == ("the approved requirements (no baseline yet)", "")
    assert hids(session, ids) == {"REQ-1", "REQ-2", "REQ-3", "REQ-6"}
    assert ids == whole(session, project)


def test_with_a_baseline_the_frozen_weights_and_priorities_count(session, project):
    create_baseline(session, project, name="B1", actor="test")
    kind, item = find_item(session, project, "REQ-2")
    update_item(session=session, project=project, kind=kind, item=item, fields={"priority": "wont"}, actor="test")
    kind, item = find_item(session, project, "REQ-5")
    update_item(session=session, project=project, kind=kind, item=item, fields={"weight": 4}, actor="test")
    label, baseline, ids = weighted_scope_ids(session, project)
    assert (label, baseline) == ("baseline B1", "B1")
    assert hids(session, ids) == {"REQ-1", "REQ-2", "REQ-3", "REQ-6"}  # as frozen, not as edited since
    assert ids == whole(session, project)
