"""The Flask application for requirement owners, procurement, evaluators and the CRM lead."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from reqtrace.config import resolve_database_url, secret_key_for
from reqtrace.schemas import MAX_ID

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _proxies(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"REQTRACE_TRUSTED_PROXIES is {text!r}: give the number of proxies in front (0, 1, …)")
    return int(text)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in a URL: a number an id column can hold. A larger one is no page (404), never a 500 from the
    database driver (PostgreSQL's INTEGER ids are 32-bit; a query naming a larger number fails)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; nothing is created at import time."""
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseIdConverter  # before any blueprint adds its rules
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
        # Proxies in front that set X-Forwarded-For/-Proto/-Host (0: none; trust nothing a client claims).
        TRUSTED_PROXIES=_proxies(os.environ.get("REQTRACE_TRUSTED_PROXIES", "0")),
    )
    app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a TLS-terminating proxy: HTTPS is what the browser used (so the session cookie is Secure and
        # HSTS is sent), and the client's address, not the proxy's, counts failed logins.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from web import (access_log, account, approvals, auth, baselines, common, db, errors, help, home, items, projects,
                     ranking, scripts, security, sessions, trace, users, vendors, weights, workbooks)

    db.init_app(app)
    common.init_app(app)
    security.init_app(app)
    access_log.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (auth, home, projects, items, approvals, trace, baselines, vendors, workbooks, scripts, sessions,
                   ranking, weights, users, account, help):
        app.register_blueprint(module.blueprint)
    security.check_every_view_declares_a_permission(app)
    return app
