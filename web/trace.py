"""Trace views: the tree, the matrix, the gaps dashboard, suspect links and impact analysis."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from reqtrace.model import Requirement, Strategy
from reqtrace.poc.impact import poc_impact
from reqtrace.readiness import AREAS, STAGE_COUNT, assess
from reqtrace.services.errors import NotFound, PermissionDenied
from reqtrace.services.items import find_item
from reqtrace.services.suspects import review_link, review_links, suspect_details
from reqtrace.trace import check, impact as impact_of
from reqtrace.trace.graph import BELOW, hid_key
from reqtrace.trace.load import load_graph
from reqtrace.trace.matrix_page import MatrixFilter, matrix_page
from reqtrace.vocab import CAPABILITY, PRIORITY, STATUS
from reqtrace.workflow import may_review, role_may
from web.common import project_or_404, project_view
from web.db import session
from web.pages import action, page, refuse

blueprint = Blueprint("trace", __name__)


@page(blueprint, "/p/<key>/tree", "tree.html")
def tree(key: str):
    """Strategy -> roles -> processes -> requirements, filterable by text; orphans listed apart."""
    project = project_or_404(key)
    graph = load_graph(session(), project)
    text = (request.args.get("q") or "").strip().lower()
    down = {kind: graph.down(kind) for kind in BELOW}
    placed: set[str] = set()

    def node(kind: str, hid: str) -> dict | None:
        item = graph.nodes[kind][hid]
        children = []
        if kind in BELOW:
            for child in sorted(down[kind].get(hid, []), key=hid_key):
                built = node(BELOW[kind], child)
                if built is not None:
                    children.append(built)
        matches = bool(text) and (text in hid.lower() or text in item.title.lower())
        if text and not matches and not children:
            return None
        placed.add(hid)
        entry = {"id": hid, "kind": kind, "title": item.title, "status": item.status, "match": matches}
        if kind == "requirement":
            entry["priority"] = item.attrs.get("priority")
        else:
            entry["children"] = children
        return entry

    strategies = [built for s in graph.active("strategy") if (built := node("strategy", s.hid)) is not None]
    unplaced = {kind: [{"id": n.hid, "title": n.title, "status": n.status} for n in graph.active(kind)
                       if n.hid not in placed and (not text or text in n.hid.lower() or text in n.title.lower())]
                for kind in ("role", "process", "requirement")}
    return {"project": project_view(project), "q": request.args.get("q", ""), "strategies": strategies,
            "unplaced": unplaced}


@page(blueprint, "/p/<key>/matrix", "matrix.html")
def matrix(key: str):
    """The trace matrix, a page at a time, filterable by strategy, priority, capability, tag and status."""
    project = project_or_404(key)
    db = session()
    matrix_filter = MatrixFilter.from_args(request.args)
    result = matrix_page(db, project, matrix_filter, page=request.args.get("page", 1, type=int),
                         per_page=request.args.get("per_page", 50, type=int))
    strategies = [{"id": hid, "title": title} for hid, title in db.exec(
        select(Strategy.hid, Strategy.title).where(Strategy.project_id == project.id, Strategy.status != "retired")
        .order_by(Strategy.seq, Strategy.hid))]
    tags = sorted({tag for (tags,) in db.exec(select(Requirement.tags).distinct()
                                              .where(Requirement.project_id == project.id)) for tag in tags})
    return {"project": project_view(project), **result,
            "options": {"strategies": strategies, "priorities": list(PRIORITY.terms.items()),
                        "capabilities": list(CAPABILITY.terms.items()), "statuses": list(STATUS.terms.items()),
                        "tags": tags}}


@page(blueprint, "/p/<key>/gaps", "gaps.html")
def gaps(key: str):
    """What breaks the chain: technology-driven requirements, unsupported strategies, balance, readiness."""
    project = project_or_404(key)
    graph = load_graph(session(), project)
    report = check(graph)
    titles = {hid: node.title for kind in graph.nodes for hid, node in graph.nodes[kind].items()}
    listed = lambda ids: [{"id": hid, "title": titles.get(hid, "")} for hid in ids]  # noqa: E731
    return {
        "project": project_view(project),
        "technology_driven": listed(report.technology_driven),
        "unsupported_strategies": [{"id": hid, "title": titles.get(hid, ""), "reason": report.reasons[hid]}
                                   for hid in report.unsupported_strategies],
        "strategies_without_sponsor": listed(report.strategies_without_sponsor),
        "strategies_without_kpi": listed(report.strategies_without_kpi),
        "roles_without_strategy": listed(report.roles_without_strategy),
        "roles_without_process": listed(report.roles_without_process),
        "processes_without_role": listed(report.processes_without_role),
        "processes_without_requirement": listed(report.processes_without_requirement),
        "suspect_links": len(report.suspect_links),
        "capability_balance": report.capability_balance,
        "largest_share": max(report.capability_balance["shares"].values(), default=0) or 1,
        "readiness": assess(project.readiness).as_dict(),
        "readiness_stages": {key: stages for key, (_label, stages) in AREAS.items()},
        "stage_count": STAGE_COUNT,
        "may_edit_readiness": role_may(current_user.role, "readiness"),
        "ok": not report.violations,
    }


@page(blueprint, "/p/<key>/suspect", "suspect.html")
def suspect(key: str):
    """Links whose upstream item changed since they were last reviewed, with what changed."""
    project = project_or_404(key)
    links = suspect_details(session(), project)
    for link in links:
        link["may_review"] = may_review(current_user.role, current_user.username, link["to"]["owner"])
    return {"project": project_view(project), "links": links}


@action(blueprint, "/p/<key>/suspect/review", permission="review")
def review(key: str):
    """Review one suspect link ("link"), or those into and out of an item ("item") that this user may review."""
    project = project_or_404(key)
    db = session()
    link, item_id = (request.form.get("link") or "").strip(), (request.form.get("item") or "").strip()
    who = {"actor": current_user.username, "role": current_user.role}
    try:
        if link:
            reviewed = review_link(session=db, project=project, link=link, **who)
            done, left = ([link] if reviewed else []), []
        elif item_id:
            result = review_links(session=db, project=project, hid=item_id, **who)
            done, left = result.reviewed, result.left
        else:
            flash("Say which link or item to review.", "error")
            return redirect(url_for("trace.suspect", key=key))
        db.commit()
    except NotFound as error:
        db.rollback()
        return refuse(str(error), 404, back=url_for("trace.suspect", key=key), back_label="Back to the suspect links",
                      project=project_view(project))
    except PermissionDenied as error:
        db.rollback()
        abort(403, description=str(error))
    flash(f"Reviewed {', '.join(done)}." if done else "Nothing was suspect there.", "info")
    for other in left:
        flash(f"Left {other.id} suspect: {other.why}.", "info")
    return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/p/")
                    else url_for("trace.suspect", key=key))


@page(blueprint, "/p/<key>/items/<hid>/impact", "impact.html")
def impact(key: str, hid: str):
    """Everything downstream of an item: what a change to it may affect."""
    project = project_or_404(key)
    kind, item = find_item(session(), project, hid)
    graph = load_graph(session(), project)
    result = impact_of(graph, item.hid)
    titles = {h: n.title for level in graph.nodes for h, n in graph.nodes[level].items()}
    levels = [{"name": name, "entries": [{"id": h, "title": titles.get(h, "")} for h in result[name]]}
              for name in ("roles", "processes", "requirements") if name in result]
    poc = poc_impact(session(), project, result.get("requirements", [item.hid] if kind == "requirement" else []))
    return {"project": project_view(project), "kind": kind, "item": {"id": item.hid, "title": item.title},
            "levels": levels, "links": result["links"], **poc}
