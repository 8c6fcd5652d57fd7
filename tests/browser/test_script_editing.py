"""The CRM lead shapes the POC script's opening and scenarios in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.conftest import start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(tmp_path):
    server = start_server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, args=("demo",))
    yield server
    server.stop()


def test_the_lead_narrates_a_scenario_and_adds_one(page, demo_server):
    log_in(page, demo_server.url, "lead")
    latest = page.request.get(demo_server.url + "/p/crm/scripts.json").json()["versions"][0]["version"]
    page.goto(f"{demo_server.url}/p/crm/scripts/{latest}")
    section = page.locator("section.scenario").first
    key = section.get_attribute("id")
    section.locator("summary", has_text=f"Edit {key}").click()
    section.get_by_label("Narrative").fill("Anna, a field rep, plans **tomorrow's** visits on her phone.")
    section.get_by_role("button", name="Save as a new version").click()
    expect(page).to_have_url(f"{demo_server.url}/p/crm/scripts/{latest + 1}#{key}")
    narrative = page.locator(f"section#{key} .narrative")
    expect(narrative).to_contain_text("Anna, a field rep, plans tomorrow's visits on her phone.")
    expect(narrative.locator("strong")).to_have_text("tomorrow's")

    count = page.locator("section.scenario").count()
    page.locator("#add-scenario summary").click()
    page.get_by_label("Scenario title").last.fill("Month-end forecast review")
    page.get_by_role("button", name="Add the scenario").click()
    expect(page).to_have_url(f"{demo_server.url}/p/crm/scripts/{latest + 2}#SC-{count + 1}")
    added = page.locator("section.scenario").last
    expect(added.locator("h2")).to_contain_text("Month-end forecast review")
    expect(added.locator("ol.steps li")).to_have_count(0)
