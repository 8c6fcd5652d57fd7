"""The services that change the database, on SQLite and PostgreSQL: validated, versioned, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from reqtrace import audit
from reqtrace.model import AuditEvent, Requirement, User, Vendor
from reqtrace.services.errors import Conflict, Invalid, NotFound, PermissionDenied, VersionConflict
from reqtrace.services.items import check_hid, create_item, find_item, get_item, set_status, update_item
from reqtrace.services.links import downstream_hids, set_upstream, upstream_hids
from reqtrace.services.projects import create_project, ensure_project, get_project, set_readiness
from reqtrace.services.suspects import review_link, review_links
from reqtrace.services import logins
from reqtrace.services.users import (
    UserUnchanged,
    add_user,
    authenticate,
    change_own_password,
    get_user,
    list_users,
    set_password,
    update_user,
)
from reqtrace.services.vendors import (
    VendorChanged,
    VendorUnchanged,
    add_vendor,
    get_vendor,
    list_vendors,
    update_vendor,
)
from reqtrace.trace.load import load_graph
from reqtrace.trace.rules import check
from tests.builders import ProjectBuilder

PASSWORD = "correct horse battery"


@pytest.fixture
def session(rollback_session):
    """Every test here runs in a transaction that is rolled back (see tests/db/conftest.py)."""
    return rollback_session


@pytest.fixture
def project(session):
    """One complete chain STR-1 -> ROL-1 -> PRC-1 -> REQ-1, all approved."""
    return ProjectBuilder("crm").chain(1).build(session)


def events(session, project, entity_id: str, action: str | None = None) -> list[AuditEvent]:
    """Audit events about exactly this item or link ("STR-1->ROL-1"), oldest first."""
    found = session.exec(select(AuditEvent).where(AuditEvent.project_id == project.id,
                                                  AuditEvent.entity_id == entity_id)
                         .order_by(AuditEvent.id)).all()
    return [event for event in found if action is None or event.action == action]


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def suspect(session, project) -> list[str]:
    return check(load_graph(session, project)).suspect_links


# --- creating items -------------------------------------------------------------------------

def test_create_item_stores_canonical_values_at_version_one(session, project):
    item = create_item(session=session, project=project, kind="requirement", actor="sam",
                       fields={"title": "Quote offline", "priority": "Must have", "tags": "Offline, Field"})
    assert item.hid == "REQ-2"
    assert (item.version, item.status, item.priority, item.tags) == (1, "draft", "must", ["offline", "field"])


def test_create_item_writes_an_audit_event_naming_who_and_what(session, project):
    create_item(session=session, project=project, kind="strategy", actor="sam", fields={"title": "Grow loyalty"})
    (event,) = events(session, project, "STR-2")
    assert (event.actor, event.entity_type, event.action) == ("sam", "strategy", "create")
    assert event.before is None
    assert event.after["title"] == "Grow loyalty" and event.after["version"] == 1


def test_create_item_with_invalid_fields_is_refused_and_writes_nothing(session, project):
    before_items, before_events = count(session, Requirement), count(session, AuditEvent)
    with pytest.raises(Invalid) as raised:
        create_item(session=session, project=project, kind="requirement", actor="sam",
                    fields={"title": "", "priority": "banana"})
    assert {problem.field for problem in raised.value.problems} == {"title", "priority"}
    assert "banana" in str(raised.value)
    assert (count(session, Requirement), count(session, AuditEvent)) == (before_items, before_events)


def test_duplicate_id_is_a_conflict(session, project):
    with pytest.raises(Conflict, match="REQ-1 already exists"):
        create_item(session=session, project=project, kind="requirement", actor="sam", hid="REQ-1",
                    fields={"title": "Again"})
    assert count(session, Requirement) == 1


def test_same_id_in_another_project_is_allowed(session, project):
    other = create_project(session, key="other", name="Other", actor="sam")
    item = create_item(session=session, project=other, kind="requirement", actor="sam", hid="REQ-1",
                       fields={"title": "Independent"})
    assert item.hid == "REQ-1"


def test_prefixed_id_is_normalised(session, project):
    item = create_item(session=session, project=project, kind="requirement", actor="sam", hid="req-007",
                       fields={"title": "Seven"})
    assert (item.hid, item.seq) == ("REQ-7", 7)


def test_next_generated_id_follows_the_highest_number(session, project):
    create_item(session=session, project=project, kind="requirement", actor="sam", hid="REQ-10",
                fields={"title": "Ten"})
    item = create_item(session=session, project=project, kind="requirement", actor="sam", fields={"title": "Next"})
    assert item.hid == "REQ-11"


def test_custom_id_is_kept_as_given(session, project):
    item = create_item(session=session, project=project, kind="requirement", actor="sam", hid="CRM.001",
                       fields={"title": "From the customer's own list"})
    assert item.hid == "CRM.001"
    assert find_item(session, project, "CRM.001") == ("requirement", item)


def test_id_with_another_levels_prefix_is_refused():
    with pytest.raises(Invalid) as raised:
        check_hid("requirement", "STR-3")
    assert raised.value.problems[0].field == "id"
    assert "STR-3 is a strategy ID" in str(raised.value)


@pytest.mark.parametrize("hid", ["1-abc", "", "has space", "x" * 41])
def test_malformed_id_is_refused(hid):
    with pytest.raises(Invalid, match="not a valid ID"):
        check_hid("requirement", hid)


def test_find_item_of_an_unknown_id_is_not_found(session, project):
    with pytest.raises(NotFound, match="REQ-99"):
        find_item(session, project, "REQ-99")


# --- updating items -------------------------------------------------------------------------

def test_update_bumps_the_version_and_audits_before_and_after(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    changed = update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                          fields={"priority": "M", "statement": "Quote on site"}, expected_version=1)
    assert changed is True
    assert (item.version, item.priority, item.statement) == (2, "must", "Quote on site")
    (event,) = events(session, project, "REQ-1", "update")
    assert event.actor == "kim"
    assert (event.before["priority"], event.after["priority"]) == ("should", "must")
    assert (event.before["version"], event.after["version"]) == (1, 2)


def test_partial_update_keeps_the_other_fields(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                fields={"tags": "offline"})
    update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                fields={"statement": "Works offline"})
    assert item.tags == ["offline"] and item.statement == "Works offline"


def test_saving_the_same_values_changes_nothing(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    changed = update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                          fields={"title": "  Requirement REQ-1 ", "priority": "Should"})
    assert changed is False
    assert item.version == 1
    assert events(session, project, "REQ-1", "update") == []


def test_stale_version_is_refused_with_both_versions(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                fields={"title": "Kim's title"}, expected_version=1)
    with pytest.raises(VersionConflict) as raised:
        update_item(session=session, project=project, kind="requirement", item=item, actor="lee",
                    fields={"title": "Lee's title"}, expected_version=1)
    conflict = raised.value
    assert conflict.hid == "REQ-1" and conflict.expected == 1
    assert conflict.current["version"] == 2 and conflict.current["title"] == "Kim's title"
    assert conflict.attempted["title"] == "Lee's title"
    assert "version 1" in str(conflict) and "version 2" in str(conflict)
    assert item.title == "Kim's title" and item.version == 2
    assert len(events(session, project, "REQ-1", "update")) == 1


def test_invalid_update_is_refused_with_field_problems_and_writes_nothing(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    with pytest.raises(Invalid) as raised:
        update_item(session=session, project=project, kind="requirement", item=item, actor="kim",
                    fields={"weight": -3, "title": "Line one\nline two"})
    assert {problem.field for problem in raised.value.problems} == {"weight", "title"}
    session.refresh(item)
    assert (item.version, item.weight, item.title) == (1, None, "Requirement REQ-1")
    assert events(session, project, "REQ-1", "update") == []


def test_set_status_bumps_the_version_and_audits(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    assert set_status(session=session, project=project, kind="requirement", item=item, status="Withdrawn",
                      actor="kim") is True
    assert (item.status, item.version) == ("retired", 2)
    (event,) = events(session, project, "REQ-1", "status")
    assert (event.before["status"], event.after["status"], event.actor) == ("approved", "retired", "kim")


def test_set_status_to_the_same_status_changes_nothing(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    assert set_status(session=session, project=project, kind="requirement", item=item, status="approved",
                      actor="kim") is False
    assert item.version == 1


def test_set_status_refuses_an_unknown_status(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    with pytest.raises(Invalid) as raised:
        set_status(session=session, project=project, kind="requirement", item=item, status="done", actor="kim")
    assert raised.value.problems[0].field == "status"
    assert item.status == "approved"


def test_set_status_with_a_stale_version_is_refused(session, project):
    item = get_item(session, project, "requirement", "REQ-1")
    set_status(session=session, project=project, kind="requirement", item=item, status="proposed", actor="kim")
    with pytest.raises(VersionConflict) as raised:
        set_status(session=session, project=project, kind="requirement", item=item, status="retired", actor="lee",
                   expected_version=1)
    assert raised.value.current["status"] == "proposed" and raised.value.attempted["status"] == "retired"
    assert item.status == "proposed"


def test_two_editors_of_the_same_version_cannot_both_save(engine):
    """Both loaded version 1; the slower save must be refused, not overwrite the first (a lost update)."""
    with Session(engine) as setup:
        ProjectBuilder("crm").chain(1).build(setup)
        setup.commit()
    first, second = Session(engine, expire_on_commit=False), Session(engine, expire_on_commit=False)
    try:
        items = [get_item(editor, get_project(editor, "crm"), "requirement", "REQ-1") for editor in (first, second)]
        update_item(session=first, project=get_project(first, "crm"), kind="requirement", item=items[0], actor="kim",
                    fields={"title": "Kim's title"}, expected_version=1)
        first.commit()
        with pytest.raises(VersionConflict):
            update_item(session=second, project=get_project(second, "crm"), kind="requirement", item=items[1],
                        actor="lee", fields={"title": "Lee's title"}, expected_version=1)
            second.commit()
    finally:
        first.close()
        second.close()
    with Session(engine) as check_session:
        saved = get_item(check_session, get_project(check_session, "crm"), "requirement", "REQ-1")
        assert (saved.title, saved.version) == ("Kim's title", 2)


# --- links ----------------------------------------------------------------------------------

def test_set_upstream_adds_and_removes_links_with_audit_events(session, project):
    create_item(session=session, project=project, kind="strategy", actor="sam", hid="STR-2", fields={"title": "Two"})
    role = get_item(session, project, "role", "ROL-1")
    added, removed = set_upstream(session=session, project=project, kind="role", item=role, hids=["str-2"],
                                  actor="kim")
    assert (added, removed) == (["STR-2"], ["STR-1"])
    assert upstream_hids(session, project, "role", role) == ["STR-2"]
    (link,) = events(session, project, "STR-2->ROL-1", "link")
    (unlink,) = events(session, project, "STR-1->ROL-1", "unlink")
    assert (link.actor, link.after) == ("kim", {"from": "STR-2", "to": "ROL-1"})
    assert (unlink.actor, unlink.before) == ("kim", {"from": "STR-1", "to": "ROL-1"})


def test_set_upstream_with_the_same_links_changes_nothing(session, project):
    process = get_item(session, project, "process", "PRC-1")
    before = count(session, AuditEvent)
    assert set_upstream(session=session, project=project, kind="process", item=process, hids=["ROL-1"],
                        actor="kim") == ([], [])
    assert count(session, AuditEvent) == before


def test_set_upstream_does_not_bump_the_items_version(session, project):
    create_item(session=session, project=project, kind="process", actor="sam", hid="PRC-2", fields={"title": "Two"})
    requirement = get_item(session, project, "requirement", "REQ-1")
    set_upstream(session=session, project=project, kind="requirement", item=requirement, hids=["PRC-1", "PRC-2"],
                 actor="kim")
    assert requirement.version == 1


def test_unknown_upstream_is_refused_and_links_stay(session, project):
    requirement = get_item(session, project, "requirement", "REQ-1")
    with pytest.raises(Invalid) as raised:
        set_upstream(session=session, project=project, kind="requirement", item=requirement,
                     hids=["PRC-1", "PRC-9"], actor="kim")
    (problem,) = raised.value.problems
    assert problem.field == "processes" and "PRC-9" in problem.message
    assert upstream_hids(session, project, "requirement", requirement) == ["PRC-1"]


def test_upstream_of_the_wrong_level_is_refused(session, project):
    requirement = get_item(session, project, "requirement", "REQ-1")
    with pytest.raises(Invalid, match="ROL-1 is a role ID"):
        set_upstream(session=session, project=project, kind="requirement", item=requirement, hids=["ROL-1"],
                     actor="kim")


def test_strategy_cannot_link_upwards(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    with pytest.raises(Invalid):
        set_upstream(session=session, project=project, kind="strategy", item=strategy, hids=["STR-1"], actor="kim")


def test_downstream_ids_are_in_natural_order(session, project):
    for number in (10, 2):
        create_item(session=session, project=project, kind="requirement", actor="sam", hid=f"REQ-{number}",
                    fields={"title": f"R{number}"}, upstream=["PRC-1"])
    process = get_item(session, project, "process", "PRC-1")
    assert downstream_hids(session, project, "process", process) == ["REQ-1", "REQ-2", "REQ-10"]


# --- suspect links and their review ---------------------------------------------------------

def test_editing_a_strategys_statement_makes_the_links_below_it_suspect(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    update_item(session=session, project=project, kind="strategy", item=strategy, actor="kim",
                fields={"statement": "Serve key accounts first"})
    assert suspect(session, project) == ["STR-1->ROL-1"]


def test_editing_only_the_owner_makes_no_link_suspect(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    assert update_item(session=session, project=project, kind="strategy", item=strategy, actor="kim",
                       fields={"owner": "Chief Sales Officer"}) is True
    assert suspect(session, project) == []


def test_reviewing_the_changed_item_clears_the_links_out_of_it(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    update_item(session=session, project=project, kind="strategy", item=strategy, actor="kim",
                fields={"statement": "Serve key accounts first"})
    assert review_links(session=session, project=project, hid="STR-1", actor="lee", role="admin").reviewed == [
        "STR-1->ROL-1"]
    assert suspect(session, project) == []
    (event,) = events(session, project, "STR-1->ROL-1", "review")
    assert event.actor == "lee"


def test_reviewing_the_item_below_clears_the_links_into_it(session, project):
    role = get_item(session, project, "role", "ROL-1")
    update_item(session=session, project=project, kind="role", item=role, actor="kim", fields={"to_state": "Advisor"})
    assert suspect(session, project) == ["ROL-1->PRC-1"]
    assert review_links(session=session, project=project, hid="PRC-1", actor="lee", role="admin").reviewed == [
        "ROL-1->PRC-1"]
    assert suspect(session, project) == []


def test_review_clears_links_in_and_out_but_nothing_further(session):
    project = ProjectBuilder("crm").chain(1).process("PRC-2", roles=["ROL-1"]).build(session)
    for kind, hid in (("strategy", "STR-1"), ("role", "ROL-1"), ("process", "PRC-1")):
        item = get_item(session, project, kind, hid)
        update_item(session=session, project=project, kind=kind, item=item, actor="kim", fields={"title": "New"})
    assert set(suspect(session, project)) == {"STR-1->ROL-1", "ROL-1->PRC-1", "ROL-1->PRC-2", "PRC-1->REQ-1"}
    reviewed = review_links(session=session, project=project, hid="ROL-1", actor="lee", role="admin").reviewed
    assert set(reviewed) == {"STR-1->ROL-1", "ROL-1->PRC-1", "ROL-1->PRC-2"}
    assert suspect(session, project) == ["PRC-1->REQ-1"]


def test_review_with_nothing_suspect_reviews_nothing(session, project):
    before = count(session, AuditEvent)
    assert review_links(session=session, project=project, hid="ROL-1", actor="lee", role="admin").reviewed == []
    assert count(session, AuditEvent) == before


def test_review_of_an_unknown_item_is_not_found(session, project):
    with pytest.raises(NotFound):
        review_links(session=session, project=project, hid="ROL-42", actor="lee", role="admin")


def _owned_chain(session):
    """STR-1 -> ROL-1 (owned by olive) -> PRC-1 (olive's) and PRC-2 (the lead's); ROL-1 changed since."""
    project = ProjectBuilder("crm").strategy("STR-1").role("ROL-1", strategies=["STR-1"], owner="olive") \
        .process("PRC-1", roles=["ROL-1"], owner="olive").process("PRC-2", roles=["ROL-1"], owner="lee") \
        .build(session)
    role = get_item(session, project, "role", "ROL-1")
    update_item(session=session, project=project, kind="role", item=role, actor="olive", fields={"title": "New"})
    assert suspect(session, project) == ["ROL-1->PRC-1", "ROL-1->PRC-2"]
    return project


def test_an_owner_reviewing_an_item_reviews_only_the_links_into_items_they_own(session):
    project = _owned_chain(session)
    result = review_links(session=session, project=project, hid="ROL-1", actor="olive", role="owner")
    assert result.reviewed == ["ROL-1->PRC-1"]
    assert [(left.id, left.owner) for left in result.left] == [("ROL-1->PRC-2", "lee")]
    assert result.left[0].why == "only lee, who owns PRC-2, or the CRM lead may review links into it"
    assert suspect(session, project) == ["ROL-1->PRC-2"]
    assert events(session, project, "ROL-1->PRC-2", "review") == []


def test_an_owner_with_no_suspect_link_of_their_own_there_is_refused_and_nothing_is_written(session):
    project = _owned_chain(session)
    before = count(session, AuditEvent)
    with pytest.raises(PermissionDenied, match="none of the suspect links into or out of PRC-2: ROL-1->PRC-2: "
                                               "only lee, who owns PRC-2"):
        review_links(session=session, project=project, hid="PRC-2", actor="olive", role="owner")
    assert suspect(session, project) == ["ROL-1->PRC-1", "ROL-1->PRC-2"]
    assert count(session, AuditEvent) == before


@pytest.mark.parametrize("role", ["procurement", "evaluator"])
def test_readers_review_no_link_even_into_items_they_own(session, role):
    project = _owned_chain(session)
    with pytest.raises(PermissionDenied):
        review_links(session=session, project=project, hid="PRC-1", actor="olive", role=role)
    with pytest.raises(PermissionDenied):
        review_link(session=session, project=project, link="ROL-1->PRC-1", actor="olive", role=role)
    assert suspect(session, project) == ["ROL-1->PRC-1", "ROL-1->PRC-2"]


def test_the_lead_reviews_every_link_of_an_item_whoever_owns_them(session):
    project = _owned_chain(session)
    result = review_links(session=session, project=project, hid="ROL-1", actor="lee", role="admin")
    assert (result.reviewed, result.left) == (["ROL-1->PRC-1", "ROL-1->PRC-2"], [])
    assert suspect(session, project) == []


def test_a_link_into_a_retired_item_is_not_suspect_so_not_left_either(session):
    project = _owned_chain(session)
    process = get_item(session, project, "process", "PRC-2")
    set_status(session=session, project=project, kind="process", item=process, status="retired", actor="lee")
    result = review_links(session=session, project=project, hid="ROL-1", actor="olive", role="owner")
    assert (result.reviewed, result.left) == (["ROL-1->PRC-1"], [])
    assert suspect(session, project) == []


def test_reviewing_one_link_follows_the_same_rule(session):
    project = _owned_chain(session)
    with pytest.raises(PermissionDenied, match="You may not review ROL-1->PRC-2: only lee, who owns PRC-2"):
        review_link(session=session, project=project, link="ROL-1->PRC-2", actor="olive", role="owner")
    assert review_link(session=session, project=project, link="ROL-1->PRC-1", actor="olive", role="owner")
    assert suspect(session, project) == ["ROL-1->PRC-2"]


def test_link_made_after_a_change_is_not_suspect(session, project):
    strategy = get_item(session, project, "strategy", "STR-1")
    update_item(session=session, project=project, kind="strategy", item=strategy, actor="kim",
                fields={"statement": "Changed"})
    create_item(session=session, project=project, kind="role", actor="kim", hid="ROL-2", fields={"title": "New"},
                upstream=["STR-1"])
    assert suspect(session, project) == ["STR-1->ROL-1"]


# --- projects -------------------------------------------------------------------------------

def test_project_key_must_be_a_slug(session):
    with pytest.raises(Invalid) as raised:
        create_project(session, key="My CRM", name="x", actor="sam")
    assert raised.value.problems[0].field == "key"


def test_ensure_project_creates_once(session):
    first, created = ensure_project(session, "crm", actor="sam")
    again, created_again = ensure_project(session, "crm", actor="sam")
    assert (created, created_again) == (True, False)
    assert first.id == again.id


def test_unknown_project_is_not_found_with_a_hint(session):
    with pytest.raises(NotFound, match="load a catalogue"):
        get_project(session, "nope")


def test_readiness_is_stored_and_audited(session, project):
    set_readiness(session, project, {"technology": "4", "business_focus": 2}, actor="lead")
    assert get_project(session, "crm").readiness == {"technology": 4, "business_focus": 2}
    (event,) = events(session, project, "crm", "readiness")
    assert event.after == {"technology": 4, "business_focus": 2}


def test_bad_readiness_is_refused(session, project):
    with pytest.raises(Invalid) as raised:
        set_readiness(session, project, {"technology": 9}, actor="lead")
    assert raised.value.problems[0].field == "readiness"
    assert project.readiness == {}


# --- users ----------------------------------------------------------------------------------

def test_password_is_stored_hashed_not_in_clear(session):
    user = add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt$")
    other = add_user(session, username="kim", role="owner", password=PASSWORD, actor="lead")
    assert other.password_hash != user.password_hash  # salted


def test_user_audit_event_carries_no_password(session):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "user")).all()
    assert (event.actor, event.entity_id, event.action) == ("lead", "sam", "create")
    assert PASSWORD not in repr(event.after) and "password_hash" not in event.after


def test_authenticate_with_the_right_password(session):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    user = authenticate(session, "sam", PASSWORD)
    assert user is not None and user.username == "sam"
    assert user.last_login_at is not None


@pytest.mark.parametrize("username,password", [("sam", "wrong password"), ("nobody", PASSWORD), ("sam", "")])
def test_authenticate_with_a_wrong_name_or_password_fails(session, username, password):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    assert authenticate(session, username, password) is None


def test_inactive_user_cannot_log_in(session):
    user = add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    user.active = False
    session.add(user)
    session.flush()
    assert authenticate(session, "sam", PASSWORD) is None


def test_short_password_is_refused(session):
    with pytest.raises(Invalid) as raised:
        add_user(session, username="sam", role="owner", password="short", actor="lead")
    assert [problem.field for problem in raised.value.problems] == ["password"]
    assert "8" in str(raised.value)
    assert count(session, User) == 0


def test_bad_username_and_role_are_both_reported(session):
    with pytest.raises(Invalid) as raised:
        add_user(session, username="bad name!", role="king", password=PASSWORD, actor="lead")
    assert sorted(problem.field for problem in raised.value.problems) == ["role", "username"]


def test_role_synonym_lead_means_admin(session):
    assert add_user(session, username="morgan", role="Lead", password=PASSWORD, actor="x").role == "admin"


def test_duplicate_username_is_a_conflict(session):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    with pytest.raises(Conflict):
        add_user(session, username="sam", role="evaluator", password=PASSWORD, actor="lead")
    assert get_user(session, "sam").role == "owner"


def test_new_password_replaces_the_old_one(session):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    set_password(session, username="sam", password="another long password", actor="lead")
    assert authenticate(session, "sam", PASSWORD) is None
    assert authenticate(session, "sam", "another long password") is not None


def test_a_user_changes_their_own_password_with_the_current_one(session):
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    with pytest.raises(Invalid) as wrong:
        change_own_password(session, username="sam", current="not it at all", new="a brand new password")
    assert [p.field for p in wrong.value.problems] == ["current"]
    with pytest.raises(Invalid) as same:
        change_own_password(session, username="sam", current=PASSWORD, new=PASSWORD)
    assert "the new password is the one you have" in str(same.value)
    with pytest.raises(Invalid) as short:
        change_own_password(session, username="sam", current=PASSWORD, new="short")
    assert [p.field for p in short.value.problems] == ["password"]
    assert authenticate(session, "sam", PASSWORD) is not None
    change_own_password(session, username="sam", current=PASSWORD, new="a brand new password")
    assert authenticate(session, "sam", PASSWORD) is None
    assert authenticate(session, "sam", "a brand new password") is not None
    (event,) = events_of_user(session, "sam", "password")
    assert event.actor == "sam"


def events_of_user(session, username: str, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity_type == "user",
                                                      AuditEvent.entity_id == username,
                                                      AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_lead_changes_a_role_a_display_name_and_deactivates_an_account(session):
    add_user(session, username="lead", role="admin", password=PASSWORD, actor="setup")
    add_user(session, username="kim", role="evaluator", password=PASSWORD, actor="lead")
    user = update_user(session, username="kim", role="procurement", display_name="  Kim Ng ", actor="lead")
    assert (user.role, user.display_name, user.active) == ("procurement", "Kim Ng", True)
    token = logins.start(session, user)
    user = update_user(session, username="kim", active=False, actor="lead")
    assert user.active is False
    assert authenticate(session, "kim", PASSWORD) is None  # may no longer log in
    assert logins.user_of(session, token, lifetime=timedelta(hours=8)) is None  # and is logged out
    first, second = events_of_user(session, "kim", "update")
    assert (first.before, first.after) == ({"role": "evaluator", "display_name": "kim"},
                                           {"role": "procurement", "display_name": "Kim Ng"})
    assert (second.before, second.after) == ({"active": True}, {"active": False, "sessions_ended": 1})
    update_user(session, username="kim", active=True, actor="lead")
    assert authenticate(session, "kim", PASSWORD) is not None
    with pytest.raises(UserUnchanged):
        update_user(session, username="kim", role="Procurement", actor="lead")


def test_the_last_active_lead_stays_one(session):
    add_user(session, username="lead", role="admin", password=PASSWORD, actor="setup")
    add_user(session, username="ana", role="admin", password=PASSWORD, actor="lead")
    update_user(session, username="ana", active=False, actor="lead")
    for change in ({"role": "owner"}, {"active": False}):
        with pytest.raises(Invalid) as raised:
            update_user(session, username="lead", actor="ana", **change)
        assert str(raised.value).endswith("lead is the only active CRM lead: make someone else CRM lead first, or "
                                          "nobody could approve, baseline or manage users")
    update_user(session, username="ana", active=True, actor="lead")
    assert update_user(session, username="lead", role="owner", actor="ana").role == "owner"


def test_nobody_deactivates_their_own_account(session):
    add_user(session, username="lead", role="admin", password=PASSWORD, actor="setup")
    add_user(session, username="ana", role="admin", password=PASSWORD, actor="lead")
    with pytest.raises(Invalid, match="you cannot deactivate your own account"):
        update_user(session, username="ana", active=False, actor="ana")


def test_an_owner_of_items_keeps_a_role_that_may_own_them(session, project):
    add_user(session, username="lead", role="admin", password=PASSWORD, actor="setup")
    add_user(session, username="sam", role="owner", password=PASSWORD, actor="lead")
    owned = create_item(session=session, project=project, kind="strategy", actor="sam",
                        fields={"title": "Grow loyalty", "owner": "sam"})
    for change, message in (({"role": "evaluator"}, "which the Evaluator role cannot own"),
                            ({"active": False}, "which a deactivated account cannot own")):
        with pytest.raises(Invalid) as raised:
            update_user(session, username="sam", actor="lead", **change)
        assert str(raised.value).endswith(f"sam owns 1 item ({owned.hid}), {message}: give them another owner first")
    assert update_user(session, username="sam", role="admin", actor="lead").role == "admin"  # the lead may own


@pytest.mark.parametrize("changes, field", [({"role": "boss"}, "role"), ({"display_name": "Two\nlines"}, "display_name"),
                                            ({"display_name": "x" * 201}, "display_name")])
def test_a_bad_account_change_is_refused_by_field(session, changes, field):
    add_user(session, username="kim", role="evaluator", password=PASSWORD, actor="lead")
    with pytest.raises(Invalid) as raised:
        update_user(session, username="kim", actor="lead", **changes)
    assert [p.field for p in raised.value.problems] == [field]
    assert get_user(session, "kim").role == "evaluator"


def test_users_are_listed_by_name(session):
    for name in ("zoe", "amir", "kim"):
        add_user(session, username=name, role="evaluator", password=PASSWORD, actor="lead")
    assert [user.username for user in list_users(session)] == ["amir", "kim", "zoe"]


# --- vendors --------------------------------------------------------------------------------

def test_vendor_is_added_with_canonical_values_and_audited(session, project):
    vendor = add_vendor(session, project, slug="atlas", name="Atlas", deployment="Offline", cost_5y="1450000",
                        flags=["contract first"], sandbox_url="https://sandbox.example", actor="pat")
    assert (vendor.deployment, vendor.cost_5y, vendor.flags) == ("hybrid-offline", 1450000.0, ["contract-before-poc"])
    (event,) = events(session, project, "atlas", "create")
    assert event.actor == "pat" and event.after["deployment"] == "hybrid-offline"


@pytest.mark.parametrize("field,values", [
    ("deployment", {"deployment": "mainframe"}),
    ("cost_5y", {"cost_5y": "-5"}),
    ("cost_5y", {"cost_5y": "cheap"}),
    ("cost_5y", {"cost_5y": "nan"}),
    ("cost_5y", {"cost_5y": "inf"}),
    ("sandbox_url", {"sandbox_url": "ftp://sandbox.example"}),
    ("sandbox_url", {"sandbox_url": "javascript:alert(1)"}),
    ("slug", {"slug": "Atlas Inc"}),
    ("name", {"name": "  "}),
    ("name", {"name": "\x00\x01"}),
    ("name", {"name": "\u200b \u200b"}),
    ("name", {"name": "Atlas\r\nField Systems"}),
    ("product", {"product": "Two\nlines"}),
    ("cost_5y", {"cost_5y": "1,000"}),
    ("cost_5y", {"cost_5y": "1_000"}),
    ("cost_5y", {"cost_5y": "\u0663"}),
    ("cost_5y", {"cost_5y": "1e-320"}),
    ("cost_5y", {"cost_5y": 0.5}),
    ("cost_5y", {"cost_5y": "1e16"}),
    ("flags", {"flags": ["bribery"]}),
], ids=lambda value: "-".join(f"{v}" for v in value.values()) if isinstance(value, dict) else value)
def test_bad_vendor_field_is_refused_by_name(session, project, field, values):
    arguments = {"slug": "atlas", "name": "Atlas", "deployment": "thin-client", **values}
    with pytest.raises(Invalid) as raised:
        add_vendor(session, project, actor="pat", **arguments)
    assert [problem.field for problem in raised.value.problems] == [field]
    assert count(session, Vendor) == 0


@pytest.mark.parametrize("field, length", [("name", 201), ("product", 201), ("sandbox_url", 501), ("notes", 4001)])
def test_vendor_text_longer_than_its_column_is_refused_by_name(session, project, field, length):
    value = ("https://" + "s" * (length - 8)) if field == "sandbox_url" else "x" * length
    arguments = {"slug": "atlas", "name": "Atlas", "deployment": "thin-client", field: value}
    with pytest.raises(Invalid) as raised:
        add_vendor(session, project, actor="pat", **arguments)
    assert [problem.field for problem in raised.value.problems] == [field]
    assert f"at most {length - 1:,} characters (this one has {length:,})" in str(raised.value)
    assert count(session, Vendor) == 0
    # One character less fits.
    add_vendor(session, project, actor="pat", **{**arguments, field: value[:-1]})


def test_vendor_edit_changes_only_the_fields_given_and_audits_before_and_after(session, project):
    add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", product="Atlas 9",
               cost_5y=1_000_000, actor="pat")
    vendor, changed = update_vendor(session, project, "atlas", {"cost_5y": "1250000",
                                                       "flags": ["contract first"], "deployment": "offline"},
                           actor="lee", expected_version=1)
    assert (vendor.name, vendor.product, vendor.deployment, vendor.cost_5y, vendor.flags, vendor.version) == \
        ("Atlas", "Atlas 9", "hybrid-offline", 1_250_000.0, ["contract-before-poc"], 2)
    assert changed == ["deployment", "flags", "cost_5y"]
    (event,) = events(session, project, "atlas", "update")
    assert event.actor == "lee"
    assert event.before == {"deployment": "thin-client", "flags": [], "cost_5y": 1_000_000.0, "version": 1}
    assert event.after == {"deployment": "hybrid-offline", "flags": ["contract-before-poc"], "cost_5y": 1_250_000.0,
                           "version": 2}
    # Clearing: an empty cost is "not known"; no flags at all.
    vendor, changed = update_vendor(session, project, "atlas", {"cost_5y": "", "flags": []}, actor="lee")
    assert (vendor.cost_5y, vendor.flags, vendor.version, changed) == (None, [], 3, ["flags", "cost_5y"])


def test_vendor_edit_on_an_old_version_is_refused_and_changes_nothing(session, project):
    add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", actor="pat")
    update_vendor(session, project, "atlas", {"name": "Atlas Field Systems"}, actor="lee", expected_version=1)
    with pytest.raises(VendorChanged) as raised:
        update_vendor(session, project, "atlas", {"name": "Atlas Inc"}, actor="kim", expected_version=1)
    assert "you edited version 1, it is now version 2" in str(raised.value)
    vendor = get_vendor(session, project, "atlas")
    assert (vendor.name, vendor.version) == ("Atlas Field Systems", 2)
    assert len(events(session, project, "atlas", "update")) == 1


def test_vendor_edit_that_changes_nothing_makes_no_version_and_no_event(session, project):
    add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", cost_5y=5, actor="pat")
    with pytest.raises(VendorUnchanged):
        update_vendor(session, project, "atlas", {"name": " Atlas ", "deployment": "web", "cost_5y": "5.0"},
                      actor="lee")
    assert get_vendor(session, project, "atlas").version == 1
    assert events(session, project, "atlas", "update") == []


@pytest.mark.parametrize("changes, fields", [
    ({"deployment": "mainframe", "cost_5y": "-1"}, ["deployment", "cost_5y"]),
    ({"name": ""}, ["name"]),
    ({"slug": "renamed", "colour": "red"}, ["colour", "slug"]),
])
def test_bad_vendor_edit_is_refused_by_field_and_changes_nothing(session, project, changes, fields):
    add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", actor="pat")
    with pytest.raises(Invalid) as raised:
        update_vendor(session, project, "atlas", changes, actor="lee")
    assert [problem.field for problem in raised.value.problems] == fields
    vendor = get_vendor(session, project, "atlas")
    assert (vendor.name, vendor.deployment, vendor.cost_5y, vendor.version) == ("Atlas", "thin-client", None, 1)


def test_editing_an_unknown_vendor_is_not_found(session, project):
    with pytest.raises(NotFound, match="no vendor 'ghost'"):
        update_vendor(session, project, "ghost", {"name": "Ghost"}, actor="lee")


@pytest.mark.parametrize("given, stored", [("0", 0.0), ("-0", 0.0), (" 5 ", 5.0), ("1450000.50", 1450000.5),
                                           (980_000, 980000.0), ("", None)])
def test_vendor_costs_are_stored_as_amounts(session, project, given, stored):
    vendor = add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", cost_5y=given,
                        actor="pat")
    assert vendor.cost_5y == stored and str(vendor.cost_5y) != "-0.0"


def test_a_vendor_name_loses_direction_overrides_and_says_why_it_is_refused(session, project):
    vendor = add_vendor(session, project, slug="atlas", name="\u202eAtlas", deployment="thin-client", actor="pat")
    assert vendor.name == "Atlas"
    with pytest.raises(Invalid) as raised:
        add_vendor(session, project, slug="nimbus", name="Nimbus\nCloud", deployment="thin-client", actor="pat")
    assert str(raised.value) == "name: a vendor's name is one line"
    with pytest.raises(Invalid) as raised:
        add_vendor(session, project, slug="nimbus", name="Nimbus", cost_5y="1,500,000", deployment="thin-client",
                   actor="pat")
    assert "write it without thousands separators, e.g. 1450000" in str(raised.value)


def test_duplicate_vendor_slug_is_a_conflict(session, project):
    add_vendor(session, project, slug="atlas", name="Atlas", deployment="thin-client", actor="pat")
    with pytest.raises(Conflict):
        add_vendor(session, project, slug="atlas", name="Atlas again", deployment="thin-client", actor="pat")


def test_vendors_are_listed_by_slug_within_their_project(session, project):
    other = create_project(session, key="other", name="Other", actor="pat")
    for slug in ("nimbus", "atlas"):
        add_vendor(session, project, slug=slug, name=slug.title(), deployment="thin-client", actor="pat")
    add_vendor(session, other, slug="keystone", name="Keystone", deployment="on-premise", actor="pat")
    assert [vendor.slug for vendor in list_vendors(session, project)] == ["atlas", "nimbus"]

