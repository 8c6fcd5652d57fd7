"""Strategy weights by pairwise comparison (AHP) and the project's scoring settings, for the CRM lead."""

from __future__ import annotations

from itertools import combinations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reqtrace.scoring.ahp import CR_LIMIT, JudgementError, format_value, parse_value
from reqtrace.services.errors import Invalid
from reqtrace.services.strategy_weights import (
    active_strategies,
    apply_pairwise,
    clear_strategy_weights,
    compute_pairwise,
    scoring_settings,
    set_scoring_settings,
    stored_judgements,
)
from reqtrace.services.items import list_items
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, page

blueprint = Blueprint("weights", __name__)
# Saaty's scale, as the form offers it: "a is 5 times as important as b" … "b is 5 times as important as a".
SCALE = ["9", "8", "7", "6", "5", "4", "3", "2", "1", "1/2", "1/3", "1/4", "1/5", "1/6", "1/7", "1/8", "1/9"]


def _result_data(result) -> dict:
    worst = result.most_inconsistent
    return {"weights": result.weights, "lambda_max": result.lambda_max, "ci": result.ci, "cr": result.cr,
            "consistent": result.consistent,
            "most_inconsistent": None if worst is None else {
                "a": worst.a, "b": worst.b, "value": format_value(worst.value),
                "consistent_value": format_value(worst.consistent_value), "text": worst.describe()}}


def _view(project, values: dict[tuple[str, str], str], *, result=None, error: str = "", settings_error: str = ""
          ) -> dict:
    db = session()
    titles = {item.hid: item.title for item in list_items(db, project, "strategy", include_retired=False)}
    strategies = active_strategies(db, project)
    stored = (project.settings or {}).get("strategy_weights") or {}
    return {"project": project_view(project), "strategies": [{"id": hid, "title": titles.get(hid, "")}
                                                         for hid in strategies],
            "pairs": [{"a": a, "b": b, "value": values.get((a, b), "1"), "field": f"pair.{a}.{b}"}
                      for a, b in combinations(strategies, 2)],
            "scale": SCALE, "stored_weights": stored, "cr_limit": CR_LIMIT,
            "result": _result_data(result) if result else None, "error": error, "settings_error": settings_error,
            "settings": scoring_settings(project)}


FIELD_LABELS = {"claim_factor": "Claim factor", "knockout_threshold": "Knock-out threshold",
                "probe_cap": "Failed-probe cap"}


def _said(error: Invalid | JudgementError) -> str:
    """The refusal in the words of the form: its labels, not the internal field names."""
    if isinstance(error, Invalid):
        return "; ".join(f"{FIELD_LABELS[p.field]}: {p.message}" if p.field in FIELD_LABELS else p.message
                         for p in error.problems)
    return str(error)


def _stored_values(project) -> dict[tuple[str, str], str]:
    values = {}
    for (a, b), value in stored_judgements(project).items():
        values[(a, b)] = format_value(value)
        values[(b, a)] = format_value(1 / value)
    return values


@page(blueprint, "/p/<key>/weights", "weights.html", permission="weights")
def index(key: str):
    """Compare the strategies two at a time; the weights, consistency ratio and the scoring settings."""
    project = project_or_404(key)
    values = _stored_values(project)
    result = None
    if values:
        try:
            result = compute_pairwise(session(), project, {pair: parse_value(v, pair) for pair, v in values.items()})
        except Invalid:
            result = None  # strategies changed since: the form shows what is stored, to judge again
    return _view(project, values, result=result)


@action(blueprint, "/p/<key>/weights", permission="weights")
def apply(key: str):
    """Check (with `check`) or apply the judgements; refused with the most inconsistent pair when CR > 0.10."""
    project = project_or_404(key)
    db = session()
    values = {}
    for a, b in combinations(active_strategies(db, project), 2):
        values[(a, b)] = request.form.get(f"pair.{a}.{b}", "").strip()
    try:
        judgements = {pair: parse_value(value, pair) for pair, value in values.items()}
        if request.form.get("check"):
            result = compute_pairwise(db, project, judgements)
            return render_template("weights.html", **_view(project, values, result=result))
        result = apply_pairwise(db, project, judgements, actor=current_user.username)
        db.commit()
    except (Invalid, JudgementError) as error:
        db.rollback()
        result = None
        try:
            result = compute_pairwise(db, project, {p: parse_value(v, p) for p, v in values.items()})
        except (Invalid, JudgementError):
            pass
        return render_template("weights.html", **_view(project, values, result=result, error=_said(error))), 422
    flash(f"Strategy weights applied (CR {result.cr:.3f}). The ranking now uses them.", "info")
    return redirect(url_for("weights.index", key=key))


@action(blueprint, "/p/<key>/weights/clear", permission="weights")
def clear(key: str):
    """Go back to the requirements' own weights."""
    project = project_or_404(key)
    db = session()
    cleared = clear_strategy_weights(db, project, actor=current_user.username)
    db.commit()
    flash("Strategy weights removed." if cleared else "There were no strategy weights.", "info")
    return redirect(url_for("weights.index", key=key))


@action(blueprint, "/p/<key>/settings/scoring", permission="weights")
def settings(key: str):
    """Override the claim factor, knock-out threshold and probe cap (each from 0 to 1), audited."""
    project = project_or_404(key)
    db = session()
    values = {name: (request.form.get(name, "").strip() or None)
              for name in ("claim_factor", "knockout_threshold", "probe_cap")}
    try:
        changed = set_scoring_settings(db, project, current_user.username, **values)
        db.commit()
    except Invalid as error:
        db.rollback()
        # Back to the page with what was typed kept in the form, and the reason beside it.
        view = _view(project, _stored_values(project), settings_error=_said(error))
        view["settings"] = {**view["settings"], "scoring": {name: request.form.get(name, "")
                                                            for name in FIELD_LABELS}}
        return render_template("weights.html", **view), 422
    flash("Scoring settings saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("weights.index", key=key))
