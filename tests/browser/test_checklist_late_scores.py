"""Submitting with steps left unscored, then scoring one of them late, in a real browser.

QA's steps on the demo database (Atlas under way: the evaluator has scored part of the script): Submit said
nothing of the steps left unscored, and afterwards an unscored step could never be scored ("not saved: you
submitted this session: your scores are locked"), so the vendor lost those steps as "not demonstrated".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from reqtrace.db import make_engine
from reqtrace.model import ChecklistResult
from tests.browser.support import log_in
from tests.browser.test_checklist import (  # noqa: F401  (fixtures)
    atlas,
    open_checklist,
    server,
    stored,
    submit_and_reopen,
)

pytestmark = pytest.mark.browser

REASON = "Shown after the break, when the vendor came back to it; I had missed it."


def evaluator_checklist(browser, url: str, session_id: int):
    """A browser of its own, the evaluator logged in, their checklist open: (context, page)."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, url, "evaluator")
    open_checklist(page, url, session_id)
    return context, page


def test_submit_says_how_many_steps_have_no_score_and_one_is_scored_late_with_its_reason(
        browser, server, demo_url, atlas):  # noqa: F811
    context, page = evaluator_checklist(browser, server.url, atlas)
    total = page.locator(".cl-step").count()
    unscored = page.locator(".cl-step:not(.scored)").count()
    assert 0 < unscored < total
    submit = page.get_by_role("button", name="Submit my scores")
    expect(page.locator(".submit-form")).to_contain_text(f"{unscored} of {total} steps have no score yet")

    # Scoring one more step updates the count, beside the button and in its question.
    first = page.locator(".cl-step:not(.scored)").first.get_attribute("data-step")
    page.locator(f"#{first} fieldset.scores label").filter(has_text="3").click()
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=20_000)
    unscored -= 1
    expect(page.locator(".submit-form")).to_contain_text(f"{unscored} of {total} steps have no score yet")
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    submit.click()
    expect(page.locator(".submit-form")).to_be_visible()  # not submitted: they said no
    assert questions == [f"{unscored} of {total} steps have no score yet: submit anyway? They count in the "
                         f"ranking from then on and are locked; a change is then a correction with its reason."]
    page.once("dialog", lambda dialog: dialog.accept())
    submit.click()
    expect(page.locator(".flash")).to_contain_text("Submitted: your scores are locked")
    expect(page.locator(".flash")).to_contain_text(f"{unscored} of {total} steps have no score")

    # A step left unscored: scored late, with the reason.
    open_checklist(page, server.url, atlas)
    hid = page.locator(".cl-step:not(.scored)").first.get_attribute("data-step")
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")
    step.locator("fieldset.verdicts label").filter(has_text="Demonstrated").click()
    step.locator("fieldset.scores label").filter(has_text="4").click()
    expect(step.locator("[data-step-state]")).to_contain_text("give the reason and press Record a late score")
    step.get_by_role("button", name="Record a late score").click()  # no reason yet: not recorded
    expect(step.locator("[data-step-state]")).to_have_text(
        "not recorded: you submitted: a step you left unscored may still be scored late, with the reason in the "
        "note")
    step.locator("textarea").fill(REASON)
    step.get_by_role("button", name="Record a late score").click()
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=20_000)
    assert [(step_id, value) for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == \
        [(hid, 4)]

    # Scored now: a further change of it is a correction.
    expect(step.get_by_role("button", name="Record a correction")).to_be_visible()
    page.reload()
    step = page.locator(f"#{hid}")
    expect(step.locator('fieldset.scores input[value="4"]')).to_be_checked()
    expect(step.locator("textarea")).to_have_value(REASON)
    expect(step.get_by_role("button", name="Record a correction")).to_be_visible()
    step.locator("fieldset.scores label").filter(has_text="3").click()
    step.locator("textarea").fill("Re-watched it: partly shown.")
    step.get_by_role("button", name="Record a correction").click()
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    assert [value for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == [4, 3]
    context.close()


def test_a_late_score_from_a_tablet_whose_clock_is_an_hour_behind_is_kept(browser, server, demo_url,
                                                                          atlas):  # noqa: F811
    """The tablet's clock says the late score was made before the evaluator submitted; the page knows better
    (it was served after submitting) and says so, so the score is kept, not refused as queued from before."""
    context, page = evaluator_checklist(browser, server.url, atlas)
    context.clock.set_fixed_time(datetime.now(timezone.utc) - timedelta(hours=1))
    hid = submit_and_reopen(page, server.url, atlas)
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")
    step.locator("fieldset.scores label").filter(has_text="4").click()
    step.locator("textarea").fill(REASON)
    step.get_by_role("button", name="Record a late score").click()
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    assert [(step_id, value) for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == \
        [(hid, 4)]
    context.close()


def test_a_second_change_made_while_the_first_late_score_is_on_its_way_corrects_it(browser, server, demo_url,
                                                                                    atlas):  # noqa: F811
    """After submitting, the evaluator scores a step late, and changes it again before the server has answered:
    the second change must correct the first, not be refused as scoring a step that already has a score."""
    context, page = evaluator_checklist(browser, server.url, atlas)
    hid = submit_and_reopen(page, server.url, atlas)
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")

    held = []  # the first sync request, held back until the second change is made
    page.route("**/results", lambda route: held.append(route) if not held else route.continue_())
    step.locator("fieldset.scores label").filter(has_text="4").click()
    step.locator("textarea").fill(REASON)
    step.get_by_role("button", name="Record a late score").click()
    for _ in range(100):  # until the page has sent it (the route handler runs while Playwright waits)
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the late score was never sent"
    step.locator("fieldset.scores label").filter(has_text="5").click()
    step.locator("textarea").fill(REASON + " Shown in full, in fact.")
    step.get_by_role("button", name="Record a late score").click()  # the page does not know the first's id yet
    held[0].continue_()
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=20_000)
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    added = stored(demo_url, atlas, "evaluator")[len(before):]
    assert [(step_id, value) for _, value, step_id in added] == [(hid, 4), (hid, 5)]
    engine = make_engine(demo_url)
    with engine.connect() as connection:
        first, second = connection.execute(select(ChecklistResult.id, ChecklistResult.corrects).where(
            ChecklistResult.client_id.in_([added[0][0], added[1][0]])).order_by(ChecklistResult.id)).all()
    engine.dispose()
    assert (first.corrects, second.corrects) == (None, first.id)  # a late score, then its correction
    context.close()


def test_a_correction_whose_answer_was_lost_is_corrected_again_without_loss(browser, server, demo_url,
                                                                            atlas):  # noqa: F811
    """QA: the server stored a late score but its answer never reached the page; the retry came back
    "duplicate" without the entry, so the next change still named nothing, was refused, and the bar said
    every score was saved. The retry now names the entry, and the next change corrects it."""
    context, page = evaluator_checklist(browser, server.url, atlas)
    hid = submit_and_reopen(page, server.url, atlas)
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")

    lost = []

    def deliver_then_drop(route):
        if lost:
            route.continue_()
            return
        route.fetch()  # the server stores it...
        lost.append(True)
        route.abort()  # ...and the answer is lost on the way back

    page.route("**/results", deliver_then_drop)
    step.locator("fieldset.scores label").filter(has_text="4").click()
    step.locator("textarea").fill(REASON)
    step.get_by_role("button", name="Record a late score").click()
    # The bar said "every score is saved" before the click too: wait for the step itself, which is saved only
    # once the retry (up to 10 s later) has come back "duplicate" with its entry.
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=30_000)
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=30_000)
    expect(step.get_by_role("button", name="Record a correction")).to_be_visible()
    step.locator("fieldset.scores label").filter(has_text="2").click()
    step.locator("textarea").fill("Re-watched it: only part of it was shown.")
    step.get_by_role("button", name="Record a correction").click()
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=30_000)
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=30_000)
    assert [(step_id, value) for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == \
        [(hid, 4), (hid, 2)]
    context.close()


def corrected_in_two_tabs(browser, url: str, session_id: int):
    """After submitting, a step corrected to 1 on one tab, then to 5 on a second tab opened before that:
    (context, the second tab, the step)."""
    context, first = evaluator_checklist(browser, url, session_id)
    submit_and_reopen(first, url, session_id)
    second = context.new_page()
    open_checklist(second, url, session_id)
    hid = first.locator(".cl-step.scored").first.get_attribute("data-step")
    for page, value, reason in ((first, "1", "Re-watched it on the first tab."),
                                (second, "5", "Re-watched it on the second tab.")):
        step = page.locator(f"#{hid}")
        step.locator("fieldset.scores label").filter(has_text=value).click()
        step.locator("textarea").fill(reason)
        step.get_by_role("button", name="Record a correction").click()
        if page is first:
            expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=30_000)
    return context, second, hid


def test_a_refused_change_is_never_reported_as_all_saved(browser, server, demo_url, atlas):  # noqa: F811
    """QA: a tab opened earlier corrected a step another tab had corrected since; the server refused it (it
    corrected an entry no longer counting), the step said so, and the bar said every score was saved."""
    context, second, hid = corrected_in_two_tabs(browser, server.url, atlas)
    expect(second.locator(f"#{hid} [data-step-state]")).to_contain_text("not saved: entry", timeout=30_000)
    expect(second.locator("[data-sync-state]")).to_have_text(
        "Submitted: 1 step's last change not saved (the step says why); every other score is saved on the server")
    context.close()


def test_a_correction_refused_because_another_came_first_is_offered_against_that_one(
        browser, server, demo_url, atlas):  # noqa: F811
    """The second tab learns which score counts now; recording its correction again replaces that one."""
    context, second, hid = corrected_in_two_tabs(browser, server.url, atlas)
    state = second.locator(f"#{hid} [data-step-state]")
    expect(state).to_contain_text("It now counts the score 1", timeout=30_000)
    expect(state).to_contain_text("to replace it with yours, record your correction again")
    assert stored(demo_url, atlas, "evaluator")[-1][1:] == (1.0, hid)  # the first tab's stands, so far

    second.locator(f"#{hid}").get_by_role("button", name="Record a correction").click()  # knowingly, this time
    expect(state).to_have_text(re.compile(r"^saved "), timeout=30_000)
    expect(second.locator("[data-sync-state]")).to_contain_text("saved on the server")
    assert stored(demo_url, atlas, "evaluator")[-1][1:] == (5.0, hid)
    engine = make_engine(demo_url)
    with engine.connect() as connection:
        (last, previous) = connection.execute(
            select(ChecklistResult.id, ChecklistResult.corrects).where(
                ChecklistResult.session_id == atlas, ChecklistResult.evaluator == "evaluator",
                ChecklistResult.step == hid).order_by(ChecklistResult.id.desc()).limit(2)).all()
    engine.dispose()
    assert last.corrects == previous.id  # it corrects the first tab's correction, the score that counted
    context.close()
