"""Scripted demonstrations, evaluator checklists and automated probes from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from reqtrace.cli.base import check_output, command, emit_json, fail, json_option, main, obj
from reqtrace.cli.workbooks import _print_problems, _refuse_file, export_group, import_group
from reqtrace.db import session_scope
from reqtrace.formats import FormatError
from reqtrace.schemas import MAX_ID
from reqtrace.services.projects import get_project
from reqtrace.services.vendors import get_vendor


VERSION = click.IntRange(1, MAX_ID)  # script versions count from 1; past MAX_ID no database holds one


@main.group("script")
def script_group() -> None:
    """POC scripts: the scripted demonstration every vendor performs.

    Example: reqtrace script build --project crm --vendor atlas -o vendor_scripts/atlas/
    """


def _write_script(session, project, script, output: Path, vendor=None) -> list[str]:
    from reqtrace.poc.render import to_html, to_markdown
    from reqtrace.poc.scripts import read_version

    content = read_version(session, script)
    output.mkdir(exist_ok=True)  # DIR itself may be new; its folder must exist (checked before any work)
    stem = f"poc-script-v{script.version}"
    markdown, html = output / f"{stem}.md", output / f"{stem}.html"
    name = vendor.name if vendor else None
    markdown.write_text(to_markdown(content, project_name=project.name, vendor_name=name), encoding="utf-8")
    html.write_text(to_html(content, project_name=project.name, vendor_name=name), encoding="utf-8")
    return [str(markdown), str(html)]


@command(script_group, "build")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--baseline", default=None, help="Baseline to script (default: the latest, else the approved set).")
@click.option("--vendor", "vendor_slug", default=None, help="Also issue the new version to this vendor.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the script (Markdown and print-friendly HTML), created when missing in a folder "
                   "that exists; vendor_scripts/<vendor>/ by custom.")
@json_option
def script_build(project_key: str, baseline: str | None, vendor_slug: str | None, output: Path,
                 as_json: bool) -> None:
    """Generate a new version of the POC script: a scenario per process, a step per requirement.

    Every must-have is proved by a step; each step has an instruction, the
    expected outcome, the requirements it proves and a timebox.

    Example: reqtrace script build --project crm --vendor atlas -o vendor_scripts/atlas/
    """
    from reqtrace.poc.scripts import build_version, issue_to_vendor, read_version, script_coverage

    check_output(output, as_json=as_json)
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        vendor = get_vendor(session, project, vendor_slug) if vendor_slug else None
        script = build_version(session, project, actor=context.actor, baseline=baseline)
        if vendor is not None:
            issue_to_vendor(session, project, script, vendor, actor=context.actor)
        content = read_version(session, script)
        gaps = script_coverage(session, project, content)
        files = _write_script(session, project, script, output, vendor)
    steps = sum(len(scenario["steps"]) for scenario in content["scenarios"])
    result = {"project": project_key, "version": script.version, "baseline": script.baseline,
              "vendor": vendor_slug, "scenarios": len(content["scenarios"]), "steps": steps,
              "minutes": content["minutes"], "unproved": gaps["unproved"], "unproved_must": gaps["unproved_must"],
              "files": files}
    if as_json:
        emit_json(result)
        return
    click.echo(f"Built script version {script.version}: {result['scenarios']} scenarios, {steps} steps, "
               f"{content['minutes']} minutes." + (f" Issued to {vendor_slug}." if vendor_slug else ""))
    click.echo(f"Wrote {', '.join(files)}.")
    if gaps["unproved_must"]:
        click.echo(f"warning: must-haves no step proves: {', '.join(gaps['unproved_must'])}", err=True)


@command(script_group, "issue")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--vendor", "vendor_slug", required=True, help="The vendor to hand it to.")
@click.option("--version", "version", type=VERSION, default=None, help="Script version (default: the latest).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the issued script (created when missing; the folder it is in must exist).")
@json_option
def script_issue(project_key: str, vendor_slug: str, version: int | None, output: Path, as_json: bool) -> None:
    """Issue an existing (perhaps edited) script version to a vendor.

    Example: reqtrace script issue --project crm --vendor keystone -o vendor_scripts/keystone/
    """
    from reqtrace.poc.scripts import get_version, issue_to_vendor

    check_output(output, as_json=as_json)
    context = obj()
    with session_scope(context.engine(), write=True) as session:
        project = get_project(session, project_key)
        vendor = get_vendor(session, project, vendor_slug)
        script = get_version(session, project, version)
        issue_to_vendor(session, project, script, vendor, actor=context.actor)
        files = _write_script(session, project, script, output, vendor)
    result = {"project": project_key, "version": script.version, "vendor": vendor_slug, "files": files}
    emit_json(result) if as_json else click.echo(f"Issued version {script.version} to {vendor_slug}: "
                                                 f"{', '.join(files)}.")


@command(script_group, "show")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--version", "version", type=VERSION, default=None, help="Script version (default: the latest).")
@json_option
def script_show(project_key: str, version: int | None, as_json: bool) -> None:
    """Show a script version: scenarios, steps, timeboxes, coverage and steps needing a re-score.

    Example: reqtrace script show --project crm --json
    """
    from reqtrace.poc.render import to_markdown
    from reqtrace.poc.scripts import get_version, read_version, rescore_needed, script_coverage

    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        content = read_version(session, get_version(session, project, version))
        gaps = script_coverage(session, project, content)
        rescore = [entry for entry in rescore_needed(session, project) if entry["version"] == content["version"]]
        name = project.name
    if as_json:
        emit_json({"project": project_key, **content, **gaps, "rescore_needed": rescore})
        return
    click.echo(to_markdown(content, project_name=name))
    if gaps["unproved"]:
        click.echo(f"Requirements no step proves: {', '.join(gaps['unproved'])}")
    for entry in rescore:
        click.echo(f"re-score needed: {entry['step']} for {entry['vendor']} ({', '.join(entry['changed'])} changed)")


@command(export_group, "checklist")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--vendor", "vendor_slug", required=True, help="The vendor whose demo it is for.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@json_option
def export_checklist_command(project_key: str, vendor_slug: str, output: Path, as_json: bool) -> None:
    """Write the evaluators' paper checklist: one row per step of the script issued to the vendor.

    Example: reqtrace export checklist --project crm --vendor atlas -o atlas-checklist.xlsx
    """
    from reqtrace.formats.checklist_export import export_checklist

    if output.suffix.lower() != ".xlsx":
        fail(f"{output.name}: the workbook must be an .xlsx file", as_json=as_json)
    check_output(output, as_json=as_json)
    with session_scope(obj().engine()) as session:
        project = get_project(session, project_key)
        result = export_checklist(session, project, get_vendor(session, project, vendor_slug), output)
    result["file"] = str(output)
    emit_json(result) if as_json else click.echo(f"Wrote {output}: {result['steps']} steps of script version "
                                                 f"{result['script_version']}.")


@command(import_group, "checklist")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--vendor", "vendor_slug", required=True, help="The vendor whose demo it scores.")
@click.option("--evaluator", required=True, help="The evaluator (a user) who filled it in.")
@json_option
def import_checklist_command(file: Path, project_key: str, vendor_slug: str, evaluator: str, as_json: bool) -> None:
    """Record an evaluator's filled-in paper checklist in the vendor's current demo session.

    The session is created when there is none, and the evaluator added to its
    attendees. Importing it again makes its entries the latest.

    Example: reqtrace import checklist lee-atlas.xlsx --project crm --vendor atlas --evaluator lee
    """
    from reqtrace.formats.checklist_import import import_checklist

    context = obj()
    try:
        with session_scope(context.engine(), write=True) as session:
            project = get_project(session, project_key)
            summary = import_checklist(session, project, get_vendor(session, project, vendor_slug), file,
                                       evaluator=evaluator, actor=context.actor)
            if not summary["applied"]:
                session.rollback()
    except FormatError as error:
        _refuse_file(error, as_json=as_json)
    if as_json:
        emit_json(summary)
    else:
        if summary["applied"]:
            click.echo(f"Recorded {summary['added']} entries of {evaluator} for {vendor_slug} "
                       f"(session {summary['session']}).")
        _print_problems(summary, unwritten="nothing was recorded")
    raise SystemExit(1 if summary["errors"] else 0)


@main.group("probe")
def probe_group() -> None:
    """Automated probes of vendor sandboxes in Debian's Chromium.

    Example: reqtrace probe run offline --url https://sandbox.vendor.example/ --vendor atlas --project crm
    """


@command(probe_group, "run")
@click.argument("probe", type=click.Choice(["offline", "offline-edit", "slow-network", "small-screen", "action"]))
@click.option("--url", default="", help="Where the vendor's app is (default: the adapter's base_url).")
@click.option("--adapter", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The vendor adapter (vendor_scripts/<vendor>/adapter.toml): login and actions.")
@click.option("--action", "action_name", default=None, help="For the action probe: the adapter action to run.")
@click.option("--vendor", "vendor_slug", default=None, help="Record the result for this vendor (with --project).")
@click.option("--project", "project_key", default=None, help="The project to record the result in.")
@click.option("--threshold", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="slow-network: seconds until the page must be usable (more than 0).")
@click.option("--evidence-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("evidence"),
              show_default=True, help="Where screenshots and the JSON log go.")
@json_option
def probe_run(probe: str, url: str, adapter: Path | None, action_name: str | None, vendor_slug: str | None,
              project_key: str | None, threshold: float, evidence_dir: Path, as_json: bool) -> None:
    """Run a probe against a vendor's sandbox; exit 0 when it passes, 1 when it fails.

    With --vendor and --project the result is recorded against the project's
    requirements tagged with the probe's name (e.g. offline), where scoring
    uses it: a failed probe caps a requirement's score.

    Example: reqtrace probe run offline --url http://127.0.0.1:8080/ --vendor atlas --project crm
    """
    from reqtrace.probes.adapters import AdapterError, load_adapter
    from reqtrace.probes.record import record_outcome
    from reqtrace.probes.runner import ProbeError, run_probe

    if bool(vendor_slug) != bool(project_key):
        fail("--vendor and --project go together: both, to record the result, or neither", as_json=as_json)
    context = obj()
    try:
        loaded = load_adapter(adapter) if adapter else None
        if not url and loaded is not None and not loaded.base_url:
            fail(f"no web address to probe: give --url, or a base_url in the adapter {adapter}", as_json=as_json)
        if not url and loaded is None and probe not in ("offline-edit", "action"):  # those say they need one
            fail("no web address to probe: give --url, or an adapter with a base_url (--adapter FILE)",
                 as_json=as_json)
        if vendor_slug:  # refuse an unknown vendor before spending time in a browser
            with session_scope(context.engine()) as session:
                get_vendor(session, get_project(session, project_key), vendor_slug)
        outcome = run_probe(probe, url, adapter=loaded, evidence_dir=evidence_dir, threshold_seconds=threshold,
                            action=action_name)
    except (AdapterError, ProbeError) as error:
        fail(error, as_json=as_json)
    result = {**outcome.as_dict(), "recorded": None}  # null: run without --vendor and --project
    if vendor_slug:
        with session_scope(context.engine(), write=True) as session:
            project = get_project(session, project_key)
            recorded = record_outcome(session, project, get_vendor(session, project, vendor_slug), outcome,
                                      actor=context.actor)
            result["recorded"] = {"id": recorded.id, "requirements": recorded.requirements}
    if as_json:
        emit_json(result)
    else:
        click.echo(f"{probe}: {'PASSED' if outcome.passed else 'FAILED'} — {outcome.details.get('reason', '')}")
        click.echo(f"Evidence: {', '.join(outcome.evidence)}")
        if vendor_slug:
            click.echo(f"Recorded for {vendor_slug} against {', '.join(result['recorded']['requirements']) or 'no'} "
                       f"requirement(s) tagged {probe}.")
    raise SystemExit(0 if outcome.passed else 1)
