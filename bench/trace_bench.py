"""Trace matrix and trace check at stress size, as ratios to a raw SQL join of the same links.

    .venv/bin/python bench/trace_bench.py                 # N = 10,000 requirements, SQLite
    .venv/bin/python bench/trace_bench.py --repeat 9 --seed 7
    .venv/bin/python bench/trace_bench.py --db postgresql://user@host/postgres

Builds two projects in one fresh database (N requirements over 400 processes,
and 2N over 800), then times, alternating and best of --repeat after a
warm-up, on the same engine:

  matrix     with Session(engine) as s: trace_matrix(load_graph(s, project))
  check      with Session(engine) as s: check(load_graph(s, project))
  reference  one SQL statement: requirement -> process -> role -> strategy,
             grouped by requirement with group_concat / string_agg of the IDs,
             fully fetched

and counts the SQL statements the product paths send. Exits 1 when a goal of
DESIGN.md is missed.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # for `bench._data`; reqtrace itself comes first from PYTHONPATH / the venv

from sqlalchemy import Engine, event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

import reqtrace  # noqa: E402
from bench._data import BuiltProject, Shape, build_project, fresh_database  # noqa: E402
from bench._report import print_goals  # noqa: E402
from reqtrace.model import Project  # noqa: E402
from reqtrace.trace import check, trace_matrix  # noqa: E402
from reqtrace.trace.load import load_graph  # noqa: E402

MAX_RATIO = 3.0  # product / reference, at N
MAX_SCALING = 2.3  # time at 2N / time at N
MEASURES = ("reference", "matrix", "check")

REFERENCE_SQL = """
SELECT r.hid, {agg_process}, {agg_role}, {agg_strategy}
FROM requirement r
LEFT JOIN process_requirement pr ON pr.requirement_id = r.id
LEFT JOIN process p ON p.id = pr.process_id AND p.status <> 'retired'
LEFT JOIN role_process rp ON rp.process_id = p.id
LEFT JOIN role ro ON ro.id = rp.role_id AND ro.status <> 'retired'
LEFT JOIN strategy_role sr ON sr.role_id = ro.id
LEFT JOIN strategy s ON s.id = sr.strategy_id AND s.status <> 'retired'
WHERE r.project_id = :project_id AND r.status <> 'retired'
GROUP BY r.id, r.hid, r.seq
ORDER BY r.seq
"""


def reference_sql(dialect: str) -> str:
    """The raw join; retired items drop out exactly as they do in the trace rules."""
    if dialect == "postgresql":
        agg = "string_agg(DISTINCT {}.hid, ',')"
    else:
        agg = "group_concat(DISTINCT {}.hid)"
    return REFERENCE_SQL.format(agg_process=agg.format("p"), agg_role=agg.format("ro"),
                                agg_strategy=agg.format("s"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="requirements at N (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds; the best is kept (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated projects (default 1)")
    parser.add_argument("--db", default=None,
                        help="a PostgreSQL server URL (a throwaway database is created on it and dropped) "
                             "or a new SQLite file URL; default: a temporary SQLite file")
    args = parser.parse_args(argv)

    with fresh_database(args.db) as (engine, label):
        started = time.perf_counter()
        sizes = {"N": build_project(engine, key="bench-n", shape=Shape.stress(args.n), seed=args.seed),
                 "2N": build_project(engine, key="bench-2n", shape=Shape.stress(2 * args.n), seed=args.seed)}
        build_seconds = time.perf_counter() - started
        projects = {size: _project(engine, built.id) for size, built in sizes.items()}
        runners = {size: _runners(engine, project) for size, project in projects.items()}

        for size, project in projects.items():
            _verify(engine, project)
        statements = {size: {name: _count_statements(engine, run) for name, run in runs.items()}
                      for size, runs in runners.items()}
        best = _time_all(runners, args.repeat)

    print(f"reqtrace trace bench: {label}, seed {args.seed}, best of {args.repeat} "
          f"(projects built in {build_seconds:.1f} s)")
    if Path(reqtrace.__file__).resolve().parents[1] != ROOT:
        print(f"measuring reqtrace from {Path(reqtrace.__file__).parent}")
    failures = _report(sizes, best, statements)
    return 1 if failures else 0


def _project(engine: Engine, project_id: int) -> Project:
    with Session(engine, expire_on_commit=False) as session:
        project = session.get(Project, project_id)
        session.expunge(project)
        return project


def _runners(engine: Engine, project: Project) -> dict[str, Callable[[], object]]:
    sql = text(reference_sql(engine.dialect.name))

    def reference():
        with engine.connect() as connection:
            return connection.execute(sql, {"project_id": project.id}).fetchall()

    def matrix():
        with Session(engine) as session:
            return trace_matrix(load_graph(session, project))

    def check_():
        with Session(engine) as session:
            return check(load_graph(session, project))

    return {"reference": reference, "matrix": matrix, "check": check_}


def _verify(engine: Engine, project: Project) -> None:
    """The product and the reference must describe the same links, or the ratio means nothing."""
    with engine.connect() as connection:
        reference = connection.execute(text(reference_sql(engine.dialect.name)),
                                       {"project_id": project.id}).fetchall()
    expected = {hid: tuple(frozenset((ids or "").split(",")) - {""} for ids in row)
                for hid, *row in reference}
    with Session(engine) as session:
        rows = trace_matrix(load_graph(session, project))
    actual = {row["id"]: (frozenset(row["processes"]), frozenset(row["roles"]), frozenset(row["strategies"]))
              for row in rows}
    if actual != expected:
        missing = sorted(set(expected) ^ set(actual))[:5]
        differ = [hid for hid in expected if hid in actual and expected[hid] != actual[hid]][:5]
        raise SystemExit(f"{project.key}: trace matrix and reference disagree "
                         f"(rows only on one side: {missing}, rows that differ: {differ})")


@contextmanager
def _statement_counter(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_connection, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _count_statements(engine: Engine, run: Callable[[], object]) -> int:
    with _statement_counter(engine) as seen:
        run()
    return len(seen)


def _time_all(runners: dict[str, dict[str, Callable[[], object]]], repeat: int) -> dict[str, dict[str, float]]:
    """Best wall time of each measure; rounds alternate measures and sizes so drift hits all alike."""
    for runs in runners.values():  # warm-up: caches, pool, page cache
        for run in runs.values():
            run()
    best = {size: {name: float("inf") for name in MEASURES} for size in runners}
    for round_ in range(repeat):
        order = [(size, name) for size in runners for name in MEASURES]
        if round_ % 2:
            order.reverse()
        for size, name in order:
            gc.collect()
            started = time.perf_counter()
            runners[size][name]()
            best[size][name] = min(best[size][name], time.perf_counter() - started)
    return best


def _report(sizes: dict[str, BuiltProject], best: dict[str, dict[str, float]],
            statements: dict[str, dict[str, int]]) -> list[str]:
    ms = lambda seconds: f"{seconds * 1000:8.1f} ms"  # noqa: E731
    header = f"{'size':<5} {'reqs':>6} {'links':>6} {'reference':>11} {'matrix':>11} {'ratio':>6} " \
             f"{'check':>11} {'ratio':>6} {'statements':>10}"
    print(header)
    print("-" * len(header))
    for size, built in sizes.items():
        times = best[size]
        print(f"{size:<5} {built.items['requirement']:>6} {built.total_links:>6} {ms(times['reference']):>11} "
              f"{ms(times['matrix']):>11} {times['matrix'] / times['reference']:>6.2f} "
              f"{ms(times['check']):>11} {times['check'] / times['reference']:>6.2f} "
              f"{statements[size]['matrix']:>4} / {statements[size]['check']:<3}")
    scaling = {name: best["2N"][name] / best["N"][name] for name in MEASURES}
    print(f"{'2N/N':<5} {'':>6} {'':>6} {scaling['reference']:>10.2f}x {scaling['matrix']:>10.2f}x {'':>6} "
          f"{scaling['check']:>10.2f}x")
    n = sizes["N"]
    print(f"(N: {n.items['strategy']} strategies, {n.items['role']} roles, {n.items['process']} processes; "
          f"{n.stale_links} stale links; {sum(n.retired.values())} retired items; "
          f"statements are matrix / check)")

    goals = [
        ("trace matrix at N <= 3x reference", best["N"]["matrix"] / best["N"]["reference"] <= MAX_RATIO,
         f"{best['N']['matrix'] / best['N']['reference']:.2f}x"),
        ("trace check at N <= 3x reference", best["N"]["check"] / best["N"]["reference"] <= MAX_RATIO,
         f"{best['N']['check'] / best['N']['reference']:.2f}x"),
        ("SQL statements same at N and 2N", statements["N"] == statements["2N"],
         f"matrix {statements['N']['matrix']} -> {statements['2N']['matrix']}, "
         f"check {statements['N']['check']} -> {statements['2N']['check']}"),
        ("trace matrix at 2N <= 2.3x time at N", scaling["matrix"] <= MAX_SCALING, f"{scaling['matrix']:.2f}x"),
        ("trace check at 2N <= 2.3x time at N", scaling["check"] <= MAX_SCALING, f"{scaling['check']:.2f}x"),
    ]
    return print_goals(goals)


if __name__ == "__main__":
    sys.exit(main())
