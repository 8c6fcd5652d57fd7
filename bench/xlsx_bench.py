"""Workbook import and export at 10,000 requirements, as ratios to raw library calls on the same file.

    .venv/bin/python bench/xlsx_bench.py                 # N = 10,000 requirements, SQLite
    .venv/bin/python bench/xlsx_bench.py --repeat 5 --db postgresql://user@host/postgres

Builds a project of N requirements (and one of 2N) in a fresh database, then
times, best of --repeat after a warm-up:

  export          export_requirements(...) to a file: five sheets, dropdowns, protection
  raw dump        openpyxl write-only append of exactly the same cell values (the reference)
  import          import_requirements(...) of that file into a new, empty project:
                  parse, validate, diff and save, in one transaction (rolled back after timing)
  reimport        import_requirements(...) of the same file into the project it came from
                  (everything unchanged, nothing written)
  calamine        python-calamine parse of every sheet of the same file (the reference)
  writes          of the import, the time the database driver spent in its INSERT statements:
                  with calamine, the floor no change to reqtrace's Python could go below
  openpyxl load   openpyxl load_workbook (normal mode) reading every sheet of the same file

Goals (DESIGN.md): import <= 2.5x calamine and >= 4x faster than openpyxl load;
export <= 1.5x raw dump; each at 2N <= 2.3x its time at N.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))

from openpyxl import Workbook, load_workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench._data import Shape, build_project, fresh_database  # noqa: E402
from bench._report import print_goals  # noqa: E402
from reqtrace.formats.requirements_export import export_requirements  # noqa: E402
from reqtrace.formats.requirements_import import import_requirements  # noqa: E402
from reqtrace.model import Project  # noqa: E402

LEVEL_SHEETS = ("Strategies", "Roles", "Processes", "Requirements")
MAX_IMPORT_RATIO = 2.5
MIN_OPENPYXL_SPEEDUP = 4.0
MAX_EXPORT_RATIO = 1.5
MAX_SCALING = 2.3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None)
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="reqtrace-xlsx-bench-"))
    with fresh_database(options.db) as (engine, label):
        keys = {"N": "xl-n", "2N": "xl-2n"}
        build_project(engine, key=keys["N"], shape=Shape.stress(options.n), seed=options.seed)
        build_project(engine, key=keys["2N"], shape=Shape.stress(2 * options.n), seed=options.seed)
        print(f"reqtrace workbook bench: {label}, seed {options.seed}, best of {options.repeat}")
        best: dict[str, dict[str, float]] = {}
        for size, key in keys.items():
            files = {"product": folder / f"{key}.xlsx", "raw": folder / f"{key}-raw.xlsx"}
            with Session(engine) as session:
                project = session.exec(select(Project).where(Project.key == key)).one()
                export_requirements(session, project, files["product"], actor="bench")  # warm-up
            cells = _cells(files["product"])
            runs = {
                "export": lambda: _export(engine, key, files["product"]),
                "raw dump": lambda: _raw_dump(cells, files["raw"]),
                "import": lambda: _import(engine, f"{key}-copy", files["product"]),
                "reimport": lambda: _import(engine, key, files["product"]),
                "calamine": lambda: _calamine(files["product"]),
            }
            summary = _import(engine, f"{key}-copy", files["product"], check=True)
            expected = sum(len(rows) - 1 for name, rows in cells.items() if name in LEVEL_SHEETS)
            assert summary["added"] == expected, f"import added {summary['added']} items, expected {expected}"
            again = _import(engine, key, files["product"], check=True)
            assert again["changed"] == again["added"] == again["removed"] == 0, \
                f"re-import changed {again['changed']}, added {again['added']}, removed {again['removed']}"
            best[size] = {name: float("inf") for name in [*runs, "writes"]}
            clock = WriteClock(engine)
            for _ in range(options.repeat):
                for name, run in runs.items():
                    gc.collect()
                    clock.seconds = 0.0
                    started = time.perf_counter()
                    run()
                    best[size][name] = min(best[size][name], time.perf_counter() - started)
                    if name == "import":
                        best[size]["writes"] = min(best[size]["writes"], clock.seconds)
            clock.close()
            if size == "N":
                gc.collect()
                started = time.perf_counter()
                _openpyxl(files["product"])
                best[size]["openpyxl load"] = time.perf_counter() - started
        return _report(best)


class WriteClock:
    """Adds up the time the driver spends executing INSERT statements on `engine`."""

    def __init__(self, engine):
        self.engine, self.seconds, self._started = engine, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _connection, _cursor, statement, *_args) -> None:
        self._started = time.perf_counter()

    def _after(self, _connection, _cursor, statement, *_args) -> None:
        if statement.lstrip()[:6].upper() == "INSERT":
            self.seconds += time.perf_counter() - self._started

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def _cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's values as the export wrote them (the raw dump writes the same)."""
    workbook = CalamineWorkbook.from_path(str(path))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def _export(engine, key: str, path: Path) -> None:
    with Session(engine) as session:
        project = session.exec(select(Project).where(Project.key == key)).one()
        export_requirements(session, project, path, actor="bench")


def _raw_dump(cells: dict[str, list[list]], path: Path) -> None:
    workbook = Workbook(write_only=True)
    for name, rows in cells.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([value if value != "" else None for value in row])
    workbook.save(path)


def _import(engine, key: str, path: Path, *, check: bool = False) -> dict:
    with Session(engine) as session:
        summary = import_requirements(session, key, path, actor="bench")
        assert not summary["errors"], summary["errors"][:3]
        summary.pop("items", None)
        session.rollback()  # leave the database as it was for the next round
    return summary


def _calamine(path: Path) -> None:
    workbook = CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python()


def _openpyxl(path: Path) -> None:
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        for _row in sheet.values:
            pass


def _report(best: dict[str, dict[str, float]]) -> int:
    n, n2 = best["N"], best["2N"]
    print(f"{'measure':<14} {'N':>10} {'2N':>10} {'2N/N':>6}")
    for name in n2:
        print(f"{name:<14} {n[name] * 1000:8.1f}ms {n2[name] * 1000:8.1f}ms {n2[name] / n[name]:6.2f}")
    print(f"{'openpyxl load':<14} {n['openpyxl load'] * 1000:8.1f}ms")
    ratios = [
        ("import <= 2.5x calamine parse", n["import"] / n["calamine"], n["import"] / n["calamine"] <= MAX_IMPORT_RATIO),
        ("re-import <= 2.5x calamine parse", n["reimport"] / n["calamine"],
         n["reimport"] / n["calamine"] <= MAX_IMPORT_RATIO),
        ("import >= 4x faster than openpyxl load", n["openpyxl load"] / n["import"],
         n["openpyxl load"] / n["import"] >= MIN_OPENPYXL_SPEEDUP),
        ("export <= 1.5x raw write-only dump", n["export"] / n["raw dump"],
         n["export"] / n["raw dump"] <= MAX_EXPORT_RATIO),
        ("import at 2N <= 2.3x N", n2["import"] / n["import"], n2["import"] / n["import"] <= MAX_SCALING),
        ("export at 2N <= 2.3x N", n2["export"] / n["export"], n2["export"] / n["export"] <= MAX_SCALING),
    ]
    failures = print_goals([(goal, met, f"{value:.2f}x") for goal, value, met in ratios])
    floor = (n["calamine"] + n["writes"]) / n["calamine"]
    print(f"\n  floor of a fresh import: calamine + its database writes = {floor:.2f}x calamine, "
          f"{n['openpyxl load'] / (n['calamine'] + n['writes']):.2f}x faster than openpyxl load")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
