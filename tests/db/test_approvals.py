"""Approving several items at once (the approval queue's service), on SQLite and PostgreSQL: all or none,
each approval the item page's own (audited, versioned), and the queue it approves from."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from reqtrace.model import AuditEvent, Role
from reqtrace.services.approval_queue import approval_queue
from reqtrace.services.approvals import approve_items
from reqtrace.services.errors import PermissionDenied, SelectionRefused
from reqtrace.services.items import find_item, get_item, set_status, update_item
from tests.builders import ProjectBuilder


@pytest.fixture
def session(rollback_session):
    """Every test here runs in a transaction that is rolled back (see tests/db/conftest.py)."""
    return rollback_session


@pytest.fixture
def project(session):
    """STR-1 -> ROL-1 -> PRC-1 -> REQ-1, proposed but for PRC-1 (a draft); STR-2 approved, ROL-2 under it proposed."""
    built = ProjectBuilder("crm") \
        .strategy("STR-1", status="proposed").role("ROL-1", strategies=["STR-1"], status="proposed") \
        .process("PRC-1", roles=["ROL-1"], status="draft") \
        .requirement("REQ-1", processes=["PRC-1"], status="proposed") \
        .strategy("STR-2").role("ROL-2", strategies=["STR-2"], status="proposed").build(session)
    session.commit()  # the chain stays; a test's own rollback undoes only what it did
    return built


def statuses(session, project, *hids: str) -> dict[str, str]:
    return {hid: find_item(session, project, hid)[1].status for hid in hids}


def versions(session, project, *hids: str) -> dict[str, int]:
    """What the queue page shows for each item: the version to approve it at."""
    return {hid: find_item(session, project, hid)[1].version for hid in hids}


def status_events(session, project) -> list[tuple[str, str, str]]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.project_id == project.id, AuditEvent.action == "status")
                        .order_by(AuditEvent.id)).all()
    return [(event.entity_id, event.actor, event.after["status"]) for event in rows]


def test_the_selection_is_approved_top_down_with_one_audit_event_per_item(session, project):
    seen = versions(session, project, "REQ-1", "ROL-2", "STR-1", "ROL-1")
    done = approve_items(session=session, project=project, versions=seen, actor="lead", actor_role="admin")
    assert done.items == ["STR-1", "ROL-1", "ROL-2", "REQ-1"]  # parents first, whatever order they came in
    assert statuses(session, project, "STR-1", "ROL-1", "ROL-2", "REQ-1") == dict.fromkeys(
        ["STR-1", "ROL-1", "ROL-2", "REQ-1"], "approved")
    assert status_events(session, project) == [("STR-1", "lead", "approved"), ("ROL-1", "lead", "approved"),
                                               ("ROL-2", "lead", "approved"), ("REQ-1", "lead", "approved")]
    assert versions(session, project, "STR-1", "REQ-1") == {"STR-1": seen["STR-1"] + 1, "REQ-1": seen["REQ-1"] + 1}
    # REQ-1 sits below a draft process: the warning the item page gives when approving it alone.
    assert done.warnings == ["PRC-1, above REQ-1, is not approved yet: a baseline leaves out what is not "
                             "approved, so REQ-1 would arrive there without it."]


def test_approving_a_child_with_its_parent_leaves_no_warning(session, project):
    done = approve_items(session=session, project=project, versions=versions(session, project, "STR-1", "ROL-1"),
                         actor="lead", actor_role="admin")
    assert done.warnings == []


def test_an_item_changed_since_the_page_was_loaded_refuses_the_whole_selection_naming_it(session, project):
    seen = versions(session, project, "STR-1", "ROL-1", "REQ-1")
    update_item(session=session, project=project, kind="role", item=get_item(session, project, "role", "ROL-1"),
                fields={"title": "Field sales, redefined again"}, actor="owner")
    with pytest.raises(SelectionRefused) as refused:
        approve_items(session=session, project=project, versions=seen, actor="lead", actor_role="admin")
    assert list(refused.value.reasons) == ["ROL-1"]
    assert refused.value.reasons["ROL-1"] == ("changed since the page was loaded (version 1 then, 2 now, "
                                              "proposed): owner changed ROL-1")
    assert str(refused.value).startswith("Nothing was approved: ROL-1 changed since the page was loaded")
    assert statuses(session, project, "STR-1", "ROL-1", "REQ-1") == dict.fromkeys(["STR-1", "ROL-1", "REQ-1"],
                                                                                  "proposed")
    assert status_events(session, project) == []


def test_every_item_that_cannot_be_approved_is_named_with_its_reason(session, project):
    seen = versions(session, project, "STR-1", "PRC-1", "REQ-1")
    set_status(session=session, project=project, kind="requirement", item=get_item(session, project, "requirement",
                                                                                  "REQ-1"), status="draft",
               actor="owner")
    with pytest.raises(SelectionRefused) as refused:
        approve_items(session=session, project=project, versions={**seen, "REQ-99": 1, "STR-2": None},
                      actor="lead", actor_role="admin")
    assert refused.value.reasons == {
        "STR-2": "came without the version the page showed: reload the page and select it again",
        "PRC-1": "is draft, not proposed for approval",
        "REQ-1": "changed since the page was loaded (version 1 then, 2 now, draft): owner withdrew REQ-1",
        "REQ-99": "is not an item of project crm",
    }
    assert statuses(session, project, "STR-1")["STR-1"] == "proposed"


def test_only_the_crm_lead_approves(session, project):
    with pytest.raises(PermissionDenied):
        approve_items(session=session, project=project, versions=versions(session, project, "STR-1"),
                      actor="owner", actor_role="owner")
    assert statuses(session, project, "STR-1")["STR-1"] == "proposed"
    assert status_events(session, project) == []


def test_a_save_that_slips_in_while_approving_undoes_the_approvals_already_made(session, project, monkeypatch):
    """The check passed and STR-1 is approved; then, before ROL-1 is written, someone else's save of ROL-1 lands.
    ROL-1's write finds the newer version (the UPDATE's own version check): the whole selection is refused and,
    rolled back, none of it stands."""
    from reqtrace.services import approvals

    def save_meanwhile(**kwargs):
        if kwargs["item"].hid == "ROL-1":
            session.connection().execute(update(Role).where(Role.project_id == project.id, Role.hid == "ROL-1")
                                         .values(version=Role.version + 1))
        return set_status(**kwargs)

    monkeypatch.setattr(approvals, "set_status", save_meanwhile)
    with pytest.raises(SelectionRefused) as refused:
        approve_items(session=session, project=project, versions=versions(session, project, "STR-1", "ROL-1"),
                      actor="lead", actor_role="admin")
    assert list(refused.value.reasons) == ["ROL-1"]
    assert refused.value.reasons["ROL-1"].startswith("was changed by someone else while the selection was being "
                                               "approved (now version")
    session.rollback()
    assert statuses(session, project, "STR-1", "ROL-1") == {"STR-1": "proposed", "ROL-1": "proposed"}
    assert status_events(session, project) == []


def test_the_queue_lists_what_awaits_approval_top_down_with_who_proposed_it(session, project):
    set_status(session=session, project=project, kind="process", item=get_item(session, project, "process", "PRC-1"),
               status="proposed", actor="owner")
    queue = approval_queue(session, project)
    assert queue["total"] == 5
    listed = {entry["level"]: [item["id"] for item in entry["items"]] for entry in queue["levels"]}
    assert listed == {"strategy": ["STR-1"], "role": ["ROL-1", "ROL-2"], "process": ["PRC-1"],
                      "requirement": ["REQ-1"]}
    items = {item["id"]: item for entry in queue["levels"] for item in entry["items"]}
    assert items["PRC-1"]["submitted_by"] == "owner"  # proposed with the button
    assert items["STR-1"]["submitted_by"] == "test"  # created as proposed (as a catalogue load does)
    assert items["PRC-1"]["submitted_at"] >= items["STR-1"]["submitted_at"]
    assert items["ROL-1"]["above_not_approved"] == [{"id": "STR-1", "status": "proposed"}]
    assert items["ROL-1"]["warnings"] == ["STR-1, above ROL-1, is not approved yet: a baseline leaves out what is "
                                          "not approved, so ROL-1 would arrive there without it. STR-1 is in this "
                                          "queue too."]
    assert items["ROL-2"]["warnings"] == []  # under an approved strategy, nothing to look at
    # The gaps page's findings come along: STR-1 has roles, processes and requirements, so it is supported.
    assert items["STR-1"]["warnings"] == []


def test_the_queue_carries_the_gaps_findings_about_each_item(session, project):
    lonely = ProjectBuilder("other").requirement("REQ-7", status="proposed") \
        .strategy("STR-3", status="proposed", sponsor="").build(session)
    items = {item["id"]: item for entry in approval_queue(session, lonely)["levels"] for item in entry["items"]}
    assert items["REQ-7"]["warnings"] == ["Technology-driven: it reaches no strategy."]
    assert items["STR-3"]["warnings"] == ["Unsupported: no role is redefined for it.",
                                          "No executive sponsor: nobody at the top owns it."]


def test_an_owner_who_proposes_again_is_the_one_named(session, project):
    """Withdrawn and proposed again: the queue names the latest proposal, not the first."""
    requirement = get_item(session, project, "requirement", "REQ-1")
    set_status(session=session, project=project, kind="requirement", item=requirement, status="draft", actor="owner")
    set_status(session=session, project=project, kind="requirement", item=requirement, status="proposed",
               actor="owner2")
    queue = approval_queue(session, project, level="requirement")
    assert [entry["level"] for entry in queue["levels"]] == ["requirement"]
    assert queue["levels"][0]["items"][0]["submitted_by"] == "owner2"
