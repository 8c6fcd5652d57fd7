"""Sessions and checklists at their edges: ids no database holds, ticks queued before submitting, the
consensus reason as stored, what counts as scored, the session page's JSON twin, the cost of a batch.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from reqtrace.model import ConsensusScore, DemoSession, SessionAttendee, utcnow
from reqtrace.schemas import MAX_ID
from tests.web.support import parse_html
from tests.web.test_sessions import (  # noqa: F401  (fixtures)
    ATTENDING, app, count, demo, entries, evaluators, lead, location, my_results, outcomes, people, script,
    steps_of, stored, submit, tick)

HUGE = "99999999999999999999"  # past MAX_ID: no database holds it, and a query naming it overflows


# --- 1. numbers past the largest id ----------------------------------------------------------------------

def test_scheduling_a_version_past_the_largest_id_is_refused_like_a_missing_version(lead, db, people, script):
    for version in (HUGE, str(MAX_ID + 1)):
        response = lead.post("/p/crm/sessions", {"vendor": "atlas", "version": version, "title": "Atlas, day 1",
                                                 "attendees": ["evaluator"]})
        assert response.status_code == 422, version
        alert = parse_html(response.get_data(as_text=True)).one("p", role="alert").text
        assert alert == f"version: project crm has no version {version} of the POC script"
    assert count(db, DemoSession) == 0 and count(db, SessionAttendee) == 0


def test_a_correction_naming_an_entry_past_the_largest_id_is_refused_not_a_server_error(evaluators, db, demo,
                                                                                         script):
    evaluator, _ = evaluators
    step, other = steps_of(script)[0]["hid"], steps_of(script)[1]["hid"]
    stored(evaluator, demo, tick(step, 2))
    submit(evaluator, demo)
    response_ticks = [tick(step, 4, corrects=int(HUGE), note="Re-watched."),
                      tick(step, 4, corrects=HUGE, note="Re-watched."),
                      tick(other, 3, note="Shown after the break.")]  # the rest of the batch is still judged
    answers = outcomes(evaluator, demo, *response_ticks)
    assert [answer["status"] for answer in answers] == ["refused", "refused", "stored"]
    for answer in answers[:2]:
        assert answer["error"] == (f"corrects: there is no entry {HUGE}: a correction names the id of the entry "
                                   f"it corrects")
    plain = evaluator.post(f"/p/crm/sessions/{demo}/tick", {"step": step, "score": "4", "corrects": HUGE,
                                                            "note": "Re-watched."})
    assert plain.status_code == 422
    assert f"there is no entry {HUGE}" in parse_html(plain.get_data(as_text=True)).one("p", role="alert").text
    assert my_results(evaluator, demo)[step]["score"] == 2


def test_a_change_refused_because_another_came_first_names_the_entry_that_counts_now(evaluators, demo, script):
    """Two tabs: both correct the same score; the one that comes second is told which entry counts now, so its
    page can correct that one instead. A refusal for any other reason names none."""
    evaluator, _ = evaluators
    step, other = steps_of(script)[0]["hid"], steps_of(script)[1]["hid"]
    (first,) = stored(evaluator, demo, tick(step, 2))
    submit(evaluator, demo)
    (winner,) = stored(evaluator, demo, tick(step, 1, corrects=first, note="Re-watched on one tab."))
    late, unscored, reasonless = outcomes(evaluator, demo, tick(step, 5, corrects=first, note="On the other tab."),
                                          tick(step, 4, note="A late score of a step that has one."),
                                          tick(other, 3))
    assert late["status"] == unscored["status"] == reasonless["status"] == "refused"
    assert late["current"] == unscored["current"] == {"id": winner, "score": 1.0, "verdict": "partly"}
    assert "current" not in reasonless  # no score of its own yet: nothing came first
    assert my_results(evaluator, demo)[step]["score"] == 1
    (again,) = stored(evaluator, demo, tick(step, 5, corrects=winner, note="On the other tab."))
    assert my_results(evaluator, demo)[step]["score"] == 5 and again > winner


# --- 3. a tick queued before submitting, arriving after --------------------------------------------------

def test_a_tick_recorded_before_submitting_is_refused_after_it_not_stored_as_a_late_score(evaluators, db, demo,
                                                                                         script):
    """A tick still queued on another device or tab when the evaluator submitted: what they submitted stands."""
    evaluator, _ = evaluators
    scored, unscored = steps_of(script)[0]["hid"], steps_of(script)[1]["hid"]
    stored(evaluator, demo, tick(scored, 2))
    before = (utcnow() - timedelta(minutes=5)).isoformat()
    submit(evaluator, demo)

    (stale,) = outcomes(evaluator, demo, tick(unscored, 4, note="Queued on the tablet.", recorded_at=before))
    assert stale["status"] == "refused"
    assert stale["error"].startswith("you submitted this session: your scores are locked, and this tick was "
                                     "recorded before you submitted")
    assert unscored not in my_results(evaluator, demo)

    after = (utcnow() + timedelta(seconds=1)).isoformat()
    (late,) = stored(evaluator, demo, tick(unscored, 4, note="Shown after the break.", recorded_at=after))
    assert my_results(evaluator, demo)[unscored]["id"] == late


def test_a_late_score_made_after_submitting_counts_even_from_a_device_whose_clock_is_behind(evaluators, db, demo,
                                                                                          script):
    """The page served after submitting marks its ticks `after_submit`: the device's clock, an hour behind the
    server's, no longer makes a late score look queued from before the submission."""
    evaluator, _ = evaluators
    scored, unscored, third = (step["hid"] for step in steps_of(script)[:3])
    stored(evaluator, demo, tick(scored, 2))
    submit(evaluator, demo)
    behind = (utcnow() - timedelta(hours=1)).isoformat()
    (late,) = stored(evaluator, demo, {**tick(unscored, 4, note="Shown after the break.", recorded_at=behind),
                                       "after_submit": True})
    assert my_results(evaluator, demo)[unscored]["id"] == late
    # The flag waives only the clock: a late score still needs its reason, a scored step a correction.
    refused = outcomes(evaluator, demo, {**tick(third, 4, recorded_at=behind), "after_submit": True},
                       {**tick(scored, 5, note="Changed my mind.", recorded_at=behind), "after_submit": True})
    assert [answer["status"] for answer in refused] == ["refused", "refused"]
    assert refused[0]["error"].endswith("may still be scored late, with the reason in the note")
    assert refused[1]["error"].startswith("you submitted this session: your scores are locked; record a correction")
    # Anything but a true boolean is no flag.
    (stale,) = outcomes(evaluator, demo, {**tick(third, 4, note="Queued on the tablet.", recorded_at=behind),
                                          "after_submit": "yes"})
    assert stale["status"] == "refused" and "recorded before you submitted" in stale["error"]


def test_a_resent_tick_answers_duplicate_with_its_entry_for_its_own_evaluator_only(evaluators, demo, script):
    """A retry whose first answer was lost: the page learns the entry's id, so a further change corrects it."""
    evaluator, evaluator2 = evaluators
    step = steps_of(script)[0]["hid"]
    first = tick(step, 3)
    (entry,) = stored(evaluator, demo, first)
    (again,) = outcomes(evaluator, demo, first)
    assert again == {"client_id": first["client_id"], "status": "duplicate", "id": entry}
    (theirs,) = outcomes(evaluator2, demo, first)  # someone else's tick id: no id of another's entry goes back
    assert theirs == {"client_id": first["client_id"], "status": "duplicate"}


# --- 5. the consensus reason as stored -------------------------------------------------------------------

def test_a_consensus_reason_is_stored_as_cleaned_text(lead, evaluators, db, demo, script):
    evaluator, evaluator2 = evaluators
    step = script["scenarios"][0]["steps"][0]
    stored(evaluator, demo, tick(step["hid"], 4))
    stored(evaluator2, demo, tick(step["hid"], 2))
    submit(evaluator, demo)
    submit(evaluator2, demo)
    url = f"/p/crm/sessions/{demo}/consensus"
    location(lead.post(url, {"step": step["hid"], "requirement": step["requirements"][0], "score": "3",
                             "reason": "  Shown twice\r\non the\x0b vendor's data.\u2028Agreed.  "}))
    saved = db().exec(select(ConsensusScore)).scalars().one()
    assert saved.reason == "Shown twice\non the vendor's data.\nAgreed."
    row = next(r for r in lead.json(f"{url}.json")["rows"] if r["step"] == step["hid"])
    assert row["consensus"][step["requirements"][0]]["reason"] == "Shown twice\non the vendor's data.\nAgreed."
    # Nothing but illegal characters is no reason.
    response = lead.post(url, {"step": step["hid"], "requirement": step["requirements"][0], "score": "3",
                               "reason": "\x00\x0b"})
    assert response.status_code == 422 and count(db, ConsensusScore) == 1


# --- 6. a verdict with no score is not a score -----------------------------------------------------------

def test_a_step_with_only_a_verdict_has_no_score_yet_unless_it_is_not_shown(evaluators, demo, script):
    evaluator, _ = evaluators
    total = len(steps_of(script))
    first, second, third, fourth = (step["hid"] for step in steps_of(script)[:4])
    stored(evaluator, demo, tick(first, 3), {**tick(second, None), "verdict": "demonstrated"},
           {**tick(third, None), "verdict": "not shown"}, {**tick(fourth, None), "note": "Only a note."})
    data = evaluator.json(f"/p/crm/sessions/{demo}/checklist.json")
    assert (data["done_steps"], data["unscored_steps"]) == (2, total - 2)  # the score and "not shown"
    page = evaluator.page(f"/p/crm/sessions/{demo}/checklist")
    form = page.one("form", cls="submit-form")
    assert form.one("span", cls="unscored").text == f"{total - 2} of {total} steps have no score yet"
    assert page.one("span", cls="progress-count").text.split() == ["2", "/", str(total), "steps", "scored"]
    assert "counted" not in page.one("article", id=second).attrs["class"]
    assert "counted" in page.one("article", id=third).attrs["class"]
    submitted = evaluator.post(f"/p/crm/sessions/{demo}/submit", follow_redirects=True)
    assert f"{total - 2} of {total} steps have no score" in \
        parse_html(submitted.get_data(as_text=True)).one("p", cls="flash").text


# --- 7. the session page's JSON twin ---------------------------------------------------------------------

def test_the_session_json_lists_every_active_username_and_the_candidates_apart(lead, demo):
    data = lead.json(f"/p/crm/sessions/{demo}.json")
    assert all(isinstance(name, str) for name in data["users"])
    assert set(ATTENDING) <= set(data["users"]) and {"lead", "outsider"} <= set(data["users"])
    candidates = {person["username"]: person for person in data["candidates"]}
    assert set(candidates) == set(data["users"]) - set(ATTENDING)
    assert candidates["outsider"]["role"] == "evaluator"
    options = [option.attrs["value"] for option in lead.page(f"/p/crm/sessions/{demo}").find_all("option")]
    assert options == sorted(candidates)


# --- 8. a batch after submitting reads the evaluator's scores once ---------------------------------------

def test_a_batch_of_late_scores_costs_the_same_queries_whatever_its_size(app, evaluators, db, demo, script):
    evaluator, _ = evaluators
    steps = [step["hid"] for step in steps_of(script)]
    stored(evaluator, demo, tick(steps[0], 2))
    submit(evaluator, demo)

    def reads(*ticks) -> int:
        seen: list[str] = []
        engine = app.extensions["reqtrace_engine"]
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            answers = outcomes(evaluator, demo, *ticks)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert {answer["status"] for answer in answers} == {"refused"}, answers
        return sum(1 for statement in seen if "FROM checklist_result" in statement.replace('"', ""))

    # Ticks of the scored step without a correction: each is refused, judged against the scores read once.
    assert reads(tick(steps[0], 3, note="Again.")) == reads(*(tick(steps[0], 3, note="Again.") for _ in range(20)))
    assert len(entries(db, demo)) == 1
