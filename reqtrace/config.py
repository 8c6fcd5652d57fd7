"""Where reqtrace keeps its data, and how a database URL is chosen.

Order of precedence for the database: `--db URL`, then `REQTRACE_DATABASE_URL`,
then a SQLite file in the per-user data directory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url


def data_dir() -> Path:
    """`REQTRACE_HOME`, else `$XDG_DATA_HOME/reqtrace`, else `~/.local/share/reqtrace`."""
    if os.environ.get("REQTRACE_HOME"):
        return Path(os.environ["REQTRACE_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reqtrace"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'reqtrace.db'}"


def resolve_database_url(explicit: str | None = None) -> str:
    """Pick the database URL; a bare file path means a SQLite file there."""
    url = explicit or os.environ.get("REQTRACE_DATABASE_URL") or default_database_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def describe_database(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def secret_key_for(url: str) -> str:
    """`REQTRACE_SECRET_KEY`, else a key kept beside the database (created once)."""
    if os.environ.get("REQTRACE_SECRET_KEY"):
        return os.environ["REQTRACE_SECRET_KEY"]
    path = sqlite_path(url)
    key_file = path.with_name(path.name + ".secret") if path else data_dir() / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        # Created with owner-only permissions before the key is written.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
