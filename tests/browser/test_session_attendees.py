"""The lead takes an evaluator who will never submit off a demo session, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.browser.test_checklist import atlas, server, stored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_the_lead_takes_off_an_evaluator_who_left_after_confirming(browser, server, demo_url, atlas):  # noqa: F811
    assert stored(demo_url, atlas, "evaluator")  # the demo's Atlas session is under way: sealed scores exist
    page = browser.new_context().new_page()
    log_in(page, server.url, "lead")
    page.goto(f"{server.url}/p/crm/sessions/{atlas}")
    attendee = page.locator("#attendee-evaluator")
    attendee.get_by_label("Why they no longer attend").fill("Left the company.")
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    attendee.get_by_role("button", name="Remove").click()
    expect(attendee).to_be_visible()  # said no: still there
    assert questions and questions[0].startswith("Take evaluator off this session?")
    page.once("dialog", lambda dialog: dialog.accept())
    attendee.get_by_role("button", name="Remove").click()
    expect(page.locator(".flash").first).to_contain_text("evaluator no longer attends")
    expect(page.locator("#attendee-evaluator")).to_have_count(0)
    assert stored(demo_url, atlas, "evaluator") == []
    page.context.close()
