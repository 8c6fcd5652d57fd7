"""The WSGI application for any WSGI server, configured from the environment like the CLI.

    gunicorn --workers 4 --bind 127.0.0.1:8000 web.wsgi:app
    waitress-serve --listen 127.0.0.1:8000 web.wsgi:app

Run `reqtrace init` once before starting (or after an upgrade): workers never migrate the schema, so
several of them starting together cannot race on it.
"""

from __future__ import annotations

import logging
import os

from reqtrace.config import resolve_database_url
from reqtrace.db import current_revision, get_engine, head_revision
from web import create_app

logging.basicConfig(level=os.environ.get("REQTRACE_LOG_LEVEL", "INFO").upper(),
                    format="%(asctime)s %(levelname)s %(name)s %(message)s")

_url = resolve_database_url(None)
if current_revision(get_engine(_url)) != head_revision():
    raise SystemExit(f"the database {_url} is not at this release's schema: run `reqtrace init` first")

app = create_app({"DATABASE_URL": _url})
