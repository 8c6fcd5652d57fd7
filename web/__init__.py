"""The Flask application for requirement owners, procurement, evaluators and the CRM lead."""

from __future__ import annotations

from typing import Any

from flask import Flask

from reqtrace.config import resolve_database_url, secret_key_for

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; nothing is created at import time."""
    app = Flask(__name__)
    config = dict(config or {})
    url = resolve_database_url(config.pop("DATABASE_URL", None))
    app.config.update(
        DATABASE_URL=url,
        SECRET_KEY=config.pop("SECRET_KEY", None) or secret_key_for(url),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="reqtrace_session",
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session, so a long demo never loses a form
        LOGIN_ATTEMPTS=10,  # failed logins per user and address...
        LOGIN_WINDOW_SECONDS=15 * 60,  # ...within this window, before logins are refused for a while
    )
    app.config.update(config)

    from web import (access_log, auth, baselines, common, db, errors, help, home, items, projects, ranking, scripts,
                     security, sessions, trace, weights, workbooks)

    db.init_app(app)
    common.init_app(app)
    security.init_app(app)
    access_log.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (auth, home, projects, items, trace, baselines, workbooks, scripts, sessions, ranking, weights,
                   help):
        app.register_blueprint(module.blueprint)
    security.check_every_view_declares_a_permission(app)
    return app
