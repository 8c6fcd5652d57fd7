"""Logging out ends the checklist kept for offline use, and keeps the ticks still waiting on the device.

QA's steps on the demo database: the evaluator opens their checklist and waits for "Ready to work offline",
logs out, goes offline and opens the same address. The service worker served the kept copy — their sealed
scores and notes, "Lee Brandt (evaluator) · Log out" in the header — and took ticks there, which were stored
as the evaluator's once they logged in again.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.browser.test_checklist import atlas, open_checklist, score, server, stored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_after_logging_out_the_checklist_is_not_served_offline_and_the_waiting_ticks_are_kept(
        browser, server, demo_url, atlas):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    before = stored(demo_url, atlas, "evaluator")

    # A tick the server has not got when they log out (the sync keeps failing), and the checklist left open in
    # another tab of the same browser.
    context.route("**/results", lambda route: route.abort())
    hid = score(page, 2, 1)
    expect(page.locator(f"#{hid} [data-step-state]")).to_have_text("waiting to be sent")
    left_open = context.new_page()
    open_checklist(left_open, server.url, atlas)
    expect(left_open.locator("[data-sync-state]")).to_have_attribute("data-waiting", "1")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.wait_for_function("() => caches.keys().then((names) => names.length === 0)")

    # The tab left open takes no ticks: queued there, they would be stored as the evaluator's at their next login.
    other = score(left_open, 5, 0)
    expect(left_open.locator(f"#{other} [data-step-state]")).to_have_text(
        "not recorded: you are logged out: log in as evaluator to score here")
    expect(left_open.locator("[data-sync-state]")).to_contain_text("Not taking ticks: you are logged out")
    assert left_open.evaluate("window.reqtraceChecklist.waiting()") == 1
    left_open.close()

    # Offline, the address no longer shows the checklist: no scores, no name, nothing to tick.
    context.set_offline(True)
    page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist")
    expect(page.locator("body")).to_contain_text("This checklist is not kept on this device")
    assert page.locator(".cl-step").count() == 0
    assert "Lee Brandt" not in page.content()

    # Back online, the evaluator logs in again: the tick that waited is stored, as theirs, and nothing else.
    context.set_offline(False)
    context.unroute("**/results")
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=30_000)
    assert [(step, value) for _, value, step in stored(demo_url, atlas, "evaluator")[len(before):]] == [(hid, 1)]
    context.close()


def test_a_login_as_someone_else_without_logging_out_forgets_the_kept_checklist(browser, server,
                                                                               atlas):  # noqa: F811
    """QA: the evaluator's checklist was kept for offline use; the lead logged in on the same browser without
    pressing Log out, went offline and opened the checklist's address: the evaluator's sealed scores showed."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    log_in(page, server.url, "lead")  # the login page is open to a logged-in user
    page.wait_for_function("() => caches.keys().then((names) => names.length === 0)")
    context.set_offline(True)
    page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist")
    expect(page.locator("body")).to_contain_text("This checklist is not kept on this device")
    assert page.locator(".cl-step").count() == 0
    context.close()


def test_the_same_evaluator_logging_in_again_keeps_their_checklist_for_offline_use(browser, server,
                                                                                  atlas):  # noqa: F811
    """A login that expired and is renewed by the same person takes nothing away from them."""
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    log_in(page, server.url, "evaluator")
    assert page.locator("[data-forget-offline]").count() == 0  # the page after the login purges nothing
    assert page.evaluate("caches.keys().then((names) => names.length)") > 0
    context.set_offline(True)
    page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist")
    expect(page.locator(".cl-step").first).to_be_visible()
    context.close()
