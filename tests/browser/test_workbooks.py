"""The workbooks page's exports in a real browser: the progress page, its summary, and the file downloaded."""

from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.conftest import start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workbooks")
    server = start_server(f"sqlite:///{folder / 'demo.db'}", folder, args=("demo",))
    yield server
    server.stop()


def test_an_export_shows_its_summary_and_downloads_the_workbook(browser, demo_server, tmp_path, artifacts):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, demo_server.url, "procurement")
    page.goto(demo_server.url + "/p/crm/workbooks")

    page.get_by_role("button", name="Export the requirements workbook").click()

    expect(page.get_by_role("heading", name="Requirements workbook")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("crm-requirements.xlsx is ready")  # the page followed the job
    summary = page.locator("table.export-summary")
    expect(summary).to_contain_text("Requirements")
    page.screenshot(path=artifacts / "export-summary.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download crm-requirements.xlsx").click()
    assert download.value.suggested_filename == "crm-requirements.xlsx"
    path = tmp_path / "downloaded.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    assert {"Strategies", "Roles", "Processes", "Requirements"} <= set(workbook.sheetnames)
    rows = sum(1 for row in workbook["Requirements"].iter_rows(min_row=2, values_only=True) if row[0])
    expect(summary.locator("tr", has_text="Requirements")).to_contain_text(f"{rows:,}")
    assert not problems, problems
    context.close()


def test_without_javascript_the_export_page_still_leads_to_the_file(browser, demo_server, tmp_path):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    log_in(page, demo_server.url, "procurement")
    page.goto(demo_server.url + "/p/crm/workbooks")

    page.get_by_role("row", name="Atlas").get_by_role("button", name="Issue questionnaire").click()

    expect(page.get_by_role("heading", name="Questionnaire for Atlas")).to_be_visible()
    for _attempt in range(50):  # what a person does without JavaScript: follow "reload it" until it is ready
        if page.get_by_role("status").count():
            break
        page.get_by_role("link", name="reload it").click()
        page.wait_for_timeout(200)
    expect(page.get_by_role("status")).to_contain_text("crm-atlas-questionnaire.xlsx is ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download crm-atlas-questionnaire.xlsx").click()
    assert download.value.suggested_filename == "crm-atlas-questionnaire.xlsx"
    path = tmp_path / "questionnaire.xlsx"
    download.value.save_as(path)
    assert "Questionnaire" in openpyxl.load_workbook(path).sheetnames
    context.close()
