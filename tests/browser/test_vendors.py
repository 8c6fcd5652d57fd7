"""Procurement keeps the vendors up to date in a real browser, and the ranking follows."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import log_in

pytestmark = pytest.mark.browser


def test_procurement_adds_a_vendor_and_flags_another_which_the_ranking_knocks_out(page: Page, sample_server,
                                                                                   artifacts):
    log_in(page, sample_server.url, "procurement")
    page.goto(f"{sample_server.url}/p/crm")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", name="Vendors", level=1)).to_be_visible()

    form = page.locator("form.vendor-form")
    form.get_by_label("Slug").fill("zenith")
    form.get_by_label("Name").fill("Zenith CRM Ltd")
    form.get_by_label("Deployment model").select_option(label="On-premise client")
    form.get_by_label("Five-year cost").fill("not yet")  # refused, with the reason beside the field
    form.get_by_role("button", name="Add the vendor").click()
    expect(page.locator("#field-cost_5y .field-errors")).to_contain_text("'not yet' is not a cost")
    expect(page.get_by_label("Name")).to_have_value("Zenith CRM Ltd")  # nothing typed is lost
    page.get_by_label("Five-year cost").fill("1250000")
    page.get_by_role("button", name="Add the vendor").click()
    row = page.locator("#vendor-zenith")
    expect(row).to_contain_text("Zenith CRM Ltd")
    expect(row).to_contain_text("1,250,000")

    page.locator("#vendor-atlas").get_by_role("link", name="Edit").click()
    page.get_by_label("Asked for a contract before the proof of concept").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Vendor atlas saved (version 2).")
    expect(page.locator("#vendor-atlas")).to_contain_text("Asked for a contract before the proof of concept")
    page.screenshot(path=artifacts / "vendors.png", full_page=True)

    page.get_by_role("navigation", name="Project").get_by_role("link", name="Ranking").click()
    expect(page.locator("body")).to_contain_text("asked for a contract before the proof of concept")
