"""Error pages (and JSON errors for JSON requests) that say what went wrong."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from reqtrace.services.errors import Invalid, NotFound
from web.security import wants_json


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(NotFound, lambda error: _render(404, "Not found", str(error)))
    # A refusal no view expected (say, a hand-edited setting the scoring cannot use): say what, not "500".
    app.register_error_handler(Invalid, lambda error: _render(409, "Cannot be shown", str(error)))
    app.register_error_handler(HTTPException, _http)


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
