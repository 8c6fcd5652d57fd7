"""The live checklist in a real browser: sealed scoring by two evaluators, and a network outage with a reload.

Both run against `reqtrace serve` on a copy of the demo database, whose Atlas session is under way: the
evaluator is scoring, the CRM lead has handed in.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from reqtrace.db import make_engine
from reqtrace.model import ChecklistResult, DemoSession, Vendor
from tests.browser.support import log_in
from tests.conftest import start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(demo_url, tmp_path):
    server = start_server(demo_url, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def atlas(demo_url) -> int:
    engine = make_engine(demo_url)
    with engine.connect() as connection:
        session_id = connection.execute(select(DemoSession.id).join(Vendor, Vendor.id == DemoSession.vendor_id)
                                        .where(Vendor.slug == "atlas")).scalar_one()
    engine.dispose()
    return session_id


def stored(database_url: str, session_id: int, evaluator: str) -> list[tuple[str, float | None, str]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(ChecklistResult.client_id, ChecklistResult.score, ChecklistResult.step)
                                  .where(ChecklistResult.session_id == session_id,
                                         ChecklistResult.evaluator == evaluator)
                                  .order_by(ChecklistResult.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def open_checklist(page: Page, url: str, session_id: int) -> None:
    page.goto(f"{url}/p/crm/sessions/{session_id}/checklist")
    expect(page.locator("[data-sync-state]")).to_be_visible()


def submit_and_reopen(page: Page, url: str, session_id: int) -> str:
    """On the open checklist: submit (saying yes to the steps left unscored), open it again; the first step
    still without a score, which may now take a late score."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit my scores").click()
    expect(page.locator(".flash")).to_contain_text("Submitted: your scores are locked")
    open_checklist(page, url, session_id)
    return page.locator(".cl-step:not(.scored)").first.get_attribute("data-step")


def score(page: Page, index: int, value: int | None = None) -> str:
    """Tap a score on the step at `index` (a different one from what it shows, so it is a new tick)."""
    step = page.locator(".cl-step").nth(index)
    if value is None:
        label = step.locator("fieldset.scores label").filter(has=page.locator("input:not(:checked)")).first
    else:
        label = step.locator("fieldset.scores label").filter(has=page.locator(f'input[value="{value}"]'))
    label.click()
    return step.get_attribute("data-step")


def waiting(page: Page) -> int:
    return int(page.locator("[data-sync-state]").get_attribute("data-waiting") or 0)


def test_offline_ticks_survive_a_reload_and_reach_the_server_exactly_once(browser, server, demo_url, atlas,
                                                                          artifacts):
    context = browser.new_context(viewport={"width": 1024, "height": 1366})  # a tablet held upright
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    before = len(stored(demo_url, atlas, "evaluator"))
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)

    for index in range(50):
        score(page, index)
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=20_000)
    assert len(stored(demo_url, atlas, "evaluator")) == before + 50

    context.set_offline(True)
    for index in range(50, 100):
        score(page, index)
    expect(page.locator("[data-sync-state]")).to_contain_text("Offline: 50 steps waiting on this device")
    assert len(stored(demo_url, atlas, "evaluator")) == before + 50

    page.reload()  # no network: the service worker serves the page, the ticks come back from IndexedDB
    expect(page.locator("[data-sync-state]")).to_contain_text("Offline: 50 steps waiting on this device")
    assert page.locator(".cl-step.pending").count() == 50
    for index in range(100, 119):
        score(page, index)
    score(page, 119)
    score(page, 119)  # a step changed twice is one step waiting, and two changes
    expect(page.locator("[data-sync-state]")).to_contain_text("Offline: 70 steps (71 changes) waiting on this device")
    page.screenshot(path=artifacts / "checklist-offline.png")

    context.set_offline(False)
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=30_000)
    rows = stored(demo_url, atlas, "evaluator")
    assert len(rows) == before + 121
    assert len({client_id for client_id, _, _ in rows}) == len(rows)  # none duplicated
    assert page.locator(".cl-step.pending").count() == 0
    # Every one of the 120 steps shows the score the server holds for it.
    latest = {step: value for _, value, step in rows}
    for index in (0, 49, 50, 99, 100, 119):
        step = page.locator(".cl-step").nth(index)
        checked = step.locator('fieldset.scores input:checked').get_attribute("value")
        assert float(checked) == latest[step.get_attribute("data-step")]
    page.screenshot(path=artifacts / "checklist-synced.png")
    context.close()


def test_a_reload_offline_shows_ticks_already_saved_since_the_page_was_fetched(browser, server, demo_url, atlas):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    expect(page.get_by_text("Ready to work offline")).to_be_visible(timeout=20_000)
    step = score(page, 3, 0)
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=20_000)
    context.set_offline(True)
    page.reload()
    item = page.locator(f"#{step}")
    expect(item.locator('fieldset.scores input[value="0"]')).to_be_checked()
    expect(item.locator("[data-step-state]")).to_contain_text("saved")
    context.close()


def test_a_token_that_expired_while_offline_does_not_lose_the_queue(browser, server, demo_url, atlas):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    before = len(stored(demo_url, atlas, "evaluator"))
    context.set_offline(True)
    score(page, 7)
    score(page, 8)
    # The first sync carries a token the server no longer accepts (as after a night offline): the page must
    # fetch a fresh one and send again, keeping the queue meanwhile.
    page.route("**/results", lambda route: route.continue_(headers={**route.request.headers,
                                                                    "x-csrftoken": "expired"}), times=1)
    context.set_offline(False)
    expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=30_000)
    assert len(stored(demo_url, atlas, "evaluator")) == before + 2


def test_two_evaluators_score_sealed_and_the_lead_sees_the_consensus(browser, server, demo_url, atlas, artifacts):
    """The demo's Atlas session: the lead has handed in, the evaluator is scoring; the lead adds the owner, and
    the evaluator and the owner score the same step, sealed from each other, until both submit."""
    evaluator, owner, lead = browser.new_context(), browser.new_context(), browser.new_context()
    mine, theirs, leads = evaluator.new_page(), owner.new_page(), lead.new_page()
    for page in (mine, theirs, leads):
        page.on("dialog", lambda dialog: dialog.accept())
    log_in(leads, server.url, "lead")
    leads.goto(f"{server.url}/p/crm/sessions/{atlas}")
    leads.get_by_label("Add an evaluator").select_option("owner")
    leads.get_by_role("button", name="Add").click()
    expect(leads.get_by_text("owner now attends")).to_be_visible()
    log_in(mine, server.url, "evaluator")
    log_in(theirs, server.url, "owner")
    open_checklist(mine, server.url, atlas)
    open_checklist(theirs, server.url, atlas)
    step = score(mine, 0, 5)
    assert score(theirs, 0, 1) == step
    for page in (mine, theirs):
        expect(page.locator("[data-sync-state]")).to_have_text("All saved on the server", timeout=20_000)

    # Neither sees the other's score, even after a reload: each page shows only its own.
    for page, own in ((mine, "5"), (theirs, "1")):
        page.reload()
        expect(page.locator(f'#{step} fieldset.scores input[value="{own}"]')).to_be_checked()
        data = json.loads(page.evaluate(f"fetch('/p/crm/sessions/{atlas}/checklist.json').then(r => r.text())"))
        scored = [s for scenario in data["scenarios"] for s in scenario["steps"] if s["hid"] == step][0]
        assert scored["result"]["score"] == float(own)
    response = leads.goto(f"{server.url}/p/crm/sessions/{atlas}/consensus")
    assert response.status == 403

    for page in (mine, theirs):
        page.get_by_role("button", name="Submit my scores").click()
        expect(page.locator(".flash")).to_contain_text("Submitted: your scores are locked")

    leads.goto(f"{server.url}/p/crm/sessions/{atlas}/consensus")
    row = leads.locator(f"tr#{step}")
    expect(row).to_have_class("disagree")
    expect(row).to_contain_text("discuss")
    expect(row.locator("td").nth(2)).to_contain_text("5")  # evaluator
    expect(row.locator("td").nth(4)).to_contain_text("1")  # owner (the lead's own score is in between)
    requirement = row.locator('input[name="requirement"]').first.get_attribute("value")
    form = row.locator("form.consensus-form").first
    form.get_by_label(f"{requirement} score").fill("3")
    form.get_by_label("Reason").fill("Shown, but only with the vendor's own data.")
    form.get_by_role("button", name="Record").click()
    expect(leads.locator(f"tr#{step}")).to_contain_text("3 — Shown, but only with the vendor's own data.")
    leads.screenshot(path=artifacts / "consensus.png", full_page=False)

    # After submitting, the evaluator's scores are locked: a change needs a reason and is a correction,
    # recorded once when they press "Record a correction" — not at each click on the way there.
    open_checklist(mine, server.url, atlas)
    before = len(stored(demo_url, atlas, "evaluator"))
    step_box = mine.locator(f"#{step}")
    step_box.locator("fieldset.scores label").filter(has=mine.locator('input[value="4"]')).click()
    expect(step_box.locator("[data-step-state]")).to_contain_text("give the reason and press Record a correction")
    step_box.locator("textarea").fill("On reflection the mobile sync was shown in full.")
    step_box.locator("textarea").blur()
    step_box.get_by_role("button", name="Record a correction").click()
    expect(step_box.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    expect(mine.locator("[data-sync-state]")).to_contain_text("every score is saved", timeout=20_000)
    assert [value for _, value, hid in stored(demo_url, atlas, "evaluator")[before:]] == [4]
    # A second correction names the first one, which is now the score that counts.
    step_box.locator("fieldset.scores label").filter(has=mine.locator('input[value="3"]')).click()
    step_box.locator("textarea").fill("Checked the recording: the sync stalled once.")
    step_box.get_by_role("button", name="Record a correction").click()
    expect(step_box.locator("[data-step-state]")).to_have_text(re.compile(r"^saved "), timeout=20_000)
    mine.reload()
    expect(mine.locator(f"#{step}").locator("[data-step-state]")).not_to_contain_text("not saved")
    assert [value for _, value, hid in stored(demo_url, atlas, "evaluator")[before:]] == [4, 3]
    for context in (evaluator, owner, lead):
        context.close()


def test_a_visitor_who_does_not_attend_cannot_open_the_checklist(page, server, demo_url, atlas):
    log_in(page, server.url, "procurement")
    response = page.goto(f"{server.url}/p/crm/sessions/{atlas}/checklist")
    assert response.status == 403
    request = urllib.request.Request(f"{server.url}/p/crm/sessions/{atlas}/results", method="POST",
                                     data=b'{"results": []}', headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code in (400, 401)  # no session, no CSRF token: nothing gets in


def test_when_a_step_was_saved_is_said_in_the_devices_own_time(browser, server, atlas):
    """QA: on a page load the steps said "saved 2026-12-02 09:15 UTC", after a save "saved 10:16:03": the same
    page spoke of two clocks. Both now use the tablet's."""
    context = browser.new_context(timezone_id="Asia/Kolkata")  # UTC + 5:30: no chance of agreeing with UTC
    page = context.new_page()
    log_in(page, server.url, "evaluator")
    open_checklist(page, server.url, atlas)
    first = page.locator(".cl-step.scored").first
    iso = first.get_attribute("data-recorded-at")
    expected = page.evaluate("(iso) => new Date(iso).toLocaleString()", iso)
    shown = first.locator("[data-step-state]").inner_text()
    assert "UTC" not in shown
    assert shown == "saved " + expected or shown == "saved " + page.evaluate(
        "(iso) => new Date(iso).toLocaleTimeString()", iso)
    context.close()
