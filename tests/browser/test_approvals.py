"""The CRM lead approves from the approval queue in a real browser: two items ticked by hand, then a whole
level with one box, each time in one go."""

import pytest
from playwright.sync_api import Page, expect

from reqtrace.db import make_engine, session_scope
from reqtrace.services.items import find_item, set_status
from reqtrace.services.projects import get_project
from tests.browser.support import log_in

pytestmark = pytest.mark.browser

PROPOSED = ["STR-4", "ROL-6", "REQ-47", "REQ-48"]


@pytest.fixture
def proposed(sample_server):
    """Part of the owner's field-sales chain reopened and proposed by the owner again; PRC-8 left a draft."""
    engine = make_engine(sample_server.database_url)
    with session_scope(engine, write=True) as db:
        project = get_project(db, "crm")
        for hid in [*PROPOSED, "PRC-8"]:
            kind, item = find_item(db, project, hid)
            set_status(session=db, project=project, kind=kind, item=item, status="draft", actor="lead")
        for hid in PROPOSED:
            kind, item = find_item(db, project, hid)
            set_status(session=db, project=project, kind=kind, item=item, status="proposed", actor="owner")
    engine.dispose()
    return sample_server


def test_the_lead_ticks_two_items_then_a_whole_level_and_approves_each_selection_at_once(page: Page, proposed,
                                                                                         artifacts):
    log_in(page, proposed.url, "lead")
    page.goto(f"{proposed.url}/p/crm")
    page.get_by_role("navigation", name="Project").get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", name="Approval queue", level=1)).to_contain_text("4 awaiting approval")
    rows = page.locator("table.approvals tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("tr[data-item=REQ-47]")).to_contain_text("PRC-8, above REQ-47, is not approved yet")
    page.screenshot(path=artifacts / "approval-queue.png", full_page=True)

    page.get_by_label("Approve STR-4").check()
    page.get_by_label("Approve ROL-6").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".flash-info")).to_have_text("Approved STR-4, ROL-6.")
    expect(page.locator(".flash-warning")).to_have_count(0)  # ROL-6 came with the strategy above it
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-item=STR-4]")).to_have_count(0)

    # One box selects the whole level; unticking an item shows the level as partly selected.
    select_all = page.get_by_label("Select all requirements")
    select_all.check()
    expect(page.get_by_label("Approve REQ-47")).to_be_checked()
    expect(page.get_by_label("Approve REQ-48")).to_be_checked()
    page.get_by_label("Approve REQ-48").uncheck()
    assert select_all.evaluate("box => box.indeterminate")
    page.get_by_label("Approve REQ-48").check()
    expect(select_all).to_be_checked()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".flash-info")).to_have_text("Approved REQ-47, REQ-48.")
    expect(page.locator(".flash-warning")).to_have_count(2)  # both sit below PRC-8, still a draft
    expect(page.locator("main")).to_contain_text("Nothing awaits approval.")

    page.goto(f"{proposed.url}/p/crm/items/REQ-48")
    expect(page.locator(".meta .badge")).to_have_text("Approved")


def test_on_a_phone_the_queue_scrolls_within_its_tables_not_sideways(browser, proposed):
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        log_in(page, proposed.url, "lead")
        page.goto(f"{proposed.url}/p/crm/approvals")
        expect(page.locator("table.approvals tbody tr")).to_have_count(4)
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
        expect(page.locator("table.approvals").first.locator("xpath=..")).to_have_class("table-scroll")
    finally:
        context.close()
