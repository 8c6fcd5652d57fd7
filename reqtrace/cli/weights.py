"""Scoring overrides from the command line: AHP strategy weights and per-project scoring settings."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reqtrace.cli.base import command, emit_json, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.schemas import Problem
from reqtrace.scoring.ahp import JudgementError, pairwise_weights, parse_judgements
from reqtrace.services import strategy_weights as service
from reqtrace.services.errors import Invalid
from reqtrace.services.projects import get_project


@main.group("weights")
def weights_group() -> None:
    """Strategy weights by pairwise comparison (AHP), see docs/scoring.md.

    Example: reqtrace weights pairwise --project crm judgements.csv --dry-run
    """


@command(weights_group, "pairwise")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--dry-run", is_flag=True, help="Compute and show the weights; store nothing.")
@json_option
def weights_pairwise(file: Path, project_key: str, dry_run: bool, as_json: bool) -> None:
    """Weigh the active strategies from pairwise judgements (CSV rows `STR-1,STR-2,3`, or TOML).

    Refused, storing nothing, when a pair is missing or off the 1/9..9 scale, or
    when the consistency ratio CR exceeds 0.10.

    Example: reqtrace weights pairwise --project crm judgements.csv
    """
    context = obj()
    with session_scope(context.engine(), write=not dry_run) as session:
        project = get_project(session, project_key)
        judgements = read_judgements(file)
        result = service.compute_pairwise(session, project, judgements)
        applied = False
        if result.consistent and not dry_run:
            service.apply_pairwise(session, project, judgements, context.actor)
            applied = True
    error = None if result.consistent else service.inconsistency_message(result)
    if as_json:
        document = {"project": project_key, "applied": applied, "dry_run": dry_run, **result.as_dict()}
        if error:
            document.update(ok=False, error=error)
        emit_json(document)
    else:
        _print_result(result)
        if applied:
            click.echo(f"Applied to project {project_key}.")
        elif error is None:
            click.echo("Dry run: nothing stored.")
        else:
            click.echo(f"error: {error}", err=True)
    if error:
        sys.exit(1)


@command(weights_group, "show")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def weights_show(project_key: str, as_json: bool) -> None:
    """Show the project's strategy weights, the judgements they came from and their consistency.

    Example: reqtrace weights show --project crm --json
    """
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        active = service.active_strategies(session, project)
        weights = dict((project.settings or {}).get("strategy_weights") or {})
        judgements = service.stored_judgements(project)
    consistency = None
    if weights and judgements:
        try:
            consistency = pairwise_weights(list(weights), judgements)
        except JudgementError:
            consistency = None
    document = {"project": project_key, "strategy_weights": weights or None,
                "strategy_judgements": [{"a": a, "b": b, "value": value} for (a, b), value in judgements.items()],
                "consistency": {key: value for key, value in consistency.as_dict().items() if key != "weights"}
                if consistency else None,
                "unweighted": [hid for hid in active if weights and hid not in weights],
                "inactive_weighted": [hid for hid in weights if hid not in active]}
    if as_json:
        emit_json(document)
        return
    if not weights:
        click.echo(f"No strategy weights in project {project_key}: every strategy counts alike.")
        return
    if consistency is not None:
        _print_result(consistency)
    else:
        _print_weights(weights)
    for key, label in (("unweighted", "active strategies without a weight (their requirements keep their own "
                                      "weight)"), ("inactive_weighted", "weighted strategies no longer active")):
        if document[key]:
            click.echo(f"Note: {label}: {', '.join(document[key])}. Run `weights pairwise` again.")


@command(weights_group, "clear")
@click.option("--project", "project_key", required=True, help="Project key.")
@json_option
def weights_clear(project_key: str, as_json: bool) -> None:
    """Remove the strategy weights: requirements count with their own weights again.

    Example: reqtrace weights clear --project crm
    """
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        cleared = service.clear_strategy_weights(session, project, context.actor)
    if as_json:
        emit_json({"project": project_key, "cleared": cleared})
    else:
        click.echo(f"Cleared the strategy weights of {project_key}." if cleared
                   else f"Project {project_key} has no strategy weights.")


@main.group("settings")
def settings_group() -> None:
    """Per-project settings; every change is recorded in the audit trail.

    Example: reqtrace settings scoring --project crm --claim-factor 0.4
    """


@command(settings_group, "scoring")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--claim-factor", type=float, default=None, help="Share of a claim that counts undemonstrated "
                                                                "(0..1, default 0.5).")
@click.option("--knockout-threshold", type=float, default=None, help="A must-have below this nᵣ knocks the vendor "
                                                                      "out (0..1, default 0.4).")
@click.option("--probe-cap", type=float, default=None, help="nᵣ cap after a failed probe (0..1, default 0.2).")
@json_option
def settings_scoring(project_key: str, claim_factor: float | None, knockout_threshold: float | None,
                     probe_cap: float | None, as_json: bool) -> None:
    """Show or override the project's scoring settings (with no option: show them).

    Example: reqtrace settings scoring --project crm --knockout-threshold 0.5 --json
    """
    context = obj()
    given = {"claim_factor": claim_factor, "knockout_threshold": knockout_threshold, "probe_cap": probe_cap}
    with session_scope(context.engine(), write=any(value is not None for value in given.values())) as session:
        project = get_project(session, project_key)
        changed = False
        if any(value is not None for value in given.values()):
            changed = service.set_scoring_settings(session, project, context.actor, **given)
        current = service.scoring_settings(project)
    if as_json:
        emit_json({"project": project_key, "changed": changed, **current})
        return
    for name, value in current["scoring"].items():
        source = "project" if name in current["overrides"] else "default"
        click.echo(f"{name:<20} {value:g}  ({source})")
    if changed:
        click.echo(f"Saved for project {project_key}.")


def read_judgements(path: Path) -> dict[tuple[str, str], float]:
    """A judgement file: `.toml` is TOML, anything else CSV (see docs/scoring.md)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        return parse_judgements(text, format="toml" if path.suffix.lower() == ".toml" else "csv")
    except JudgementError as error:
        raise Invalid([Problem(str(path), str(error))]) from None


def _print_result(result) -> None:
    _print_weights(result.weights)
    click.echo(f"λmax {result.lambda_max:.4f}, CI {result.ci:.4f}, CR {result.cr:.4f} "
               f"({'consistent' if result.consistent else 'too inconsistent'}: the limit is 0.10)")
    worst = result.most_inconsistent
    if worst is not None and worst.deviation > 1 + 1e-9:
        click.echo(f"Most inconsistent judgement: {worst.describe()}.")


def _print_weights(weights: dict[str, float]) -> None:
    k = len(weights)
    click.echo(f"{'strategy':<10} {'weight':>8} {'k × aₛ':>7}")
    for hid, weight in sorted(weights.items(), key=lambda pair: -pair[1]):
        click.echo(f"{hid:<10} {weight:8.4f} {k * weight:7.3f}")

