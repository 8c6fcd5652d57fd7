"""Procurement reads a vendor's questionnaire answers in a real browser, filters them, and compares the vendors
on one requirement. Against `reqtrace serve` on a copy of the demo database (every vendor's answers stored)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import log_in
from tests.browser.test_checklist import server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_procurement_filters_keystones_answers_and_compares_the_vendors_on_one(page: Page, server,  # noqa: F811
                                                                                artifacts):
    log_in(page, server.url, "procurement")
    page.goto(f"{server.url}/p/crm/vendors")
    page.locator("#vendor-keystone").get_by_role("link", name="Answers").click()
    expect(page.get_by_role("heading", name="Answers of Keystone Business Software", level=1)).to_be_visible()
    expect(page.locator("p.imported")).to_contain_text("from baseline POC issue 1")
    counts = {li.get_attribute("data-answer"): int(li.locator("strong").inner_text())
              for li in page.locator("ul.answer-counts li").all()}
    assert counts[""] == 0 and sum(counts.values()) > 50  # every requirement answered, on more than one page
    expect(page.locator("nav.pager")).to_contain_text("Page 1 of")

    form = page.locator("form.answer-filters")
    form.get_by_label("Answer").select_option(label="Customisation")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"answer=customisation"))
    rows = page.locator("table.vendor-answers tbody tr")
    expect(rows).to_have_count(counts["customisation"])  # one page holds them all: no pager
    expect(page.locator("nav.pager")).to_have_count(0)
    for answer_cell in rows.locator("td.answer").all():
        expect(answer_cell).to_have_text("Customisation")
    expect(page.locator("p.answer-total")).to_have_text(f"{counts['customisation']} answers match.")

    # The must-haves done by configuration: the counts follow the priority, the table both filters.
    form.get_by_label("Answer").select_option(label="Configuration")
    form.get_by_label("Priority").select_option(label="Must")
    form.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"answer=configuration&priority=must"))
    expect(form.get_by_label("Answer")).to_have_value("configuration")
    expect(form.get_by_label("Priority")).to_have_value("must")
    musts = int(page.locator("ul.answer-counts li[data-answer='configuration'] strong").inner_text())
    assert 0 < musts < counts["configuration"]
    expect(rows).to_have_count(musts)
    for row in rows.all():
        expect(row.locator("td.answer")).to_have_text("Configuration")
        expect(row.locator(".badge.priority-must")).to_have_text("Must")
    page.screenshot(path=artifacts / "vendor-answers.png", full_page=True)

    # A count opens the answers it counts; a requirement opens every vendor's answer to it.
    page.locator("ul.answer-counts li[data-answer='fully supported'] a").click()
    page.wait_for_url(re.compile(r"answer=fully\+supported"))
    expect(rows.first.locator("td.answer")).to_have_text("Fully supported")
    first = rows.first.locator("a.id")
    requirement = first.inner_text()
    first.click()
    page.wait_for_url(f"**/p/crm/items/{requirement}")
    expect(page.get_by_role("heading", name="Vendors' answers")).to_be_visible()
    expect(page.locator("table.vendor-answers tbody tr")).to_have_count(3)
    expect(page.locator("#answer-keystone td.answer")).to_have_text("Fully supported")
