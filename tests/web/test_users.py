"""Accounts in the web app: your own password; the CRM lead's list of users, roles, resets and deactivation.

The sample's users are lead (CRM lead), owner (owns the field-sales chain), procurement and evaluator.
"""

from __future__ import annotations

import html

import pytest
from sqlmodel import Session, select

from reqtrace.db import make_engine, writer
from reqtrace.model import AuditEvent
from reqtrace.services.editing import edit_from_form
from reqtrace.services.errors import Conflict, Invalid
from reqtrace.services.projects import get_project
from reqtrace.services.users import add_user, get_user, list_users, update_user
from tests.conftest import DEMO_PASSWORD
from tests.web.support import form_values, parse_html, race, replace

NEW_PASSWORD = "a much longer new password"


def _users(lead) -> dict[str, dict]:
    return {row["username"]: row for row in lead.json("/users.json")["users"]}


def _form(lead, username: str, **changes) -> list[tuple[str, str]]:
    """The account's form as a browser would send it, with `changes` (active=None: the box unticked)."""
    form = lead.page(f"/users/{username}/edit").one("form", cls="user-form")
    pairs = [(name, value) for name, value in form_values(form) if name != "csrf_token"]
    if changes.get("active", "yes") is None:
        pairs = [(name, value) for name, value in pairs if name != "active"]
        changes.pop("active")
    return replace(pairs, **changes)


def _box(response, field: str) -> str:
    page = parse_html(response.get_data(as_text=True))
    return html.unescape(page.one("div", id=f"field-{field}").text)


# --- your own password ------------------------------------------------------------------------------------

def test_you_change_your_password_stay_logged_in_here_and_are_logged_out_elsewhere(auth, client):
    here, elsewhere = auth("owner"), auth("owner")
    response = here.post("/account/password", {"current": DEMO_PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Your password is changed. 1 other browser was logged out." in here.page("/account").text
    assert here.get("/p/crm/requirements.json").status_code == 200  # still in, here
    assert elsewhere.get("/p/crm/requirements.json").status_code in (302, 401)  # the other browser is out
    assert client().login("owner", DEMO_PASSWORD).status_code == 401
    assert client().login("owner", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("form, field, message", [
    ({"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "current",
     "that is not your current password"),
    ({"current": DEMO_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}, "confirm",
     "the two new passwords differ"),
    ({"current": DEMO_PASSWORD, "password": "short", "confirm": "short"}, "password",
     "a password has at least 8 characters"),
    ({"current": DEMO_PASSWORD, "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD}, "password",
     "the new password is the one you have"),
])
def test_a_refused_password_change_says_why_beside_the_field_and_changes_nothing(auth, client, form, field,
                                                                                message):
    evaluator = auth("evaluator")
    response = evaluator.post("/account/password", form)
    assert response.status_code == 422
    assert message in _box(response, field)
    assert client().login("evaluator", DEMO_PASSWORD).status_code == 302


def test_guessing_the_current_password_is_slowed_down_like_a_login(app, auth):
    evaluator = auth("evaluator")
    app.config["LOGIN_ATTEMPTS"] = 3
    codes = [evaluator.post("/account/password", {"current": f"guess {n}", "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}).status_code for n in range(4)]
    assert codes == [422, 422, 422, 429]


def test_every_role_sees_its_account_page(auth):
    for username, role in (("lead", "CRM lead"), ("owner", "Requirement owner"), ("procurement", "Procurement"),
                           ("evaluator", "Evaluator")):
        account = auth(username).json("/account.json")["account"]
        assert (account["username"], account["role_label"]) == (username, role)
        assert "password_hash" not in account


# --- the CRM lead's list ----------------------------------------------------------------------------------

def test_only_the_lead_manages_users(auth):
    for username in ("owner", "procurement", "evaluator"):
        visitor = auth(username)
        assert visitor.get("/users").status_code == 403
        assert visitor.post("/users", {"username": "mallory", "role": "admin", "password": NEW_PASSWORD}) \
            .status_code == 403
        assert visitor.post("/users/evaluator", {"role": "admin", "active": "yes"}).status_code == 403
        assert visitor.post("/users/lead/password", {"password": NEW_PASSWORD}).status_code == 403
    lead = auth("lead")
    assert "mallory" not in _users(lead)
    assert _users(lead)["evaluator"]["role"] == "evaluator"


def test_the_lead_adds_someone_who_then_logs_in(auth, client):
    lead = auth("lead")
    response = lead.post("/users", {"username": "kim", "display_name": "Kim Ng", "role": "evaluator",
                                    "password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/users#user-kim"
    assert "Added kim (Evaluator)." in lead.page("/users").text
    assert (_users(lead)["kim"]["display_name"], _users(lead)["kim"]["role"]) == ("Kim Ng", "evaluator")
    assert client().login("kim", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("form, field, message", [
    ({"username": "owner"}, "username", "a user named 'owner' already exists"),
    ({"username": "kim ng"}, "username", "use letters, digits"),
    ({"role": "boss"}, "role", "boss"),
    ({"password": "short"}, "password", "at least 8 characters"),
    ({"display_name": "Kim\nNg"}, "display_name", "a display name is one line"),
])
def test_a_refused_new_user_says_why_beside_the_field(auth, form, field, message):
    lead = auth("lead")
    response = lead.post("/users", {"username": "kim", "display_name": "", "role": "evaluator",
                                    "password": NEW_PASSWORD, **form})
    assert response.status_code in (409, 422)
    assert message in _box(response, field)
    assert "kim" not in _users(lead) and "kim ng" not in _users(lead)


def test_deactivating_someone_logs_them_out_and_keeps_them_out(auth, client, db):
    lead, evaluator = auth("lead"), auth("evaluator")
    response = lead.post("/users/evaluator", _form(lead, "evaluator", active=None))
    assert response.status_code == 302
    assert "Saved evaluator: Evaluator, may not log in." in lead.page("/users").text
    assert evaluator.get("/p/crm/requirements.json").status_code in (302, 401)
    assert client().login("evaluator", DEMO_PASSWORD).status_code == 401
    event = db().exec(select(AuditEvent).where(AuditEvent.entity_id == "evaluator",
                                               AuditEvent.action == "update")).one()
    assert (event.actor, event.before, event.after["active"]) == ("lead", {"active": True}, False)
    assert lead.post("/users/evaluator", _form(lead, "evaluator", active="yes")).status_code == 302
    assert client().login("evaluator", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize("username, changes, field, message", [
    ("lead", {"role": "owner"}, "role", "lead is the only active CRM lead"),
    ("lead", {"active": None}, "active", "you cannot deactivate your own account"),
    ("owner", {"role": "evaluator"}, "role", "which the Evaluator role cannot own"),
    ("owner", {"active": None}, "active", "which a deactivated account cannot own"),
])
def test_an_account_change_that_would_strand_the_project_is_refused(auth, username, changes, field, message):
    lead = auth("lead")
    response = lead.post(f"/users/{username}", _form(lead, username, **changes))
    assert response.status_code == 422
    assert message in _box(response, field)
    users = _users(lead)
    assert (users["lead"]["role"], users["owner"]["role"], users["owner"]["active"]) == ("admin", "owner", True)


def test_the_lead_resets_a_password_and_logs_someone_out_everywhere(auth, client):
    lead, procurement = auth("lead"), auth("procurement")
    response = lead.post("/users/procurement/password", {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "New password set for procurement; 1 browser session ended." in \
        lead.page("/users/procurement/edit").text
    assert procurement.get("/p/crm/requirements.json").status_code in (302, 401)
    again = client()
    assert again.login("procurement", NEW_PASSWORD).status_code == 302
    response = lead.post("/users/procurement/logout", {})
    assert response.status_code == 302
    assert "Logged procurement out of 1 browser session." in lead.page("/users/procurement/edit").text
    assert again.get("/p/crm/requirements.json").status_code in (302, 401)
    # Your own password is changed under Account, with the current one.
    response = lead.post("/users/lead/password", {"password": NEW_PASSWORD})
    assert response.status_code == 422
    assert "change your own password under Account" in parse_html(response.get_data(as_text=True)) \
        .one("ul", cls="field-errors").text


def test_user_forms_without_a_csrf_token_are_refused(auth):
    lead = auth("lead")
    assert lead.post("/users", {"username": "kim", "role": "admin", "password": NEW_PASSWORD},
                     csrf=False).status_code == 400
    assert lead.post("/users/evaluator", {"role": "admin", "active": "yes"}, csrf=False).status_code == 400
    assert lead.post("/account/password", {"current": DEMO_PASSWORD, "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD}, csrf=False).status_code == 400
    users = _users(lead)
    assert "kim" not in users and users["evaluator"]["role"] == "evaluator"


def test_an_unknown_user_is_no_page(auth):
    lead = auth("lead")
    assert lead.get("/users/ghost/edit").status_code == 404
    assert lead.post("/users/ghost", {"role": "admin", "active": "yes"}).status_code == 404


# --- rules that must hold when two people act at the same moment -----------------------------------------

def test_two_leads_demoting_each_other_at_once_leave_one_lead(app):
    engine = make_engine(app.config["DATABASE_URL"])
    with Session(writer(engine)) as db:
        add_user(db, username="lead2", role="admin", password=NEW_PASSWORD, actor="lead")
        db.commit()
    first, second = race(engine, lambda db: update_user(db, username="lead2", role="evaluator", actor="lead"),
                          lambda db: update_user(db, username="lead", role="evaluator", actor="lead2"))
    assert not isinstance(first, Exception)
    assert isinstance(second, Invalid) and "lead is the only active CRM lead" in str(second)
    with Session(engine) as db:
        assert [u.username for u in list_users(db) if u.role == "admin" and u.active] == ["lead"]
    engine.dispose()


def test_an_owner_demoted_while_an_item_is_given_to_them_is_refused(app):
    engine = make_engine(app.config["DATABASE_URL"])
    with Session(writer(engine)) as db:
        add_user(db, username="own3", role="owner", password=NEW_PASSWORD, actor="lead")
        db.commit()

    def give(db):
        item = edit_from_form(session=db, project=get_project(db, "crm"), kind="requirement", hid="REQ-1",
                              fields={"owner": "own3"}, upstream=None, expected_version=1, actor="lead",
                              actor_role="admin")
        return item.owner

    first, second = race(engine, give, lambda db: update_user(db, username="own3", role="procurement",
                                                               actor="lead"))
    assert first == "own3"
    assert isinstance(second, Invalid) and "own3 owns 1 item (REQ-1)" in str(second)
    with Session(engine) as db:
        assert get_user(db, "own3").role == "owner"
    engine.dispose()


def test_refusals_with_the_right_current_password_never_lock_anyone_out(app, auth, client):
    app.config["LOGIN_ATTEMPTS"] = 3
    evaluator = auth("evaluator")
    for _ in range(5):  # a too-short new password, five times over: the current one was right each time
        assert evaluator.post("/account/password", {"current": DEMO_PASSWORD, "password": "short",
                                                    "confirm": "short"}).status_code == 422
    assert evaluator.post("/account/password", {"current": DEMO_PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD}).status_code == 302


def test_a_new_password_from_the_lead_lets_a_locked_out_user_in_at_once(app, auth, client):
    app.config["LOGIN_ATTEMPTS"] = 3
    for _ in range(3):
        assert client().login("procurement", "wrong guess!").status_code == 401
    assert client().login("procurement", DEMO_PASSWORD).status_code == 429
    assert auth("lead").post("/users/procurement/password", {"password": NEW_PASSWORD}).status_code == 302
    assert client().login("procurement", NEW_PASSWORD).status_code == 302


def test_a_username_differing_only_in_capitals_is_taken(auth):
    lead = auth("lead")
    response = lead.post("/users", {"username": "LEAD", "role": "admin", "password": NEW_PASSWORD})
    assert response.status_code == 409
    assert ("a user named 'lead' already exists (names that differ only in capitals look the same in the audit "
            "trail)") in _box(response, "username")
    assert "LEAD" not in _users(lead)


def test_two_adds_of_the_same_username_at_once_add_one_and_refuse_the_other(app):
    engine = make_engine(app.config["DATABASE_URL"])

    def add(role: str):
        return lambda db: add_user(db, username="kim", role=role, password=NEW_PASSWORD, actor="lead").role

    first, second = race(engine, add("evaluator"), add("admin"))
    assert first == "evaluator"
    assert isinstance(second, Conflict) and "a user named 'kim' already exists" in str(second)
    with Session(engine) as db:
        assert get_user(db, "kim").role == "evaluator"
    engine.dispose()
