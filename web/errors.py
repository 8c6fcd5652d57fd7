"""Error pages (and JSON errors for JSON requests) that say what went wrong."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, Unauthorized

from reqtrace.formats import FormatError
from reqtrace.services.errors import Invalid, NotFound
from web.security import wants_json

SESSION_ENDED = ("Your login session has ended (you logged out, perhaps in another tab, or it was ended for you), "
                 "so nothing was saved. Log in again in a new tab, then come back here and go back to the form: "
                 "what you typed is still in it.")


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(NotFound, lambda error: _render(404, "Not found", str(error)))
    # A refusal no view expected (say, a hand-edited setting the scoring cannot use): say what, not "500".
    app.register_error_handler(Invalid, lambda error: _render(409, "Cannot be shown", str(error)))
    # A workbook that cannot be written from what is stored (a text stored before the length check, say).
    app.register_error_handler(FormatError, lambda error: _render(409, "The workbook cannot be written",
                                                                  f"{error}. Shorten or correct it and try again."))
    app.register_error_handler(Unauthorized, _log_in_first)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http)


def prefers_html() -> bool:
    """A browser navigating (a form it submits): it asks for HTML before JSON. fetch() sends */*, scripts send
    JSON or nothing: they get JSON."""
    accept = request.accept_mimetypes
    return not wants_json() and accept.quality("text/html") > accept.quality("application/json")


def _log_in_first(error: Unauthorized):
    """401 without a live login. A browser's form gets a page: nothing was saved, log in again in a new tab,
    and a Back that keeps what was typed. Everything else (the checklist's offline sync too) gets JSON."""
    if not prefers_html():
        return jsonify({"error": "log in first"}), 401
    if request.endpoint == "auth.logout":  # "Log out" in a tab whose login already ended: it is done
        return redirect(url_for("auth.login"))
    return render_template("refused.html", title="Not saved: your login has ended", message=SESSION_ENDED,
                           back=_same_site_referrer() or url_for("home.index"), back_label="Back to the form",
                           log_in_again=True), 401


def _too_large(error: RequestEntityTooLarge):
    """An upload past MAX_CONTENT_LENGTH: the body is never read, so name the limit, not the file."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    message = (f"The file is larger than the upload limit of {size}, so it was not read and nothing was "
               f"saved. Remove pictures or unused sheets from it (or split it), then upload it again.")
    if not prefers_html():
        return jsonify({"error": "Upload too large", "message": message}), 413
    referrer = _same_site_referrer()
    return render_template("refused.html", title="Upload too large", message=message,
                           back=referrer or url_for("home.index"),
                           back_label="Back to the upload" if referrer else "Back to the projects"), 413


def _csrf(error: CSRFError):
    return _render(400, "The form expired or was not sent by this site",
                   f"{error.description} Reload the page and try again; nothing was saved.")


def _http(error: HTTPException):
    titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed here", 413: "Upload too large",
              429: "Too many attempts"}
    return _render(error.code or 500, titles.get(error.code, error.name), error.description or "")


def _render(status: int, title: str, message: str):
    if wants_json():
        return jsonify({"error": title, "message": message}), status
    return render_template("error.html", status=status, title=title, message=message), status


def _same_site_referrer() -> str:
    """The page the request came from, as a path on this site (the form), or "" for any other."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
