"""One log line per request: who did what, how it ended and how long it took.

    2026-12-01 11:30:02 INFO reqtrace.access lead POST /p/crm/sessions/3/results 200 41ms

The audit trail records every change in the database; this log is for operators (load, errors, who was
active), so it names the user but never logs form contents, tokens or passwords.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from flask_login import current_user

log = logging.getLogger("reqtrace.access")


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()


def _finish(response):
    if request.endpoint == "static":
        return response
    started = g.get("request_started")
    elapsed = f"{(time.perf_counter() - started) * 1000:.0f}ms" if started else "-"
    user = current_user.username if getattr(current_user, "is_authenticated", False) else "-"
    log.info("%s %s %s %s %s", user, request.method, request.path, response.status_code, elapsed)
    return response
