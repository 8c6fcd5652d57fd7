"""Scoring vendors from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from reqtrace.cli.base import check_output, command, emit_json, fail, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.scoring.decision import STABILITY_SAMPLES, STABILITY_SEED, decision_checks, settled
from reqtrace.scoring.load import score_project
from reqtrace.scoring.report import build_report, write_report
from reqtrace.services.projects import get_project


@command(main, "score")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--details", is_flag=True, help="With --json: every requirement's score and evidence too.")
@click.option("--samples", default=STABILITY_SAMPLES, show_default=True, type=click.IntRange(1, 100_000),
              help="Monte Carlo samples for rank stability.")
@click.option("--seed", default=STABILITY_SEED, show_default=True, type=int,
              help="Seed for rank stability: the same seed gives the same answer.")
@json_option
def score_command(project_key: str, details: bool, samples: int, seed: int, as_json: bool) -> None:
    """Score and rank the project's vendors (the model is in docs/scoring.md).

    Example: reqtrace score --project crm --json
    """
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        data, results = score_project(session, project)
    checks = decision_checks(data.requirements, results, samples=samples, seed=seed)
    if as_json:
        emit_json({"project": project_key, "scope": data.scope.label,
                   "settings": data.settings.__dict__, "strategy_weights": data.strategy_weights,
                   "vendors": [result.as_dict(details=details) for result in results], "checks": checks})
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
    click.echo(f"Rank stability ({samples} samples, weights ×U(0.8, 1.2), seed {seed}): "
               + _first_places(results, checks["rank_stability"]["first_place_share"]))
    click.echo(f"Evaluator spread of 2 or more: {len(checks['evaluator_spread'])} requirement scores"
               f"{_settled(checks['evaluator_spread'])}; claims the demo did not back: "
               f"{len(checks['claims_not_backed'])}.")


def _settled(spreads: list[dict]) -> str:
    count = settled(spreads)
    return f" ({count} settled by a consensus score)" if count else ""


def _first_places(results: list, shares: dict[str, float]) -> str:
    """Who ranks first how often; said in words when nobody can."""
    if not results:
        return "no vendors to rank"
    firsts = ", ".join(f"{vendor} first in {share:.0%}" for vendor, share in shares.items() if share)
    if firsts:
        return firsts
    if all(result.knocked_out for result in results):
        return "no vendor ranks first: every vendor is knocked out"
    return "no vendor ranks first: no requirement counts"


@command(main, "report")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="FILE.html (self-contained) or FILE.md.")
@click.option("--samples", default=STABILITY_SAMPLES, show_default=True, type=click.IntRange(1, 100_000),
              help="Monte Carlo samples for rank stability.")
@click.option("--seed", default=STABILITY_SEED, show_default=True, type=int, help="Seed for rank stability.")
@json_option
def report_command(project_key: str, output: str, samples: int, seed: int, as_json: bool) -> None:
    """Write the decision report for the steering committee: ranking, knock-outs, strategies, checks, evidence.

    Example: reqtrace report --project crm -o decision.html
    """
    if Path(output).suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
        fail(f"{output}: the report is written as FILE.html (one self-contained page) or FILE.md (Markdown); "
             "name the file with one of those endings", as_json=as_json)
    check_output(output, as_json=as_json)
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        report = build_report(session, project, samples=samples, seed=seed)
    path = write_report(report, output)
    if as_json:
        emit_json({"project": project_key, "file": str(path), "format": "markdown" if path.suffix.lower() in
                   (".md", ".markdown") else "html", "ranking": [{"vendor": v["vendor"], "rank": v["rank"],
                                                                 "total": v["total"], "knocked_out": v["knocked_out"]}
                                                                for v in report["ranking"]]})
        return
    click.echo(f"Wrote the decision report for {project_key} to {path}.")
