"""After submitting, a step changed twice while offline ends on the value last chosen, in a real browser.

Both changes are late scores (or corrections) of what the server holds: sent one after the other, the server
stored the first and refused the second, so the value the evaluator ended on was lost.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.browser.test_checklist import (  # noqa: F401  (fixtures)
    atlas,
    open_checklist,
    server,
    stored,
    submit_and_reopen,
)

pytestmark = pytest.mark.browser


def test_a_step_scored_late_twice_offline_keeps_the_second_score(browser, server, demo_url, atlas):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    hid = submit_and_reopen(page, server.url, atlas)
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")

    context.set_offline(True)
    step.locator("fieldset.scores label").filter(has_text="4").click()
    step.locator("textarea").fill("Shown after the break.")
    step.get_by_role("button", name="Record a late score").click()
    expect(page.locator("[data-sync-state]")).to_contain_text("Offline: 1 step waiting on this device")
    step.locator("fieldset.scores label").filter(has_text="2").click()
    step.locator("textarea").fill("Shown after the break, but only in part.")
    step.get_by_role("button", name="Record a late score").click()
    # The second change replaces the first: one change waiting, not two.
    expect(page.locator("[data-sync-state]")).to_have_text(
        "Offline: 1 step waiting on this device, sent when the network returns")

    context.set_offline(False)
    page.evaluate("window.reqtraceChecklist.flush()")
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=20_000)
    assert [(step_id, value) for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == \
        [(hid, 2)]
    expect(step.get_by_role("button", name="Record a correction")).to_be_visible()
    context.close()


def test_the_copy_kept_for_offline_use_after_submitting_is_the_submitted_one(browser, server, atlas):  # noqa: F811
    """QA: submitted online, went offline, opened the checklist: the kept copy was from before submitting
    ("Submit my scores", "All saved"), took plain ticks, and the server refused them all on reconnecting."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit my scores").click()
    expect(page).to_have_url(f"{server.url}/p/crm/sessions/{atlas}/checklist")  # back on the (locked) checklist
    expect(page.locator("[data-sync-state]")).to_contain_text("Submitted", timeout=20_000)
    context.set_offline(True)
    page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist")
    expect(page.locator("[data-sync-state]")).to_contain_text("Submitted")
    assert page.get_by_role("button", name="Submit my scores").count() == 0
    expect(page.get_by_role("button", name="Record a late score").first).to_be_attached()
    context.close()


def test_a_copy_reloaded_offline_from_before_a_correction_corrects_the_stored_one(browser, server, demo_url,
                                                                                  atlas):  # noqa: F811
    """QA: right after a correction was saved, the network went and the page was reloaded from the copy kept
    before it; that copy still named the entry the correction had replaced, so the next change was refused."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    submit_and_reopen(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    hid = page.locator(".cl-step.scored").first.get_attribute("data-step")
    step = page.locator(f"#{hid}")
    before = stored(demo_url, atlas, "evaluator")
    step.locator("fieldset.scores label").filter(has_text="1").click()
    step.locator("textarea").fill("Re-watched it: barely shown.")
    step.get_by_role("button", name="Record a correction").click()
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=30_000)

    context.set_offline(True)  # before the kept copy is refreshed (a few seconds after a save)
    page.reload()
    step = page.locator(f"#{hid}")
    expect(step.locator('fieldset.scores input[value="1"]')).to_be_checked()
    step.locator("fieldset.scores label").filter(has_text="2").click()
    step.locator("textarea").fill("Re-watched it again: partly shown.")
    step.get_by_role("button", name="Record a correction").click()
    context.set_offline(False)
    expect(page.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=30_000)
    expect(step.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "))
    assert [(step_id, value) for _, value, step_id in stored(demo_url, atlas, "evaluator")[len(before):]] == \
        [(hid, 1), (hid, 2)]
    context.close()
