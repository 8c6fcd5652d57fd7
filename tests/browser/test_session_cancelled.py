"""A session cancelled while an evaluator has its checklist open: their next tick stays on the device and
the bar says why, instead of "the server answered 404"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.browser.test_checklist import open_checklist, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def post_form(page, path: str, form: dict) -> str:
    """POST a form as the page's own forms do (with its CSRF token); the address it redirects to."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.post(page.url.split("/p/")[0] + path, form={**form, "csrf_token": token},
                                 max_redirects=0, headers={"Referer": page.url})
    assert response.status == 302, (response.status, response.text()[:500])
    return response.headers["location"]


def test_a_tick_for_a_cancelled_session_waits_and_the_bar_says_the_session_was_cancelled(browser, server):  # noqa: F811
    lead_context, evaluator_context = browser.new_context(), browser.new_context()
    lead = lead_context.new_page()
    log_in(lead, server.url, "lead")
    lead.goto(server.url + "/p/crm/sessions")
    where = post_form(lead, "/p/crm/sessions", {"vendor": "nimbus", "version": "1", "title": "Nimbus, by mistake",
                                                 "attendees": "evaluator"})
    session_id = int(re.search(r"/sessions/(\d+)", where).group(1))

    page = evaluator_context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, session_id)
    lead.goto(f"{server.url}/p/crm/sessions/{session_id}")
    post_form(lead, f"/p/crm/sessions/{session_id}/cancel", {"reason": "Scheduled by mistake."})

    page.locator(".cl-step").first.locator("fieldset.scores label").filter(has_text="3").click()
    expect(page.locator("[data-sync-state]")).to_contain_text(
        f"waiting to be sent (demo session {session_id} (Nimbus, by mistake) was cancelled", timeout=20_000)
    lead_context.close()
    evaluator_context.close()
