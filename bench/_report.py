"""The goal lines every bench ends with: `ok` or `MISS`, the goal, and what was measured."""

from __future__ import annotations


def print_goals(goals: list[tuple[str, bool, str]]) -> list[str]:
    """Print (goal, met, measured) lines after a blank line; return the goals missed."""
    width = max((len(goal) for goal, _met, _value in goals), default=0)
    print()
    failures = []
    for goal, met, value in goals:
        print(f"  {'ok  ' if met else 'MISS'}  {goal:<{width}} {value}")
        if not met:
            failures.append(goal)
    if failures:
        print(f"\nmissed {len(failures)} goal(s): " + "; ".join(failures))
    return failures
