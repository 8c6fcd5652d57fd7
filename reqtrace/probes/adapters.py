"""Vendor adapters: how to drive one vendor's sandbox, written as data (see vendor_scripts/README.md).

    base_url = "https://sandbox.vendor.example"
    ready = "main"                       # a selector that shows the app is usable
    pages = ["/", "/accounts"]           # main pages, for the small-screen probe

    [[login]]
    goto = "/login"
    [[login]]
    fill = "#username"
    value = "demo"

    [actions.edit]
    steps = [
      { goto = "/accounts/1" },
      { fill = "#note", value = "Visit {token}" },
      { click = "text=Save note" },
      { expect_text = "Visit {token}" },
    ]

Each step is one browser action. `{token}` is replaced by a value unique to
the run, so a check finds exactly the record this run made.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Step kind -> (the other keys it takes, required ones).
STEP_KINDS: dict[str, tuple[set[str], set[str]]] = {
    "goto": ({"wait_until"}, set()),
    "fill": ({"value"}, {"value"}),
    "click": (set(), set()),
    "press": ({"key"}, {"key"}),
    "expect_text": ({"within", "timeout_ms"}, set()),
    "expect_visible": ({"timeout_ms"}, set()),
    "wait_for": ({"timeout_ms"}, set()),
    "wait": (set(), set()),
    "offline": (set(), set()),
    "online": (set(), set()),
    "reload": (set(), set()),
}
TOP_LEVEL = {"vendor", "base_url", "ready", "pages", "login", "actions", "description"}


class AdapterError(ValueError):
    """A problem in an adapter file, located by file and line."""


@dataclass(frozen=True)
class AdapterStep:
    kind: str
    target: Any  # URL path, selector, text, milliseconds or True
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self, token: str = "") -> str:
        text = f"{self.kind} {self.target!s}".replace("{token}", token)
        if "value" in self.options:
            text += f" = {str(self.options['value']).replace('{token}', token)}"
        return text


@dataclass
class Adapter:
    path: Path | None
    base_url: str = ""
    ready: str = ""
    pages: list[str] = field(default_factory=list)
    login: list[AdapterStep] = field(default_factory=list)
    actions: dict[str, list[AdapterStep]] = field(default_factory=dict)
    vendor: str = ""

    def action(self, name: str) -> list[AdapterStep]:
        if name not in self.actions:
            where = self.path.name if self.path else "the adapter"
            raise AdapterError(f"{where} has no action {name!r}; it has: {', '.join(sorted(self.actions)) or 'none'}")
        return self.actions[name]


def load_adapter(path: str | Path) -> Adapter:
    """Read and check an adapter file; every problem names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AdapterError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AdapterError(f"{path}: not valid TOML: {error}") from None
    lines = text.splitlines()
    problems: list[str] = []
    for key in document:
        if key not in TOP_LEVEL:
            problems.append(f"{path}:{_line_of(lines, key)}: unknown key {key!r}; expected "
                            f"{', '.join(sorted(TOP_LEVEL))}")
    adapter = Adapter(path=path, base_url=str(document.get("base_url", "")), ready=str(document.get("ready", "")),
                      vendor=str(document.get("vendor", "")))
    pages = document.get("pages", [])
    if not isinstance(pages, list) or not all(isinstance(page, str) for page in pages):
        problems.append(f"{path}:{_line_of(lines, 'pages')}: pages must be a list of paths")
    else:
        adapter.pages = pages
    login = document.get("login", [])
    adapter.login = _steps(login, path, lines, "login", _header_lines(lines, "[[login]]"), problems)
    actions = document.get("actions", {})
    if not isinstance(actions, dict):
        problems.append(f"{path}:{_line_of(lines, 'actions')}: actions must be tables like [actions.edit]")
        actions = {}
    for name, body in actions.items():
        header = _line_of(lines, f"[actions.{name}]")
        if not isinstance(body, dict) or "steps" not in body:
            problems.append(f"{path}:{header}: action {name!r} needs a steps = [...] list")
            continue
        unknown = set(body) - {"steps", "description"}
        if unknown:
            problems.append(f"{path}:{header}: action {name!r} has unknown keys {', '.join(sorted(unknown))}")
        adapter.actions[name] = _steps(body["steps"], path, lines, f"actions.{name}",
                                       _inline_step_lines(lines, header), problems)
    if problems:
        raise AdapterError("\n".join(problems))
    return adapter


def _steps(raw: Any, path: Path, lines: list[str], where: str, step_lines: list[int],
           problems: list[str]) -> list[AdapterStep]:
    if not isinstance(raw, list):
        problems.append(f"{path}:{_line_of(lines, where.split('.')[-1])}: {where} must be a list of steps")
        return []
    steps = []
    for index, entry in enumerate(raw, start=1):
        line = step_lines[index - 1] if index - 1 < len(step_lines) else _line_of(lines, where.split(".")[-1])
        label = f"{path}:{line}: {where} step {index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: a step is a table such as {{ click = \"#save\" }}")
            continue
        kinds = [key for key in entry if key in STEP_KINDS]
        if len(kinds) != 1:
            found = ", ".join(sorted(entry)) or "nothing"
            problems.append(f"{label}: a step has exactly one action ({', '.join(STEP_KINDS)}); found {found}")
            continue
        kind = kinds[0]
        allowed, required = STEP_KINDS[kind]
        options = {key: value for key, value in entry.items() if key != kind}
        for key in options:
            if key not in allowed:
                problems.append(f"{label}: {kind} does not take {key!r}")
        for key in required - set(options):
            problems.append(f"{label}: {kind} needs {key!r}")
        target = entry[kind]
        problems.extend(f"{label}: {problem}" for problem in _option_problems(kind, options))
        if kind == "wait" and not (_is_int(target) and 0 < target <= 60_000):
            problems.append(f"{label}: wait takes milliseconds, from 1 to 60000")
        elif kind in ("offline", "online", "reload") and target is not True:
            problems.append(f"{label}: write {kind} = true")
        elif kind not in ("wait", "offline", "online", "reload") and not (isinstance(target, str) and target.strip()):
            problems.append(f"{label}: {kind} needs a non-empty text")
        steps.append(AdapterStep(kind, target, options))
    return steps


WAIT_UNTIL = ("load", "domcontentloaded", "networkidle", "commit")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # TOML `true` is not a number of milliseconds


def _option_problems(kind: str, options: dict[str, Any]) -> list[str]:
    problems = []
    if "timeout_ms" in options and not (_is_int(options["timeout_ms"]) and 0 < options["timeout_ms"] <= 120_000):
        problems.append(f"{kind}: timeout_ms takes milliseconds, from 1 to 120000")
    if "wait_until" in options and options["wait_until"] not in WAIT_UNTIL:
        problems.append(f"goto: wait_until is one of {', '.join(WAIT_UNTIL)}, not {options['wait_until']!r}")
    for key in ("value", "key", "within"):
        if key in options and not isinstance(options[key], str):
            problems.append(f"{kind}: {key} takes a text in quotes")
    return problems


def _code(line: str) -> str:
    """The line without its comment (a `#` outside quotes)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _line_of(lines: list[str], needle: str) -> int:
    pattern = re.compile(r"^\s*" + re.escape(needle) + r"(\s*=|\s*$|\])")
    for number, line in enumerate(lines, start=1):
        code = _code(line)
        if pattern.search(code) or code.strip() == needle:
            return number
    return 1


def _header_lines(lines: list[str], header: str) -> list[int]:
    return [number for number, line in enumerate(lines, start=1) if _code(line).strip() == header]


def _inline_step_lines(lines: list[str], header: int) -> list[int]:
    """Line of each `{ ... }` step in the `steps = [...]` array under an [actions.x] header, in order.

    Several steps may share a line; the array may span many lines."""
    found: list[int] = []
    depth = 0
    started = False
    for number in range(header, len(lines)):
        code = _code(lines[number])
        if not started:
            if code.lstrip().startswith("["):  # the next table began before any steps = [...]
                break
            match = re.match(r"^\s*steps\s*=\s*", code)
            if not match:
                continue
            started = True
            code = code[match.end():]
        quote = ""
        for char in code:
            if quote:
                if char == quote:
                    quote = ""
                continue
            if char in "\"'":
                quote = char
            elif char in "[{":
                depth += 1
                if char == "{" and depth == 2:
                    found.append(number + 1)
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return found
    return found
