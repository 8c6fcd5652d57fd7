"""Checklist sync under load: 50 evaluators tick at once against a real `reqtrace serve`.

DESIGN's goal: "checklist sync, 50 concurrent clients — zero lost or duplicated results". Each of
50 attending evaluators logs in through the login form, takes the sync token from checklist.json and
posts 20 ticks, one POST per tick, each with its own client id, all at the same time. Every answer
must be 200 and every tick "stored"; the database then holds exactly 1,000 entries, 20 per
evaluator, one per client id. Runs on SQLite and, when REQTRACE_TEST_POSTGRES_URL is set, PostgreSQL.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace.db import make_engine
from reqtrace.model import ChecklistResult
from reqtrace.poc.scripts import build_version, read_version
from reqtrace.services.projects import get_project
from reqtrace.services.sessions import create_session
from reqtrace.services.users import add_user
from reqtrace.services.vendors import list_vendors
from tests.conftest import DEMO_PASSWORD, start_server

CLIENTS = 50
TICKS_EACH = 20
DEADLINE_SECONDS = 80  # the whole burst, logins included
REQUEST_TIMEOUT = 30
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@dataclass
class Tally:
    """What the clients saw, gathered across threads."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: dict[int, int] = field(default_factory=dict)  # HTTP status -> how many
    outcomes: dict[str, int] = field(default_factory=dict)  # stored / duplicate / refused -> how many
    problems: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # client ids

    def answer(self, status: int, outcome: str | None = None, problem: str | None = None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if outcome is not None:
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            if problem is not None and len(self.problems) < 20:
                self.problems.append(problem)


@pytest.fixture
def scheduled(sample_url) -> tuple[str, int, list[str], list[str]]:
    """The sample project with script version 1 and Atlas's session attended by 50 new evaluators.

    Returns (database URL, session id, evaluator names, step IDs)."""
    engine = make_engine(sample_url)
    names = [f"load{number:02d}" for number in range(CLIENTS)]
    with Session(engine, expire_on_commit=False) as session:
        project = get_project(session, "crm")
        for name in names:
            add_user(session, username=name, role="evaluator", password=DEMO_PASSWORD, actor="test")
        script = build_version(session, project, actor="lead")
        atlas = next(vendor for vendor in list_vendors(session, project) if vendor.slug == "atlas")
        demo = create_session(session, project, atlas, script, actor="lead", title="Atlas under load",
                              attendees=names)
        steps = [step["hid"] for scenario in read_version(session, script)["scenarios"] for step in scenario["steps"]]
        session.commit()
        demo_id = demo.id
    engine.dispose()
    assert len(steps) >= TICKS_EACH
    return sample_url, demo_id, names, steps


class Client:
    """One evaluator's browser: a cookie jar, urllib, and nothing but 127.0.0.1."""

    def __init__(self, base: str):
        assert base.startswith("http://127.0.0.1:")
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, username: str) -> None:
        status, body = self.request("/login")
        assert status == 200, status
        token = FORM_TOKEN.search(body.decode()).group(1)
        form = urllib.parse.urlencode({"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
        status, _ = self.request("/login", data=form.encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, f"{username} could not log in: {status}"  # urllib followed the redirect home


def evaluate(base: str, demo: int, username: str, steps: list[str], tally: Tally, stop_at: float) -> None:
    """Log in, take the sync token, post TICKS_EACH ticks one by one."""
    client = Client(base)
    client.login(username)
    status, body = client.request(f"/p/crm/sessions/{demo}/checklist.json")
    assert status == 200, f"{username}: checklist.json answered {status}"
    token = json.loads(body)["sync_token"]
    for number in range(TICKS_EACH):
        if time.monotonic() > stop_at:
            tally.answer(0, problem=f"{username}: out of time after {number} ticks")
            return
        client_id = f"{username}-{number:02d}-{uuid.uuid4().hex[:12]}"
        tick = {"client_id": client_id, "step": steps[number % len(steps)], "verdict": "partly",
                "score": number % 6, "note": f"tick {number} by {username}"}
        with tally.lock:
            tally.sent.append(client_id)
        status, body = client.request(f"/p/crm/sessions/{demo}/results",
                                      data=json.dumps({"results": [tick]}).encode(),
                                      headers={"Content-Type": "application/json", "X-CSRFToken": token})
        if status != 200:
            tally.answer(status, problem=f"{username} tick {number}: HTTP {status} {body[:200]!r}")
            continue
        (outcome,) = json.loads(body)["results"]
        tally.answer(status, outcome["status"],
                     None if outcome["status"] == "stored" else f"{username} tick {number}: {outcome}")


def test_fifty_evaluators_ticking_at_once_lose_and_duplicate_nothing(scheduled, tmp_path):
    database_url, demo, names, steps = scheduled
    server = start_server(database_url, tmp_path)
    tally = Tally()
    try:
        started = time.monotonic()
        stop_at = started + DEADLINE_SECONDS
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(evaluate, server.url, demo, name, steps, tally, stop_at) for name in names]
            done, pending = wait(futures, timeout=DEADLINE_SECONDS + REQUEST_TIMEOUT)
            for future in pending:
                future.cancel()
        elapsed = time.monotonic() - started
        errors = [repr(future.exception()) for future in done if future.exception() is not None]
    finally:
        server.stop()
    log = "\n".join(path.read_text()[-2000:] for path in tmp_path.glob("server-*.log"))
    assert not pending, f"{len(pending)} clients still running after {elapsed:.0f} s"
    assert errors == [], errors[:5]
    assert tally.problems == [], (tally.problems, log)
    assert tally.statuses == {200: CLIENTS * TICKS_EACH}
    assert tally.outcomes == {"stored": CLIENTS * TICKS_EACH}
    assert elapsed < DEADLINE_SECONDS + REQUEST_TIMEOUT
    print(f"{CLIENTS} clients x {TICKS_EACH} ticks in {elapsed:.1f} s")

    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.exec(select(ChecklistResult.evaluator, ChecklistResult.client_id)
                            .where(ChecklistResult.session_id == demo)).all()
        total = session.exec(select(func.count()).select_from(ChecklistResult)).scalar_one()
    engine.dispose()
    assert len(rows) == total == CLIENTS * TICKS_EACH
    assert sorted(client_id for _, client_id in rows) == sorted(tally.sent)  # none lost, none twice
    per_evaluator: dict[str, int] = {}
    for evaluator, client_id in rows:
        assert client_id.startswith(evaluator + "-")  # each tick stored as its sender's
        per_evaluator[evaluator] = per_evaluator.get(evaluator, 0) + 1
    assert per_evaluator == {name: TICKS_EACH for name in names}
