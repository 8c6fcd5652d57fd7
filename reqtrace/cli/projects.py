"""Projects: one CRM selection each."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.services import projects as project_service


@main.group("project")
def project_group() -> None:
    """Projects: one CRM selection each, named by a key in every command and address.

    Example: reqtrace project create acme --name "CRM selection at Acme"
    """


def _described(project) -> dict:
    return {"key": project.key, "name": project.name, "description": project.description,
            "status": project.status}


@command(project_group, "create")
@click.argument("key")
@click.option("--name", default="", help="What people call it (default: the key).")
@click.option("--description", default="", help="What the selection is for.")
@json_option
def project_create(key: str, name: str, description: str, as_json: bool) -> None:
    """Create an empty project, ready for its strategies (the database is created when missing).

    KEY: lowercase letters, digits and dashes, at most 40 characters; it never changes.

    Example: reqtrace project create acme --name "CRM selection at Acme"
    """
    context = obj()
    with session_scope(context.engine(create=True), write=True) as session:
        result = _described(project_service.create_project(session, key=key, name=name, description=description,
                                                           actor=context.actor))
    emit_json(result) if as_json else click.echo(f"Created project {key} ({result['name']}).")


@command(project_group, "edit")
@click.argument("key")
@click.option("--name", default=None, help="A new name.")
@click.option("--description", default=None, help="A new description.")
@json_option
def project_edit(key: str, name: str | None, description: str | None, as_json: bool) -> None:
    """Rename a project or change its description; its key stays.

    Example: reqtrace project edit acme --name "CRM selection, phase 2"
    """
    if name is None and description is None:
        raise click.UsageError("nothing to change: give --name or --description")
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = project_service.get_project(session, key)
        changed = project_service.update_project(session, project, name=name, description=description,
                                                 actor=context.actor)
        result = {**_described(project), "changed": sorted(changed)}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Project {key}: {', '.join(sorted(changed))} changed." if changed
                   else f"Project {key} already had these values: nothing changed.")


@command(project_group, "list")
@json_option
def project_list(as_json: bool) -> None:
    """Every project, by key.

    Example: reqtrace project list --json
    """
    with session_scope(obj().engine()) as session:
        projects = [_described(project) for project in project_service.list_projects(session)]
    if as_json:
        emit_json({"projects": projects})
    elif not projects:
        click.echo("No project yet: create one with `reqtrace project create KEY --name NAME`.")
    else:
        for project in projects:
            click.echo(f"{project['key']:<20} {project['name']}")
