"""Baselines from the command line."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.services.baselines import (
    CURRENT,
    baseline_state,
    compare,
    create_baseline,
    links_outside,
    list_baselines,
    outside_note,
    resolve_state,
)
from reqtrace.services.projects import get_project


@main.group("baseline")
def baseline_group() -> None:
    """Baselines: frozen, named copies of the approved chain.

    Example: reqtrace baseline create "POC issue 1" --project crm
    """


@command(baseline_group, "create")
@click.argument("name")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--note", default="", help="Why this baseline was made.")
@json_option
def baseline_create(name: str, project_key: str, note: str, as_json: bool) -> None:
    """Freeze the project's approved items under NAME.

    Example: reqtrace baseline create "POC issue 1" --project crm
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        baseline = create_baseline(session, project, name=name, note=note, actor=context.actor)
        result = {"project": project_key, "name": baseline.name, "counts": baseline.counts,
                  "links_outside": links_outside(baseline_state(session, baseline))}
    if as_json:
        emit_json(result)
    else:
        counts = result["counts"]
        click.echo(f"Baseline {baseline.name!r} frozen: {counts['strategy']} strategies, {counts['role']} roles, "
                   f"{counts['process']} processes, {counts['requirement']} requirements.")
        if result["links_outside"]:
            click.echo(outside_note(result["links_outside"]))


@command(baseline_group, "list")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def baseline_list(project_key: str, as_json: bool) -> None:
    """List a project's baselines, newest first.

    Example: reqtrace baseline list --project crm
    """
    with session_scope(obj().engine()) as session:
        rows = [{"name": b.name, "created_at": b.created_at.isoformat(), "created_by": b.created_by,
                 "note": b.note, "counts": b.counts} for b in list_baselines(session, get_project(session, project_key))]
    if as_json:
        emit_json({"project": project_key, "baselines": rows})
        return
    for row in rows:
        click.echo(f"{row['name']:<24} {row['created_at'][:16]}  {row['created_by']:<14} "
                   f"{row['counts'].get('requirement', 0)} requirements")


@command(baseline_group, "compare")
@click.argument("old")
@click.argument("new", default=CURRENT)
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def baseline_compare(old: str, new: str, project_key: str, as_json: bool) -> None:
    """Items added, removed and changed from baseline OLD to NEW (another baseline, or "current").

    Example: reqtrace baseline compare "POC issue 1" current --project crm
    """
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        result = compare(resolve_state(session, project, old), resolve_state(session, project, new))
    if as_json:
        emit_json({"project": project_key, "from": old, "to": new, **result})
        return
    counts = result["counts"]
    click.echo(f"{old} -> {new}: {counts['added']} added, {counts['removed']} removed, {counts['changed']} changed.")
    for entry in result["added"]:
        click.echo(f"  + {entry['id']} {entry['title']}")
    for entry in result["removed"]:
        click.echo(f"  - {entry['id']} {entry['title']}")
    for entry in result["changed"]:
        click.echo(f"  ~ {entry['id']}: {', '.join(change['field'] for change in entry['changes'])}")
