"""Excel workbooks in and out: the requirement catalogue, vendor questionnaires, the scoring record."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from reqtrace.cli.base import check_output, command, emit_json, fail, json_option, main, obj
from reqtrace.db import session_scope
from reqtrace.formats import FormatError
from reqtrace.formats.layout import is_reqtrace_workbook
from reqtrace.formats.requirements_export import export_requirements
from reqtrace.formats.requirements_import import ImportOptions, import_requirements
from reqtrace.formats.xlsx_reader import check_workbook
from reqtrace.services.projects import get_project
from reqtrace.services.sync import ACTION_DONE


@main.group("import")
def import_group() -> None:
    """Read workbooks into a project.

    Example: reqtrace import requirements catalogue.xlsx --project crm --dry-run
    """


@main.group("export")
def export_group() -> None:
    """Write workbooks from a project.

    Example: reqtrace export requirements --project crm -o crm.xlsx
    """


class TerminalProgress:
    """Progress on stderr (only on a terminal), so stdout keeps exactly the result."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.monotonic()
        self.showing = False  # a progress line waits for its end of line

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        seconds = time.monotonic() - self.started
        line = f"\r{stage}: {done:,} of {total:,} rows ({seconds:.1f} s)" if total > 1 else f"\r{stage}… ({seconds:.1f} s)"
        click.echo(line.ljust(60), err=True, nl=False)
        self.showing = True

    def done(self) -> None:
        """End the progress line, so the summary or an error starts on a line of its own; safe to call twice."""
        if self.showing:
            click.echo("", err=True)
            self.showing = False


SHOWN_ITEMS = 10  # per action in a summary; --json lists them all

progress_option = click.option("--progress/--no-progress", default=None,
                               help="Progress on stderr (default: on a terminal).")


def _reporter(progress: bool | None) -> TerminalProgress:
    """As --progress or --no-progress say; by default only on a terminal, so pipes and logs stay clean."""
    return TerminalProgress(sys.stderr.isatty() if progress is None else progress)


@command(import_group, "requirements")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_key", required=True, help="Project key; created when new.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--map", "mapping", multiple=True, metavar="'COLUMN=FIELD'",
              help="Map a column to a field (id, title, statement, acceptance, priority, kind, capability, "
                   "weight, tags, excluded_deployments, timebox_minutes, owner, status, links), or to "
                   "'custom' or 'ignore'. Repeatable.")
@click.option("--sheet", "sheets", multiple=True,
              help="Workbooks from other tools: read only this sheet. Repeatable.")
@click.option("--header-row", type=click.IntRange(1, 1_048_576), default=None,
              help="Workbooks from other tools: the header's row number (from 1).")
@progress_option
@json_option
def import_requirements_command(file: Path, project_key: str, dry_run: bool, mapping: tuple[str, ...],
                                sheets: tuple[str, ...], header_row: int | None, progress: bool | None,
                                as_json: bool) -> None:
    """Import a requirements workbook: reqtrace's own, or one made by another tool.

    Everything is validated and compared first; any error writes nothing.
    A reqtrace workbook (sheets Strategies, Roles, Processes, Requirements)
    adds, changes and retires items of every level; any other workbook adds
    and changes requirements, mapping its columns by name.

    Example: reqtrace import requirements vendor-list.xlsx --project crm --map "Req text=statement" --dry-run
    """
    if sheets or header_row is not None:
        _refuse_options_for_reqtrace_workbook(file, sheets, header_row, as_json=as_json)
    context = obj()
    reporter = _reporter(progress)
    options = ImportOptions(mapping=list(mapping), sheets=list(sheets), header_row=header_row)
    try:
        with session_scope(context.engine(create=True, dry_run=dry_run), write=not dry_run) as session:
            summary = import_requirements(session, project_key, file, actor=context.actor, dry_run=dry_run,
                                          options=options, progress=reporter)
            if not summary["applied"]:
                session.rollback()
    except FormatError as error:
        reporter.done()
        _refuse_file(error, as_json=as_json)
    finally:
        reporter.done()  # also before an error message
    summary["project"] = project_key
    if as_json:
        emit_json(summary)
    else:
        _print_summary(summary, dry_run=dry_run)
    raise SystemExit(1 if summary["errors"] else 0)


def _refuse_file(error: FormatError, *, as_json: bool) -> None:
    """A file refused before any row was read: the import summary shape, with the one error."""
    if as_json:
        emit_json({"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0,
                   "errors": [{"sheet": None, "row": None, "column": None, "message": str(error)}],
                   "warnings": []})
        raise SystemExit(1)
    fail(error)


def _refuse_options_for_reqtrace_workbook(file: Path, sheets: tuple[str, ...], header_row: int | None, *,
                                          as_json: bool) -> None:
    """--sheet and --header-row choose what to read of another tool's workbook; a reqtrace workbook is read whole.

    Refused rather than ignored, naming the workbook's sheets, so `--sheet Nope` never passes unnoticed.
    """
    names = _sheet_names(file)
    if names is None or not is_reqtrace_workbook(names):
        return  # another tool's workbook (or no workbook at all, which the import itself refuses)
    given = [option for option, used in (("--sheet", sheets), ("--header-row", header_row is not None)) if used]
    options, verb = " and ".join(given), "apply" if len(given) > 1 else "applies"
    _refuse_file(FormatError(f"{options} {verb} to workbooks from other tools; {file.name} is a reqtrace workbook "
                             f"(sheets {', '.join(names)}), whose level sheets are all read: leave out {options}"),
                 as_json=as_json)


def _sheet_names(file: Path) -> list[str] | None:
    """The names of a workbook's sheets, without reading them; None when the file is no workbook to open."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        check_workbook(file)  # the same safety checks as any workbook opened
        workbook = CalamineWorkbook.from_path(str(file))
        try:
            return list(workbook.sheet_names)
        finally:
            workbook.close()
    except (FormatError, OSError, CalamineError, PasswordError):  # the import says what is wrong with it
        return None


def _print_summary(summary: dict, *, dry_run: bool) -> None:
    """One screen: the counts, the first problems, the first changes."""
    verb = "Would import" if dry_run or not summary["applied"] else "Imported"
    kind = "reqtrace workbook" if summary["format"] == "reqtrace" else "workbook from another tool"
    click.echo(f"{verb} {summary['rows']:,} rows of a {kind} into '{summary['project']}': "
               f"{summary['added']} added, {summary['changed']} changed, {summary['unchanged']} unchanged, "
               f"{summary['removed']} retired.")
    _print_problems(summary, unwritten="nothing was written")
    for action, verb in ACTION_DONE.items():
        items = [item for item in summary["items"] if item["action"] == action]
        for item in items[:SHOWN_ITEMS]:
            click.echo(f"  {verb} {item['id']}{_what(item)}")
        if len(items) > SHOWN_ITEMS:
            click.echo(f"  … and {len(items) - SHOWN_ITEMS} more {verb} items (use --json for all)")


def _what(item: dict) -> str:
    """After an item's ID: a new item's title, a changed item's changed fields."""
    if item["action"] == "change":
        return ": " + ", ".join(change["field"] for change in item["changes"])
    title = next((field["value"] for field in item.get("fields", []) if field["field"] == "title"), "")
    return f": {title}" if title else ""


def _print_problems(summary: dict, *, unwritten: str) -> None:
    """The first errors of an import (on stderr, saying what was not saved), then its first warnings."""
    errors = summary["errors"]
    if errors:
        click.echo(f"{len(errors)} error(s); {unwritten}:", err=True)
        for error in errors[:15]:
            click.echo(f"  {_where(error)}{error['message']}", err=True)
        if len(errors) > 15:
            click.echo(f"  … and {len(errors) - 15} more (use --json for all)", err=True)
    for warning in summary["warnings"][:8]:
        click.echo(f"  warning: {_where(warning)}{warning['message']}")


def _where(entry: dict) -> str:
    parts = [f"sheet {entry['sheet']}" if entry.get("sheet") else "",
             f"row {entry['row']}" if entry.get("row") else "",
             f"column {entry['column']}" if entry.get("column") else ""]
    where = ", ".join(part for part in parts if part)
    return f"{where}: " if where else ""


@command(export_group, "requirements")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@progress_option
@json_option
def export_requirements_command(project_key: str, output: Path, progress: bool | None, as_json: bool) -> None:
    """Export the project's strategies, roles, processes and requirements as a workbook.

    One sheet per level with stable IDs, links as ID lists, dropdowns on the
    enumerated columns and locked ID columns; import it back after editing.

    Example: reqtrace export requirements --project crm -o crm-requirements.xlsx
    """
    context = obj()
    if output.suffix.lower() != ".xlsx":
        fail(f"{output.name}: the workbook must be an .xlsx file", as_json=as_json)
    check_output(output, as_json=as_json)
    reporter = _reporter(progress)
    try:
        with session_scope(context.engine()) as session:
            project = get_project(session, project_key)
            result = export_requirements(session, project, output, actor=context.actor, progress=reporter)
    finally:
        reporter.done()  # also before an error message
    result["file"] = str(output)
    if as_json:
        emit_json(result)
    else:
        counts = ", ".join(f"{n} {sheet.lower()}" for sheet, n in result["sheets"].items())
        click.echo(f"Wrote {output}: {counts}.")


@command(export_group, "questionnaire")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--vendor", "vendor_slug", required=True, help="The vendor it is for.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@progress_option
@json_option
def export_questionnaire_command(project_key: str, vendor_slug: str, output: Path, progress: bool | None,
                                 as_json: bool) -> None:
    """Write the questionnaire a vendor answers: the requirements of the latest
    baseline (or the approved ones), locked, with an answer dropdown.

    Example: reqtrace export questionnaire --project crm --vendor atlas -o atlas-questionnaire.xlsx
    """
    from reqtrace.formats.questionnaire_export import export_questionnaire
    from reqtrace.services.vendors import get_vendor

    context = obj()
    if output.suffix.lower() != ".xlsx":
        fail(f"{output.name}: the workbook must be an .xlsx file", as_json=as_json)
    check_output(output, as_json=as_json)
    reporter = _reporter(progress)
    try:
        with session_scope(context.engine(), write=True) as session:
            project = get_project(session, project_key)
            result = export_questionnaire(session, project, get_vendor(session, project, vendor_slug), output,
                                          actor=context.actor, progress=reporter)
    finally:
        reporter.done()  # also before an error message
    result["file"] = str(output)
    if as_json:
        emit_json(result)
    else:
        source = f"baseline {result['baseline']}" if result["baseline"] else "the approved requirements"
        click.echo(f"Wrote {output}: {result['rows']} requirements from {source} for {vendor_slug}.")


@command(import_group, "responses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("--vendor", "vendor_slug", required=True, help="The vendor whose answers these are.")
@click.option("--dry-run", is_flag=True, help="Check the answers; store nothing.")
@progress_option
@json_option
def import_responses_command(file: Path, project_key: str, vendor_slug: str, dry_run: bool, progress: bool | None,
                             as_json: bool) -> None:
    """Read a vendor's answered questionnaire; it replaces all of that vendor's answers.

    Refused when it was issued to another vendor, project or baseline, when
    its locked requirement text was changed, or when an answer is not one of
    the six; then nothing is stored.

    Example: reqtrace import responses atlas-answers.xlsx --project crm --vendor atlas
    """
    from reqtrace.formats.questionnaire_import import import_responses
    from reqtrace.services.vendors import get_vendor

    context = obj()
    reporter = _reporter(progress)
    try:
        with session_scope(context.engine(), write=not dry_run) as session:
            project = get_project(session, project_key)
            summary = import_responses(session, project, get_vendor(session, project, vendor_slug), file,
                                       actor=context.actor, dry_run=dry_run, progress=reporter)
            if not summary["applied"]:
                session.rollback()
    except FormatError as error:
        reporter.done()
        _refuse_file(error, as_json=as_json)
    finally:
        reporter.done()  # also before an error message
    if as_json:
        emit_json(summary)
    else:
        _print_responses_summary(summary)
    raise SystemExit(1 if summary["errors"] else 0)


def _print_responses_summary(summary: dict) -> None:
    """One screen, like the requirements import's: the counts, the first problems."""
    verb = "Stored" if summary["applied"] else "Would store" if not summary["errors"] else "Refused"
    rows = summary.get("rows", 0)
    read = f" from {rows:,} rows" if rows else ""  # none when refused before the rows were read
    click.echo(f"{verb} {summary['answered']:,} answers of {summary['vendor']}{read} into '{summary['project']}': "
               f"{summary['added']} new, {summary['changed']} changed, {summary['unchanged']} unchanged, "
               f"{summary['removed']} removed.")
    _print_problems(summary, unwritten="nothing was stored")


@command(export_group, "scores")
@click.option("--project", "project_key", required=True, help="Project key.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx file to write.")
@progress_option
@json_option
def export_scores_command(project_key: str, output: Path, progress: bool | None, as_json: bool) -> None:
    """Write the scoring record: evidence and score per vendor and requirement,
    totals as live formulas, knock-outs with reasons, per-strategy roll-ups and a chart.

    Example: reqtrace export scores --project crm -o crm-scores.xlsx
    """
    from reqtrace.formats.scores_export import export_scores

    context = obj()
    if output.suffix.lower() != ".xlsx":
        fail(f"{output.name}: the workbook must be an .xlsx file", as_json=as_json)
    check_output(output, as_json=as_json)
    reporter = _reporter(progress)
    try:
        with session_scope(context.engine()) as session:
            result = export_scores(session, get_project(session, project_key), output, progress=reporter)
    finally:
        reporter.done()  # also before an error message
    result["file"] = str(output)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Wrote {output}: {result['vendors']} vendors × {result['requirements']} requirements, "
                   f"scored on {result['scope']}.")
