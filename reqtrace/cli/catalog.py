"""Checking and loading requirement catalogues."""

from __future__ import annotations

from pathlib import Path

import click

from reqtrace.catalog import default_directory
from reqtrace.catalog.loader import load_catalog, plan_catalog
from reqtrace.catalog.reader import read_catalog
from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.services.projects import ensure_project
from reqtrace.vocab import STATUS


@main.group("catalog")
def catalog_group() -> None:
    """Requirement catalogues: folders of TOML files, one per business area.

    Example: reqtrace catalog load requirements_catalog --project crm
    """


@command(catalog_group, "load")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--project", "project_key", required=True, help="Project key; created when new.")
@click.option("--status", type=click.Choice(STATUS.slugs), default=None,
              help="Status for the loaded items (default: new items are drafts, existing keep theirs).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@json_option
def catalog_load(directory: Path | None, project_key: str, status: str | None, dry_run: bool,
                 as_json: bool) -> None:
    """Validate every file in DIRECTORY, then add and update its items.

    A catalogue with any problem loads nothing. Changed items keep their
    links, which become suspect until reviewed (`reqtrace trace review`).
    Without DIRECTORY, the catalogue shipped with reqtrace is loaded.

    Example: reqtrace catalog load requirements_catalog --project crm --status approved
    """
    catalog = read_catalog(directory or default_directory())
    if not catalog.ok:
        summary = {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0,
                   "errors": [problem.as_dict() for problem in catalog.problems],
                   "warnings": [warning.as_dict() for warning in catalog.warnings], "items": [],
                   "project": project_key}
        if as_json:
            emit_json(summary)
        else:
            click.echo(f"The catalogue in {catalog.directory} has {len(catalog.problems)} problem(s); "
                       "nothing was loaded:", err=True)
            for problem in catalog.problems:
                click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    context = obj()
    with session_scope(context.engine(create=True, dry_run=dry_run), write=not dry_run) as session:
        project, created = ensure_project(session, project_key, actor=context.actor)
        if dry_run:
            summary = plan_catalog(session, None if created else project, catalog, status=status) \
                .summary(applied=False)
            session.rollback()
        else:
            summary = load_catalog(session, project, catalog, actor=context.actor, status=status)
            if summary["errors"]:
                session.rollback()  # not even the new project: a refused load writes nothing
    summary["project"] = project_key
    if as_json:
        emit_json(summary)
        raise SystemExit(1 if summary["errors"] else 0)
    if summary["errors"]:  # the plan refused: nothing was (or would be) written
        click.echo(f"{len(summary['errors'])} problem(s); nothing was loaded:", err=True)
        for error in summary["errors"]:
            place = (error.get("file") or "") + (f":{error['line']}" if error.get("line") else "")
            click.echo("  " + " ".join(part for part in (place, error.get("item"), error["message"]) if part),
                       err=True)
        raise SystemExit(1)
    verb = "Would load" if dry_run else "Loaded"
    click.echo(f"{verb} {len(catalog.items)} items from {len(catalog.files)} file(s) into '{project_key}': "
               f"{summary['added']} added, {summary['changed']} changed, {summary['unchanged']} unchanged.")
    for item in summary["items"]:
        if item["action"] == "change":
            fields = ", ".join(change["field"] for change in item["changes"])
            click.echo(f"  changed {item['id']}: {fields}")
    for warning in summary["warnings"]:
        click.echo(f"  warning: {warning.get('item') or ''} {warning['message']}")


@command(catalog_group, "check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@json_option
def catalog_check(directory: Path | None, as_json: bool) -> None:
    """Validate a catalogue without loading it (exit 1 on any problem).

    Example: reqtrace catalog check my_catalogue/
    """
    catalog = read_catalog(directory or default_directory())
    result = {"ok": catalog.ok, "files": catalog.files,
              "counts": {kind: catalog.count(kind) for kind in ("strategy", "role", "process", "requirement")},
              "errors": [problem.as_dict() for problem in catalog.problems],
              "warnings": [warning.as_dict() for warning in catalog.warnings]}
    if as_json:
        emit_json(result)
    else:
        counts = ", ".join(f"{n} {kind}" for kind, n in result["counts"].items())
        click.echo(f"{catalog.directory}: {len(catalog.files)} file(s), {counts}.")
        for problem in catalog.problems:
            click.echo(f"  error: {problem}")
        for warning in catalog.warnings:
            click.echo(f"  warning: {warning}")
        click.echo("OK" if catalog.ok else f"{len(catalog.problems)} problem(s).")
    raise SystemExit(0 if catalog.ok else 1)
