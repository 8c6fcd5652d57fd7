"""The checklist on a phone (375×667): nothing sticks out sideways, and a step landed on sits below the bar.

QA: the page scrolled sideways (scrollWidth 420: the project menu was cut off and each step's photo input
stuck out), and the sticky progress bar covered the step the plain form's Save comes back to (#STEP-n).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import log_in
from tests.browser.test_checklist import atlas, open_checklist, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


def assert_below_the_bar(page: Page, hid: str) -> None:
    """The step's header is on screen, wholly below the sticky bar."""
    bar = page.locator(".checklist-bar").bounding_box()
    header = page.locator(f"#{hid} .cl-step-head").bounding_box()
    assert header["y"] >= bar["y"] + bar["height"], (bar, header)
    assert header["y"] + header["height"] <= PHONE["height"], (bar, header)


def test_on_a_phone_the_checklist_does_not_scroll_sideways_and_a_step_landed_on_shows_below_the_bar(
        browser, server, atlas):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)  # the bar at its fullest
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("summary", has_text="Sections").click()  # the project's sections, folded on a phone
    for selector in (".chain", ".photo-form"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)

    hid = page.locator(".cl-step").nth(109).get_attribute("data-step")
    page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist#{hid}")
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    assert_below_the_bar(page, hid)
    context.close()


def test_on_a_phone_without_javascript_save_comes_back_to_the_step_below_the_bar(browser, server, atlas):  # noqa: F811
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    step = page.locator(".cl-step").nth(120)
    hid = step.get_attribute("data-step")
    step.locator("fieldset.scores label").filter(has_text="2").click()
    step.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/checklist#{hid}")
    expect(page.locator(f'#{hid} fieldset.scores input[value="2"]')).to_be_checked()
    assert_below_the_bar(page, hid)
    context.close()
