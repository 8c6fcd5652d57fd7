"""Trace analysis from the command line: checks for CI, review, impact, the matrix."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.readiness import assess
from reqtrace.services.projects import get_project
from reqtrace.services.suspects import review_links
from reqtrace.trace import check, impact, trace_matrix
from reqtrace.trace.graph import hid_key
from reqtrace.trace.load import load_graph
from reqtrace.workflow import ADMIN


@main.group("trace")
def trace_group() -> None:
    """Trace analysis of the strategy -> role -> process -> requirement chain.

    Example: reqtrace trace check --project crm --json
    """


@command(trace_group, "check")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def trace_check(project_key: str, as_json: bool) -> None:
    """Report trace findings; exit 1 when any requirement is technology-driven,
    any strategy unsupported or any link suspect.

    Example: reqtrace trace check --project crm --json
    """
    from reqtrace.poc.scripts import rescore_needed

    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        report = check(load_graph(session, project))
        readiness = assess(project.readiness)
        rescore = rescore_needed(session, project)
    # Steps needing a re-score are reported, but do not fail the check: the chain itself is sound.
    data = {"project": project_key, **report.as_dict(), "readiness": readiness.as_dict(), "rescore_needed": rescore}
    if as_json:
        emit_json(data)
    else:
        _print_report(data)
    raise SystemExit(1 if report.violations else 0)


def _print_report(data: dict) -> None:
    counts = data["counts"]
    click.echo(f"Project {data['project']}: {counts['strategy']} strategies, {counts['role']} roles, "
               f"{counts['process']} processes, {counts['requirement']} requirements.")
    sections = [
        ("technology_driven", "Technology-driven requirements (reach no strategy)"),
        ("unsupported_strategies", "Unsupported strategies"),
        ("suspect_links", "Suspect links (upstream changed since review)"),
        ("strategies_without_sponsor", "Strategies without an executive sponsor"),
        ("strategies_without_kpi", "Strategies without a KPI"),
        ("roles_without_strategy", "Roles that serve no strategy"),
        ("roles_without_process", "Roles that run no process"),
        ("processes_without_role", "Processes no role runs"),
        ("processes_without_requirement", "Processes no requirement supports"),
    ]
    for key, title in sections:
        if data[key]:
            click.echo(f"{title}: {len(data[key])}")
            for entry in data[key]:
                reason = data["reasons"].get(entry) if key == "unsupported_strategies" else None
                click.echo(f"  {entry}" + (f" ({reason})" if reason else ""))
    balance = data["capability_balance"]
    shares = ", ".join(f"{name} {share:.0%}" for name, share in balance["shares"].items())
    click.echo(f"Capability balance: {shares}.")
    for warning in balance["warnings"] + data["readiness"]["warnings"]:
        click.echo(f"warning: {warning}")
    if data["rescore_needed"]:
        click.echo(f"Re-score needed ({len(data['rescore_needed'])} step(s) changed since their script was issued):")
        for entry in data["rescore_needed"][:20]:
            click.echo(f"  {entry['vendor']} v{entry['version']} {entry['step']}: {', '.join(entry['changed'])} "
                       "changed")
    click.echo("OK: no violations." if data["ok"] else "Violations found.")


@command(trace_group, "review")
@click.argument("item_id")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def trace_review(item_id: str, project_key: str, as_json: bool) -> None:
    """Review the links into and out of ITEM_ID, clearing their suspect flag.

    The command line acts as the CRM lead here: it reviews every suspect link
    into and out of ITEM_ID, whoever owns the items.

    Example: reqtrace trace review STR-1 --project crm
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        # Whoever runs the command line has the database itself: the CRM lead's review, as docs/cli.md says.
        reviewed = review_links(session=session, project=project, hid=item_id, actor=context.actor,
                                role=ADMIN).reviewed
    if as_json:
        emit_json({"project": project_key, "id": item_id, "reviewed": reviewed})
    elif reviewed:
        click.echo(f"Reviewed {len(reviewed)} link(s): {', '.join(reviewed)}.")
    else:
        click.echo(f"No suspect link into or out of {item_id}.")


@command(trace_group, "impact")
@click.argument("item_id")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def trace_impact(item_id: str, project_key: str, as_json: bool) -> None:
    """List everything downstream of ITEM_ID.

    Example: reqtrace trace impact STR-2 --project crm
    """
    from reqtrace.poc.impact import poc_impact

    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        graph = load_graph(session, project)
        try:
            result = impact(graph, item_id)
        except KeyError:
            from reqtrace.cli.base import fail

            fail(f"no item {item_id} in project {project_key}", as_json=as_json)
        below = result.get("requirements", [item_id] if result["kind"] == "requirement" else [])
        result.update(poc_impact(session, project, below))
    if as_json:
        emit_json(result)
        return
    for key in ("roles", "processes", "requirements"):
        if key in result:
            click.echo(f"{key.capitalize()} ({len(result[key])}): {', '.join(result[key]) or '-'}")
    steps = sorted({f"{entry['step']} (v{entry['version']})" for entry in result["steps"]}, key=hid_key)
    click.echo(f"POC steps ({len(steps)}): {', '.join(steps) or '-'}")
    if result["scores"]:
        click.echo(f"Re-score needed if {item_id} changes ({len(result['scores'])} recorded step score(s)):")
        for entry in result["scores"]:
            click.echo(f"  {entry['vendor']}, {entry['session_title']}: {entry['step']} "
                       f"({entry['entries']} entries by {entry['evaluators']} evaluator(s))")


@command(trace_group, "matrix")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def trace_matrix_command(project_key: str, as_json: bool) -> None:
    """Print the trace matrix: each requirement with its processes, roles and strategies.

    Example: reqtrace trace matrix --project crm --json
    """
    with session_scope(obj().engine()) as session:
        rows = trace_matrix(load_graph(session, get_project(session, project_key)))
    if as_json:
        emit_json({"project": project_key, "rows": rows})
        return
    for row in rows:
        flags = (" [technology-driven]" if row["technology_driven"] else "") + (" [suspect]" if row["suspect"] else "")
        click.echo(f"{row['id']:<8} {','.join(row['strategies']):<14} {','.join(row['roles']):<16} "
                   f"{','.join(row['processes']):<16} {row['title']}{flags}")
