"""Paginated web pages at stress size, as ratios to an in-process hello request.

    .venv/bin/python bench/web_bench.py                 # N = 10,000 requirements, SQLite
    .venv/bin/python bench/web_bench.py --repeat 15 --db postgresql://user@host/postgres

Builds two projects in one fresh database (N requirements and 2N), logs a
CRM lead in through the real login form (CSRF on), and times with Flask's
test client, best of --repeat after a warm-up, alternating:

  hello         GET /bench-hello — a view that returns "hello" through the
                same app: login check, session cookie, security headers
  matrix        GET /p/<key>/matrix (first page, rendered HTML)
  matrix.json   GET /p/<key>/matrix.json?priority=must&page=2
  requirements  GET /p/<key>/requirements (the list, first page)

Goals (DESIGN.md): each page <= 30x hello at N, <= 2.3x its own time when the
project doubles, and the same number of SQL statements at N and 2N.
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench._data import Shape, build_project, fresh_database  # noqa: E402
from reqtrace.db import session_scope  # noqa: E402
from reqtrace.services.users import add_user  # noqa: E402

MAX_RATIO = 30.0
MAX_SCALING = 2.3
PASSWORD = "bench-password"
PAGES = {
    "matrix": "/p/{key}/matrix",
    "matrix.json": "/p/{key}/matrix.json?priority=must&page=2",
    "requirements": "/p/{key}/requirements",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="requirements at N (default 10,000)")
    parser.add_argument("--repeat", type=int, default=9, help="timed rounds; the best counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="SQLite file or PostgreSQL server URL (default: temp SQLite)")
    options = parser.parse_args(argv)

    from web import create_app

    with fresh_database(options.db) as (engine, label):
        started = time.perf_counter()
        keys = {"N": "bench-n", "2N": "bench-2n"}
        build_project(engine, key=keys["N"], shape=Shape.stress(options.n), seed=options.seed)
        build_project(engine, key=keys["2N"], shape=Shape.stress(2 * options.n), seed=options.seed)
        with session_scope(engine, write=True) as session:
            add_user(session, username="lead", role="admin", password=PASSWORD, actor="bench")
        url = engine.url.render_as_string(hide_password=False)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})

        def hello():
            return "hello"
        hello.permission = "read"
        app.add_url_rule("/bench-hello", "bench_hello", hello)

        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        response = client.post("/login", data={"username": "lead", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, "login failed"
        print(f"reqtrace web bench: {label}, seed {options.seed}, best of {options.repeat} "
              f"(projects built in {time.perf_counter() - started:.1f} s)")

        targets = {"hello": {"N": "/bench-hello", "2N": "/bench-hello"}}
        for name, pattern in PAGES.items():
            targets[name] = {size: pattern.format(key=key) for size, key in keys.items()}
        for paths in targets.values():
            for path in paths.values():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

        app_engine = app.extensions["reqtrace_engine"]  # the app's own engine (pool), not the builder's
        statements = {name: {size: _count(app_engine, client, path) for size, path in paths.items()}
                      for name, paths in targets.items()}
        best = _time(client, targets, options.repeat)
        return _report(best, statements)


def _count(engine, client, path: str) -> int:
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def _time(client, targets: dict[str, dict[str, str]], repeat: int) -> dict[str, dict[str, float]]:
    best = {name: {size: float("inf") for size in paths} for name, paths in targets.items()}
    order = [(name, size, path) for name, paths in targets.items() for size, path in paths.items()]
    for round_ in range(repeat):
        for name, size, path in (order if round_ % 2 == 0 else list(reversed(order))):
            gc.collect()
            started = time.perf_counter()
            client.get(path)
            best[name][size] = min(best[name][size], time.perf_counter() - started)
    return best


def _report(best: dict[str, dict[str, float]], statements: dict[str, dict[str, int]]) -> int:
    hello = best["hello"]["N"]
    print(f"{'page':<14} {'N':>10} {'x hello':>8} {'2N':>10} {'2N/N':>6} {'statements N/2N':>16}")
    failures = []
    for name, times in best.items():
        ratio, scaling = times["N"] / hello, times["2N"] / times["N"]
        print(f"{name:<14} {times['N'] * 1000:8.2f}ms {ratio:8.1f} {times['2N'] * 1000:8.2f}ms {scaling:6.2f} "
              f"{statements[name]['N']:>8} / {statements[name]['2N']:<4}")
        if name == "hello":
            continue
        if ratio > MAX_RATIO:
            failures.append(f"{name} is {ratio:.1f}x hello (goal <= {MAX_RATIO:g}x)")
        if scaling > MAX_SCALING:
            failures.append(f"{name} at 2N is {scaling:.2f}x its time at N (goal <= {MAX_SCALING}x)")
        if statements[name]["N"] != statements[name]["2N"]:
            failures.append(f"{name} sends {statements[name]['N']} statements at N but {statements[name]['2N']} at 2N")
    print()
    for failure in failures:
        print(f"  MISS  {failure}")
    if not failures:
        print("  ok    every page within 30x hello, 2.3x at 2N, constant statements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
