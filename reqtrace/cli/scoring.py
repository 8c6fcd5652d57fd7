"""Scoring vendors from the command line."""

from __future__ import annotations

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.scoring.load import score_project
from reqtrace.services.projects import get_project


@command(main, "score")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--details", is_flag=True, help="With --json: every requirement's score and evidence too.")
@json_option
def score_command(project_key: str, details: bool, as_json: bool) -> None:
    """Score and rank the project's vendors (the model is in docs/scoring.md).

    Example: reqtrace score --project crm --json
    """
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        data, results = score_project(session, project)
    if as_json:
        emit_json({"project": project_key, "scope": data.scope.label,
                   "settings": data.settings.__dict__, "strategy_weights": data.strategy_weights,
                   "vendors": [result.as_dict(details=details) for result in results]})
        return
    click.echo(f"Scored on {data.scope.label} ({len(data.requirements)} requirements).")
    for result in results:
        state = "KNOCKED OUT" if result.knocked_out else ""
        click.echo(f"{result.rank:>2}. {result.vendor:<12} {result.total:6.2f}  must-haves {result.must_subtotal:6.2f}"
                   f"  {state}")
        for reason in result.knockout_reasons[:5]:
            click.echo(f"      - {reason}")
        if len(result.knockout_reasons) > 5:
            click.echo(f"      … and {len(result.knockout_reasons) - 5} more reasons")
