"""The real server (`reqtrace serve`, `reqtrace demo`) answers a real browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.conftest import DEMO_PASSWORD, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_server(tmp_path):
    server = start_server(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    yield server
    server.stop()


@pytest.fixture
def demo_server(tmp_path):
    server = start_server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, args=("demo",))
    yield server
    server.stop()


def test_serve_asks_an_anonymous_visitor_to_log_in(page, fresh_server, artifacts):
    page.goto(fresh_server.url + "/")
    expect(page).to_have_url(fresh_server.url + "/login?next=/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.screenshot(path=artifacts / "login.png", full_page=True)


def test_demo_serves_the_sample_project(page, demo_server, artifacts):
    page.goto(demo_server.url + "/")
    page.get_by_label("Username").fill("lead")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    card = page.locator(".card", has_text="crm")
    expect(card).to_be_visible()
    expect(card).to_contain_text("requirements")
    expect(card).to_contain_text("Every requirement traces to a strategy")
    page.screenshot(path=artifacts / "home-demo.png", full_page=True)


def test_the_printable_script_keeps_its_styles_under_the_content_security_policy(page, demo_server):
    """The print view carries its print styles inline; the browser must apply them, and report no blocked
    style, script or missing icon."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    log_in(page, demo_server.url, "evaluator")
    page.goto(demo_server.url + "/p/crm/scripts/1/print")
    expect(page.locator("h1")).to_be_visible()
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    width = page.evaluate("getComputedStyle(document.body).maxWidth")
    assert "Georgia" in font and width != "none", (font, width)
    assert not problems, problems


def test_a_refused_form_keeps_what_was_typed_when_going_back(page, demo_server):
    log_in(page, demo_server.url, "lead")
    page.goto(demo_server.url + "/p/crm/baselines")
    page.locator("#baseline-name").fill("Steering/Jan")
    page.locator("#baseline-note").fill("Before the steering committee of January")
    page.locator("#baseline-name").press("Enter")
    expect(page.get_by_role("heading", name="Not saved")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("'Steering/Jan' holds '/'")  # says which character
    page.get_by_role("link", name="Back to the baselines").click()
    expect(page.locator("#baseline-name")).to_have_value("Steering/Jan")
    expect(page.locator("#baseline-note")).to_have_value("Before the steering committee of January")
