"""Demo sessions and the live checklist: scheduling, ticks applied once, sealing, submit, corrections,
the lead's consensus and photo evidence — through the test client, on every backend.

The lead builds script version 1 (and a version 2 with one more step), then schedules Atlas on
version 1 with `evaluator` and `evaluator2` attending; `outsider` is an evaluator who does not attend.
Ticks go to POST /p/crm/sessions/<id>/results as JSON with the X-CSRFToken header, as checklist.js
sends them: {"evaluator": whose queue they come from, "results": [...]}.
"""

from __future__ import annotations

import html
import io
import struct
import uuid
import zlib
from urllib.parse import urlparse

import pytest
from sqlalchemy import event, func, select

from reqtrace.model import Attachment, AuditEvent, ChecklistResult, ConsensusScore, DemoSession, SessionAttendee
from reqtrace.services.projects import describe
from reqtrace.services.users import add_user
from tests.conftest import DEMO_PASSWORD
from tests.web.support import Visitor, form_values, parse_html
from web import create_app

ATTENDING = ("evaluator", "evaluator2")


# --- fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
def app(sample_url, tmp_path):
    """The app on this test's copy of the sample project, with photos kept in the test's folder."""
    return create_app({"DATABASE_URL": sample_url, "SECRET_KEY": "test",
                       "ATTACHMENTS_DIR": str(tmp_path / "attachments")})


@pytest.fixture
def people(db) -> None:
    """A second attending evaluator, and an evaluator who attends nothing."""
    session = db()
    for username in ("evaluator2", "outsider"):
        add_user(session, username=username, role="evaluator", password=DEMO_PASSWORD, actor="test",
                 display_name=username.capitalize())
    session.commit()


@pytest.fixture
def lead(auth) -> Visitor:
    return auth("lead")


@pytest.fixture
def script(lead) -> dict:
    """Version 1 built through the page's button, and version 2 with one more step; returns version 1."""
    assert location(lead.post("/p/crm/scripts/build")) == "/p/crm/scripts/1"
    first = lead.json("/p/crm/scripts/1.json")["script"]
    key = first["scenarios"][0]["key"]
    response = lead.post("/p/crm/scripts/1/edit", {"op": "add", "scenario": key, "instruction": "A later step.",
                                                   "expected": "Something.", "timebox_minutes": "5",
                                                   "requirements": "REQ-1"})
    assert location(response).startswith("/p/crm/scripts/2#STEP-")
    return first


@pytest.fixture
def demo(lead, people, script) -> int:
    """Atlas on version 1, with evaluator and evaluator2 attending: the session's id."""
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": "Atlas, day 1",
                                             "scheduled_for": "2030-05-01T09:30:00+00:00",
                                             "attendees": list(ATTENDING)})
    path = location(response)
    assert path.startswith("/p/crm/sessions/")
    return int(path.rsplit("/", 1)[1])


@pytest.fixture
def evaluators(auth, demo) -> tuple[Visitor, Visitor]:
    return auth("evaluator"), auth("evaluator2")


def location(response) -> str:
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:800])
    parsed = urlparse(response.headers["Location"])
    return parsed.path + (f"#{parsed.fragment}" if parsed.fragment else "")


def steps_of(script: dict) -> list[dict]:
    return [step for scenario in script["scenarios"] for step in scenario["steps"]]


def proving_steps(script: dict) -> list[dict]:
    """Steps that cite at least one requirement (the consensus is recorded per requirement)."""
    return [step for step in steps_of(script) if step["requirements"]]


def tick(step: str, score, *, client_id: str | None = None, **extra) -> dict:
    return {"client_id": client_id if client_id is not None else uuid.uuid4().hex, "step": step,
            "verdict": "partly", "score": score, "note": "", **extra}


def sync(visitor: Visitor, demo: int, *ticks: dict, token: str | None = None, csrf: bool = True,
         evaluator: object = None):
    """POST ticks as checklist.js does (naming `evaluator`, when given, as the page does); returns the response."""
    headers = {"X-CSRFToken": token or visitor.token()} if csrf else {}
    body = {"results": list(ticks)} if evaluator is None else {"evaluator": evaluator, "results": list(ticks)}
    return visitor.client.post(f"/p/crm/sessions/{demo}/results", json=body,
                               headers=headers, base_url=visitor.base_url)


def outcomes(visitor: Visitor, demo: int, *ticks: dict) -> list[dict]:
    response = sync(visitor, demo, *ticks)
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:500])
    return response.get_json()["results"]


def stored(visitor: Visitor, demo: int, *ticks: dict) -> list[int]:
    """Send ticks that must all be stored; returns their entry ids."""
    answers = outcomes(visitor, demo, *ticks)
    assert [answer["status"] for answer in answers] == ["stored"] * len(ticks), answers
    return [answer["id"] for answer in answers]


def entries(db, demo: int) -> list[ChecklistResult]:
    return list(db().exec(select(ChecklistResult).where(ChecklistResult.session_id == demo)
                          .order_by(ChecklistResult.id)).scalars())


def count(db, model) -> int:
    return db().exec(select(func.count()).select_from(model)).scalar_one()


def submit(visitor: Visitor, demo: int) -> None:
    assert location(visitor.post(f"/p/crm/sessions/{demo}/submit")) == f"/p/crm/sessions/{demo}/checklist"


def my_results(visitor: Visitor, demo: int) -> dict[str, dict]:
    """step -> the visitor's own result, as their checklist.json shows it."""
    data = visitor.json(f"/p/crm/sessions/{demo}/checklist.json")
    return {step["hid"]: step["result"] for step in steps_of(data) if step["result"]}


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def upload(visitor: Visitor, demo: int, step: str, data: bytes, filename: str, *, as_json: bool = True,
           evaluator: str | None = None):
    headers = {"Accept": "application/json"} if as_json else {}
    form = {"csrf_token": visitor.token(), "step": step, "photo": (io.BytesIO(data), filename)}
    if evaluator is not None:
        form["evaluator"] = evaluator
    return visitor.client.post(f"/p/crm/sessions/{demo}/photos", base_url=visitor.base_url, headers=headers,
                               data=form, content_type="multipart/form-data")


# --- scheduling ------------------------------------------------------------------------------------

def test_the_lead_schedules_a_session(lead, db, demo):
    listing = lead.json("/p/crm/sessions.json")
    assert [(s["id"], s["title"], s["vendor"], s["script_version"]) for s in listing["sessions"]] == \
        [(demo, "Atlas, day 1", "atlas", 1)]
    assert listing["may_schedule"] is True and listing["versions"] == [2, 1]
    shown = lead.json(f"/p/crm/sessions/{demo}.json")
    assert [a["username"] for a in shown["session"]["attendees"]] == list(ATTENDING)
    assert not any(a["submitted"] for a in shown["session"]["attendees"])
    assert shown["session"]["all_submitted"] is False and shown["attending"] is False
    assert shown["session"]["scheduled_for"].startswith("2030-05-01T09:30")
    assert lead.json("/p/crm.json")["project"]["status"] == "demos"
    page = lead.page("/p/crm/sessions")
    assert page.find("a", href=f"/p/crm/sessions/{demo}").text == "Atlas, day 1"
    assert "Atlas, day 1" in lead.page(f"/p/crm/sessions/{demo}").one("h1").text
    created = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "session",
                                                  AuditEvent.action == "create")).scalars().one()
    assert created.actor == "lead" and created.after["attendees"] == list(ATTENDING)


def test_the_sessions_list_asks_the_database_the_same_number_of_times_for_more_sessions(app, lead, demo):
    """Each listed session shows its attendees; loading them must not cost a query per session."""
    def listed() -> tuple[dict[str, list[str]], int]:
        seen: list[str] = []
        engine = app.extensions["reqtrace_engine"]
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            listing = lead.json("/p/crm/sessions.json")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return {s["title"]: [a["username"] for a in s["attendees"]] for s in listing["sessions"]}, len(seen)

    shown, few = listed()
    assert shown["Atlas, day 1"] == list(ATTENDING)
    for day in range(2, 6):
        location(lead.post("/p/crm/sessions", {"vendor": "keystone", "version": "2", "title": f"Keystone, day {day}",
                                               "scheduled_for": f"2030-05-0{day}T09:30:00+00:00",
                                               "attendees": ["evaluator"] if day % 2 else list(ATTENDING)}))
    shown, many = listed()
    assert shown["Keystone, day 3"] == ["evaluator"] and shown["Keystone, day 4"] == list(ATTENDING)
    assert shown["Atlas, day 1"] == list(ATTENDING)
    assert many == few, f"{few} statements for {len(shown) - 4} session(s), {many} for {len(shown)}"


def test_the_schedule_forms_own_date_and_time_is_accepted(lead, db, people, script):
    """The form's "When" field is <input type="datetime-local">: the browser sends "2030-05-01T09:30",
    with no offset. Scheduling with it must work (not answer 500)."""
    field = lead.page("/p/crm/sessions").one("input", name="scheduled_for")
    assert field.attrs["type"] == "datetime-local"
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": "Atlas, day 2",
                                             "scheduled_for": "2030-05-01T09:30", "attendees": ["evaluator"]})
    assert response.status_code == 302, f"scheduling with the form's date answered {response.status_code}"
    (session,) = lead.json("/p/crm/sessions.json")["sessions"]
    assert session["scheduled_for"].startswith("2030-05-01T09:30")


@pytest.mark.parametrize("username", ["owner", "procurement", "evaluator"])
def test_only_the_lead_may_schedule_or_add_attendees(auth, db, demo, username):
    visitor = auth(username)
    assert visitor.json("/p/crm/sessions.json")["may_schedule"] is False
    response = visitor.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "attendees": ["evaluator"]})
    assert response.status_code == 403
    assert visitor.post(f"/p/crm/sessions/{demo}/attendees", {"username": "outsider"}).status_code == 403
    assert count(db, DemoSession) == 1
    assert [a.username for a in db().exec(select(SessionAttendee)).scalars()] == sorted(ATTENDING)


@pytest.mark.parametrize("form, says", [
    ({"vendor": "atlas", "version": "1", "attendees": ["nobody"]}, "nobody"),
    ({"vendor": "nobody", "version": "1"}, "nobody"),
    ({"vendor": "atlas", "version": "1", "scheduled_for": "next Tuesday", "attendees": ["evaluator"]}, "Tuesday"),
    ({"vendor": "atlas", "version": "1", "title": "Nobody there"}, "choose at least one attendee"),
])
def test_an_invalid_schedule_is_refused_and_stores_nothing(lead, db, people, script, form, says):
    response = lead.post("/p/crm/sessions", form)
    assert response.status_code in (404, 422)
    assert says in response.get_data(as_text=True)
    assert count(db, DemoSession) == 0 and count(db, SessionAttendee) == 0


def test_the_lead_adds_an_attendee(lead, auth, demo):
    assert location(lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "outsider"})) == \
        f"/p/crm/sessions/{demo}"
    assert [a["username"] for a in lead.json(f"/p/crm/sessions/{demo}.json")["session"]["attendees"]] == \
        ["evaluator", "evaluator2", "outsider"]
    assert auth("outsider").get(f"/p/crm/sessions/{demo}/checklist.json").status_code == 200
    assert "outsider now attends Atlas, day 1" in lead.page(f"/p/crm/sessions/{demo}").text
    lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "outsider"})
    assert "outsider already attends Atlas, day 1" in lead.page(f"/p/crm/sessions/{demo}").text
    assert lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "ghost"}).status_code == 422


@pytest.mark.parametrize("version", ["0", "abc", "", "9", "-1", "1.0", "99999999999999999999"])
def test_scheduling_names_a_version_that_exists_never_the_latest_instead(lead, db, people, script, version):
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": version, "title": "Atlas, day 1",
                                             "attendees": ["evaluator"]})
    assert response.status_code == 422
    assert parse_html(response.get_data(as_text=True)).one("p", role="alert").text.startswith("version: ")
    assert count(db, DemoSession) == 0 and count(db, SessionAttendee) == 0


@pytest.mark.parametrize("title, says", [
    ("x" * 100_000, "title: a text has at most 32,767 characters"),  # the shared check, before the title's
    ("x" * 1_000, "title: a title has at most 300 characters (this one has 1000)"),
    ("x" * 201, "title: a session title has at most 200 characters (this one has 201)"),
    ("Atlas,\nday 1", "title: a title is one line"),
])
def test_a_session_title_over_the_title_limit_or_on_two_lines_is_refused(lead, db, people, script, title, says):
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": title,
                                             "attendees": ["evaluator"]})
    assert response.status_code == 422
    assert parse_html(response.get_data(as_text=True)).one("p", role="alert").text.startswith(says)
    assert count(db, DemoSession) == 0
    at_limit = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": "y" * 200,
                                             "attendees": ["evaluator"]})
    assert at_limit.status_code == 302 and lead.json("/p/crm/sessions.json")["sessions"][0]["title"] == "y" * 200


def test_the_add_attendee_form_sends_the_username_of_the_user_chosen(lead, db, demo):
    """Each option carries its username as value= (its text shows the name and role), and lists only
    people not attending yet."""
    form = lead.page(f"/p/crm/sessions/{demo}").one("form", action=f"/p/crm/sessions/{demo}/attendees")
    options = form.one("select", name="username").find_all("option")
    assert [o.attrs.get("value") for o in options] == ["lead", "outsider", "owner", "procurement"]
    assert next(o for o in options if o.attrs["value"] == "outsider").text == "outsider (Outsider) · evaluator"
    chosen = [(name, "outsider" if name == "username" else value) for name, value in form_values(form)]
    assert location(lead.post(form.attrs["action"], chosen)) == f"/p/crm/sessions/{demo}"
    assert [a.username for a in db().exec(select(SessionAttendee).order_by(SessionAttendee.username)).scalars()] == \
        ["evaluator", "evaluator2", "outsider"]


# --- ticks: applied once, validated, for attendees only -------------------------------------------

def test_the_checklist_carries_the_script_and_a_sync_token(evaluators, demo, script):
    evaluator, _ = evaluators
    data = evaluator.json(f"/p/crm/sessions/{demo}/checklist.json")
    assert [step["hid"] for step in steps_of(data)] == [step["hid"] for step in steps_of(script)]
    assert data["total_steps"] == len(steps_of(script)) and data["done_steps"] == 0
    assert data["sync_url"] == f"/p/crm/sessions/{demo}/results" and data["sync_token"]
    assert data["submitted"] is False and data["evaluator"] == "evaluator"
    step = steps_of(script)[0]["hid"]
    response = sync(evaluator, demo, tick(step, 4), token=data["sync_token"])
    assert response.status_code == 200 and response.get_json()["results"][0]["status"] == "stored"
    assert my_results(evaluator, demo)[step]["score"] == 4
    assert evaluator.json(f"/p/crm/sessions/{demo}/checklist.json")["done_steps"] == 1


def test_the_checklist_leaves_out_a_scenario_with_no_steps(lead, auth, people, script):
    """A scenario the lead added but gave no step yet has nothing to score: no empty section with a timer."""
    assert location(lead.post("/p/crm/scripts/2/edit", {"op": "add-scenario", "title": "Not written yet"})) \
        .startswith("/p/crm/scripts/3#")
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "3", "title": "Atlas, day 2",
                                             "scheduled_for": "2030-05-02T09:30:00+00:00",
                                             "attendees": list(ATTENDING)})
    demo = int(location(response).rsplit("/", 1)[1])
    version = [s["key"] for s in lead.json("/p/crm/scripts/3.json")["script"]["scenarios"]]
    empty = version[-1]
    data = auth("evaluator").json(f"/p/crm/sessions/{demo}/checklist.json")
    assert [s["key"] for s in data["scenarios"]] == [key for key in version if key != empty]
    assert "Not written yet" not in auth("evaluator").get(f"/p/crm/sessions/{demo}/checklist").get_data(as_text=True)


def test_the_checklist_shows_each_scenarios_narrative(lead, auth, people, script):
    key = script["scenarios"][0]["key"]
    assert location(lead.post("/p/crm/scripts/2/edit", {"op": "scenario", "scenario": key,
                                                        "narrative": "Anna plans her **Tuesday** visits."})) \
        == f"/p/crm/scripts/3#{key}"
    response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "3", "title": "Atlas, day 2",
                                             "scheduled_for": "2030-05-02T09:30:00+00:00",
                                             "attendees": list(ATTENDING)})
    demo = int(location(response).rsplit("/", 1)[1])
    page = auth("evaluator").page(f"/p/crm/sessions/{demo}/checklist")
    story = page.one("section", id=key).one("details", cls="cl-narrative")
    assert story.one("strong").text == "Tuesday" and "Anna plans her Tuesday visits." in story.text


def test_the_same_tick_sent_twice_is_stored_once(evaluators, db, demo, script):
    evaluator, _ = evaluators
    same = tick(steps_of(script)[0]["hid"], 3, client_id="retry-after-a-dropped-connection")
    first = outcomes(evaluator, demo, same)
    second = outcomes(evaluator, demo, same)
    assert first[0]["status"] == "stored" and first[0]["client_id"] == same["client_id"]
    assert second == [{"client_id": same["client_id"], "status": "duplicate", "id": first[0]["id"]}]
    twice_in_one_batch = outcomes(evaluator, demo, dict(same, client_id="sent-twice-in-a-batch"),
                                  dict(same, client_id="sent-twice-in-a-batch"))
    assert [answer["status"] for answer in twice_in_one_batch] == ["stored", "duplicate"]
    rows = entries(db, demo)
    assert sorted(row.client_id for row in rows) == ["retry-after-a-dropped-connection", "sent-twice-in-a-batch"]
    assert [(row.evaluator, row.score) for row in rows] == [("evaluator", 3), ("evaluator", 3)]


def _other_versions_step(lead) -> str:
    first = {step["hid"] for step in steps_of(lead.json("/p/crm/scripts/1.json")["script"])}
    (added,) = {step["hid"] for step in steps_of(lead.json("/p/crm/scripts/2.json")["script"])} - first
    return added


@pytest.mark.parametrize("change, field", [
    ("another version's step", "step"),
    ({"score": 7}, "score"),
    ({"score": "abc"}, "score"),
    ({"score": -1}, "score"),
    ({"client_id": None}, "client_id"),
    ({"client_id": ""}, "client_id"),
    ({"verdict": "brilliant"}, "verdict"),
    ({"recorded_at": "yesterday"}, "recorded_at"),
])
def test_an_invalid_tick_is_refused_naming_the_field_and_stores_nothing(lead, evaluators, db, demo, script,
                                                                        change, field):
    evaluator, _ = evaluators
    raw = tick(steps_of(script)[0]["hid"], 4, client_id="an-invalid-tick-01")
    if change == "another version's step":
        raw["step"] = _other_versions_step(lead)
    else:
        raw.update(change)
        if raw["client_id"] is None:
            del raw["client_id"]
    (answer,) = outcomes(evaluator, demo, raw)
    assert answer["status"] == "refused", answer
    assert answer["error"].startswith(f"{field}:"), answer
    assert entries(db, demo) == []
    assert my_results(evaluator, demo) == {}


def test_a_batch_stores_the_valid_ticks_and_refuses_the_others(evaluators, db, demo, script):
    evaluator, _ = evaluators
    first, second = steps_of(script)[:2]
    answers = outcomes(evaluator, demo, tick(first["hid"], 2, client_id="good-tick-0001"),
                       tick(second["hid"], 9, client_id="bad-score-0001"))
    assert {a["client_id"]: a["status"] for a in answers} == {"good-tick-0001": "stored", "bad-score-0001": "refused"}
    assert [row.client_id for row in entries(db, demo)] == ["good-tick-0001"]


def test_an_evaluator_who_does_not_attend_is_refused_and_nothing_is_stored(auth, db, demo, script):
    outsider = auth("outsider")
    step = steps_of(script)[0]["hid"]
    response = sync(outsider, demo, tick(step, 4))
    assert response.status_code == 403
    assert "does not attend" in response.get_json()["error"]
    assert outsider.get(f"/p/crm/sessions/{demo}/checklist").status_code == 403
    assert outsider.get(f"/p/crm/sessions/{demo}/checklist.json").status_code == 403
    assert outsider.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "4"}).status_code == 403
    assert outsider.post(f"/p/crm/sessions/{demo}/submit").status_code == 403
    assert upload(outsider, demo, step, png(), "shot.png").status_code == 403
    assert entries(db, demo) == [] and count(db, Attachment) == 0
    assert all(a.submitted_at is None for a in db().exec(select(SessionAttendee)).scalars())


def test_ticks_without_the_csrf_token_are_refused(evaluators, db, demo, script):
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    missing = sync(evaluator, demo, tick(step, 4), csrf=False)
    assert missing.status_code == 400
    forged = sync(evaluator, demo, tick(step, 4), token="IjEyMzQ1Njc4OTAi.forged.signature")
    assert forged.status_code == 400
    assert evaluator.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "4"}, csrf=False).status_code == 400
    assert evaluator.post(f"/p/crm/sessions/{demo}/submit", csrf=False).status_code == 400
    assert entries(db, demo) == []
    assert all(a.submitted_at is None for a in db().exec(select(SessionAttendee)).scalars())


def test_a_body_that_is_not_a_list_of_ticks_is_a_400(evaluators, db, demo):
    evaluator, _ = evaluators
    headers = {"X-CSRFToken": evaluator.token()}
    for body in ({"results": "4"}, {"ticks": []}, ["not", "an", "object"]):
        assert evaluator.client.post(f"/p/crm/sessions/{demo}/results", json=body, headers=headers).status_code == 400
    assert entries(db, demo) == []


# --- ticks queued for one evaluator, sent while another is logged in -------------------------------

def test_ticks_queued_for_another_evaluator_are_refused_whole_and_nothing_is_stored(evaluators, db, demo, script):
    """A tablet's queue was the evaluator's; their login ended and evaluator2 logged in on the same browser."""
    evaluator, evaluator2 = evaluators
    first, second = steps_of(script)[:2]
    queued = [tick(first["hid"], 4, note="Shown on a phone."), tick(second["hid"], 2),
              tick(second["hid"], 9)]  # an invalid tick does not make the batch any less the evaluator's
    response = sync(evaluator2, demo, *queued, evaluator="evaluator")
    assert response.status_code == 409, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["evaluator"], answer["user"]) == ("evaluator", "evaluator2")
    assert "log in as evaluator" in answer["error"]
    assert entries(db, demo) == [] and my_results(evaluator2, demo) == {}

    # Still refused whole when the one logged in has submitted (their lock would have refused each tick and
    # the page would have dropped them) or does not attend at all.
    submit(evaluator2, demo)
    assert sync(evaluator2, demo, *queued, evaluator="evaluator").status_code == 409
    outsider = Visitor(evaluator.client.application.test_client())
    assert outsider.login("outsider").status_code == 302
    assert sync(outsider, demo, *queued, evaluator="evaluator").status_code == 409
    assert entries(db, demo) == []

    # The evaluator logs in again: the same ticks (same client ids) are stored as theirs, the invalid one
    # refused; the answer says whose they were judged as.
    response = sync(evaluator, demo, *queued, evaluator="evaluator")
    assert response.status_code == 200
    assert response.get_json()["evaluator"] == "evaluator"
    assert {a["client_id"]: a["status"] for a in response.get_json()["results"]} == \
        {queued[0]["client_id"]: "stored", queued[1]["client_id"]: "stored", queued[2]["client_id"]: "refused"}
    assert [(row.client_id, row.evaluator) for row in entries(db, demo)] == \
        [(queued[0]["client_id"], "evaluator"), (queued[1]["client_id"], "evaluator")]


def test_a_batch_named_for_the_logged_in_user_or_unnamed_is_theirs(evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    named = sync(evaluator2, demo, tick(step, 3), evaluator="evaluator2")
    assert named.status_code == 200 and named.get_json()["evaluator"] == "evaluator2"
    assert named.get_json()["results"][0]["status"] == "stored"
    # A batch naming no evaluator (a script, or a page served before pages named it) is the logged-in user's.
    unnamed = sync(evaluator, demo, tick(step, 1))
    assert unnamed.status_code == 200 and unnamed.get_json()["evaluator"] == "evaluator"
    assert [(row.evaluator, row.score) for row in entries(db, demo)] == [("evaluator2", 3), ("evaluator", 1)]
    assert my_results(evaluator, demo)[step]["score"] == 1 and my_results(evaluator2, demo)[step]["score"] == 3


@pytest.mark.parametrize("name", ["", 7, ["evaluator"], {"username": "evaluator"}, True])
def test_an_evaluator_that_is_not_a_username_is_a_400(evaluators, db, demo, script, name):
    evaluator, _ = evaluators
    response = sync(evaluator, demo, tick(steps_of(script)[0]["hid"], 3), evaluator=name)
    assert response.status_code == 400 and "evaluator" in response.get_json()["error"]
    assert entries(db, demo) == []


def test_the_checklist_forms_name_their_evaluator_and_are_refused_for_anyone_else(evaluators, db, demo, script):
    """Without JavaScript too: a form from the evaluator's page, sent once evaluator2 has logged in."""
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    page = evaluator.page(f"/p/crm/sessions/{demo}/checklist")
    assert page.one("div", id="checklist").attrs["data-evaluator"] == "evaluator"
    forms = page.one("div", id="checklist").find_all("form")
    assert {form.attrs["action"].rsplit("/", 1)[1] for form in forms} == {"submit", "tick", "photos"}
    assert all(form.one("input", name="evaluator").attrs["value"] == "evaluator" for form in forms)

    tick_form = evaluator2.post(f"/p/crm/sessions/{demo}/tick", {"evaluator": "evaluator", "step": step,
                                                                 "score": "4"})
    assert tick_form.status_code == 409
    assert "log in as evaluator" in parse_html(tick_form.get_data(as_text=True)).one("p", role="alert").text.lower()
    submitted = evaluator2.post(f"/p/crm/sessions/{demo}/submit", {"evaluator": "evaluator"})
    assert submitted.status_code == 409
    assert upload(evaluator2, demo, step, png(), "shot.png", evaluator="evaluator").status_code == 409
    assert upload(evaluator2, demo, step, png(), "shot.png", evaluator="evaluator", as_json=False).status_code == 409
    assert entries(db, demo) == [] and count(db, Attachment) == 0
    assert all(a.submitted_at is None for a in db().exec(select(SessionAttendee)).scalars())

    # The same forms from evaluator2's own page are theirs.
    assert location(evaluator2.post(f"/p/crm/sessions/{demo}/tick", {"evaluator": "evaluator2", "step": step,
                                                                     "score": "4"})).endswith(f"#{step}")
    assert upload(evaluator2, demo, step, png(), "shot.png", evaluator="evaluator2").status_code == 200
    assert location(evaluator2.post(f"/p/crm/sessions/{demo}/submit", {"evaluator": "evaluator2"})) == \
        f"/p/crm/sessions/{demo}/checklist"
    assert [(row.evaluator, row.score) for row in entries(db, demo)] == [("evaluator2", 4)]


def test_the_checklist_page_tells_its_script_who_is_logged_in(evaluators, demo):
    """A login from before the page named them: the page itself names its evaluator in reqtrace_user (the
    script takes ticks only for them, see tests/browser/test_checklist_logout.py)."""
    evaluator, _ = evaluators
    evaluator.client.delete_cookie("reqtrace_user")
    response = evaluator.get(f"/p/crm/sessions/{demo}/checklist")
    assert response.status_code == 200
    assert evaluator.client.get_cookie("reqtrace_user").value == "evaluator"


def test_the_plain_form_tick_works_without_javascript(evaluators, db, demo, script):
    evaluator, _ = evaluators
    step = steps_of(script)[1]["hid"]
    form = parse_html(evaluator.get(f"/p/crm/sessions/{demo}/checklist").get_data(as_text=True)) \
        .one("article", id=step).one("form", cls="tick")
    assert form.attrs["action"] == f"/p/crm/sessions/{demo}/tick"
    response = evaluator.post(form.attrs["action"], {"step": step, "verdict": "demonstrated", "score": "5",
                                                     "note": "Shown on a phone."})
    assert location(response) == f"/p/crm/sessions/{demo}/checklist#{step}"
    assert my_results(evaluator, demo)[step] | {"id": 0, "recorded_at": "", "recorded_iso": ""} == \
        {"id": 0, "verdict": "demonstrated", "score": 5, "note": "Shown on a phone.", "recorded_at": "",
         "recorded_iso": "", "counts": True}
    refused = evaluator.post(form.attrs["action"], {"step": step, "score": "6"})
    assert refused.status_code == 422 and "score" in parse_html(refused.get_data(as_text=True)).one(
        "p", role="alert").text
    other = steps_of(script)[2]["hid"]
    empty = evaluator.post(form.attrs["action"], {"step": other, "verdict": "", "score": "", "note": "  "})
    assert empty.status_code == 422 and "choose a verdict or a score" in parse_html(
        empty.get_data(as_text=True)).one("p", role="alert").text
    assert len(entries(db, demo)) == 1 and other not in my_results(evaluator, demo)


def test_a_new_tick_before_submitting_replaces_the_earlier_one(evaluators, demo, script):
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    stored(evaluator, demo, tick(step, 2, recorded_at="2030-05-01T09:40:00Z"))
    stored(evaluator, demo, tick(step, 4, recorded_at="2030-05-01T09:45:00Z"))
    assert my_results(evaluator, demo)[step]["score"] == 4


def test_a_late_arriving_older_tick_does_not_replace_a_newer_one(evaluators, demo, script):
    """Offline sync: the tick recorded last counts, whatever order the ticks reach the server in."""
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    stored(evaluator, demo, tick(step, 4, recorded_at="2030-05-01T09:45:00Z"))
    stored(evaluator, demo, tick(step, 1, recorded_at="2030-05-01T09:40:00Z"))  # queued on a phone, sent later
    assert my_results(evaluator, demo)[step]["score"] == 4


# --- sealed until everyone submits; the consensus ------------------------------------------------

def _score_both(evaluators, demo, script) -> tuple[dict, dict, dict]:
    """evaluator and evaluator2 score three steps: 1 apart, 3 apart (disagree), exactly 2 apart (disagree)."""
    evaluator, evaluator2 = evaluators
    close, far, edge = proving_steps(script)[:3]
    stored(evaluator, demo, tick(close["hid"], 4, note="Clear."), tick(far["hid"], 5), tick(edge["hid"], 3))
    stored(evaluator2, demo, tick(close["hid"], 3), tick(far["hid"], 2, note="Only slides."), tick(edge["hid"], 1))
    return close, far, edge


def test_scores_are_sealed_until_every_attendee_submits(lead, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    close, far, edge = _score_both(evaluators, demo, script)
    mine = my_results(evaluator, demo)
    assert {step: result["score"] for step, result in mine.items()} == {close["hid"]: 4, far["hid"]: 5, edge["hid"]: 3}
    theirs = my_results(evaluator2, demo)
    assert {step: result["score"] for step, result in theirs.items()} == \
        {close["hid"]: 3, far["hid"]: 2, edge["hid"]: 1}
    assert "Only slides." not in evaluator.get(f"/p/crm/sessions/{demo}/checklist.json").get_data(as_text=True)
    assert "Only slides." not in evaluator.get(f"/p/crm/sessions/{demo}/checklist").get_data(as_text=True)
    for who in (lead, evaluator):
        assert who.get(f"/p/crm/sessions/{demo}/consensus").status_code == 403
        assert who.get(f"/p/crm/sessions/{demo}/consensus.json").status_code == 403
    assert lead.get(f"/p/crm/sessions/{demo}/checklist.json").status_code == 403  # the lead does not attend
    submit(evaluator, demo)
    assert lead.get(f"/p/crm/sessions/{demo}/consensus.json").status_code == 403  # one of two submitted
    sealed = lead.get(f"/p/crm/sessions/{demo}/consensus").get_data(as_text=True)
    assert "still to submit: evaluator2 (take someone who will never submit off the session" in sealed
    refused = lead.post(f"/p/crm/sessions/{demo}/consensus", {"step": far["hid"], "requirement":
                                                               far["requirements"][0], "score": "3",
                                                               "reason": "Too early."})
    assert refused.status_code in (403, 422)
    assert count(db, ConsensusScore) == 0
    page = lead.page(f"/p/crm/sessions/{demo}")
    assert page.find("a", href=f"/p/crm/sessions/{demo}/consensus") is None
    assert "opens once every evaluator has submitted" in page.text


def test_after_everyone_submits_the_lead_sees_every_score_and_the_spread(lead, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    close, far, edge = _score_both(evaluators, demo, script)
    submit(evaluator, demo)
    submit(evaluator2, demo)
    assert lead.json(f"/p/crm/sessions/{demo}.json")["session"]["all_submitted"] is True
    view = lead.json(f"/p/crm/sessions/{demo}/consensus.json")
    assert view["evaluators"] == list(ATTENDING) and view["vendor"] == "atlas"
    rows = {row["step"]: row for row in view["rows"]}
    assert sorted(rows) == sorted(step["hid"] for step in steps_of(script))
    assert rows[close["hid"]]["scores"] == {"evaluator": 4, "evaluator2": 3}
    assert (rows[close["hid"]]["spread"], rows[close["hid"]]["disagree"]) == (1, False)
    assert rows[far["hid"]]["scores"] == {"evaluator": 5, "evaluator2": 2}
    assert (rows[far["hid"]]["spread"], rows[far["hid"]]["disagree"]) == (3, True)
    assert (rows[edge["hid"]]["spread"], rows[edge["hid"]]["disagree"]) == (2, True)
    assert rows[far["hid"]]["notes"] == {"evaluator2": "Only slides."}
    assert rows[close["hid"]]["requirements"] == close["requirements"]
    unscored = next(row for row in view["rows"] if row["step"] not in (close["hid"], far["hid"], edge["hid"]))
    assert unscored["scores"] == {"evaluator": None, "evaluator2": None} and unscored["disagree"] is False
    assert view["disagreements"] == 2
    page = lead.page(f"/p/crm/sessions/{demo}/consensus")
    assert "disagree" in page.one("tr", id=far["hid"]).attrs["class"]
    assert "disagree" not in page.one("tr", id=close["hid"]).attrs["class"]
    assert "2 steps to discuss." in page.text
    # The evidence is unsealed now, but each evaluator's checklist still shows their own scores.
    assert my_results(evaluator, demo)[far["hid"]]["score"] == 5


def test_the_consensus_lists_the_steps_in_script_order(lead, evaluators, demo, script):
    """The lead walks the consensus table with the script: scenario by scenario, step by step."""
    evaluator, evaluator2 = evaluators
    submit(evaluator, demo)
    submit(evaluator2, demo)
    view = lead.json(f"/p/crm/sessions/{demo}/consensus.json")
    assert [row["step"] for row in view["rows"]] == [step["hid"] for step in steps_of(script)]
    page = lead.page(f"/p/crm/sessions/{demo}/consensus")
    shown = [tr.attrs["id"] for tr in page.one("table", cls="consensus").find("tbody").find_all("tr")]
    assert shown == [step["hid"] for step in steps_of(script)]


@pytest.mark.parametrize("username", ["owner", "procurement", "evaluator"])
def test_only_the_lead_sees_and_records_the_consensus(auth, evaluators, db, demo, script, username):
    evaluator, evaluator2 = evaluators
    _, far, _ = _score_both(evaluators, demo, script)
    submit(evaluator, demo)
    submit(evaluator2, demo)
    visitor = auth(username)
    assert visitor.get(f"/p/crm/sessions/{demo}/consensus.json").status_code == 403
    response = visitor.post(f"/p/crm/sessions/{demo}/consensus", {"step": far["hid"], "requirement":
                                                                   far["requirements"][0], "score": "3",
                                                                   "reason": "Agreed."})
    assert response.status_code == 403
    assert count(db, ConsensusScore) == 0


def test_after_submitting_a_tick_is_refused_and_a_correction_with_its_reason_is_stored(lead, evaluators, db, demo,
                                                                                       script):
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    (original,) = stored(evaluator, demo, tick(step, 2))
    (theirs,) = stored(evaluator2, demo, tick(step, 3))
    early = outcomes(evaluator, demo, tick(step, 3, corrects=original, note="Too soon."))
    assert early[0]["status"] == "refused" and "before you submit" in early[0]["error"]
    submit(evaluator, demo)
    assert evaluator.json(f"/p/crm/sessions/{demo}/checklist.json")["submitted"] is True

    (locked,) = outcomes(evaluator, demo, tick(step, 5))
    assert locked["status"] == "refused" and "locked" in locked["error"]
    (no_reason,) = outcomes(evaluator, demo, tick(step, 5, corrects=original))
    assert no_reason["status"] == "refused" and "reason" in no_reason["error"]
    (not_mine,) = outcomes(evaluator, demo, tick(step, 5, corrects=theirs, note="Theirs."))
    assert not_mine["status"] == "refused" and "your own" in not_mine["error"]
    other_step = steps_of(script)[1]["hid"]
    (wrong_step,) = outcomes(evaluator, demo, tick(other_step, 5, corrects=original, note="Wrong step."))
    assert wrong_step["status"] == "refused"
    assert len(entries(db, demo)) == 2

    (correction,) = stored(evaluator, demo, tick(step, 4, corrects=original, note="Re-watched the recording."))
    rows = {row.id: row for row in entries(db, demo)}
    assert (rows[correction].corrects, rows[correction].score, rows[correction].note) == \
        (original, 4, "Re-watched the recording.")
    assert rows[original].score == 2  # the original is kept
    assert my_results(evaluator, demo)[step]["score"] == 4
    event = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "checklist",
                                               AuditEvent.action == "correct")).scalars().one()
    assert event.actor == "evaluator" and event.entity_id == str(demo)
    assert event.before == {"entry": original}
    assert event.after["entry"] == correction and event.after["score"] == 4
    assert event.after["reason"] == "Re-watched the recording."

    submit(evaluator2, demo)
    # The corrected score is the one the consensus compares.
    row = next(r for r in lead.json(f"/p/crm/sessions/{demo}/consensus.json")["rows"] if r["step"] == step)
    assert row["scores"] == {"evaluator": 4, "evaluator2": 3}


def test_the_submitted_checklist_offers_corrections_on_the_plain_form(evaluators, db, demo, script):
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    (original,) = stored(evaluator, demo, tick(step, 2))
    submit(evaluator, demo)
    form = evaluator.page(f"/p/crm/sessions/{demo}/checklist").one("article", id=step).one("form", cls="tick")
    assert form.one("input", name="corrects").attrs["value"] == str(original)
    locked = evaluator.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "5"})
    assert locked.status_code == 422 and "locked" in locked.get_data(as_text=True)
    no_reason = evaluator.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "5", "corrects": original})
    assert no_reason.status_code == 422
    corrected = evaluator.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "5", "corrects": original,
                                                                "note": "Saw it again at the end."})
    assert location(corrected) == f"/p/crm/sessions/{demo}/checklist#{step}"
    assert my_results(evaluator, demo)[step]["score"] == 5
    assert len(entries(db, demo)) == 2


def test_after_submitting_a_step_left_unscored_takes_a_late_score_with_its_reason(lead, evaluators, db, demo,
                                                                                  script):
    """QA: submitted with steps unscored, the evaluator could never score them (the vendor was then knocked out
    for steps "not demonstrated"). A step they never scored takes a late score with its reason, audited like a
    correction; a scored step still changes only by a correction naming its entry."""
    evaluator, evaluator2 = evaluators
    scored, unscored = steps_of(script)[0]["hid"], steps_of(script)[1]["hid"]
    stored(evaluator, demo, tick(scored, 2))
    stored(evaluator2, demo, tick(unscored, 3))  # someone else's score does not make the step scored for me
    submit(evaluator, demo)

    (no_reason,) = outcomes(evaluator, demo, tick(unscored, 4))
    assert no_reason["status"] == "refused"
    assert no_reason["error"] == (f"you submitted this session: {unscored}, which you left unscored, may still "
                                  f"be scored late, with the reason in the note")
    (late,) = stored(evaluator, demo, tick(unscored, 4, note="Shown after the break; I had missed it."))
    assert my_results(evaluator, demo)[unscored] | {"recorded_at": "", "recorded_iso": ""} == \
        {"id": late, "verdict": "partly", "score": 4, "note": "Shown after the break; I had missed it.",
         "recorded_at": "", "recorded_iso": "", "counts": True}
    event = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "checklist",
                                               AuditEvent.action == "score late")).scalars().one()
    assert (event.actor, event.entity_id, event.before) == ("evaluator", str(demo), {"entry": None})
    assert event.after == {"entry": late, "step": unscored, "score": 4, "verdict": "partly",
                           "reason": "Shown after the break; I had missed it."}
    assert describe(event) == f"scored a step late in checklist {demo}"  # as the project's recent changes say

    # Now scored, the step is locked like any other: a further change is a correction naming the late score.
    (again,) = outcomes(evaluator, demo, tick(unscored, 1, note="Changed my mind."))
    assert again["status"] == "refused" and "locked" in again["error"]
    (locked,) = outcomes(evaluator, demo, tick(scored, 5, note="A late score of a scored step."))
    assert locked["status"] == "refused" and "locked" in locked["error"]
    stored(evaluator, demo, tick(unscored, 3, corrects=late, note="Re-watched: partly."))
    assert my_results(evaluator, demo)[unscored]["score"] == 3

    submit(evaluator2, demo)
    row = next(r for r in lead.json(f"/p/crm/sessions/{demo}/consensus.json")["rows"] if r["step"] == unscored)
    assert row["scores"] == {"evaluator": 3, "evaluator2": 3}


def test_the_submitted_checklist_offers_a_late_score_of_an_unscored_step_on_the_plain_form(evaluators, db, demo,
                                                                                          script):
    evaluator, _ = evaluators
    scored, unscored = steps_of(script)[0]["hid"], steps_of(script)[1]["hid"]
    stored(evaluator, demo, tick(scored, 2))
    submit(evaluator, demo)
    page = evaluator.page(f"/p/crm/sessions/{demo}/checklist")
    assert page.one("article", id=scored).one("button", cls="save-tick").text == "Record a correction"
    form = page.one("article", id=unscored).one("form", cls="tick")
    assert form.find("input", name="corrects") is None
    assert form.one("button", cls="save-tick").text == "Record a late score"
    assert "needs its reason" in form.one("label", cls="note-label").text

    refused = evaluator.post(form.attrs["action"], {"step": unscored, "verdict": "demonstrated", "score": "4"})
    assert refused.status_code == 422
    assert "may still be scored late, with the reason in the note" in parse_html(
        refused.get_data(as_text=True)).one("p", role="alert").text
    late = evaluator.post(form.attrs["action"], {"step": unscored, "verdict": "demonstrated", "score": "4",
                                                 "note": "Shown at the end."})
    assert location(late) == f"/p/crm/sessions/{demo}/checklist#{unscored}"
    assert my_results(evaluator, demo)[unscored]["score"] == 4
    step = evaluator.page(f"/p/crm/sessions/{demo}/checklist").one("article", id=unscored)
    assert step.one("button", cls="save-tick").text == "Record a correction"
    assert step.one("input", name="corrects").attrs["value"] == str(my_results(evaluator, demo)[unscored]["id"])


def test_the_checklist_says_beside_submit_how_many_steps_have_no_score_yet(evaluators, demo, script):
    evaluator, _ = evaluators
    total = len(steps_of(script))
    page = evaluator.page(f"/p/crm/sessions/{demo}/checklist")
    form = page.one("form", cls="submit-form")
    assert form.one("span", cls="unscored").text == f"{total} of {total} steps have no score yet"
    stored(evaluator, demo, *(tick(step["hid"], 3) for step in steps_of(script)[:2]))
    form = evaluator.page(f"/p/crm/sessions/{demo}/checklist").one("form", cls="submit-form")
    assert form.one("span", cls="unscored").text == f"{total - 2} of {total} steps have no score yet"
    assert form.one("button").attrs["data-confirm"].startswith(
        f"{total - 2} of {total} steps have no score yet: submit anyway?")

    submitted = evaluator.post(f"/p/crm/sessions/{demo}/submit", follow_redirects=True)
    assert f"{total - 2} of {total} steps have no score: each can still be scored late, with the reason in its note" \
        in parse_html(submitted.get_data(as_text=True)).one("p", cls="flash").text


def test_with_every_step_scored_submit_asks_no_question_about_unscored_steps(evaluators, demo, script):
    evaluator, _ = evaluators
    stored(evaluator, demo, *(tick(step["hid"], 3) for step in steps_of(script)))
    form = evaluator.page(f"/p/crm/sessions/{demo}/checklist").one("form", cls="submit-form")
    assert "hidden" in form.one("span", cls="unscored").attrs
    assert form.one("button").attrs["data-confirm"].startswith("Submit your scores?")


def test_a_correction_replaces_its_entry_even_from_a_device_whose_clock_is_behind(evaluators, demo, script):
    """DESIGN: "a correction replaces the entry it corrects". The correction is made after the entry it
    names, so it must count, even when the phone it was made on has a clock a few minutes behind the
    laptop the original tick came from."""
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    (original,) = stored(evaluator, demo, tick(step, 2, recorded_at="2030-05-01T09:45:00Z"))
    submit(evaluator, demo)
    stored(evaluator, demo, tick(step, 4, corrects=original, note="Re-watched the recording.",
                                 recorded_at="2030-05-01T09:41:00Z"))
    assert my_results(evaluator, demo)[step]["score"] == 4


def test_a_stored_correction_is_the_score_that_counts(evaluators, demo, script):
    """A correction that names an entry the evaluator had already replaced before submitting is either
    refused, or stored and then counts: never stored, audited and silently ignored."""
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    (superseded,) = stored(evaluator, demo, tick(step, 1, recorded_at="2030-05-01T09:40:00Z"))
    stored(evaluator, demo, tick(step, 2, recorded_at="2030-05-01T09:45:00Z"))
    submit(evaluator, demo)
    (answer,) = outcomes(evaluator, demo, tick(step, 5, corrects=superseded, note="Saw it again.",
                                               recorded_at="2030-05-01T09:42:00Z"))
    if answer["status"] == "stored":
        assert my_results(evaluator, demo)[step]["score"] == 5, "the correction was stored but does not count"
    else:
        assert answer["status"] == "refused" and my_results(evaluator, demo)[step]["score"] == 2


def test_ticks_with_a_utc_offset_are_ordered_by_the_moment_they_were_recorded(evaluators, demo, script):
    """10:30+02:00 is 08:30 UTC, before 09:00 UTC: the 09:00Z tick is the latest and counts."""
    evaluator, _ = evaluators
    step = steps_of(script)[0]["hid"]
    stored(evaluator, demo, tick(step, 2, recorded_at="2030-05-01T10:30:00+02:00"))
    stored(evaluator, demo, tick(step, 4, recorded_at="2030-05-01T09:00:00Z"))
    assert my_results(evaluator, demo)[step]["score"] == 4


def test_the_lead_records_a_consensus_beside_the_evaluators_scores(lead, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    _, far, _ = _score_both(evaluators, demo, script)
    submit(evaluator, demo)
    submit(evaluator2, demo)
    requirement = far["requirements"][0]
    url = f"/p/crm/sessions/{demo}/consensus"
    without = lead.post(url, {"step": far["hid"], "requirement": requirement, "score": "3", "reason": "  "})
    assert without.status_code == 422
    assert "reason" in parse_html(without.get_data(as_text=True)).one("p", role="alert").text
    for bad in ({"score": "9"}, {"score": "abc"}, {"requirement": "REQ-999"}):
        form = {"step": far["hid"], "requirement": requirement, "score": "3", "reason": "Agreed.", **bad}
        assert lead.post(url, form).status_code == 422, bad
    assert count(db, ConsensusScore) == 0

    response = lead.post(url, {"step": far["hid"], "requirement": requirement, "score": "3",
                               "reason": "Shown, but only with the vendor's own data."})
    assert location(response) == f"{url}#{far['hid']}"
    row = next(r for r in lead.json(f"{url}.json")["rows"] if r["step"] == far["hid"])
    assert row["consensus"][requirement] == {"score": 3, "reason": "Shown, but only with the vendor's own data.",
                                             "by": "lead"}
    assert row["scores"] == {"evaluator": 5, "evaluator2": 2}  # the originals stay beside it
    assert sorted((r.evaluator, r.score) for r in entries(db, demo) if r.step == far["hid"]) == \
        [("evaluator", 5), ("evaluator2", 2)]
    saved = db().exec(select(ConsensusScore)).scalars().one()
    assert (saved.requirement, saved.step, saved.score, saved.recorded_by) == (requirement, far["hid"], 3, "lead")
    event = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "consensus")).scalars().one()
    assert event.entity_id == requirement and event.after["reason"] == saved.reason
    assert "Shown, but only with the vendor" in lead.page(url).one("tr", id=far["hid"]).text


def test_a_consensus_reason_over_the_text_limit_is_refused(lead, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    _, far, _ = _score_both(evaluators, demo, script)
    submit(evaluator, demo)
    submit(evaluator2, demo)
    form = {"step": far["hid"], "requirement": far["requirements"][0], "score": "3", "reason": "x" * 200_000}
    response = lead.post(f"/p/crm/sessions/{demo}/consensus", form)
    assert response.status_code == 422
    alert = parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert alert.startswith("reason: a text has at most 32,767 characters") and "200,000" in alert
    assert count(db, ConsensusScore) == 0


def test_nobody_joins_a_session_whose_consensus_is_recorded(lead, auth, evaluators, db, demo, script):
    """Adding someone would seal again the scores a recorded consensus rests on (and that count in the ranking),
    and make them count as still scoring a finished session: refused, with the way to go instead."""
    evaluator, evaluator2 = evaluators
    _, far, _ = _score_both(evaluators, demo, script)
    submit(evaluator, demo)
    submit(evaluator2, demo)
    url = f"/p/crm/sessions/{demo}/consensus"
    location(lead.post(url, {"step": far["hid"], "requirement": far["requirements"][0], "score": "3",
                             "reason": "Agreed."}))
    response = lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "procurement"})
    assert response.status_code == 422
    alert = parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert "the consensus of Atlas, day 1 is recorded" in alert and "schedule a new session" in alert
    assert [a.username for a in db().exec(select(SessionAttendee)).scalars()] == sorted(ATTENDING)
    assert lead.get(url).status_code == 200  # the consensus stays in view
    page = lead.page(f"/p/crm/sessions/{demo}")
    assert page.find("form", action=f"/p/crm/sessions/{demo}/attendees") is None
    assert "The consensus of this session is recorded, so nobody joins it now" in page.text
    assert auth("procurement").get("/p/crm/ranking").status_code == 200  # not "still scoring" anything
    # A second session of the same vendor is not finished by the first one's consensus.
    second = int(location(lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": "Atlas, day 2",
                                                        "attendees": ["evaluator"]})).rsplit("/", 1)[1])
    assert location(lead.post(f"/p/crm/sessions/{second}/attendees", {"username": "outsider"})) == \
        f"/p/crm/sessions/{second}"


def test_adding_someone_once_everyone_has_submitted_warns_that_the_scores_seal_again(lead, evaluators, demo, script):
    evaluator, evaluator2 = evaluators
    submit(evaluator, demo)
    submit(evaluator2, demo)
    button = lead.page(f"/p/crm/sessions/{demo}").one("form", action=f"/p/crm/sessions/{demo}/attendees").one("button")
    assert "seals the scores again" in button.attrs["data-confirm"]
    assert location(lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "outsider"})) == \
        f"/p/crm/sessions/{demo}"
    flashes = [p.text for p in lead.page(f"/p/crm/sessions/{demo}").find_all("p", role="status")]
    assert "Everyone else had submitted: the scores of Atlas, day 1 are sealed again, and the consensus view " \
           "closed, until outsider submits." in flashes
    assert lead.get(f"/p/crm/sessions/{demo}/consensus").status_code == 403


# --- photo evidence --------------------------------------------------------------------------------

def test_a_photo_is_kept_and_sealed_like_a_score(lead, auth, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    image = png()
    response = upload(evaluator, demo, step, image, "whiteboard.png")
    assert response.status_code == 200, response.get_data(as_text=True)
    photo_url = response.get_json()["url"]
    own = evaluator.get(photo_url)
    assert own.status_code == 200 and own.mimetype == "image/png" and own.data == image
    assert "sandbox" in own.headers["Content-Security-Policy"]
    listed = next(s for s in steps_of(evaluator.json(f"/p/crm/sessions/{demo}/checklist.json"))
                  if s["hid"] == step)["photos"]
    assert [(p["filename"], p["url"]) for p in listed] == [("whiteboard.png", photo_url)]
    assert evaluator2.get(photo_url).status_code == 403
    assert lead.get(photo_url).status_code == 403
    assert next(s for s in steps_of(evaluator2.json(f"/p/crm/sessions/{demo}/checklist.json"))
                if s["hid"] == step)["photos"] == []
    saved = db().exec(select(Attachment)).scalars().one()
    assert (saved.evaluator, saved.step, saved.content_type, saved.size) == ("evaluator", step, "image/png", len(image))
    submit(evaluator, demo)
    assert evaluator2.get(photo_url).status_code == 403
    submit(evaluator2, demo)
    assert evaluator2.get(photo_url).status_code == 200
    assert lead.get(photo_url).data == image
    assert auth("outsider").get(photo_url).status_code == 403  # an evaluator who did not attend: not theirs
    # evidence added after submitting is kept, and the audit trail says so
    late = upload(evaluator, demo, step, png(3, 3), "later.png")
    assert late.status_code == 200
    attached = [e.after for e in db().exec(select(AuditEvent).where(AuditEvent.action == "attach")
                                           .order_by(AuditEvent.id)).scalars()]
    assert [(a["filename"], a["after_submission"]) for a in attached] == [("whiteboard.png", False),
                                                                          ("later.png", True)]


def test_a_photo_through_the_plain_form_redirects_back_to_the_step(evaluators, db, demo, script):
    evaluator, _ = evaluators
    step = steps_of(script)[2]["hid"]
    response = upload(evaluator, demo, step, png(), "photo.png", as_json=False)
    assert location(response) == f"/p/crm/sessions/{demo}/checklist#{step}"
    assert count(db, Attachment) == 1


@pytest.mark.parametrize("what, data, filename, says", [
    ("text renamed .png", b"Just some notes, not an image.\n" * 10, "notes.png", "only images"),
    ("html renamed .png", b"<html><script>alert(1)</script></html>", "evil.png", "only images"),
    ("over 5 MB", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "huge.png", "5 MB"),
    ("empty", b"", "empty.png", "choose a photo"),
])
def test_a_file_that_is_not_a_small_image_is_refused(evaluators, db, demo, script, what, data, filename, says):
    evaluator, _ = evaluators
    response = upload(evaluator, demo, steps_of(script)[0]["hid"], data, filename)
    assert response.status_code == 422, what
    assert says in response.get_json()["error"], what
    assert count(db, Attachment) == 0


def test_a_photo_for_a_step_of_another_version_is_refused(lead, evaluators, db, demo):
    evaluator, _ = evaluators
    response = upload(evaluator, demo, _other_versions_step(lead), png(), "shot.png")
    assert response.status_code == 422 and "not a step" in response.get_json()["error"]
    assert count(db, Attachment) == 0


def test_an_unknown_session_or_photo_is_not_found(lead, evaluators, demo):
    evaluator, _ = evaluators
    assert lead.get(f"/p/crm/sessions/{demo + 100}").status_code == 404
    assert lead.get(f"/p/crm/sessions/{demo + 100}.json").status_code == 404
    assert sync(evaluator, demo + 100, tick("STEP-1", 3)).status_code == 404
    assert evaluator.get("/p/crm/photos/999").status_code == 404


# --- the full demo database --------------------------------------------------------------------------

@pytest.fixture
def demo_lead(demo_url, tmp_path) -> Visitor:
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test", "ATTACHMENTS_DIR": str(tmp_path / "att")})
    visitor = Visitor(app.test_client())
    assert visitor.login("lead").status_code == 302
    yield visitor
    app.extensions["reqtrace_engine"].dispose()


def test_the_demo_database_has_three_sessions_and_keystones_consensus(demo_lead):
    listing = demo_lead.json("/p/crm/sessions.json")
    by_vendor = {s["vendor"]: s for s in listing["sessions"]}
    assert sorted(by_vendor) == ["atlas", "keystone", "nimbus"]
    assert by_vendor["keystone"]["all_submitted"] and by_vendor["nimbus"]["all_submitted"]
    assert not by_vendor["atlas"]["all_submitted"]
    assert all([a["username"] for a in s["attendees"]] == ["evaluator", "lead"] for s in listing["sessions"])
    # In Atlas's session the lead has handed in; the evaluator is still scoring
    assert [(a["username"], a["submitted"]) for a in by_vendor["atlas"]["attendees"]] == \
        [("evaluator", False), ("lead", True)]
    rows = demo_lead.page("/p/crm/sessions").one("table", cls="grid").find("tbody").find_all("tr")
    assert len(rows) == 3

    keystone = by_vendor["keystone"]["id"]
    view = demo_lead.json(f"/p/crm/sessions/{keystone}/consensus.json")
    assert view["evaluators"] == ["evaluator", "lead"] and view["disagreements"] >= 1
    agreed = [row for row in view["rows"] if row["consensus"]]
    assert len(agreed) == 1 and agreed[0]["disagree"]
    (entry,) = agreed[0]["consensus"].values()
    assert entry["by"] == "sample" and entry["reason"].startswith("Discussed after the demo")
    assert demo_lead.get(f"/p/crm/sessions/{keystone}/consensus").status_code == 200
    assert demo_lead.get(f"/p/crm/sessions/{by_vendor['atlas']['id']}/consensus.json").status_code == 403
    # The lead attends (and scores) the sample sessions: their checklist shows their own scores.
    atlas = demo_lead.json(f"/p/crm/sessions/{by_vendor['atlas']['id']}/checklist.json")
    assert atlas["submitted"] is True and 0 < atlas["done_steps"] < atlas["total_steps"]


# --- an evaluator who will never submit ------------------------------------------------------------------

def test_the_lead_takes_off_an_evaluator_who_will_never_submit_and_the_consensus_opens(lead, evaluators, db, demo,
                                                                                       script):
    """evaluator2 left the company mid-evaluation: until they go, the session stays sealed and its consensus
    waits for them forever. Their sealed entries (never seen, never counted) go with them, audited."""
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    stored(evaluator, demo, tick(step, 4))
    stored(evaluator2, demo, tick(step, 1), tick(steps_of(script)[1]["hid"], 2))
    sealed_photo = upload(evaluator2, demo, step, png(), "shot.png", evaluator="evaluator2").get_json()["url"]
    submit(evaluator, demo)
    assert lead.get(f"/p/crm/sessions/{demo}/consensus").status_code == 403  # waits for evaluator2
    response = lead.post(f"/p/crm/sessions/{demo}/attendees/evaluator2/remove", {"reason": "Left the company."})
    assert location(response) == f"/p/crm/sessions/{demo}"
    page = lead.page(f"/p/crm/sessions/{demo}")
    assert "evaluator2 no longer attends Atlas, day 1; 2 sealed entries of theirs, never seen nor counted, went " \
           "with them." in page.text
    assert "Everyone left has submitted" in page.text
    assert [a["username"] for a in lead.json(f"/p/crm/sessions/{demo}.json")["session"]["attendees"]] == \
        ["evaluator"]
    assert [(row.evaluator, row.score) for row in entries(db, demo)] == [("evaluator", 4)]
    assert lead.get(f"/p/crm/sessions/{demo}/consensus").status_code == 200
    event = db().exec(select(AuditEvent).where(AuditEvent.action == "remove attendee")).scalars().one()
    assert (event.actor, event.before, event.after) == (
        "lead", {"username": "evaluator2"},
        {"reason": "Left the company.", "sealed_entries_removed": 2, "photos_removed": 1})
    # Taken off, they no longer score it, and their photo is gone with their entries: added again later, nothing
    # of before comes back to be unsealed by their next submission.
    assert sync(evaluator2, demo, tick(step, 5)).status_code == 403
    assert lead.get(sealed_photo).status_code == 404
    assert db().exec(select(func.count()).select_from(Attachment)).scalar_one() == 0
    assert location(lead.post(f"/p/crm/sessions/{demo}/attendees", {"username": "evaluator2"})) == \
        f"/p/crm/sessions/{demo}"
    assert my_results(evaluator2, demo) == {}


@pytest.mark.parametrize("who, form, message", [
    ("evaluator", {"reason": "Changed my mind."}, "evaluator has submitted their scores of Atlas, day 1"),
    ("evaluator2", {"reason": "  "}, "say why evaluator2 no longer attends"),
    ("nobody", {"reason": "Typo."}, "nobody does not attend Atlas, day 1"),
])
def test_taking_someone_off_a_session_is_refused_when_it_would_lose_what_counts(lead, evaluators, db, demo,
                                                                                script, who, form, message):
    evaluator, evaluator2 = evaluators
    stored(evaluator2, demo, tick(steps_of(script)[0]["hid"], 3))
    submit(evaluator, demo)
    response = lead.post(f"/p/crm/sessions/{demo}/attendees/{who}/remove", form)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert sorted(a["username"] for a in lead.json(f"/p/crm/sessions/{demo}.json")["session"]["attendees"]) == \
        ["evaluator", "evaluator2"]
    assert len(entries(db, demo)) == 1


def test_only_the_lead_takes_someone_off_a_session(auth, evaluators, demo):
    for username in ("owner", "procurement", "evaluator"):
        response = auth(username).post(f"/p/crm/sessions/{demo}/attendees/evaluator2/remove", {"reason": "x"})
        assert response.status_code == 403, username


# --- cancelling a session scheduled by mistake -----------------------------------------------------------

def test_the_lead_cancels_a_session_nothing_was_recorded_in(lead, db, demo, auth):
    page = lead.page(f"/p/crm/sessions/{demo}")
    assert page.find("form", action=f"/p/crm/sessions/{demo}/cancel") is not None
    assert location(lead.post(f"/p/crm/sessions/{demo}/cancel", {"reason": "Scheduled twice."})) == "/p/crm/sessions"
    gone = lead.get(f"/p/crm/sessions/{demo}")
    assert gone.status_code == 404 and "was cancelled" in gone.get_data(as_text=True)
    assert count(db, SessionAttendee) == 0
    # The row stays, cancelled: the next session never gets its number (a device may still hold ticks for it).
    again = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": "1", "title": "Atlas, day 1",
                                          "attendees": list(ATTENDING)})
    assert int(location(again).rsplit("/", 1)[1]) > demo
    evaluator = auth("evaluator")
    late = sync(evaluator, demo, tick("STEP-1", 3), evaluator="evaluator")
    assert late.status_code == 404 and "was cancelled" in late.get_data(as_text=True)
    assert count(db, ChecklistResult) == 0
    event = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "session",
                                               AuditEvent.action == "cancel")).scalars().one()
    assert event.before == {"title": "Atlas, day 1", "vendor": "atlas", "script": 1, "attendees": list(ATTENDING)}
    assert event.after == {"reason": "Scheduled twice."}
    assert demo not in [s["id"] for s in evaluator.json("/p/crm/sessions.json")["sessions"]]


def test_a_session_with_anything_recorded_in_it_is_not_cancelled(lead, db, demo, evaluators, script):
    evaluator, _ = evaluators
    stored(evaluator, demo, tick(steps_of(script)[0]["hid"], 3))
    page = lead.page(f"/p/crm/sessions/{demo}")
    assert page.find("form", action=f"/p/crm/sessions/{demo}/cancel") is None
    refused = lead.post(f"/p/crm/sessions/{demo}/cancel", {"reason": "Changed my mind."})
    assert refused.status_code == 422
    assert "Atlas, day 1 holds 1 entry: what was recorded in a session is evidence" in \
        parse_html(refused.get_data(as_text=True)).one("p", role="alert").text
    assert count(db, DemoSession) == 1 and count(db, ChecklistResult) == 1


def test_cancelling_needs_the_reason_and_the_lead(lead, db, demo, auth):
    refused = lead.post(f"/p/crm/sessions/{demo}/cancel", {"reason": "  "})
    assert refused.status_code == 422
    assert "say why Atlas, day 1 is cancelled" in parse_html(refused.get_data(as_text=True)).one("p", role="alert").text
    for username in ("owner", "procurement", "evaluator"):
        assert auth(username).post(f"/p/crm/sessions/{demo}/cancel", {"reason": "x"}).status_code == 403
    assert count(db, DemoSession) == 1


def test_scheduling_says_when_the_vendor_holds_another_version_or_has_a_session_then(lead, people, script):
    def schedule(version: str) -> list[str]:
        response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": version, "title": f"On v{version}",
                                                 "scheduled_for": "2030-05-01T09:30:00+00:00",
                                                 "attendees": ["evaluator"]})
        page = lead.page(location(response))
        return [" ".join(p.text.split()) for p in page.find_all("p", cls="flash-warning")]

    assert schedule("1") == ["Note: atlas has not been issued a POC script yet: issue version 1 before the "
                             "demonstration, so they prepare the steps that will be scored."]
    assert location(lead.post("/p/crm/scripts/1/issue", {"vendor": "atlas"})).startswith("/p/crm/scripts")
    assert schedule("2") == ["Note: atlas was issued version 1, but this session follows version 2: the steps "
                             "scored may not be the ones they prepared.",
                             "Note: atlas already has On v1 at that time: if it was scheduled twice, cancel one."]
