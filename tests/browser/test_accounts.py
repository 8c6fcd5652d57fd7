"""People and their accounts in a real browser: a new password from the account page, a deactivated colleague."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import log_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "correct horse battery staple"


def test_an_evaluator_changes_their_password_and_logs_in_with_it(page: Page, sample_server):
    log_in(page, sample_server.url, "evaluator")
    page.locator(".who").get_by_role("link").first.click()  # their name, top right
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Current password").fill(DEMO_PASSWORD)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD + "?")
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator("#field-confirm .field-errors")).to_contain_text("the two new passwords differ")
    page.get_by_label("Current password").fill(DEMO_PASSWORD)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.locator(".flash")).to_contain_text("Your password is changed.")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").fill("evaluator")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_lead_deactivates_a_colleague_who_is_logged_out_at_once(browser, sample_server):
    lead, colleague = browser.new_context().new_page(), browser.new_context().new_page()
    log_in(colleague, sample_server.url, "procurement")
    log_in(lead, sample_server.url, "lead")
    lead.locator(".who").get_by_role("link", name="Users").click()
    lead.locator("#user-procurement").get_by_role("link", name="Edit").click()
    lead.get_by_label("May log in").uncheck()
    lead.get_by_role("button", name="Save").click()
    expect(lead.locator(".flash")).to_contain_text("Saved procurement: Procurement, may not log in.")
    expect(lead.locator("#user-procurement")).to_contain_text("no (deactivated)")
    colleague.goto(sample_server.url + "/p/crm")
    expect(colleague.get_by_role("heading", name="Log in")).to_be_visible()
    colleague.context.close()
    lead.context.close()
