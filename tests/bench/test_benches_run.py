"""The benches still run: each at a small size, in a subprocess as a user runs it.

A bench is only useful if it runs when someone wants numbers; these catch one that rotted (an
import moved, a function renamed). They check that it finishes, measures every row and reports
every goal — never the times or the verdicts, which depend on the machine and, at this size, on
fixed costs the goals are not about. `scoring_bench.py` has one size, a million entries: too long here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOAL_LINE = re.compile(r"^  (ok  |MISS)  \S", re.M)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def run_bench(name: str, *args: str) -> str:
    completed = subprocess.run([sys.executable, str(ROOT / "bench" / name), *args], cwd=ROOT, capture_output=True,
                               text=True, timeout=240)
    assert completed.returncode in (0, 1), completed.stderr[-3000:]  # 1: a goal missed, which is not this test's
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return completed.stdout


def test_the_trace_bench_measures_both_sizes_and_reports_its_five_goals():
    out = run_bench("trace_bench.py", "--n", "300", "--repeat", "1")
    assert re.search(r"^N\s+300\s", out, re.M) and re.search(r"^2N\s+600\s", out, re.M), out
    assert len(GOAL_LINE.findall(out)) == 5, out


def test_the_workbook_bench_measures_every_row_and_reports_its_six_goals():
    out = run_bench("xlsx_bench.py", "--n", "300", "--repeat", "1")
    for measure in ("export", "raw dump", "import", "reimport", "calamine", "writes", "openpyxl load"):
        assert re.search(rf"^{measure}\s+\d+\.\dms", out, re.M), (measure, out)
    assert len(GOAL_LINE.findall(out)) == 6, out
    assert "floor of a fresh import" in out


def test_the_web_bench_times_every_page():
    out = run_bench("web_bench.py", "--n", "300", "--repeat", "1")
    for page in ("hello", "matrix", "matrix.json", "requirements"):
        assert re.search(rf"^{re.escape(page)}\s+\d+\.\d+ms", out, re.M), (page, out)
    assert re.search(r"^  (ok|MISS)  ", out, re.M), out


def test_the_markdown_bench_times_every_hostile_text():
    from bench.markdown_bench import HOSTILE

    out = run_bench("markdown_bench.py", "--repeat", "1")
    for name in HOSTILE:
        assert re.search(rf"^{re.escape(name)}\s+\d+\s+\d+\.\dms", out, re.M), (name, out)
    assert len(GOAL_LINE.findall(out)) == len(HOSTILE), out
