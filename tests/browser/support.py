"""What the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD


def log_in(page: Page, url: str, username: str) -> None:
    """Log in through the form on the server at `url`, as a user would."""
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
