"""Read and validate a catalogue folder of TOML files, one file per business area.

Every problem is reported with its file, line where it can be found, and item
ID, and a catalogue with any problem is loaded not at all. See
requirements_catalog/README.md for the schema.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reqtrace.model import LINKS_UP, PREFIXES
from reqtrace.schemas import validate_fields

# TOML array name -> level, and the level's keys: required, optional, and how they map to fields.
ARRAYS = {"strategies": "strategy", "roles": "role", "processes": "process", "requirements": "requirement"}
REQUIRED = {
    "strategy": ("id", "title", "statement", "sponsor", "perspective", "kpi", "target"),
    "role": ("id", "title", "from", "to", "department", "strategies"),
    "process": ("id", "title", "description", "roles", "steps", "management"),
    "requirement": ("id", "title", "statement", "acceptance", "kind", "capability", "priority", "processes"),
}
OPTIONAL = {
    "strategy": ("segment", "owner"),
    "role": ("description", "owner"),
    "process": ("bottleneck", "peak_demand", "owner"),
    "requirement": ("weight", "tags", "excluded_deployments", "timebox_minutes", "owner"),
}
RENAMED = {"from": "from_state", "to": "to_state"}
LINK_KEY = {kind: spec.label for kind, spec in LINKS_UP.items()}  # role -> "strategies", ...
TOP_LEVEL = {"area", "description", *ARRAYS}
_ID_LINE = re.compile(r"""^\s*id\s*=\s*["']([^"']+)["']""")
_HEADER = re.compile(r"^\s*\[\[\s*(\w+)\s*\]\]")


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    line: int | None
    item: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.item + ': ' if self.item else ''}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "item": self.item, "message": self.message}


@dataclass
class CatalogItem:
    kind: str
    hid: str
    fields: dict[str, Any]
    upstream: list[str]
    file: str
    line: int | None
    valid: bool = True  # False: it has problems, but other items may still link to it


@dataclass
class Catalog:
    directory: Path
    items: list[CatalogItem] = field(default_factory=list)
    problems: list[CatalogProblem] = field(default_factory=list)
    warnings: list[CatalogProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, kind: str) -> int:
        return sum(1 for item in self.items if item.kind == kind)


def read_catalog(directory: str | Path) -> Catalog:
    """Parse and check every `*.toml` file in `directory` (sorted by name)."""
    directory = Path(directory)
    catalog = Catalog(directory=directory)
    if not directory.is_dir():
        catalog.problems.append(CatalogProblem(str(directory), None, None, "is not a folder"))
        return catalog
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        catalog.problems.append(CatalogProblem(str(directory), None, None, "holds no .toml files"))
    for path in paths:
        catalog.files.append(path.name)
        _read_file(path, catalog)
    _check_ids_and_links(catalog)
    return catalog


def _read_file(path: Path, catalog: Catalog) -> None:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        catalog.problems.append(CatalogProblem(name, None, None, f"is not UTF-8 text ({error.reason})"))
        return
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _line_of_decode_error(error)
        catalog.problems.append(CatalogProblem(name, line, None, f"is not valid TOML: {error}"))
        return
    id_lines, header_lines = _locate(text)
    for key in document:
        if key not in TOP_LEVEL:
            catalog.problems.append(CatalogProblem(name, None, None, f"unknown top-level key {key!r}; expected "
                                                   f"{', '.join(sorted(TOP_LEVEL))}"))
    for array, kind in ARRAYS.items():
        entries = document.get(array, [])
        if not isinstance(entries, list) or any(not isinstance(entry, dict) for entry in entries):
            catalog.problems.append(CatalogProblem(name, None, None, f"{array} must be written as [[{array}]] tables"))
            continue
        for index, entry in enumerate(entries):
            headers = header_lines.get(array, [])
            line = headers[index] if index < len(headers) else None
            _read_item(entry, kind, name, line, id_lines, catalog)


def _read_item(entry: dict, kind: str, file: str, header_line: int | None, id_lines: dict[str, list[int]],
               catalog: Catalog) -> None:
    raw_id = entry.get("id")
    hid = raw_id.strip() if isinstance(raw_id, str) else None
    # Each occurrence of an ID takes the next line that declares it, so a duplicate points at itself.
    line = id_lines[hid].pop(0) if hid and id_lines.get(hid) else header_line
    problem = lambda message: catalog.problems.append(CatalogProblem(file, line, hid, message))  # noqa: E731
    for key in REQUIRED[kind]:
        value = entry.get(key)
        if value is None or (isinstance(value, (str, list)) and not value):
            problem(f"missing required field {key!r}")
    known = set(REQUIRED[kind]) | set(OPTIONAL[kind])
    for key in entry:
        if key not in known:
            problem(f"unknown field {key!r} for a {kind}; expected one of: {', '.join(sorted(known))}")
    if hid is None:
        if raw_id is not None:
            problem("id must be text such as \"" + PREFIXES[kind] + "-1\"")
        return
    if not re.fullmatch(PREFIXES[kind] + r"-[1-9]\d*", hid):
        problem(f"id {hid!r} does not follow the pattern {PREFIXES[kind]}-<number>")
    link_key = LINK_KEY.get(kind)
    upstream = entry.get(link_key, []) if link_key else []
    if link_key and not (isinstance(upstream, list) and all(isinstance(x, str) for x in upstream)):
        problem(f"{link_key} must be a list of IDs")
        upstream = []
    data = {RENAMED.get(key, key): value for key, value in entry.items()
            if key in known and key not in ("id", link_key)}
    fields, problems = validate_fields(kind, data)
    if fields is not None and "owner" not in entry:
        # Who owns an item is decided in the app (the lead assigns owners); a catalogue that names no owner
        # leaves the stored one as it is, so loading the catalogue again takes nobody's items away.
        fields.pop("owner", None)
    for field_problem in problems:
        key = {v: k for k, v in RENAMED.items()}.get(field_problem.field, field_problem.field)
        problem(f"{key}: {field_problem.message}")
    # An item with a bad value is still known, so items linking to it get no false "not in the catalogue".
    catalog.items.append(CatalogItem(kind, hid, fields or {}, [x.strip() for x in upstream], file, line,
                                     valid=fields is not None))


def _check_ids_and_links(catalog: Catalog) -> None:
    by_id: dict[str, CatalogItem] = {}
    for item in catalog.items:
        if item.hid in by_id:
            first = by_id[item.hid]
            catalog.problems.append(CatalogProblem(
                item.file, item.line, item.hid,
                f"duplicate ID: {item.hid} is already used in {first.file}" + (f" line {first.line}" if first.line else "")))
        else:
            by_id[item.hid] = item
    graph: dict[str, list[str]] = {}
    for item in catalog.items:
        if by_id.get(item.hid) is not item:
            continue
        graph[item.hid] = []
        if item.kind not in LINKS_UP:
            continue
        spec = LINKS_UP[item.kind]
        for target in item.upstream:
            other = by_id.get(target)
            graph[item.hid].append(target)
            if other is None:
                catalog.problems.append(CatalogProblem(
                    item.file, item.line, item.hid, f"{spec.label} lists {target}, which is not in the catalogue"))
            elif other.kind != spec.upstream:
                catalog.problems.append(CatalogProblem(
                    item.file, item.line, item.hid,
                    f"{spec.label} lists {target}, but {target} is a {other.kind}, not a {spec.upstream}"))
    for cycle in _cycles(graph):
        first = by_id[cycle[0]]
        catalog.problems.append(CatalogProblem(first.file, first.line, first.hid,
                                               "links form a cycle: " + " -> ".join(cycle)))
    _check_reach(catalog, by_id)


def _check_reach(catalog: Catalog, by_id: dict[str, CatalogItem]) -> None:
    """Every requirement must reach a strategy; a strategy with nothing beneath it is a warning."""
    def reaches_strategy(hid: str, seen: set[str]) -> bool:
        item = by_id.get(hid)
        if item is None or hid in seen:
            return False
        if item.kind == "strategy":
            return True
        seen.add(hid)
        expected = LINKS_UP[item.kind].upstream
        return any(by_id.get(up) is not None and by_id[up].kind == expected and reaches_strategy(up, seen)
                   for up in item.upstream)

    below: dict[str, set[str]] = {}
    for item in catalog.items:
        for up in item.upstream:
            below.setdefault(up, set()).add(item.hid)
        if item.kind == "requirement" and by_id.get(item.hid) is item and not reaches_strategy(item.hid, set()):
            catalog.problems.append(CatalogProblem(
                item.file, item.line, item.hid,
                "reaches no strategy through its processes and roles: a requirement must support a process "
                "that a redefined role runs for a strategy (it would be technology-driven)"))

    def reaches_requirement(hid: str, depth: int = 0) -> bool:
        if depth > 3:
            return False
        return any(by_id.get(child) is not None and
                   (by_id[child].kind == "requirement" or reaches_requirement(child, depth + 1))
                   for child in below.get(hid, ()))

    for item in catalog.items:
        if item.kind == "strategy" and not reaches_requirement(item.hid):
            catalog.warnings.append(CatalogProblem(item.file, item.line, item.hid,
                                                   "no requirement supports this strategy yet"))


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle in the link graph once, as a closed path."""
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    found.append(cycle)
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [])
    return found


def _locate(text: str) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Line numbers of every `id = "..."` (in order, per ID) and of each `[[array]]` header."""
    id_lines: dict[str, list[int]] = {}
    headers: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ID_LINE.match(line):
            id_lines.setdefault(match.group(1).strip(), []).append(number)
        elif match := _HEADER.match(line):
            headers.setdefault(match.group(1), []).append(number)
    return id_lines, headers


def _line_of_decode_error(error: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(error, "lineno", None)
    if lineno:
        return lineno
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None
