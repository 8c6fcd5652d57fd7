"""The sync engine behind catalogue loads and imports: plan, then apply all or nothing."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import func, select

from reqtrace import audit
from reqtrace.model import AuditEvent, Requirement, Role
from reqtrace.schemas import validate_fields
from reqtrace.services.items import get_item, update_item
from reqtrace.services.links import upstream_hids
from reqtrace.services.projects import create_project
from reqtrace.services.sync import Desired, PlanOutdated, apply_plan, plan_sync
from reqtrace.trace.load import load_graph
from reqtrace.trace.rules import check

LINK_ABOVE = {"role": "STR", "process": "ROL", "requirement": "PRC"}
PREFIX = {"strategy": "STR", "role": "ROL", "process": "PRC", "requirement": "REQ"}


@pytest.fixture
def session(rollback_session):
    """Every test here runs in a transaction that is rolled back (see tests/db/conftest.py)."""
    return rollback_session


@pytest.fixture
def project(session):
    return create_project(session, key="crm", name="CRM", actor="test")


def desired(kind: str, number: int, *, upstream: list[str] | None = None, status: str | None = None,
            **fields) -> Desired:
    """One item as a catalogue would describe it: canonical fields, links up by ID."""
    hid = f"{PREFIX[kind]}-{number}"
    clean, problems = validate_fields(kind, {"title": f"{kind.title()} {number}", **fields})
    assert not problems, problems
    if upstream is None and kind in LINK_ABOVE:
        upstream = [f"{LINK_ABOVE[kind]}-{number}"]
    return Desired(kind=kind, hid=hid, fields=clean, upstream=upstream, status=status,
                   where={"row": number})


def chains(count: int, **requirement_fields) -> list[Desired]:
    """`count` complete strategy -> role -> process -> requirement chains."""
    items = []
    for number in range(1, count + 1):
        items += [desired("strategy", number, sponsor="CEO", kpi="NPS"), desired("role", number),
                  desired("process", number), desired("requirement", number, **requirement_fields)]
    return items


def sync(session, project, items: list[Desired], **options) -> dict:
    return apply_plan(session, project, plan_sync(session, project, items, **options), actor="importer")


def audit_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


@contextmanager
def counting_statements(session):
    """Count the SQL statements sent to the database inside the block."""
    statements: list[str] = []
    connection = session.connection()

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before_cursor_execute)


# --- counts ---------------------------------------------------------------------------------

def test_first_sync_adds_items_of_every_level(session, project):
    summary = sync(session, project, chains(2))
    assert summary["applied"] is True
    assert (summary["added"], summary["changed"], summary["unchanged"], summary["removed"]) == (8, 0, 0, 0)
    assert summary["errors"] == []
    assert check(load_graph(session, project)).as_dict()["ok"] is True


def test_same_items_again_are_unchanged(session, project):
    sync(session, project, chains(2))
    events_before = audit_count(session)
    summary = sync(session, project, chains(2))
    assert (summary["added"], summary["changed"], summary["unchanged"]) == (0, 0, 8)
    assert summary["items"] == []
    assert audit_count(session) == events_before


def test_new_items_are_audited_as_created_by_the_importer(session, project):
    sync(session, project, chains(1))
    (created,) = audit.history(session, project_id=project.id, entity_type="requirement", entity_id="REQ-1")[:1]
    assert (created.actor, created.action, created.after["title"]) == ("importer", "create", "Requirement 1")


def test_plan_alone_writes_nothing(session, project):
    plan = plan_sync(session, project, chains(2))
    assert plan.summary(applied=False)["added"] == 8
    assert session.exec(select(func.count()).select_from(Requirement)).one() == 0


# --- field-level changes --------------------------------------------------------------------

def test_changed_field_is_reported_with_before_and_after(session, project):
    sync(session, project, chains(2))
    items = chains(2)
    items[3] = desired("requirement", 1, priority="must")
    summary = sync(session, project, items)
    assert (summary["added"], summary["changed"], summary["unchanged"]) == (0, 1, 7)
    (item,) = summary["items"]
    assert (item["kind"], item["id"], item["action"]) == ("requirement", "REQ-1", "change")
    assert item["changes"] == [{"field": "priority", "before": "should", "after": "must"}]


def test_changed_item_gets_a_new_version_and_an_audited_update(session, project):
    sync(session, project, chains(1))
    sync(session, project, [desired("requirement", 1, statement="Quote offline")])
    requirement = get_item(session, project, "requirement", "REQ-1")
    session.refresh(requirement)
    assert (requirement.version, requirement.statement) == (2, "Quote offline")
    (update,) = [e for e in audit.history(session, project_id=project.id, entity_type="requirement", entity_id="REQ-1") if e.action == "update"]
    assert (update.before["statement"], update.after["statement"]) == ("", "Quote offline")
    assert (update.before["version"], update.after["version"]) == (1, 2)


def test_fields_a_source_does_not_give_keep_their_values(session, project):
    sync(session, project, chains(1, priority="must", tags="offline"))
    partial = Desired(kind="requirement", hid="REQ-1", fields={"statement": "New statement"})
    summary = sync(session, project, [partial])
    assert summary["changed"] == 1
    requirement = get_item(session, project, "requirement", "REQ-1")
    session.refresh(requirement)
    assert (requirement.priority, requirement.tags, requirement.statement) == ("must", ["offline"], "New statement")


def test_changed_strategy_makes_its_links_suspect_until_reviewed(session, project):
    sync(session, project, chains(1))
    sync(session, project, [desired("strategy", 1, sponsor="CEO", kpi="NPS", statement="Rewritten")])
    assert check(load_graph(session, project)).suspect_links == ["STR-1->ROL-1"]


# --- status ---------------------------------------------------------------------------------

def test_new_items_take_the_default_status(session, project):
    sync(session, project, chains(1), default_status="proposed")
    assert get_item(session, project, "requirement", "REQ-1").status == "proposed"


def test_existing_items_keep_their_status_when_the_source_gives_none(session, project):
    sync(session, project, chains(1), default_status="approved")
    summary = sync(session, project, chains(1), default_status="draft")
    assert summary["unchanged"] == 4
    assert get_item(session, project, "requirement", "REQ-1").status == "approved"


def test_status_given_by_the_source_is_a_change(session, project):
    sync(session, project, chains(1))
    summary = sync(session, project, [desired("requirement", 1, status="approved")])
    (item,) = summary["items"]
    assert item["changes"] == [{"field": "status", "before": "draft", "after": "approved"}]
    requirement = get_item(session, project, "requirement", "REQ-1")
    session.refresh(requirement)
    assert (requirement.status, requirement.version) == ("approved", 2)


# --- links ----------------------------------------------------------------------------------

def test_moving_a_requirement_to_another_process_adds_and_removes_links(session, project):
    sync(session, project, chains(2))
    items = chains(2)
    items[3] = desired("requirement", 1, upstream=["PRC-2"])
    summary = sync(session, project, items)
    (item,) = summary["items"]
    assert item["changes"] == [{"field": "processes", "before": "PRC-1", "after": "PRC-2"}]
    requirement = get_item(session, project, "requirement", "REQ-1")
    assert upstream_hids(session, project, "requirement", requirement) == ["PRC-2"]
    # A bulk change records the new links in the item's own audit event, not one event per link.
    (update,) = [e for e in audit.history(session, project_id=project.id, entity_type="requirement",
                                          entity_id="REQ-1") if e.action == "update"]
    assert (update.before["processes"], update.after["processes"]) == ("PRC-1", "PRC-2")


def test_change_of_links_alone_makes_a_new_version_recording_the_links(session, project):
    """Links are part of the item's state: a stale edit of the old links must be refusable."""
    sync(session, project, chains(2))
    sync(session, project, [desired("requirement", 1, upstream=["PRC-1", "PRC-2"])])
    requirement = get_item(session, project, "requirement", "REQ-1")
    session.refresh(requirement)
    assert requirement.version == 2
    (update,) = [e for e in audit.history(session, project_id=project.id, entity_type="requirement",
                                          entity_id="REQ-1") if e.action == "update"]
    assert (update.before["processes"], update.after["processes"]) == ("PRC-1", "PRC-1, PRC-2")


def test_no_upstream_given_leaves_the_links_as_they_are(session, project):
    sync(session, project, chains(1))
    summary = sync(session, project, [Desired(kind="role", hid="ROL-1", fields={"department": "Sales"})])
    assert summary["changed"] == 1
    role = get_item(session, project, "role", "ROL-1")
    assert upstream_hids(session, project, "role", role) == ["STR-1"]


def test_link_to_an_item_added_in_the_same_plan_works(session, project):
    sync(session, project, chains(1))
    summary = sync(session, project, [desired("strategy", 2, sponsor="CEO", kpi="NPS"),
                                      desired("role", 1, upstream=["STR-1", "STR-2"])])
    assert (summary["added"], summary["changed"]) == (1, 1)
    role = get_item(session, project, "role", "ROL-1")
    assert upstream_hids(session, project, "role", role) == ["STR-1", "STR-2"]


# --- retiring what a source no longer lists -------------------------------------------------

def test_retire_missing_kinds_retires_items_the_source_left_out(session, project):
    sync(session, project, chains(2))
    items = [item for item in chains(2) if item.hid != "REQ-2"]
    summary = sync(session, project, items, retire_missing_kinds={"requirement"})
    assert (summary["removed"], summary["unchanged"]) == (1, 7)
    requirement = get_item(session, project, "requirement", "REQ-2")
    session.refresh(requirement)
    assert (requirement.status, requirement.version) == ("retired", 2)
    actions = [e.action for e in audit.history(session, project_id=project.id, entity_type="requirement", entity_id="REQ-2")]
    assert "retire" in actions


def test_items_of_other_kinds_are_not_retired(session, project):
    sync(session, project, chains(2))
    items = [item for item in chains(2) if item.hid != "ROL-2"] + [desired("process", 2, upstream=["ROL-1"])]
    summary = sync(session, project, items, retire_missing_kinds={"requirement"})
    assert summary["removed"] == 0
    assert get_item(session, project, "role", "ROL-2").status == "draft"


def test_already_retired_items_are_not_retired_again(session, project):
    sync(session, project, chains(2))
    items = [item for item in chains(2) if item.hid != "REQ-2"]
    sync(session, project, items, retire_missing_kinds={"requirement"})
    summary = sync(session, project, items, retire_missing_kinds={"requirement"})
    assert summary["removed"] == 0


def test_changes_and_retirements_of_one_level_apply_together(session, project):
    sync(session, project, chains(3))
    items = [item for item in chains(3) if item.hid != "REQ-3"]
    items[3] = desired("requirement", 1, priority="could")
    summary = sync(session, project, items, retire_missing_kinds={"requirement"})
    assert (summary["changed"], summary["removed"]) == (1, 1)
    statuses = {hid: get_item(session, project, "requirement", hid) for hid in ("REQ-1", "REQ-2", "REQ-3")}
    for item in statuses.values():
        session.refresh(item)
    assert (statuses["REQ-1"].priority, statuses["REQ-1"].status) == ("could", "draft")
    assert statuses["REQ-2"].version == 1
    assert (statuses["REQ-3"].status, statuses["REQ-3"].priority) == ("retired", "should")


# --- errors ---------------------------------------------------------------------------------

def test_plan_with_an_unknown_upstream_is_not_applied(session, project):
    sync(session, project, chains(1))
    events_before = audit_count(session)
    items = [desired("requirement", 2, upstream=["PRC-9"]), desired("role", 1, department="Sales")]
    plan = plan_sync(session, project, items)
    assert [error["message"] for error in plan.errors] == ["REQ-2 links to process PRC-9, which does not exist"]
    assert plan.errors[0]["row"] == 2
    summary = apply_plan(session, project, plan, actor="importer")
    assert summary["applied"] is False
    assert session.exec(select(func.count()).select_from(Requirement)).one() == 1
    role = session.exec(select(Role).where(Role.hid == "ROL-1")).one()
    assert role.department == ""
    assert audit_count(session) == events_before


def test_item_listed_twice_is_an_error(session, project):
    plan = plan_sync(session, project, [*chains(1), desired("requirement", 1)])
    assert any("REQ-1 appears more than once" in error["message"] for error in plan.errors)
    assert apply_plan(session, project, plan, actor="importer")["applied"] is False


def test_item_without_an_id_gets_the_next_free_one(session, project):
    sync(session, project, chains(2))
    summary = sync(session, project, [Desired(kind="requirement", hid=None, fields={"title": "No ID yet"},
                                              upstream=["PRC-1"])])
    assert [item["id"] for item in summary["items"]] == ["REQ-3"]
    assert get_item(session, project, "requirement", "REQ-3").title == "No ID yet"


# --- saved by someone else between planning and applying --------------------------------------

def test_an_item_saved_after_planning_is_kept_and_nothing_of_the_plan_is_written(session, project):
    """The lead saves REQ-1 after an import planned from its old version: the import would put that version back.

    The edit is made in the same transaction (deterministic, on either backend): what a PostgreSQL import in
    READ COMMITTED sees when the lead's save commits between its reading the project and its writing.
    """
    sync(session, project, chains(2))
    plan = plan_sync(session, project, [desired("requirement", 1, statement="The import's text."),
                                        desired("requirement", 3, upstream=["PRC-2"]),
                                        desired("role", 2, department="Sales")])
    assert [(item.hid, item.action) for item in plan.items] == [("REQ-1", "change"), ("REQ-3", "add"),
                                                                ("ROL-2", "change")]
    requirement = get_item(session, project, "requirement", "REQ-1")
    update_item(session=session, project=project, kind="requirement", item=requirement,
                fields={"statement": "The lead's text."}, actor="lead")
    events_before = audit_count(session)
    with pytest.raises(PlanOutdated) as refused:
        apply_plan(session, project, plan, actor="importer")
    assert str(refused.value) == ("REQ-1 was changed by someone else while this import was being saved: nothing was "
                                  "imported; try again")
    assert refused.value.hids == ["REQ-1"]
    session.expire_all()
    assert get_item(session, project, "requirement", "REQ-1").statement == "The lead's text."
    assert get_item(session, project, "role", "ROL-2").department == ""  # refused before anything was written
    assert session.exec(select(func.count()).select_from(Requirement)).one() == 2
    assert audit_count(session) == events_before


def test_an_item_retired_by_the_plan_and_saved_since_is_named_too(session, project):
    sync(session, project, chains(2))
    plan = plan_sync(session, project, [item for item in chains(2) if item.hid != "REQ-2"],
                     retire_missing_kinds={"requirement"})
    requirement = get_item(session, project, "requirement", "REQ-2")
    update_item(session=session, project=project, kind="requirement", item=requirement,
                fields={"title": "Still wanted"}, actor="lead")
    with pytest.raises(PlanOutdated, match="^REQ-2 was changed by someone else"):
        apply_plan(session, project, plan, actor="importer")
    session.expire_all()
    assert get_item(session, project, "requirement", "REQ-2").status == "draft"


# --- constant number of queries -------------------------------------------------------------

def _statements_to_plan(session, count: int) -> tuple[int, int]:
    project = create_project(session, key=f"p{count}", name="P", actor="test")
    sync(session, project, chains(count))
    items = chains(count, priority="must")  # every requirement changes
    with counting_statements(session) as statements:
        plan = plan_sync(session, project, items)
    planned = len(statements)
    assert planned > 0 and plan.count("change") == count
    with counting_statements(session) as statements:
        apply_plan(session, project, plan, actor="importer")
    return planned, len(statements)


def test_planning_sends_the_same_number_of_statements_for_20_and_200_items(session):
    small, _ = _statements_to_plan(session, 20)
    large, _ = _statements_to_plan(session, 200)
    assert small == large


def test_applying_does_not_send_a_statement_per_item(session):
    _, small = _statements_to_plan(session, 20)
    _, large = _statements_to_plan(session, 200)
    assert large <= small + 2  # bulk statements; a driver may split very large batches
