"""The ranking, the comparison per strategy and per requirement, the evidence behind a score, the report."""

from __future__ import annotations

import math
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup

from reqtrace.model import ProbeResult
from reqtrace.scoring.decision import decision_checks, settled
from reqtrace.scoring.engine import score_vendors
from reqtrace.scoring.load import load_scoring_input, score_one
from reqtrace.scoring.report import BASIS_TEXT, build_report, strategy_chart, to_html, to_markdown
from reqtrace.services.errors import NotFound
from reqtrace.services.evidence import evidence_warnings, requirement_evidence
from reqtrace.services.vendors import get_vendor
from web.common import project_view, scores_project_or_403
from web.db import session
from web.pages import action, page
from web.security import wants_json

blueprint = Blueprint("ranking", __name__)
PER_PAGE = 100
# What-if runs are for reading the ranking, not for studying noise: fewer samples than the report's.
WHAT_IF_SAMPLES = 300


class WhatIfRefused(ValueError):
    """The what-if weights cannot be used; the page shows why, with the saved weights and what was typed."""


def _what_if(strategies: list[str]) -> dict[str, float] | None:
    """Relative importance per strategy from ?w.STR-1=2&w.STR-2=1…, normalised to sum 1; None when not asked.

    A JSON client gets 400; a page raises WhatIfRefused so the view can show the saved ranking again.
    """
    unknown = sorted(name[2:] for name in request.args if name.startswith("w.") and name[2:] not in strategies)
    if unknown:  # a strategy retired, or mistyped in a shared link: its weight would silently count for nothing
        _refuse_what_if(f"{', '.join(unknown)} "
                        f"{'is not an active strategy' if len(unknown) == 1 else 'are not active strategies'}"
                        f" of this project; weigh {', '.join(strategies)}")
    raw = _typed(strategies)
    if not any(raw.values()):
        return None
    values = {}
    for hid, text in raw.items():
        try:
            value = float(text) if text else 1.0
        except ValueError:
            _refuse_what_if(f"the weight of {hid} must be a number, not {text!r}")
        if not math.isfinite(value) or value < 0:
            _refuse_what_if(f"the weight of {hid} must be zero or more")
        values[hid] = value
    largest = max(values.values())
    if largest <= 0:
        _refuse_what_if("give at least one strategy a weight above zero")
    scaled = {hid: value / largest for hid, value in values.items()}  # so that huge weights cannot add up to inf
    total = sum(scaled.values())
    return {hid: value / total for hid, value in scaled.items()}


def _refuse_what_if(message: str) -> None:
    if wants_json():
        abort(400, description=message)
    raise WhatIfRefused(message)


def _typed(strategies: list[str]) -> dict[str, str]:
    """The what-if values as typed, to put back in the form."""
    return {hid: request.args.get(f"w.{hid}", "").strip() for hid in strategies}


def _scored(project):
    db = session()
    data = load_scoring_input(db, project)
    strategies = data.graph.active("strategy")
    try:
        what_if, refused = _what_if([node.hid for node in strategies]), ""
    except WhatIfRefused as error:
        what_if, refused = None, str(error)
    weights = what_if if what_if is not None else data.strategy_weights
    results = score_vendors(data.requirements, data.vendors, data.evidence, settings=data.settings,
                            strategy_weights=weights)
    return data, strategies, what_if, weights, results, refused


@page(blueprint, "/p/<key>/ranking", "ranking.html", permission="ranking")
def index(key: str):
    """The ranking with knock-outs and their reasons, scores per strategy, decision checks; what-if weights."""
    project = scores_project_or_403(key)
    data, strategies, what_if, weights, results, refused = _scored(project)
    checks = decision_checks(data.requirements, results, samples=WHAT_IF_SAMPLES if what_if else 1000)
    counted = [r for r in data.requirements if results and results[0].requirements[r.hid].weight > 0]
    strategy_rows = [{"id": node.hid, "title": node.title, "sponsor": node.attrs.get("sponsor") or "",
                      "weight": (weights or {}).get(node.hid),
                      "relative": round((weights or {}).get(node.hid, 0) * len(weights), 3) if weights else 1.0,
                      "requirements": sum(1 for r in counted if node.hid in r.strategies)}
                     for node in strategies]
    strategy_rows = [row for row in strategy_rows if row["requirements"]]
    ranking = [{**result.as_dict(), "imbalance": checks["imbalance"][result.vendor],
                "first_place_share": checks["rank_stability"]["first_place_share"][result.vendor],
                "value_per_million": checks["value_for_money"][result.vendor]} for result in results]
    active = {node.hid for node in strategies}
    stale = sorted(set(data.strategy_weights or {}) ^ active) if data.strategy_weights else []
    typed = _typed([node.hid for node in strategies]) if (what_if is not None or refused) else {}
    for row in strategy_rows:  # the form shows the numbers as typed, not renormalised
        row["typed"] = typed.get(row["id"]) or ("1" if typed else None)
    return {"project": project_view(project), "scope": data.scope.label, "settings": dict(data.settings.__dict__),
            "what_if": what_if is not None, "stored_weights": data.strategy_weights, "stale_weights": stale,
            "strategies": strategy_rows, "ranking": ranking, "checks": checks,
            "chart": Markup(strategy_chart({"strategies": strategy_rows, "ranking": ranking})),
            "what_if_error": refused, **evidence_warnings(session(), project, data.graph, [r.hid for r in counted]),
            "spreads_settled": settled(checks["evaluator_spread"]), **({"_status": 400} if refused else {})}


@page(blueprint, "/p/<key>/ranking/requirements", "ranking_requirements.html", permission="ranking")
def requirements(key: str):
    """Vendors side by side per requirement: nᵣ and where it came from; filter by strategy and priority."""
    project = scores_project_or_403(key)
    data, strategies, what_if, weights, results, refused = _scored(project)
    strategy, priority = request.args.get("strategy", ""), request.args.get("priority", "")
    rows = []
    for requirement in data.requirements:
        if strategy and strategy not in requirement.strategies:
            continue
        if priority and requirement.priority != priority:
            continue
        weight = results[0].requirements[requirement.hid].weight if results else 0
        rows.append({"id": requirement.hid, "title": requirement.title, "priority": requirement.priority,
                     "weight": weight, "strategies": list(requirement.strategies),
                     "vendors": {result.vendor: {"n": result.requirements[requirement.hid].n,
                                                 "basis": result.requirements[requirement.hid].basis}
                                 for result in results}})
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        number = 1
    pages = max(1, math.ceil(len(rows) / PER_PAGE))
    return {"project": project_view(project), "vendors": [{"slug": r.vendor, "name": r.name,
                                                       "knocked_out": r.knocked_out} for r in results],
            "rows": rows[(number - 1) * PER_PAGE:number * PER_PAGE], "total": len(rows), "page": number,
            "pages": pages, "filters": {"strategy": strategy, "priority": priority},
            "strategies": [{"id": node.hid, "title": node.title} for node in strategies],
            "basis_text": BASIS_TEXT, "what_if_error": refused, **({"_status": 400} if refused else {})}


@page(blueprint, "/p/<key>/ranking/<vendor>/<hid>", "ranking_evidence.html", permission="ranking")
def evidence(key: str, vendor: str, hid: str):
    """One vendor's score on one requirement and every piece of evidence behind it."""
    project = scores_project_or_403(key)
    db = session()
    try:
        seller = get_vendor(db, project, vendor)
    except NotFound as error:
        abort(404, description=str(error))
    data = load_scoring_input(db, project)
    try:
        what_if = _what_if([node.hid for node in data.graph.active("strategy")])
    except WhatIfRefused as refused:
        abort(400, description=str(refused))
    score = score_one(data, seller.slug, hid, what_if if what_if is not None else data.strategy_weights)
    if score is None:
        abort(404, description=f"{hid} is not scored in {data.scope.label}")
    requirement = next(r for r in data.requirements if r.hid == hid)
    found = requirement_evidence(db, project, seller, hid, viewer=current_user.username)
    for probe in found["probes"]:
        probe["files"] = [{"name": Path(path).name,
                           "url": url_for("ranking.probe_file", key=key, result_id=probe["id"], number=index)}
                          for index, path in enumerate(probe["evidence"]) if Path(path).is_file()]
    shown = dict(score.__dict__)  # its evaluator means hold submitted entries only: nothing sealed in them
    for photo in found["photos"]:
        photo["url"] = url_for("sessions.photo", key=key, attachment_id=photo["id"])
    return {"project": project_view(project), "vendor": {"slug": seller.slug, "name": seller.name},
            "requirement": {"id": hid, "title": requirement.title, "priority": requirement.priority,
                            "strategies": list(requirement.strategies), "processes": list(requirement.processes)},
            "score": shown, "basis_text": BASIS_TEXT.get(score.basis, score.basis),
            "settings": dict(data.settings.__dict__), **found}


@action(blueprint, "/p/<key>/probes/<int:result_id>/evidence/<int:number>", permission="ranking", methods=("GET",))
def probe_file(key: str, result_id: int, number: int):
    """A probe's screenshot or log: only files the probe recorded, never an arbitrary path."""
    project = scores_project_or_403(key)
    row = session().get(ProbeResult, result_id)
    if row is None or row.project_id != project.id or not 0 <= number < len(row.evidence or []):
        abort(404)
    path = Path(row.evidence[number])
    kinds = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".json": "application/json"}
    if not path.is_file() or path.suffix.lower() not in kinds:
        abort(404, description="the evidence file is no longer where the probe saved it")
    response = send_file(path.resolve(), mimetype=kinds[path.suffix.lower()])
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@action(blueprint, "/p/<key>/report", permission="ranking", methods=("GET",))
def report(key: str):
    """The decision report as one self-contained HTML file (add ?download=1 to save it)."""
    project = scores_project_or_403(key)
    html = to_html(build_report(session(), project))
    response = Response(html, mimetype="text/html")
    # The report carries its own inline styles: allow those for this document only, and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{project.key}-decision-report.html"'
    return response


@action(blueprint, "/p/<key>/report.md", permission="ranking", methods=("GET",))
def report_markdown(key: str):
    """The decision report as Markdown."""
    project = scores_project_or_403(key)
    response = Response(to_markdown(build_report(session(), project)), mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{project.key}-decision-report.md"'
    return response
