"""Markdown rendering of hostile text, as ratios to ordinary Markdown of the same size in the same run.

    .venv/bin/python bench/markdown_bench.py
    .venv/bin/python bench/markdown_bench.py --repeat 5

A text field holds up to 32,767 characters. python-markdown scanned from every unclosed `[` or `(` to the end
of its paragraph, so 8,000 unclosed links took half a minute per page view; reqtrace.richtext answers those
scans from an index and bounds the rest. The reference renders the docs (cut to the same size); each hostile
text must render within MAX_RATIO times it. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # for `bench._report`; reqtrace itself comes first from PYTHONPATH / the venv

from bench._report import print_goals  # noqa: E402
from reqtrace.richtext import render_markdown  # noqa: E402

SIZE = 32_000
MAX_RATIO = 40.0
HOSTILE = {
    "unclosed links": "[a](" * 8_000,
    "unclosed brackets": "[" * 32_000,
    "unclosed images": "![a](" * 6_400,
    "nested brackets": "[" * 16_000 + "]" * 16_000,
    "unclosed reference links": "[a][" * 8_000,
    "unclosed tags": "<a " * 10_666,
    "unclosed tags, one quoted > at the end": "<a " * 10_666 + "b='>'",
    "a destination with a quote": "[a](" * 8_000 + '"',
    "emphasis and brackets": "*[" * 16_000,
    "lists nested 250 deep": "\n".join("\t" * depth + f"- {depth}" for depth in range(250)),
}


def best_seconds(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        render_markdown(text)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="renders of each text; the best is kept (default 3)")
    args = parser.parse_args(argv)
    ordinary = "\n\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))[:SIZE]
    render_markdown(ordinary)  # warm-up: the converter is built once per thread
    reference = best_seconds(ordinary, args.repeat)
    print(f"reqtrace markdown bench: best of {args.repeat}")
    print(f"{'text':<40} {'chars':>7} {'time':>10} {'x ref':>7}")
    print(f"{'ordinary Markdown (docs/*.md)':<40} {len(ordinary):>7} {reference * 1000:>8.1f}ms {1:>7.2f}")
    goals = []
    for name, text in HOSTILE.items():
        seconds = best_seconds(text, args.repeat)
        ratio = seconds / reference
        print(f"{name:<40} {len(text):>7} {seconds * 1000:>8.1f}ms {ratio:>7.2f}")
        goals.append((f"{name} <= {MAX_RATIO:g}x ordinary text", ratio <= MAX_RATIO, f"{ratio:.2f}x"))
    return 1 if print_goals(goals) else 0


if __name__ == "__main__":
    sys.exit(main())
