"""Small catalogue folders written by tests: valid items by default, each key overridable."""

from __future__ import annotations

import json
from pathlib import Path

# The fields each level requires, with valid values; tests override or drop them.
STRATEGY = {"id": "STR-1", "title": "Keep key accounts", "statement": "Keep them.", "sponsor": "CEO",
            "perspective": "customer", "kpi": "Retention", "target": "95%"}
ROLE = {"id": "ROL-1", "title": "Field rep", "from": "Product seller", "to": "Account manager",
        "department": "Sales", "strategies": ["STR-1"]}
PROCESS = {"id": "PRC-1", "title": "Visit accounts", "description": "Plan and visit.", "roles": ["ROL-1"],
           "steps": ["Plan", "Visit"], "management": "balanced-flow"}
REQUIREMENT = {"id": "REQ-1", "title": "Record a visit offline", "statement": "Works offline.",
               "acceptance": "Shown with the network cable pulled.", "kind": "process-control",
               "capability": "technology", "priority": "must", "processes": ["PRC-1"]}
ARRAY = {"strategy": "strategies", "role": "roles", "process": "processes", "requirement": "requirements"}
BASE = {"strategy": STRATEGY, "role": ROLE, "process": PROCESS, "requirement": REQUIREMENT}


def toml_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(part) for part in value) + "]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value)


def item(kind: str, *, drop: tuple[str, ...] = (), **overrides) -> str:
    """One `[[array]]` table of `kind`, valid unless overridden."""
    keys = {**BASE[kind], **overrides}
    lines = [f"[[{ARRAY[kind]}]]"] + [f"{key} = {toml_value(value)}" for key, value in keys.items() if key not in drop]
    return "\n".join(lines) + "\n\n"


def chain(number: int = 1) -> str:
    n = number
    return (item("strategy", id=f"STR-{n}") + item("role", id=f"ROL-{n}", strategies=[f"STR-{n}"])
            + item("process", id=f"PRC-{n}", roles=[f"ROL-{n}"])
            + item("requirement", id=f"REQ-{n}", processes=[f"PRC-{n}"]))


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text('area = "Test"\n\n' + text, encoding="utf-8")
    return folder


def line_of(folder: Path, name: str, text: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line of a written file that contains `text`."""
    found = [number for number, line in enumerate((folder / name).read_text().splitlines(), start=1) if text in line]
    return found[occurrence - 1]
