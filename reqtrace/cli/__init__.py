"""The `reqtrace` command line. Each command is a thin wrapper over a service.

The contract (names, options, JSON shapes, exit codes) is in DESIGN.md and
docs/cli.md; scripts depend on it.
"""

from __future__ import annotations

from reqtrace.cli.base import main

# Importing the command modules registers their commands on `main`.
from reqtrace.cli import (  # noqa: E402,F401
    admin, backups, baselines, catalog, poc, projects, scoring, trace, vendors, weights, workbooks,
)

__all__ = ["main"]
