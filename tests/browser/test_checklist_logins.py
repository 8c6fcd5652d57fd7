"""The live checklist when the login changes under it: ticks queued for one evaluator are only ever theirs.

QA's steps on the demo database (Atlas under way: the evaluator scoring, the lead handed in), with a
second evaluator eval2 attending: the evaluator ticks offline, their login ends, and before they log in
again someone else — eval2, or the lead who has submitted — logs in on the same browser. Nothing is stored
as the other user's, nothing leaves the queue, and the page says whose the changes are; once the evaluator
logs in again they are stored as theirs.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlmodel import Session

from reqtrace.cli import main
from reqtrace.db import make_engine
from reqtrace.model import ChecklistResult
from reqtrace.services.projects import get_project
from reqtrace.services.sessions import add_attendee, get_session
from reqtrace.services.users import add_user
from tests.browser.support import log_in
from tests.browser.test_checklist import atlas, open_checklist  # noqa: F401  (atlas: a fixture)
from tests.conftest import DEMO_PASSWORD, start_server

pytestmark = pytest.mark.browser

NOTE = "Shown on the vendor's tablet, offline."


@pytest.fixture
def server(demo_url, atlas, tmp_path):  # noqa: F811
    """The demo on a live server, with eval2 added to Atlas by the lead."""
    engine = make_engine(demo_url)
    with Session(engine) as db:
        add_user(db, username="eval2", role="evaluator", password=DEMO_PASSWORD, actor="lead",
                 display_name="Eval Two")
        project = get_project(db, "crm")
        assert add_attendee(db, project, get_session(db, project, atlas), "eval2", actor="lead")
        db.commit()
    engine.dispose()
    running = start_server(demo_url, tmp_path)
    yield running
    running.stop()


def rows(database_url: str, session_id: int) -> list[tuple[str, str, float | None, str]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(select(ChecklistResult.evaluator, ChecklistResult.step, ChecklistResult.score,
                                          ChecklistResult.note)
                                   .where(ChecklistResult.session_id == session_id).order_by(ChecklistResult.id)).all()
    engine.dispose()
    return [tuple(row) for row in found]


def sync_state(page: Page):
    return page.locator("[data-sync-state]")


@pytest.mark.parametrize("other", ["eval2", "lead"])
def test_ticks_queued_for_the_evaluator_wait_for_them_whoever_logs_in_meanwhile(browser, server, demo_url, atlas,
                                                                                other):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    before = rows(demo_url, atlas)
    others_before = [row for row in before if row[0] == other]

    # 2. Offline: a note on the first step, then a score.
    context.set_offline(True)
    step = page.locator(".cl-step").first
    hid = step.get_attribute("data-step")
    step.locator("textarea").fill(NOTE)
    label = step.locator("fieldset.scores label").filter(has=page.locator("input:not(:checked)")).first
    score = int(label.locator("input").get_attribute("value"))
    label.click()
    expect(sync_state(page)).to_contain_text("Offline: 1 step (2 changes) waiting on this device")

    # 3. The evaluator's login ends; back online the page says so, and keeps the queue.
    ended = CliRunner().invoke(main, ["--db", server.database_url, "user", "logout", "evaluator"])
    assert ended.exit_code == 0, ended.output
    context.set_offline(False)
    expect(sync_state(page)).to_contain_text("your login expired: log in again as evaluator in another tab",
                                             timeout=20_000)

    # 4. Someone else logs in, in another page of the same browser.
    tab = context.new_page()
    log_in(tab, server.url, other)
    page.bring_to_front()
    page.evaluate("window.reqtraceChecklist.flush()")
    expect(sync_state(page)).to_contain_text(
        "1 step (2 changes) waiting to be sent (these changes are evaluator's: log in as evaluator to send them)",
        timeout=20_000)
    assert "expired" not in sync_state(page).inner_text()
    expect(sync_state(page)).to_have_attribute("data-waiting", "2")
    expect(page.locator(f"#{hid} [data-step-state]")).to_have_text("waiting to be sent")
    page.evaluate("window.reqtraceChecklist.flush()")  # and again: still nothing is stored, nothing dropped
    expect(sync_state(page)).to_have_attribute("data-waiting", "2")
    assert rows(demo_url, atlas) == before
    assert [row for row in rows(demo_url, atlas) if row[0] == other] == others_before

    # The other user's own checklist on this browser says whose changes wait here; it does not send them.
    open_checklist(tab, server.url, atlas)
    expect(sync_state(tab)).to_contain_text("2 changes on this device are evaluator's: log in as evaluator to "
                                            "send them")
    assert rows(demo_url, atlas) == before

    # A reload of the evaluator's page (the other user is still logged in) still knows whose the queue is.
    tab.get_by_role("button", name="Log out").click()
    log_in(tab, server.url, other)
    page.reload()
    expect(sync_state(page)).to_contain_text("2 changes on this device are evaluator's", timeout=20_000)
    assert rows(demo_url, atlas) == before

    # 5. The evaluator logs in again: the queue is sent, as theirs.
    tab.get_by_role("button", name="Log out").click()
    log_in(tab, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(sync_state(page)).to_have_text("All saved on the server", timeout=30_000)
    added = rows(demo_url, atlas)[len(before):]
    assert [(who, step_id) for who, step_id, _, _ in added] == [("evaluator", hid), ("evaluator", hid)]
    assert added[-1][2:] == (score, NOTE)
    assert [row for row in rows(demo_url, atlas) if row[0] == other] == others_before
    expect(page.locator(f"#{hid} fieldset.scores input[value='{score}']")).to_be_checked()
    expect(page.locator(f"#{hid} textarea")).to_have_value(NOTE)
    context.close()
