"""Every page on a phone and a tablet, with a finger: the page itself never scrolls sideways (wide tables,
code and charts scroll within their own box), the project's sections fold into one line on a phone, and an
evaluator on a phone finds the steps without scrolling through the menu first.

QA (a 360 px phone): list pages were up to 780 px wide, the Vendors table hid its Edit links off a tablet's
screen, the printable script and the decision report were laid out for a desktop and shrunk to unreadable
text, and on the checklist the sections took the first half of the screen.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import log_in
from tests.browser.test_checklist import atlas, open_checklist, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TABLET = {"width": 768, "height": 1024}

PAGES = ["/p/crm", "/p/crm/strategies", "/p/crm/roles", "/p/crm/processes", "/p/crm/requirements",
         "/p/crm/items/REQ-1", "/p/crm/items/REQ-1/edit", "/p/crm/items/REQ-1/history", "/p/crm/items/STR-1/impact",
         "/p/crm/tree", "/p/crm/matrix", "/p/crm/gaps", "/p/crm/suspect", "/p/crm/approvals", "/p/crm/baselines",
         "/p/crm/baselines/" + quote("POC issue 1"), "/p/crm/vendors", "/p/crm/vendors/atlas/edit",
         "/p/crm/vendors/atlas/answers", "/p/crm/vendors/nimbus/answers?answer=not+supported",
         "/p/crm/workbooks", "/p/crm/scripts", "/p/crm/scripts/1", "/p/crm/scripts/1/print", "/p/crm/sessions",
         "/p/crm/sessions/{atlas}", "/p/crm/ranking",
         "/p/crm/ranking/requirements", "/p/crm/ranking/keystone/REQ-130", "/p/crm/report", "/p/crm/weights",
         "/users", "/users/evaluator/edit", "/account", "/help/cli", "/help/scoring", "/help/workbooks"]


@contextmanager
def logged_in(browser: Browser, server, viewport: dict, username: str = "lead", *,  # noqa: F811
              touch: bool = True) -> Iterator[Page]:
    """A page of a new browser context of that size (a touch screen unless told not), logged in as `username`."""
    context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch and viewport["width"] < 500)
    try:
        page = context.new_page()
        log_in(page, server.url, username)
        yield page
    finally:
        context.close()


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_no_page_scrolls_sideways(browser, server, atlas, viewport):  # noqa: F811
    with logged_in(browser, server, viewport) as page:
        wide = {}
        for path in PAGES:
            response = page.goto(server.url + path.format(atlas=atlas))
            assert response.status == 200, path
            if sideways(page) > 1:
                wide[path] = page.evaluate("document.documentElement.scrollWidth")
        assert wide == {}, f"pages wider than {viewport['width']} px: {wide}"


def test_on_a_tablet_every_vendor_can_be_edited_without_scrolling_sideways(browser, server):  # noqa: F811
    with logged_in(browser, server, TABLET) as page:
        page.goto(server.url + "/p/crm/vendors")
        edits = page.locator("table.vendors").get_by_role("link", name="Edit")
        assert edits.count() == 3
        for index in range(edits.count()):
            box = edits.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"], box


def test_the_printable_script_and_the_report_are_laid_out_for_the_phone(browser, server):  # noqa: F811
    with logged_in(browser, server, PHONE) as page:
        for path in ("/p/crm/scripts/1/print", "/p/crm/report"):
            page.goto(server.url + path)
            # Laid out at the phone's width, not a desktop's 980 px shrunk: the text is as large as set.
            assert page.evaluate("window.innerWidth") == PHONE["width"], path
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 15, path


def test_on_a_phone_the_sections_fold_into_one_line_that_opens_with_a_tap(browser, server):  # noqa: F811
    with logged_in(browser, server, PHONE) as page:
        page.goto(server.url + "/p/crm/requirements")
        menu = page.locator("summary", has_text="Sections")
        expect(menu).to_be_visible()
        expect(menu).to_contain_text("Requirements")  # names the section the page is in
        ranking = page.locator("nav.tabs").get_by_role("link", name="Ranking")
        expect(ranking).to_be_hidden()
        assert page.locator("main h1").bounding_box()["y"] < PHONE["height"] / 3  # the page starts near the top
        menu.tap()
        expect(ranking).to_be_visible()
        ranking.tap()
        page.wait_for_url("**/p/crm/ranking")
        expect(page.locator("summary", has_text="Sections")).to_contain_text("Ranking")


def test_on_a_laptop_the_sections_are_all_there_with_no_menu_to_open(browser, server):  # noqa: F811
    with logged_in(browser, server, {"width": 1280, "height": 800}, touch=False) as page:
        page.goto(server.url + "/p/crm/requirements")
        expect(page.locator("summary", has_text="Sections")).to_be_hidden()
        expect(page.locator("nav.tabs").get_by_role("link", name="Ranking")).to_be_visible()


def test_on_a_phone_the_evaluator_reaches_the_steps_and_every_control_is_big_enough(browser, server,  # noqa: F811
                                                                                     atlas):  # noqa: F811
    with logged_in(browser, server, PHONE, "evaluator") as page:
        open_checklist(page, server.url, atlas)
        expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
        assert sideways(page) <= 1
        # The bar and the step in hand share the screen: the bar takes at most a third of it.
        assert page.locator(".checklist-bar").bounding_box()["height"] <= PHONE["height"] / 3
        # All six scores of a step on one line, each big enough for a finger.
        boxes = [page.locator(".cl-step").first.locator("fieldset.scores span").nth(n).bounding_box() for n in range(6)]
        assert len({round(box["y"]) for box in boxes}) == 1, boxes
        assert all(box["width"] >= 44 and box["height"] >= 44 for box in boxes), boxes
        summary = page.locator(".cl-step").first.locator("summary").first  # "What we expect to see"
        assert summary.bounding_box()["height"] >= 40

        # "first unscored" goes to the first step without a counted score, and moves on once it is scored.
        first = page.locator(".cl-step:not(.counted)").first.get_attribute("id")
        jump = page.locator("[data-next-unscored]")
        expect(jump).to_have_attribute("href", f"#{first}")
        jump.tap()
        page.wait_for_url(f"**#{first}")
        step = page.locator(f"#{first}")
        step.locator("fieldset.scores label").filter(has=page.locator('input[value="3"]')).tap()
        expect(page.locator(f"#{first}.counted")).to_have_count(1)
        expect(jump).not_to_have_attribute("href", f"#{first}")

        # Any scenario is two taps away.
        index = page.locator("details.scenario-index")
        index.locator("summary").tap()
        last = index.get_by_role("link").last
        target = last.get_attribute("href")
        last.tap()
        page.wait_for_url(f"**{target}")
        heading = page.locator(f"{target} h2").bounding_box()
        assert 0 <= heading["y"] < PHONE["height"], heading


def test_on_a_touch_screen_links_and_buttons_among_text_are_big_enough_to_tap(browser, server):  # noqa: F811
    with logged_in(browser, server, PHONE) as page:
        page.goto(server.url + "/p/crm/items/REQ-1")
        crumbs = page.locator(".breadcrumbs a")
        assert crumbs.count() >= 2
        assert all(crumbs.nth(n).bounding_box()["height"] >= 40 for n in range(crumbs.count()))
        page.goto(server.url + "/p/crm/tree")
        for name in ("Expand all", "Collapse all"):
            assert page.get_by_role("button", name=name).bounding_box()["height"] >= 40, name
        page.locator("summary", has_text="Sections").tap()
        assert page.get_by_role("button", name="Log out").bounding_box()["height"] >= 40
