"""The core (reqtrace/) never imports Flask or the web package; only `serve` loads it, lazily."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "reqtrace"
FORBIDDEN = ("flask", "web")


def core_modules() -> list[str]:
    """Every importable module under reqtrace/ (migration scripts are run by Alembic, not imported)."""
    names = []
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts or relative.name == "__main__":
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return names


def module_level_imports(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of each import that runs when the module is imported.

    Imports inside function bodies run only when the function is called and are allowed.
    """
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name.split(".")[0]) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.lineno, child.module.split(".")[0]))
            visit(child)

    visit(ast.parse(source))
    return found


def test_importing_every_core_module_loads_neither_flask_nor_web():
    modules = core_modules()
    assert "reqtrace.cli" in modules and "reqtrace.trace.rules" in modules and "reqtrace.catalog.reader" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'web', 'werkzeug'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda path: str(path.relative_to(ROOT)))
def test_core_file_has_no_module_level_import_of_flask_or_web(path):
    bad = [(line, package) for line, package in module_level_imports(path.read_text(encoding="utf-8"))
           if package in FORBIDDEN]
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad} at module level"


def test_import_detector_allows_imports_inside_functions_only():
    source = (
        "import os\n"
        "from flask import Flask\n"
        "if True:\n"
        "    import web.home\n"
        "class App:\n"
        "    import flask\n"
        "def serve():\n"
        "    from web import create_app\n"
        "async def later():\n"
        "    import flask\n"
    )
    assert module_level_imports(source) == [(1, "os"), (2, "flask"), (4, "web"), (6, "flask")]
