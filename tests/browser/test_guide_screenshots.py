"""The user's guide's screenshots, taken on the demo by a real browser — and a check that each page it shows
works for the role the guide says uses it.

The pictures go to test-artifacts/guide/; `REQTRACE_GUIDE_SCREENSHOTS=1 scripts/test tests/browser/
test_guide_screenshots.py` writes them to docs/images/ instead, to refresh the guide.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from reqtrace.db import make_engine
from reqtrace.model import DemoSession, Vendor
from tests.conftest import ARTIFACTS, DEMO_PASSWORD, ROOT, start_server

pytestmark = pytest.mark.browser

# (role's user, page, what must be visible, picture name)
PAGES = [
    ("owner", "/", "Every requirement traces to a strategy", "owner-home"),
    ("owner", "/p/crm/items/REQ-47/edit", "Statement", "owner-edit-requirement"),
    ("owner", "/p/crm/tree", "STR-1", "owner-tree"),
    ("procurement", "/p/crm/workbooks", "Questionnaire", "procurement-workbooks"),
    ("evaluator", "/p/crm/sessions/{atlas}/checklist", "steps scored", "evaluator-checklist"),
    ("lead", "/p/crm/sessions/{keystone}/consensus", "to discuss", "lead-consensus"),
    ("lead", "/p/crm/ranking", "is knocked out", "lead-ranking"),
    ("lead", "/p/crm/weights", "Consistency", "lead-weights"),
    ("lead", "/p/crm/gaps", "Readiness", "lead-gaps"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_sqlite_file):
    import shutil

    folder = tmp_path_factory.mktemp("guide")
    database = folder / "demo.db"
    shutil.copyfile(demo_sqlite_file, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    with engine.connect() as connection:
        sessions = dict(connection.execute(select(Vendor.slug, DemoSession.id)
                                           .join(DemoSession, DemoSession.vendor_id == Vendor.id)).all())
    engine.dispose()
    server = start_server(url, folder)
    yield server, sessions
    server.stop()


def pictures() -> Path:
    folder = ROOT / "docs" / "images" if os.environ.get("REQTRACE_GUIDE_SCREENSHOTS") else ARTIFACTS / "guide"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("username,path,visible,name", PAGES, ids=[p[3] for p in PAGES])
def test_the_guides_page_works_for_its_role(browser, demo, username, path, visible, name):
    server, sessions = demo
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    response = page.goto(server.url + path.format(**sessions))
    assert response.status == 200
    expect(page.get_by_text(visible).first).to_be_visible()
    page.screenshot(path=pictures() / f"{name}.png")
    context.close()
