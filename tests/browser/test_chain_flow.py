"""A requirement owner and the CRM lead work through the chain in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import log_in

pytestmark = pytest.mark.browser


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def create(page: Page, sample_server, plural: str, fields: dict[str, str], link: str | None = None,
           choices: dict[str, str] | None = None) -> str:
    """Fill the new-item form; returns the new item's ID from the page it lands on."""
    page.goto(f"{sample_server.url}/p/crm/{plural}/new")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    for label, value in (choices or {}).items():
        page.get_by_label(label, exact=True).select_option(label=value)
    if link:
        page.locator(".link-filter").fill(link)
        page.locator(f"input[name=links][value='{link}']").check()
    page.get_by_role("button", name="Create").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(fields["Title"])
    return heading.locator(".id").inner_text()


def test_owner_builds_a_chain_lead_approves_and_baselines_then_a_change_is_traced(page: Page, sample_server, artifacts):
    log_in(page, sample_server.url, "owner")
    strategy = create(page, sample_server, "strategies", {
        "Title": "Answer every service call on the first contact",
        "Statement": "Customers get their problem **solved** in the first call.",
        "Executive sponsor": "Chief Operating Officer", "KPI": "First-contact resolution",
        "Target": "80% by end of next year"})
    # The live preview renders the Markdown while the owner types.
    role = create(page, sample_server, "roles", {"Title": "Front-office service agent",
                                          "From (today)": "Logs calls for the back office",
                                          "To (after the change)": "Owns each call until it is solved"},
                  link=strategy)
    process = create(page, sample_server, "processes", {"Title": "Resolve a service call",
                                                 "Steps": "Take the call\nDiagnose\nSolve or dispatch"},
                     link=role)
    requirement = create(page, sample_server, "requirements", {
        "Title": "Agent sees contract, history and open orders in one view",
        "Statement": "The agent sees everything needed to solve the call without switching systems.",
        "Acceptance criteria": "- Open Tarnside Brewery and see its contract and last three calls"},
        link=process, choices={"Capability": "Knowledge & insight"})
    expect(page.get_by_text("Serves")).to_contain_text(strategy)
    expect(page.locator("main")).to_contain_text("Knowledge & insight")
    page.screenshot(path=artifacts / "requirement-created.png", full_page=True)

    # The new chain appears in the tree and in the matrix.
    page.goto(f"{sample_server.url}/p/crm/tree?q={requirement}")
    expect(page.locator(".tree")).to_contain_text(strategy)
    expect(page.locator(".tree")).to_contain_text(role)
    expect(page.locator(".tree")).to_contain_text(requirement)
    page.screenshot(path=artifacts / "tree.png", full_page=True)
    page.goto(f"{sample_server.url}/p/crm/matrix?strategy={strategy}")
    row = page.locator("tr", has_text=requirement)
    expect(row).to_contain_text(process)
    expect(row).to_contain_text(role)
    expect(row).to_contain_text(strategy)
    page.screenshot(path=artifacts / "matrix.png", full_page=True)

    # The owner proposes; only the lead can approve.
    for item in (strategy, role, process, requirement):
        page.goto(f"{sample_server.url}/p/crm/items/{item}")
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        page.get_by_role("button", name="Propose for approval").click()
        expect(page.locator(".meta")).to_contain_text("Proposed")
    log_out(page)

    log_in(page, sample_server.url, "lead")
    for item in (strategy, role, process, requirement):
        page.goto(f"{sample_server.url}/p/crm/items/{item}")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".meta")).to_contain_text("Approved")
    page.goto(f"{sample_server.url}/p/crm/baselines")
    page.get_by_label("Name").fill("POC round 2")
    page.get_by_role("button", name="Freeze the approved set").click()
    expect(page.get_by_role("heading", name="Baseline POC round 2")).to_be_visible()
    expect(page.locator("main")).to_contain_text(requirement)
    page.screenshot(path=artifacts / "baseline.png", full_page=True)
    log_out(page)

    # After the baseline the owner sharpens the strategy.
    log_in(page, sample_server.url, "owner")
    page.goto(f"{sample_server.url}/p/crm/items/{strategy}/edit")
    page.get_by_label("Statement", exact=True).fill("Customers get their problem solved in the first call, "
                                                    "on any channel.")
    expect(page.locator("#preview-statement")).to_contain_text("on any channel")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text(f"Saved {strategy}")

    # The comparison shows the change, and the link below the strategy is suspect.
    page.goto(f"{sample_server.url}/p/crm/compare?from=POC+round+2&to=current")
    changed = page.locator("section", has=page.get_by_role("heading", name="Changed"))
    expect(changed).to_contain_text(strategy)
    expect(changed).to_contain_text("on any channel")
    page.screenshot(path=artifacts / "compare.png", full_page=True)
    page.goto(f"{sample_server.url}/p/crm/suspect")
    link = page.locator(".suspect-link", has_text=f"{strategy}")
    expect(link).to_contain_text(role)
    expect(link).to_contain_text("on any channel")
    page.screenshot(path=artifacts / "suspect.png", full_page=True)

    # The owner owns the role below, so may review the link; then nothing is suspect.
    link.get_by_role("button", name=f"Mark {strategy}->{role} reviewed").click()
    expect(page.locator(".flash")).to_contain_text(f"Reviewed {strategy}->{role}")
    expect(page.locator(".suspect-link", has_text=strategy)).to_have_count(0)


def test_main_pages_on_a_tablet(browser, sample_server, artifacts):
    """The main pages fit a tablet: no sideways scrolling of the page itself."""
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    page = context.new_page()
    log_in(page, sample_server.url, "lead")
    for name, path in [("overview", "/p/crm"), ("requirements", "/p/crm/requirements"),
                       ("requirement", "/p/crm/items/REQ-47"), ("gaps", "/p/crm/gaps"),
                       ("matrix", "/p/crm/matrix"), ("role", "/p/crm/items/ROL-6")]:
        page.goto(sample_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a tablet"
        page.screenshot(path=artifacts / f"tablet-{name}.png", full_page=True)
    context.close()


def test_a_new_requirement_is_not_created_until_its_capability_is_chosen(page: Page, sample_server):
    log_in(page, sample_server.url, "owner")
    page.goto(f"{sample_server.url}/p/crm/requirements/new")
    page.get_by_label("Title", exact=True).fill("Coach agents on first-call fixes")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(f"{sample_server.url}/p/crm/requirements/new")  # the browser kept the form
    assert page.locator("#capability").evaluate("select => select.validity.valueMissing")
    page.get_by_label("Capability", exact=True).select_option(label="People")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coach agents on first-call fixes")
    expect(page.locator("main")).to_contain_text("People")
