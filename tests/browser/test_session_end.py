"""A login that ends while someone edits: Save says nothing was saved, and Back brings the typed text back."""

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from reqtrace.cli import main
from tests.browser.support import log_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

TYPED = "Agents see every open order of the customer, **offline** too."


def end_session(page: Page, sample_server, how: str) -> None:
    if how == "reqtrace user logout":
        ended = CliRunner().invoke(main, ["--db", sample_server.database_url, "user", "logout", "owner"])
        assert ended.exit_code == 0, ended.output
    else:  # logging out in another tab of the same browser
        other = page.context.new_page()
        other.goto(sample_server.url + "/p/crm")
        other.get_by_role("button", name="Log out").click()
        expect(other.get_by_role("heading", name="Log in")).to_be_visible()
        other.close()


@pytest.mark.parametrize("how", ["reqtrace user logout", "log out in another tab"])
def test_saving_after_the_login_ended_keeps_what_was_typed(page: Page, sample_server, how):
    log_in(page, sample_server.url, "owner")
    page.goto(sample_server.url + "/p/crm/items/REQ-47/edit")
    statement = page.get_by_label("Statement", exact=True)
    statement.fill(TYPED)
    end_session(page, sample_server, how)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Not saved: your login has ended")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    assert "{" not in page.locator("body").inner_text()  # a page, not {"error": ...}

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Log in again in a new tab").click()
    login_tab = opened.value
    login_tab.get_by_label("Username").fill("owner")
    login_tab.get_by_label("Password").fill(DEMO_PASSWORD)
    login_tab.get_by_role("button", name="Log in").click()
    expect(login_tab.get_by_role("button", name="Log out")).to_be_visible()
    login_tab.close()

    page.get_by_role("link", name="Back to the form").click()
    expect(statement).to_have_value(TYPED)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(sample_server.url + "/p/crm/items/REQ-47")
    expect(page.locator(".markdown").first).to_contain_text("Agents see every open order of the customer, offline too.")
