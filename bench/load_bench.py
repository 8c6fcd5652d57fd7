"""Mixed load on a real server: users browse the matrix, edit requirements and tick checklists at once.

    .venv/bin/python bench/load_bench.py                                   # 50 users x 60 s, waitress + SQLite
    .venv/bin/python bench/load_bench.py --server both --db postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/load_bench.py --users 20 --duration 10 --server gunicorn-postgres --db URL

Issue #8. For each server it builds a fresh database holding the full demo (`build_sample`, as
`reqtrace demo` does), adds two accounts per simulated user -- an evaluator attending a new demo
session of the demo's script and a requirement owner owning one requirement of their own -- then
starts the server as a subprocess on 127.0.0.1:

  waitress-sqlite     python -m reqtrace serve --port N --threads 16         (a temporary SQLite file)
  gunicorn-postgres   reqtrace init, then gunicorn --workers 4 --threads 4 web.wsgi:app
                      (a throwaway database on the --db PostgreSQL server, dropped afterwards)

Every user is a thread with its own cookie jars; it logs both accounts in through the /login form
(CSRF token from the form), then until the deadline picks at random, with a short think time:

  matrix      GET /p/crm/matrix?page=k                                        (the evaluator)
  edit        GET /p/crm/items/REQ-n/edit, then POST the form back with a new title and the
              form's version field; the answer must be the redirect to the item  (the owner)
  tick        POST /p/crm/sessions/ID/results as JSON with X-CSRFToken = checklist.json's
              sync_token; the answer must say "stored"                            (the evaluator)
  hello       GET /healthz, the reference: the same server, one SELECT 1

Afterwards it counts in the database: each requirement's title is the one its owner last saved
and acknowledged, with one audit "update" per acknowledged save; every acknowledged tick is stored
exactly once (by client id) and no other tick is there. It prints per action the count, errors,
p50/p95 and the p95 as a multiple of hello's p95 on the same server, and exits 1 on any error or
lost write. Bounded: the users stop by themselves at the deadline, a request times out after 30 s,
and the server is terminated (then killed) whatever happens.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import math
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from reqtrace.config import resolve_database_url  # noqa: E402
from reqtrace.db import make_engine, session_scope, upgrade  # noqa: E402
from reqtrace.model import AuditEvent, ChecklistResult, Project, Requirement  # noqa: E402

SERVERS = ("waitress-sqlite", "gunicorn-postgres")
ACTIONS = ("matrix", "edit-form", "edit-save", "tick", "hello")
MIX = (("matrix", 35), ("edit", 20), ("tick", 30), ("hello", 15))  # relative weights of what a user does next
PASSWORD = "load-bench-password-1"
PROJECT = "crm"
REQUEST_TIMEOUT = 30.0
LOGIN_TIMEOUT = 120.0  # all users logged in, both accounts, before the timed window starts
STOP_GRACE = REQUEST_TIMEOUT + 10.0  # after the deadline: one request in flight may still finish
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- the database -----------------------------------------------------------------------------

@dataclass
class Plan:
    """What the users need to know about the prepared database."""
    database_url: str
    session_id: int
    evaluators: list[str]
    owners: list[str]
    requirements: list[str]  # requirements[i] is owned by owners[i]
    steps: list[str]
    pages: int  # of the trace matrix


def prepare(database_url: str, users: int) -> Plan:
    """Migrate, add the full demo (unless the project is there) and the load's accounts and session."""
    from reqtrace.poc.scripts import get_version, read_version
    from reqtrace.sample import build_sample
    from reqtrace.services.projects import get_project
    from reqtrace.services.sessions import create_session
    from reqtrace.services.users import add_user
    from reqtrace.services.vendors import list_vendors

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with session_scope(engine, write=True) as session:
            if session.exec(select(func.count()).select_from(Project)
                            .where(Project.key == PROJECT)).scalar_one() == 0:
                build_sample(session, password=PASSWORD)
        evaluators = [f"load-eval-{number:03d}" for number in range(users)]
        owners = [f"load-owner-{number:03d}" for number in range(users)]
        with session_scope(engine, write=True) as session:
            project = get_project(session, PROJECT)
            candidates = session.exec(
                select(Requirement).where(Requirement.project_id == project.id, Requirement.status != "retired")
                .order_by(Requirement.seq, Requirement.hid)).scalars().all()
            if len(candidates) < users:
                raise SystemExit(f"the demo has {len(candidates)} requirements; at most that many users")
            mine = candidates[:users]
            for evaluator, owner, requirement in zip(evaluators, owners, mine):
                add_user(session, username=evaluator, role="evaluator", password=PASSWORD, actor="load-bench")
                add_user(session, username=owner, role="owner", password=PASSWORD, actor="load-bench")
                requirement.owner = owner  # setup only: the owner is no part of the content fingerprint
                session.add(requirement)
            script = get_version(session, project)
            vendor = list_vendors(session, project)[0]
            demo = create_session(session, project, vendor, script, actor="load-bench",
                                  title=f"{vendor.name} under load", attendees=evaluators)
            session.flush()
            steps = [step["hid"] for scenario in read_version(session, script)["scenarios"]
                     for step in scenario["steps"]]
            active = len(candidates)
            plan = Plan(database_url, demo.id, evaluators, owners, [r.hid for r in mine], steps,
                        max(1, math.ceil(active / 50)))
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    if not plan.steps:
        raise SystemExit("the demo's script has no steps to tick")
    return plan


@contextmanager
def throwaway_database(server: str, db: str | None) -> Iterator[str]:
    """An empty database for one server kind, removed afterwards.

    waitress-sqlite: a SQLite file in a temporary directory. gunicorn-postgres: a new database on
    the PostgreSQL server `db` names, dropped (WITH FORCE) at the end."""
    if server == "waitress-sqlite":
        with tempfile.TemporaryDirectory(prefix="reqtrace-load-") as directory:
            yield f"sqlite:///{Path(directory) / 'load.db'}"
        return
    if not db:
        raise SystemExit("gunicorn-postgres needs --db postgresql://USER@HOST:PORT/postgres "
                         "(or REQTRACE_TEST_POSTGRES_URL)")
    url = resolve_database_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"--db must name a PostgreSQL server, not {parsed.get_backend_name()}")
    name = f"reqtrace_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            from reqtrace.db import dispose_all
            dispose_all()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- the server -------------------------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess on 127.0.0.1 whose output goes to a log file."""

    def __init__(self, kind: str, database_url: str, workdir: Path, *, threads: int = 16, workers: int = 4):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{kind}-{self.port}.log"
        self.env = {**os.environ, "REQTRACE_DATABASE_URL": database_url, "REQTRACE_HOME": str(workdir / "home"),
                    "REQTRACE_LOG_LEVEL": os.environ.get("REQTRACE_LOG_LEVEL", "WARNING")}
        bin_dir = Path(sys.executable).parent
        if kind == "waitress-sqlite":
            self.command = [sys.executable, "-m", "reqtrace", "serve", "--port", str(self.port),
                            "--threads", str(threads)]
        elif kind == "gunicorn-postgres":
            # Several processes: one secret key for all of them (docs/operations.md), set here.
            self.env["REQTRACE_SECRET_KEY"] = secrets.token_urlsafe(48)
            gunicorn = bin_dir / "gunicorn"
            self.command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "--workers", str(workers),
                            "--threads", str(max(1, threads // workers)), "--bind", f"127.0.0.1:{self.port}",
                            "--timeout", "60", "--graceful-timeout", "5", "web.wsgi:app"]
        else:
            raise SystemExit(f"unknown server {kind!r}: one of {', '.join(SERVERS)}")
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        if self.kind == "gunicorn-postgres":
            subprocess.run([sys.executable, "-m", "reqtrace", "init"], env=self.env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
        log = open(self.log_path, "w")
        try:
            self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind} did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, characters: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def tracebacks(self, limit: int = 3) -> list[str]:
        """The last few tracebacks or error lines the server logged."""
        try:
            content = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        found = re.findall(r"Traceback \(most recent call last\):.*?\n(?=\S)[^\n]*", content, flags=re.S)
        errors = [line for line in content.splitlines() if " ERROR " in line or "[ERROR]" in line]
        return (found[-limit:] or errors[-limit:])


@contextmanager
def running(kind: str, database_url: str, workdir: Path, **options) -> Iterator[Server]:
    server = Server(kind, database_url, workdir, **options)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- the users --------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own: the save's acknowledgement


class Client:
    """One browser: a cookie jar and urllib, to 127.0.0.1 only, redirects not followed."""

    def __init__(self, base: str):
        assert base.startswith("http://127.0.0.1:"), base
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        """(status, body, Location header)."""
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read(), response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read(), error.headers.get("Location", "")

    def login(self, username: str) -> None:
        status, body, _ = self.request("/login")
        if status != 200:
            raise Failure(f"GET /login answered {status}")
        token = FORM_TOKEN.search(body.decode())
        if token is None:
            raise Failure("no csrf_token in the login form")
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
        status, body, location = self.request("/login", data=form.encode(),
                                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "/login" in location:
            raise Failure(f"{username} could not log in: {status} {body[:200]!r}")
        return True


class Failure(Exception):
    """An answer the load does not accept (the message says what came back)."""


class _FormReader(HTMLParser):
    """The fields the item form would post, as a browser would send them unchanged."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.action = ""
        self._in_form = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and "item-form" in (attributes.get("class") or ""):
            self._in_form, self.action = True, attributes.get("action") or ""
        if not self._in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value") or "on"))
            elif kind not in ("search", "submit", "button", "file"):
                self.fields.append((name, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attributes.get("value") or "", "selected" in attributes))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea is not None:
            value = "".join(self._text)
            self.fields.append((self._textarea, value[1:] if value.startswith("\n") else value))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None


def read_form(html: str) -> tuple[str, list[tuple[str, str]]]:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.action, reader.fields


@dataclass
class Tally:
    """What the users saw, gathered across threads."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in ("login", *ACTIONS)})
    errors: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    ticks_sent: dict[str, str] = field(default_factory=dict)  # client id -> evaluator
    ticks_stored: set[str] = field(default_factory=set)  # client ids the server acknowledged
    saved_titles: dict[str, str] = field(default_factory=dict)  # requirement -> last acknowledged title
    saves_acknowledged: Counter = field(default_factory=Counter)  # requirement -> acknowledged saves
    saves_unsure: Counter = field(default_factory=Counter)  # requirement -> saves with no clear answer
    started: float = 0.0
    finished: float = 0.0
    stragglers: int = 0

    def timed(self, action: str, seconds: float) -> None:
        with self.lock:
            self.times[action].append(seconds)

    def error(self, action: str, problem: str) -> None:
        with self.lock:
            self.errors[action] += 1
            if len(self.problems) < 30:
                self.problems.append(f"{action}: {problem}")


def _call(tally: Tally, action: str, send):
    """Time one request; a Failure or a network error counts as an error of `action` (then None)."""
    began = time.perf_counter()
    try:
        result = send()
    except Failure as failure:
        tally.error(action, str(failure))
        return None
    except (OSError, ValueError, json.JSONDecodeError) as error:  # timeouts, resets, bad JSON
        tally.error(action, f"{type(error).__name__}: {error}")
        return None
    tally.timed(action, time.perf_counter() - began)
    return result


class User:
    """One simulated person: an evaluator account and an owner account, used turn about."""

    def __init__(self, number: int, base: str, plan: Plan, tally: Tally, seed: int):
        self.number, self.plan, self.tally = number, plan, tally
        self.evaluator, self.owner = plan.evaluators[number], plan.owners[number]
        self.requirement = plan.requirements[number]
        self.as_evaluator, self.as_owner = Client(base), Client(base)
        self.random = random.Random(seed * 100_003 + number)
        self.sync_token = ""
        self.ticks = self.saves = 0

    def log_in(self) -> bool:
        for client, username in ((self.as_evaluator, self.evaluator), (self.as_owner, self.owner)):
            if _call(self.tally, "login", lambda: client.login(username)) is None:
                return False

        def checklist():
            status, body, _ = self.as_evaluator.request(
                f"/p/{PROJECT}/sessions/{self.plan.session_id}/checklist.json")
            if status != 200:
                raise Failure(f"checklist.json answered {status} {body[:200]!r}")
            return json.loads(body)["sync_token"]

        self.sync_token = _call(self.tally, "login", checklist) or ""
        return bool(self.sync_token)

    def run(self, stop_at: float, think: float) -> None:
        actions = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        while time.monotonic() < stop_at:
            action = self.random.choices(actions, weights)[0]
            getattr(self, action)()
            pause = self.random.uniform(0, think)
            if time.monotonic() + pause >= stop_at:
                break
            time.sleep(pause)

    def matrix(self) -> None:
        page = self.random.randint(1, self.plan.pages)

        def send():
            status, body, _ = self.as_evaluator.request(f"/p/{PROJECT}/matrix?page={page}")
            if status != 200 or b"</html>" not in body:
                raise Failure(f"matrix page {page} answered {status} {body[:200]!r}")
            return True
        _call(self.tally, "matrix", send)

    def hello(self) -> None:
        def send():
            status, body, _ = self.as_evaluator.request("/healthz")
            if status != 200 or json.loads(body).get("status") != "ok":
                raise Failure(f"/healthz answered {status} {body[:200]!r}")
            return True
        _call(self.tally, "hello", send)

    def edit(self) -> None:
        path = f"/p/{PROJECT}/items/{self.requirement}/edit"

        def get_form():
            status, body, _ = self.as_owner.request(path)
            if status != 200:
                raise Failure(f"GET {path} answered {status} {body[:200]!r}")
            action, fields = read_form(body.decode())
            if not any(name == "version" for name, _ in fields) or not any(name == "title" for name, _ in fields):
                raise Failure(f"GET {path}: no title or version field in the form")
            return action or path, fields
        form = _call(self.tally, "edit-form", get_form)
        if form is None:
            return
        action, fields = form
        self.saves += 1
        title = f"{self.requirement} under load by {self.owner}, save {self.saves}"
        posted = [(name, title if name == "title" else value) for name, value in fields]

        def save():
            status, body, location = self.as_owner.request(
                action, data=urllib.parse.urlencode(posted).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
            if status == 302 and location.rstrip("/").endswith(f"/items/{self.requirement}"):
                return True
            message = re.search(rb'class="flash flash-error"[^>]*>([^<]*)<', body)
            raise Failure(f"POST {action} answered {status} "
                          f"{(message.group(1) if message else body[:200])!r}")
        if _call(self.tally, "edit-save", save):
            with self.tally.lock:
                self.tally.saved_titles[self.requirement] = title
                self.tally.saves_acknowledged[self.requirement] += 1
        else:
            with self.tally.lock:
                self.tally.saves_unsure[self.requirement] += 1

    def tick(self) -> None:
        self.ticks += 1
        client_id = f"{self.evaluator}-{self.ticks:05d}-{uuid.uuid4().hex[:8]}"
        entry = {"client_id": client_id, "step": self.random.choice(self.plan.steps), "verdict": "partly",
                 "score": self.random.randint(0, 5), "note": f"tick {self.ticks} by {self.evaluator}"}
        with self.tally.lock:
            self.tally.ticks_sent[client_id] = self.evaluator

        def send():
            status, body, _ = self.as_evaluator.request(
                f"/p/{PROJECT}/sessions/{self.plan.session_id}/results",
                data=json.dumps({"results": [entry]}).encode(),
                headers={"Content-Type": "application/json", "X-CSRFToken": self.sync_token})
            if status != 200:
                raise Failure(f"HTTP {status} {body[:200]!r}")
            (outcome,) = json.loads(body)["results"]
            if outcome.get("status") != "stored":
                raise Failure(f"{client_id}: {outcome}")
            return True
        if _call(self.tally, "tick", send):
            with self.tally.lock:
                self.tally.ticks_stored.add(client_id)


def drive(base: str, plan: Plan, *, users: int, duration: float, think: float, seed: int = 1) -> Tally:
    """Log every user in, then let them all work for `duration` seconds; never longer than bounded."""
    tally = Tally()
    people = [User(number, base, plan, tally, seed) for number in range(users)]
    window: dict[str, float] = {}

    def open_window() -> None:  # runs once, before any user is released
        tally.started = time.monotonic()
        window["stop_at"] = tally.started + duration

    ready = threading.Barrier(users + 1, action=open_window, timeout=LOGIN_TIMEOUT)

    def live(person: User) -> None:
        ok = person.log_in()
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        if ok:
            person.run(window["stop_at"], think)

    threads = [threading.Thread(target=live, args=(person,), name=f"load-user-{person.number}", daemon=True)
               for person in people]
    for thread in threads:
        thread.start()
    try:
        ready.wait()  # every user has logged in (or failed to)
    except threading.BrokenBarrierError:
        tally.error("login", f"not every user logged in within {LOGIN_TIMEOUT:.0f} s")
        open_window()
    hard_stop = window["stop_at"] + STOP_GRACE
    for thread in threads:
        thread.join(timeout=max(0.0, hard_stop - time.monotonic()))
    tally.finished = time.monotonic()
    tally.stragglers = sum(thread.is_alive() for thread in threads)
    if tally.stragglers:
        tally.problems.append(f"{tally.stragglers} users still busy {STOP_GRACE:.0f} s after the deadline")
    return tally


# --- counting afterwards ----------------------------------------------------------------------

@dataclass
class Count:
    lost: list[str]
    notes: list[str]
    ticks_in_database: int
    edits_in_database: int


def count_writes(plan: Plan, tally: Tally) -> Count:
    """Compare what the server acknowledged with what the database holds."""
    lost: list[str] = []
    notes: list[str] = []
    engine = make_engine(plan.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(ChecklistResult.client_id, ChecklistResult.evaluator)
                                .where(ChecklistResult.session_id == plan.session_id)).all()
            titles = dict(session.exec(select(Requirement.hid, Requirement.title)
                                       .where(Requirement.hid.in_(plan.requirements))).all())
            updates = dict(session.exec(
                select(AuditEvent.entity_id, func.count()).where(
                    AuditEvent.entity_type == "requirement", AuditEvent.action == "update",
                    AuditEvent.actor.in_(plan.owners)).group_by(AuditEvent.entity_id)).all())
    finally:
        engine.dispose()
    stored = Counter(client_id for client_id, _ in rows)
    for client_id in sorted(tally.ticks_stored):
        if stored[client_id] == 0:
            lost.append(f"tick {client_id} acknowledged but not stored")
    for client_id, times in sorted(stored.items()):
        if times > 1:
            lost.append(f"tick {client_id} stored {times} times")
        elif client_id not in tally.ticks_sent:
            lost.append(f"tick {client_id} stored but never sent")
        elif client_id not in tally.ticks_stored:
            notes.append(f"tick {client_id} stored though its answer was an error")
    for client_id, evaluator in rows:
        if tally.ticks_sent.get(client_id, evaluator) != evaluator:
            lost.append(f"tick {client_id} stored as {evaluator}'s")
    for hid in plan.requirements:
        acknowledged = tally.saves_acknowledged[hid]
        done = updates.get(hid, 0)
        if hid in tally.saved_titles and titles.get(hid) != tally.saved_titles[hid]:
            if tally.saves_unsure[hid] and titles.get(hid, "").startswith(f"{hid} under load"):
                notes.append(f"{hid}: holds an unacknowledged later save")
            else:
                lost.append(f"{hid}: title {titles.get(hid)!r}, last acknowledged {tally.saved_titles[hid]!r}")
        if done < acknowledged:
            lost.append(f"{hid}: {acknowledged} saves acknowledged, {done} recorded")
        elif done > acknowledged + tally.saves_unsure[hid]:
            lost.append(f"{hid}: {done} saves recorded, only {acknowledged} acknowledged")
        elif done > acknowledged:
            notes.append(f"{hid}: {done - acknowledged} saves recorded whose answer was an error")
    return Count(lost, notes, len(rows), sum(updates.values()))


# --- one case, end to end ---------------------------------------------------------------------

@dataclass
class Outcome:
    server: str
    users: int
    duration: float
    plan: Plan
    tally: Tally
    count: Count
    tracebacks: list[str]
    setup_seconds: float

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())

    @property
    def ok(self) -> bool:
        return self.errors == 0 and not self.count.lost and self.tally.stragglers == 0

    def p95(self, action: str) -> float | None:
        return percentile(self.tally.times[action], 95)

    def ratios(self) -> dict[str, float]:
        hello = self.p95("hello")
        return {action: self.p95(action) / hello for action in ACTIONS
                if hello and self.p95(action) is not None}

    def report(self) -> str:
        tally = self.tally
        elapsed = (tally.finished - tally.started) or 1.0
        requests = sum(len(tally.times[action]) + tally.errors[action] for action in ACTIONS)
        hello = self.p95("hello")
        lines = [f"{self.server}: {self.users} users x {self.duration:g} s "
                 f"(setup {self.setup_seconds:.1f} s, window {elapsed:.1f} s, {requests} requests, "
                 f"{requests / elapsed:.1f}/s)",
                 f"  {'action':<10} {'count':>7} {'errors':>7} {'p50 ms':>9} {'p95 ms':>9} {'p95/hello':>10}",
                 "  " + "-" * 56]
        for action in ("login", *ACTIONS):
            times = tally.times[action]
            p50, p95 = percentile(times, 50), percentile(times, 95)
            ratio = f"{p95 / hello:10.1f}" if hello and p95 is not None and action != "login" else f"{'':>10}"
            lines.append(f"  {action:<10} {len(times):>7} {tally.errors[action]:>7} {_ms(p50):>9} {_ms(p95):>9}"
                         f" {ratio}")
        lines.append(f"  writes: {len(tally.ticks_stored)} ticks acknowledged, {self.count.ticks_in_database} "
                     f"in the session; {sum(tally.saves_acknowledged.values())} edits acknowledged, "
                     f"{self.count.edits_in_database} recorded; lost or duplicated: {len(self.count.lost)}")
        for line in self.count.lost[:10]:
            lines.append(f"    LOST  {line}")
        for line in self.count.notes[:5]:
            lines.append(f"    note  {line}")
        for problem in tally.problems[:10]:
            lines.append(f"    ERROR {problem}")
        for trace in self.tracebacks:
            lines.append("    server: " + trace.strip().replace("\n", "\n            ")[-1500:])
        lines.append(f"  {'ok' if self.ok else 'FAIL'}    zero errors, zero lost writes")
        return "\n".join(lines)


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def run_case(server: str, database_url: str, *, users: int, duration: float, think: float = 0.25,
             seed: int = 1, workdir: Path | None = None, threads: int = 16, workers: int = 4) -> Outcome:
    """Prepare `database_url` (empty or migrated), serve it, load it, count the writes."""
    began = time.monotonic()
    plan = prepare(database_url, users)
    with tempfile.TemporaryDirectory(prefix="reqtrace-load-run-") as scratch:
        folder = workdir or Path(scratch)
        with running(server, database_url, folder, threads=threads, workers=workers) as live:
            setup = time.monotonic() - began
            tally = drive(live.url, plan, users=users, duration=duration, think=think, seed=seed)
            live.stop()
            tracebacks = live.tracebacks() if tally.errors else []
    from reqtrace.db import dispose_all
    dispose_all()
    return Outcome(server, users, duration, plan, tally, count_writes(plan, tally), tracebacks, setup)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--server", choices=(*SERVERS, "both"), default="waitress-sqlite")
    parser.add_argument("--db", default=os.environ.get("REQTRACE_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL for gunicorn-postgres; a throwaway database is created on it "
                             "and dropped (default: $REQTRACE_TEST_POSTGRES_URL)")
    parser.add_argument("--think", type=float, default=0.25,
                        help="each user pauses uniform(0, THINK) seconds between actions (default 0.25)")
    parser.add_argument("--threads", type=int, default=16,
                        help="server threads in all: waitress --threads, gunicorn workers x threads (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    if options.users < 1 or options.duration <= 0:
        parser.error("--users and --duration must be positive")
    servers = SERVERS if options.server == "both" else (options.server,)
    if "gunicorn-postgres" in servers and not options.db:
        parser.error("gunicorn-postgres needs --db postgresql://USER@HOST:PORT/postgres")

    outcomes = []
    for server in servers:
        with throwaway_database(server, options.db) as url:
            outcome = run_case(server, url, users=options.users, duration=options.duration, think=options.think,
                               seed=options.seed, threads=options.threads, workers=options.workers)
        print(outcome.report(), flush=True)
        print(flush=True)
        outcomes.append(outcome)
    failed = [outcome.server for outcome in outcomes if not outcome.ok]
    if failed:
        print(f"MISS  zero errors and zero lost writes under load: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
