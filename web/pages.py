"""Registering views: every page gets a JSON twin, every view a permission.

    @page(blueprint, "/p/<key>/matrix", "matrix.html")
    def matrix(key): return {...}      # /p/<key>/matrix and /p/<key>/matrix.json

The twin of a path ending in "/" (the home page) is that path + "index.json".

A page function returns plain data (dicts, lists, strings, numbers), which
the HTML template renders and the twin returns as JSON, so both always agree.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any, Callable

from flask import Blueprint, Response, abort, jsonify, render_template
from flask_login import current_user

from reqtrace.workflow import action_phrase, role_may


def page(blueprint: Blueprint, rule: str, template: str, *, permission: str = "read") -> Callable:
    def decorate(build: Callable[..., Any]) -> Callable:
        name = build.__name__

        def html_view(**kwargs):
            data = build(**kwargs)
            if isinstance(data, Response) or (isinstance(data, tuple) and isinstance(data[0], Response)):
                return data
            status = data.pop("_status", 200)  # a page shown again with what was refused, e.g. 400
            return render_template(template, **data), status

        def json_view(**kwargs):
            data = build(**kwargs)
            if isinstance(data, Response):
                return data
            status = data.pop("_status", 200) if isinstance(data, dict) else 200
            return jsonify(jsonable(data)), status

        json_rule = rule + "index.json" if rule.endswith("/") else rule + ".json"
        for view, endpoint, path in ((html_view, name, rule), (json_view, f"{name}_json", json_rule)):
            view.__name__ = endpoint
            view.__doc__ = build.__doc__
            guarded = _guard(view, permission)
            blueprint.add_url_rule(path, endpoint, guarded, methods=["GET"])
        return build
    return decorate


def action(blueprint: Blueprint, rule: str, *, permission: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """A state-changing view (CSRF-checked by Flask-WTF)."""
    def decorate(view: Callable) -> Callable:
        guarded = _guard(view, permission)
        blueprint.add_url_rule(rule, view.__name__, guarded, methods=list(methods))
        return guarded
    return decorate


def _guard(view: Callable, permission: str) -> Callable:
    @functools.wraps(view)
    def guarded(**kwargs):
        if not role_may(current_user.role, permission):
            abort(403, description=f"Your role ({current_user.role_label}) may not {action_phrase(permission)}.")
        return view(**kwargs)
    guarded.permission = permission
    return guarded


def refuse(message: str, status: int, *, back: str, back_label: str = "Back", project: dict | None = None):
    """A refused form: a page saying why, with the status code, and a way back (nothing was saved)."""
    from flask import render_template

    return render_template("refused.html", message=message, back=back, back_label=back_label,
                           project=project), status


def field_errors(error, fields) -> dict[str, list[str]]:
    """A service's refusal (Invalid) as messages per form field; a problem with no field of the form goes
    under "" (shown above the form)."""
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault(problem.field if problem.field in fields else "", []).append(problem.message)
    return errors


def require(allowed: bool, message: str) -> None:
    """Item-level permission: 403 with `message` unless `allowed`."""
    if not allowed:
        abort(403, description=message)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "__html__"):
        return str(value)
    return value
