"""CSRF, security headers, secure cookies over HTTPS, and the login gate on every view."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# Endpoints anyone may reach; every other view declares a permission (see web.pages).
PUBLIC_ENDPOINTS = {"auth.login", "static", "home.health", "sessions.service_worker"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
])


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.session_interface = HttpsAwareSessionInterface()
    app.before_request(_require_login)
    app.after_request(_headers)


def wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if request.method == "GET" and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(401)  # web.errors answers: JSON, or for a browser's form a page that keeps what was typed


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def check_every_view_declares_a_permission(app: Flask) -> None:
    """Refuse to start with a view that forgot its role check."""
    missing = [endpoint for endpoint, view in app.view_functions.items()
               if endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, "permission")]
    if missing:
        raise RuntimeError(f"views without a declared permission: {', '.join(sorted(missing))}")
