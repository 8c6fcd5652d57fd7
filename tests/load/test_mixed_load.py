"""Mixed load, the short form of bench/load_bench.py (issue #8): 20 users for 10 s on a real server.

Each user logs an evaluator and a requirement owner in through the login form, then browses the
trace matrix, edits its own requirement's title through the edit form and posts checklist ticks as
JSON, with GET /healthz timed in between as the reference. Against waitress + SQLite always, and
gunicorn + PostgreSQL (four worker processes) when REQTRACE_TEST_POSTGRES_URL is set. Every answer
must be the expected one, and afterwards the database must hold every acknowledged save (the title
last saved, one audit "update" each) and every acknowledged tick exactly once. The p95 latencies as
multiples of /healthz's p95 are printed, never asserted: machines here are noisy. The long form
(50 users x 60 s) and its numbers: bench/README.md.
"""

from __future__ import annotations

import importlib.util
import time
import uuid

import pytest

from bench import load_bench
from reqtrace.db import dispose_all
from tests.conftest import POSTGRES_URL

USERS = 20
DURATION = 10.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


SERVERS = [pytest.param("waitress-sqlite", id="waitress-sqlite"),
           pytest.param("gunicorn-postgres", id="gunicorn-postgres", marks=[
               pytest.mark.postgres,
               pytest.mark.skipif(not POSTGRES_URL, reason="needs REQTRACE_TEST_POSTGRES_URL")])]


@pytest.fixture
def load_database(request, tmp_path, postgres):
    """An empty database for the server under test, dropped afterwards."""
    server = request.param
    if server == "waitress-sqlite":
        yield server, f"sqlite:///{tmp_path / f'load-{uuid.uuid4().hex[:8]}.db'}"
        dispose_all()
        return
    url = postgres.create()
    try:
        yield server, url
    finally:
        dispose_all()
        postgres.drop(url)


@pytest.mark.parametrize("load_database", SERVERS, indirect=True)
def test_mixed_load_loses_nothing_and_answers_every_request(load_database, tmp_path):
    server, url = load_database
    if server == "gunicorn-postgres" and importlib.util.find_spec("gunicorn") is None:
        pytest.fail('gunicorn is missing: pip install -e ".[test]"')
    began = time.monotonic()
    outcome = load_bench.run_case(server, url, users=USERS, duration=DURATION, workdir=tmp_path)
    print()
    print(outcome.report())
    print("  p95 / hello p95: " + ", ".join(f"{action} {ratio:.1f}" for action, ratio in outcome.ratios().items()))
    print(f"  whole case {time.monotonic() - began:.1f} s")

    tally, count = outcome.tally, outcome.count
    assert outcome.errors == 0, (dict(tally.errors), tally.problems, outcome.tracebacks)
    assert tally.stragglers == 0, tally.problems
    assert count.lost == [], count.lost
    for action in load_bench.ACTIONS:  # every kind of request really ran
        assert tally.times[action], f"no {action} request was made"
    assert len(tally.times["login"]) == 3 * USERS  # two accounts and checklist.json per user
    assert count.ticks_in_database == len(tally.ticks_stored) == len(tally.ticks_sent)
    assert count.edits_in_database == sum(tally.saves_acknowledged.values()) == len(tally.times["edit-save"])

    # The count is no formality: an acknowledged tick or save the database lacks is reported as lost.
    hid = next(iter(tally.saved_titles))
    tally.ticks_stored.add("never-stored")
    tally.ticks_sent["never-stored"] = "nobody"
    tally.saved_titles[hid] += " (not saved)"
    tally.saves_acknowledged[hid] += 1
    lost = load_bench.count_writes(outcome.plan, tally).lost
    assert any("never-stored" in line for line in lost) and sum(hid in line for line in lost) == 2, lost
