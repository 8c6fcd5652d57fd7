"""Import requirement workbooks: reqtrace's own (a full round-trip) and those made by other tools.

A reqtrace workbook (recognised by its Strategies, Roles, Processes and
Requirements sheets) can add, change and retire items of every level. Any
other workbook only adds and changes requirements: its header row is found
under title blocks, its columns are mapped by name (see `columns`), columns
that map to nothing are kept as custom fields, and rows without an ID get one.

Reading produces `Desired` items plus errors and warnings located by sheet,
row and column; `import_requirements` plans them against the project with the
sync engine and applies the plan only when asked and only without errors.
A row that cannot be read is left out of the plan (never retired for it), and
the rows that can are still planned and checked: one pass reports every problem.

A dry run (a preview) gives `plan_digests`: per item it would add, change or
retire, what exactly it would do. An import given them back (`expected_plan`)
plans again in its own transaction and writes only that same plan, or nothing.
An item saved by someone else between that planning and the write refuses the
import too (`PlanOutdated`): its summary says so, `applied` false, and the
caller rolls its transaction back.

An import follows the rules of the forms (reqtrace.services.editing): a
retired item takes no new links (links it already has stay), and an owner is
an active requirement owner or the CRM lead (an owner left as it was stays,
whatever it names). On top, the importing role's rules (`_apply_role_rules`).
The plan is checked against the project state already loaded and one query
for the user accounts, whatever the number of rows (procurement's rows made
from an older version of their item add one query of the audit trail).
"""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlmodel import Session

from reqtrace.formats import FormatError, Progress, report_rows
from reqtrace.formats.columns import (
    CUSTOM,
    IGNORE,
    MappedColumn,
    find_header,
    map_columns,
    parse_overrides,
    reqtrace_headers,
)
from reqtrace.formats.layout import META_SHEET, SHEETS, is_reqtrace_workbook
from reqtrace.formats.requirements_export import cell_value as export_cell
from reqtrace.formats.requirements_export import project_origin
from reqtrace.formats.xlsx_reader import MAX_UPLOAD_BYTES, Sheet, WorkbookData, column_letter, open_workbook
from reqtrace.model import ITEM_MODELS, LEVELS, LINKS_UP, PREFIXES, AuditEvent, Project, User
from reqtrace.schemas import FIELDS, HID, MAX_HID, split_list, validate_status
from reqtrace.services.errors import Invalid, ServiceError
from reqtrace.services.items import check_hid, kind_of_hid
from reqtrace.services.projects import ensure_project
from reqtrace.services.sync import (
    ACTION_DONE,
    Change,
    Desired,
    ItemPlan,
    PlanOutdated,
    StoredState,
    SyncPlan,
    apply_plan,
    load_state,
    missing_link,
    new_links_to_retired_items,
    plan_sync,
)
from reqtrace.services.users import USERNAME, owner_problem
from reqtrace.trace.graph import hid_key, nogc
from reqtrace.workflow import ADMIN
from reqtrace.words import and_list


TITLE_FROM_STATEMENT = 90  # characters of a statement used as title when a workbook has no title column
FIELD_LABELS = {"statement": "statement", "acceptance": "acceptance criteria", "title": "title"}


@dataclass
class ImportOptions:
    mapping: dict[str, str] = field(default_factory=dict)  # header -> field / custom / ignore
    sheets: list[str] = field(default_factory=list)  # foreign workbooks: only these sheets
    header_row: int | None = None  # foreign workbooks: 1-based header row, when detection fails
    max_bytes: int = MAX_UPLOAD_BYTES
    # The importing user's role: a workbook may not do what that role's forms may not. None: the command line,
    # run by whoever runs the database, like the lead.
    role: str | None = None


@dataclass
class ReadResult:
    format: str  # "reqtrace" or "foreign"
    desired: list[Desired] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[dict[str, Any]] = field(default_factory=list)  # per sheet: header row and column mapping
    versions: dict[tuple[str, str], int] = field(default_factory=dict)  # the versions the workbook was made from
    unchanged: set[tuple[str, str]] = field(default_factory=set)  # rows found identical to the stored item
    metadata: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    # Per sheet, the column each field was read from: a problem found after reading points at its cell.
    columns: dict[str, dict[str, MappedColumn]] = field(default_factory=dict)
    # Rows with errors, left out of the plan: those whose ID was read (their items are not missing from the
    # workbook), and the levels with a row whose ID cell itself is wrong (which item it is cannot be told).
    skipped: set[tuple[str, str]] = field(default_factory=set)
    unidentified: set[str] = field(default_factory=set)
    # The well-formed links of rows left out for other errors: whether what they name exists is checked too, so
    # that one pass reports every problem of a row.
    unchecked_links: list[tuple[str, str | None, list[str], dict[str, Any]]] = field(default_factory=list)


@nogc
def read_requirements_workbook(path: str | Path, options: ImportOptions | None = None,
                               progress: Progress | None = None) -> ReadResult:
    """Read and validate a workbook without touching any database."""
    options = options or ImportOptions()
    return _read(open_workbook(path, max_bytes=options.max_bytes), options, progress, None)


def _read(workbook: WorkbookData, options: ImportOptions, progress: Progress | None,
          state: StoredState | None) -> ReadResult:
    overrides = parse_overrides(options.mapping)
    if progress:
        progress("read", 1, 1)
    if is_reqtrace_workbook(workbook.sheet_names):
        return _read_reqtrace(workbook, overrides, progress, state)
    return _read_foreign(workbook, overrides, options, progress)


@nogc
def import_requirements(session: Session, project_key: str, path: str | Path, *, actor: str, dry_run: bool = False,
                        options: ImportOptions | None = None, progress: Progress | None = None,
                        expected_plan: dict[str, str] | None = None) -> dict[str, Any]:
    """Validate, compare and (unless `dry_run` or on any error) save; returns the import summary.

    A dry run's summary carries `plan_digests`. Given them as `expected_plan` (the apply of a preview), the
    import saves only if it would do exactly that; otherwise it saves nothing and says which items differ.
    """
    options = options or ImportOptions()
    # The workbook is parsed on a second thread while the project's items load: calamine parses in Rust
    # without holding the GIL, and the database read waits on SQLite or the network, so the two overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reqtrace-workbook") as pool:
        opening = pool.submit(open_workbook, path, max_bytes=options.max_bytes)
        project = session.exec(select(Project).where(Project.key == project_key)).scalars().first()
        state = load_state(session, project) if project is not None else None
        workbook = opening.result()
    result = _read(workbook, options, progress, state)
    retire: set[str] = set()
    if result.format == "reqtrace":
        retire = _retirable_levels(result, project, project_key) - result.unidentified
    try:
        if project is None and not dry_run and not result.errors:
            project, _created = ensure_project(session, project_key, actor=actor)
    except ServiceError as error:
        result.errors.append({"sheet": None, "row": None, "column": None, "message": str(error)})
        return _summary(result, None, applied=False)
    # Rows with errors count as present, so nothing is retired for them, but are in no plan.
    skipped = result.skipped - result.unchanged
    plan = plan_sync(session, project, result.desired, retire_missing_kinds=retire, default_status="draft",
                     state=state, unchanged=result.unchanged | skipped)
    if skipped:
        plan.items = [item for item in plan.items
                      if item.action != "unchanged" or (item.kind, item.hid) not in skipped]
    if project is not None and result.format == "reqtrace":
        _keep_items_newer_than_the_workbook(session, project, plan, result)
    exported: dict[tuple[str, str], str] = {}
    if project is not None and options.role not in (None, ADMIN):
        exported = _statuses_as_exported(session, project, plan, result)
    _apply_role_rules(plan, result, options.role, exported)
    if project is not None and result.format == "reqtrace":
        _warn_about_stale_rows(plan, result)
    _refuse_new_links_to_retired_items(plan, result, state)
    _check_links_of_skipped_rows(plan, result)
    if options.role is None or options.role == ADMIN:
        _check_owners(session, plan, result)
    if result.format == "foreign":
        unlinked = sum(1 for item in plan.items if item.action == "add" and not item.links_add)
        if unlinked:
            result.warnings.append({"sheet": None, "row": None, "column": None, "message":
                                    f"{unlinked} new requirement(s) support no process: they arrive as drafts and "
                                    "are technology-driven until you link them to the processes they support"})
    digests = plan_digests(plan) if dry_run or expected_plan is not None else {}
    if expected_plan is not None and digests != expected_plan:
        result.errors.append({"sheet": None, "row": None, "column": None,
                              "message": _plan_changed(expected_plan, digests)})
        return {**_summary(result, plan, applied=False), "preview_outdated": True}
    if result.errors or plan.errors or dry_run:
        summary = _summary(result, plan, applied=False)
        if dry_run and not summary["errors"]:
            summary["plan_digests"] = digests
        return summary
    if progress:
        progress("save", 0, len(plan.items))
    try:
        apply_plan(session, project, plan, actor=actor)
    except PlanOutdated as error:  # an item was saved since it was read: the caller rolls back (applied false)
        result.errors.append({"sheet": None, "row": None, "column": None, "message": str(error)})
        summary = _summary(result, plan, applied=False)
        return {**summary, "preview_outdated": True} if expected_plan is not None else summary
    if progress:
        progress("save", len(plan.items), len(plan.items))
    return _summary(result, plan, applied=True)


def plan_digests(plan: SyncPlan) -> dict[str, str]:
    """Per item the plan adds, changes or retires ("requirement REQ-12"): its action and a digest of all it does.

    The digest covers the item's status, each field's change (before and after), the links it gains and loses,
    the version it changes from, and a new item's values: two plans with the same digests write the same.
    """
    digests = {}
    for item in plan.items:
        if item.action == "unchanged":
            continue
        what = [item.status, item.version_before, [[change.field, change.before, change.after]
                                                   for change in item.changes],
                item.links_add, item.links_remove, item.values if item.action == "add" else None]
        text = json.dumps(what, sort_keys=True, default=str, ensure_ascii=False)
        digests[f"{item.kind} {item.hid}"] = f"{item.action} {hashlib.sha256(text.encode()).hexdigest()[:20]}"
    return digests


def _plan_changed(previewed: dict[str, str], planned: dict[str, str]) -> str:
    """The refusal of an apply whose plan is no longer its preview's, naming the first items that differ."""
    def order(key: str) -> tuple:
        kind, hid = key.split(" ", 1)
        return LEVELS.index(kind), hid_key(hid)

    differences = []
    for key in sorted(previewed.keys() | planned.keys(), key=order):
        before, now = previewed.get(key), planned.get(key)
        if before == now:
            continue
        hid = key.split(" ", 1)[1]
        shown, doing = (ACTION_DONE.get(value.split(" ")[0], "changed") if value else None for value in (before, now))
        if before is None:
            differences.append(f"{hid} would now be {doing} too")
        elif now is None:
            differences.append(f"{hid} would no longer be {shown}")
        elif shown != doing:
            differences.append(f"{hid} would now be {doing}, not {shown}")
        else:
            differences.append(f"{hid} would be {doing} differently")
    listed = "; ".join(differences[:5]) + (f"; and {len(differences) - 5} more" if len(differences) > 5 else "")
    return f"the project changed since the preview ({listed}): preview the workbook again; nothing was imported"


# --- reqtrace workbooks -----------------------------------------------------------------------

def _read_reqtrace(workbook: WorkbookData, overrides: dict[str, str], progress: Progress | None,
                   state: StoredState | None) -> ReadResult:
    result = ReadResult(format="reqtrace")
    result.metadata = _metadata(workbook)
    by_name = {name.strip().lower(): name for name in workbook.sheet_names}
    for kind in LEVELS:
        sheet = workbook.sheets[by_name[SHEETS[kind][0].lower()]]
        if not sheet.rows:
            continue
        columns = map_columns(sheet, 0, overrides, known=reqtrace_headers(kind))
        result.sheets.append(_describe(sheet, 0, columns))
        if not any(column.field == "id" for column in columns):
            result.errors.append(_where(sheet, 1, None, "the ID column is missing: it must be the first column"))
            continue
        for column in columns:
            if column.field == CUSTOM and kind != "requirement":
                result.warnings.append(_where(sheet, 1, column, f"column {column.header!r} is not part of the "
                                                                f"{sheet.name} sheet; it was ignored"))
        stored = (state.items[kind], state.links.get(kind, {})) if state is not None else None
        _read_rows(sheet, kind, columns, 1, result, foreign=False, progress=progress, stored=stored)
    return result


def _metadata(workbook: WorkbookData) -> dict[str, str]:
    sheet = workbook.sheets.get(META_SHEET)
    if sheet is None:
        return {}
    return {str(row[0]): str(row[1]) for row in sheet.rows if len(row) >= 2 and row[0]}


def _retirable_levels(result: ReadResult, project: Project | None, project_key: str) -> set[str]:
    """Items missing from a reqtrace workbook are retired, but never another project's.

    Another project is one of another key, or one of the same key in another reqtrace database: the
    workbook's origin (`project_origin`) is not this project's. A workbook without an origin (exported
    before reqtrace wrote one) is judged by its project key alone.
    """
    source = result.metadata.get("project")
    if project is not None and source and source != project_key:
        result.errors.append({"sheet": META_SHEET, "row": None, "column": None, "message":
                              f"this workbook was exported from project {source!r}; importing it into "
                              f"{project_key!r} would retire that project's items. Import it into {source!r}, "
                              "or into a new project"})
        return set()
    origin, ours = result.metadata.get("origin"), project_origin(project) if project is not None else None
    if ours is not None and origin and origin != ours:
        when, who = result.metadata.get("exported_at"), result.metadata.get("exported_by")
        made = "".join(part for part in (f" on {when[:10]}" if when else "", f" by {who}" if who else ""))
        result.errors.append({"sheet": META_SHEET, "row": None, "column": None, "message":
                              f"this workbook was exported from project {source or project_key!r} of another "
                              f"reqtrace database (origin {origin}{', exported' + made if made else ''}), not "
                              f"from {project_key!r} of this one (origin {ours}): importing it would overwrite "
                              "this project's items with that database's and retire those it does not hold. "
                              "Import it into a new project instead, or export this project's workbook and "
                              "make the changes there"})
        return set()
    return set(LEVELS)


def _keep_items_newer_than_the_workbook(session: Session, project: Project, plan: SyncPlan,
                                        result: ReadResult) -> None:
    """An item created after the export is missing from the workbook, not deleted in it: keep it."""
    exported_at = result.metadata.get("exported_at")
    if not exported_at:
        return
    try:
        moment = datetime.fromisoformat(exported_at)
    except ValueError:
        return
    newer: set[tuple[str, str]] = set()
    for kind in LEVELS:
        model = ITEM_MODELS[kind]
        for (hid,) in session.exec(select(model.hid).where(model.project_id == project.id,
                                                           model.created_at > moment)):
            newer.add((kind, hid))
    kept = [item for item in plan.items if item.action == "remove" and (item.kind, item.hid) in newer]
    if kept:
        plan.items = [item for item in plan.items if item not in kept]
        result.warnings.append({"sheet": None, "row": None, "column": None, "message":
                                f"{len(kept)} item(s) created after this workbook was exported were kept: "
                                + ", ".join(item.hid for item in kept[:10]) + ("…" if len(kept) > 10 else "")})


def _apply_role_rules(plan: SyncPlan, result: ReadResult, role: str | None,
                      exported: dict[tuple[str, str], str]) -> None:
    """What the forms refuse a role, an import refuses it too; an approved item changed goes back to draft.

    Only the CRM lead approves, retires and assigns owners. Procurement imports workbooks but edits no item in a
    form, so its import proposes: new items arrive as drafts with no owner, changed approved items go back to
    draft for the lead's approval, and statuses, owners and retirements in the workbook are refused. A Status
    left as exported (`exported`: the status a stale row's item had at the row's version) is no change of
    status, even when the lead has changed the item's status since: the stored status stays.
    """
    if role is None or role == ADMIN:
        return
    for item in plan.items:
        where = item.where or {"sheet": SHEETS[item.kind][0], "row": None, "column": None}
        if item.action == "remove":
            plan.errors.append({**where, "message": f"{item.hid} is not in the workbook, which would retire it: "
                                "only the CRM lead retires items; put its row back"})
        elif item.action == "add":
            if item.status != "draft":
                plan.errors.append({**_cell(result, item, "status"), "message": f"{item.hid} would arrive as "
                                    f"{item.status}: new items arrive as drafts, and only the CRM lead approves; "
                                    "clear its Status"})
            if item.values.get("owner"):
                plan.errors.append({**_cell(result, item, "owner"), "message": _owner_not_yours(
                    result, item, f"new {item.kind} {item.hid} names {item.values['owner']!r} as its owner",
                    "leave the cell empty")})
        elif item.action == "change":
            refused = False
            status = next((change for change in item.changes if change.field == "status"), None)
            if status is not None:
                as_exported = exported.get((item.kind, item.hid), status.before)
                if status.after == as_exported:  # left as exported; the lead changed the status since
                    item.changes.remove(status)
                    item.status = status.before
                    result.warnings.append({**_cell(result, item, "status"), "message": f"{item.hid} was "
                                            f"{as_exported} when this workbook was made and is {status.before} "
                                            "now: its Status, left as exported, changes nothing (the stored "
                                            f"status, {status.before}, counts)"})
                    if not item.changes:
                        item.action = "unchanged"
                        continue
                else:
                    refused = True
                    plan.errors.append({**_cell(result, item, "status"), "message": f"{item.hid}: only the CRM "
                                        f"lead changes an item's status; put its Status back as exported "
                                        f"({as_exported})"})
            if any(change.field == "owner" for change in item.changes):
                refused = True
                owner = item.values.get("owner")
                plan.errors.append({**_cell(result, item, "owner"), "message": _owner_not_yours(
                    result, item, f"{item.hid}'s owner would change to {repr(owner) if owner else 'nobody'}",
                    _owner_back(item))})
            if not refused and item.status == "approved":
                item.changes.append(Change("status", "approved", "draft"))
                item.status = "draft"
                result.warnings.append({**where, "message": f"{item.hid} was approved; this change sends it back "
                                        "to draft until the CRM lead approves it again"})


def _statuses_as_exported(session: Session, project: Project, plan: SyncPlan,
                          result: ReadResult) -> dict[tuple[str, str], str]:
    """The status each item had when its row was exported, where the row is older than the item (its Version is
    below the stored one) and its Status differs from the stored status.

    Every change of an item is audited with the version it changes and, when its status changes, the status
    it leaves (a form's event holds the whole item, an import's the fields it changed): the first record at or
    after the row's version that names a status holds the one exported. An item with none has kept its status
    since. One query, for those rows only.
    """
    stale: dict[tuple[str, str], int] = {}
    for item in plan.items:
        version = result.versions.get((item.kind, item.hid))
        if item.action == "change" and version is not None and item.version_before is not None \
                and item.version_before > version and any(change.field == "status" for change in item.changes):
            stale[(item.kind, item.hid)] = version
    if not stale:
        return {}
    found: dict[tuple[str, str], tuple[int, str]] = {}
    events = session.exec(select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.before).where(
        AuditEvent.project_id == project.id, AuditEvent.entity_type.in_({kind for kind, _hid in stale}),
        AuditEvent.entity_id.in_({hid for _kind, hid in stale})))
    for kind, hid, before in events:
        version = stale.get((kind, hid))
        if version is None or not isinstance(before, dict) or not before.get("status"):
            continue
        left = before.get("version")
        if isinstance(left, int) and left >= version and ((kind, hid) not in found or left < found[(kind, hid)][0]):
            found[(kind, hid)] = (left, before["status"])
    return {key: status for key, (_version, status) in found.items()}


def _owner_not_yours(result: ReadResult, item: ItemPlan, what: str, fix: str) -> str:
    """Procurement's workbook names an owner: say who assigns owners and how to import the rest."""
    message = f"{what}, but only the CRM lead assigns owners: {fix}"
    column = _column(result, item, "owner")
    if result.format == "foreign" and column is not None:
        message += (f", or map the column {column.header!r} to a custom field (to keep the names as text) "
                    "or ignore it")
    return message


def _owner_back(item: ItemPlan) -> str:
    before = next((change.before for change in item.changes if change.field == "owner"), None)
    return f"put its owner back to {before!r}" if before else "leave its owner empty"


def _refuse_new_links_to_retired_items(plan: SyncPlan, result: ReadResult, state: StoredState | None) -> None:
    """A retired item takes no new links (reqtrace.services.links.resolve_upstream); those it has may stay."""
    for item, message in new_links_to_retired_items(plan, state):
        where = {**item.where, "column": item.where.get("link_column", item.where.get("column"))}
        plan.errors.append({**where, "message": message})


def _check_owners(session: Session, plan: SyncPlan, result: ReadResult) -> None:
    """The lead's import (or the command line's): an owner it sets is an active requirement owner or the lead.

    Checked where the forms check it (reqtrace.services.editing): on new items and on owners the workbook
    changes; an owner left as stored stays, whatever it names. One query for every account, however many rows.
    """
    wanted: list[tuple[ItemPlan, str]] = []
    for item in plan.items:
        if item.action == "add" or (item.action == "change" and any(c.field == "owner" for c in item.changes)):
            owner = item.values.get("owner")
            if owner:
                wanted.append((item, owner))
    if not wanted:
        return
    accounts = {username: (role, active) for username, role, active in
                session.exec(select(User.username, User.role, User.active)
                             .where(User.username.in_({owner for _item, owner in wanted})).order_by(User.id)
                             .with_for_update(read=True)).all()}  # the owners named, held until saved (editing)
    problems: dict[str, str | None] = {}
    for item, owner in wanted:
        if owner not in problems:
            problems[owner] = owner_problem(owner, accounts.get(owner))
        if problems[owner] is not None:
            plan.errors.append({**_cell(result, item, "owner"), "message": problems[owner] + _owner_way_out(
                result, item, owner, unknown=owner not in accounts)})


def _owner_way_out(result: ReadResult, item: ItemPlan, owner: str, *, unknown: bool) -> str:
    column = _column(result, item, "owner")
    header = column.header if column is not None else "Owner"
    ways = []
    if unknown and USERNAME.match(owner):
        ways.append(f"create the account first (reqtrace user add {owner} --role owner)")
    ways.append("name an active requirement owner or the CRM lead")
    if result.format == "foreign":
        ways.append(f"map the column {header!r} to a custom field (to keep the names as text) or ignore it")
    elif item.action == "add":
        ways.append("leave the cell empty (the CRM lead assigns an owner later)")
    else:
        ways.append(_owner_back(item))
    return ". To import the row, " + "; or ".join(ways)


def _column(result: ReadResult, item: ItemPlan, name: str) -> MappedColumn | None:
    return result.columns.get(item.where.get("sheet"), {}).get(name)


def _cell(result: ReadResult, item: ItemPlan, name: str) -> dict[str, Any]:
    """Where `item` is, at the cell of its field `name` (the ID cell without such a column)."""
    where = item.where or {"sheet": SHEETS[item.kind][0], "row": None, "column": None}
    column = _column(result, item, name)
    return {**where, "column": column.letter} if column is not None else dict(where)


def _warn_about_stale_rows(plan: SyncPlan, result: ReadResult) -> None:
    current = {(item.kind, item.hid): item for item in plan.items if item.action == "change"}
    for (kind, hid), version in result.versions.items():
        item = current.get((kind, hid))
        if item is not None and item.version_before is not None and item.version_before > version:
            result.warnings.append({**item.where, "message": f"{hid} was changed in reqtrace (now version "
                                    f"{item.version_before}) after this workbook was made from version {version}: "
                                    "importing replaces those changes"})


# --- foreign workbooks ------------------------------------------------------------------------

def _read_foreign(workbook: WorkbookData, overrides: dict[str, str], options: ImportOptions,
                  progress: Progress | None) -> ReadResult:
    result = ReadResult(format="foreign")
    wanted = {name.strip().lower() for name in options.sheets}
    unknown = [name for name in options.sheets if name.strip().lower() not in
               {sheet.lower() for sheet in workbook.sheet_names}]
    if unknown:
        raise FormatError(f"no sheet named {', '.join(unknown)}; the workbook has {', '.join(workbook.sheet_names)}")
    skipped: list[dict[str, Any]] = []  # per sheet no row was read from: where, and why
    hidden: list[str] = []  # hidden sheets that hold something: read only when named with --sheet
    for name in workbook.sheet_names:
        sheet = workbook.sheets[name]
        if wanted and name.lower() not in wanted:
            continue
        blank = not any(any(cell not in ("", None) for cell in row) for row in sheet.rows)
        if not wanted and (sheet.hidden or blank):
            if sheet.hidden and not blank:
                hidden.append(name)
            continue
        header = find_header(sheet, overrides, header_row=options.header_row)
        if header is None:
            skipped.append(_no_header(sheet, options.header_row))
            result.warnings.append(skipped[-1])
            continue
        columns = map_columns(sheet, header, overrides)
        result.sheets.append(_describe(sheet, header, columns))
        if not any(column.field in ("statement", "title") for column in columns):
            skipped.append(_where(sheet, header + 1, None, "no column holds requirement text (map one with "
                                                           "--map 'Column=statement'); the sheet was skipped"))
            result.warnings.append(skipped[-1])
            continue
        rows, read = result.rows, len(result.desired) + len(result.errors)
        _read_rows(sheet, "requirement", columns, header + 1, result, foreign=True, progress=progress)
        if len(result.desired) + len(result.errors) == read:
            skipped.append(_where(sheet, header + 1, None, "no rows below the header row" if result.rows == rows
                                  else "every row below the header row is a section heading (one cell and no "
                                       "requirement text)"))
    if not result.desired and not result.errors:
        _nothing_to_import(result, skipped, hidden)
    return result


def _no_header(sheet: Sheet, header_row: int | None) -> dict[str, Any]:
    if header_row is not None:
        return _where(sheet, None, None, f"--header-row {header_row} is below the last row of the sheet (row "
                                         f"{len(sheet.rows)}); the sheet was skipped. Name its header row with "
                                         "--header-row and map its columns with --map")
    return _where(sheet, None, None, "no header row found in the first rows (looked for columns such as ID, "
                                     "Requirement, Priority); the sheet was skipped. Name its header row with "
                                     "--header-row and map its columns with --map")


def _nothing_to_import(result: ReadResult, skipped: list[dict[str, Any]], hidden: list[str]) -> None:
    """A workbook of another tool none of whose rows could be read is refused: importing nothing is no success.

    One error says so and names the sheets skipped, then each skipped sheet has its own, located, with its reason
    (warnings while another sheet had rows to import).
    """
    names = [entry["sheet"] for entry in skipped]
    if skipped and not result.sheets:
        lead = "no sheet of this workbook has a recognisable header row"
    elif skipped:
        lead = "no sheet of this workbook has rows to import"
    else:
        lead = f"every {'visible ' if hidden else ''}sheet of this workbook is empty"
    details = [f"sheets skipped: {', '.join(repr(name) for name in names)}"] if names else []
    if hidden:
        details.append(f"hidden sheets, not read: {', '.join(repr(name) for name in hidden)} (name one with "
                       "--sheet to read it)")
    message = f"{lead}, so there is nothing to import" + (f" ({'; '.join(details)})" if details else "")
    result.warnings = [warning for warning in result.warnings if not any(warning is entry for entry in skipped)]
    result.errors.extend([{"sheet": None, "row": None, "column": None, "message": message}, *skipped])


# --- rows -------------------------------------------------------------------------------------

def _read_rows(sheet: Sheet, kind: str, columns: list[MappedColumn], first: int, result: ReadResult, *,
               foreign: bool, progress: Progress | None, stored: tuple[dict, dict] | None = None) -> None:
    """Rows to `Desired` items, each cell cleaned by its field's cleaner; problems located by cell.

    With `stored` (a reqtrace workbook going back into its project), a row
    whose cells are exactly what the export writes for the stored item is
    unchanged and skips cleaning: re-importing 10,000 untouched rows costs
    little more than reading them. Written as one tight loop: a large import
    spends most of its time here.
    """
    compare = _comparer(columns, stored) if stored is not None else None
    by_field = {column.field: column for column in columns if column.field not in (CUSTOM, IGNORE)}
    result.columns[sheet.name] = by_field
    customs = [column for column in columns if column.field == CUSTOM] if kind == "requirement" else []
    cleaners = [(column.index, column.field, FIELDS[kind][column.field][0], column) for column in columns
                if column.field in FIELDS[kind] and column.field != "custom_fields"]
    enumerated = {"kind", "capability", "priority", "perspective", "management"}
    id_column, links_column = by_field.get("id"), by_field.get("links")
    status_column, version_column = by_field.get("status"), by_field.get("version")
    upstream_kind = LINKS_UP[kind].upstream if kind in LINKS_UP else None
    fast_id = re.compile(PREFIXES[kind] + r"-[1-9]\d*")
    known_links: dict[str, str] = {}
    formulas = sheet.formulas_without_value
    width = max((column.index for column in columns), default=0) + 1
    rows = sheet.rows
    total = len(rows) - first  # the progress counts the sheet's rows, blank and unchanged ones too
    for index in range(first, len(rows)):
        report_rows(progress, "validate", index - first + 1, total)
        row = rows[index]
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        if not any(cell != "" and cell is not None for cell in row):
            continue
        number = index + 1
        result.rows += 1
        if compare is not None and id_column is not None and (kind, row[id_column.index]) not in result.unchanged \
                and compare(row):
            result.unchanged.add((kind, row[id_column.index]))
            continue
        errors: list[dict[str, Any]] = []
        if formulas:
            for column in columns:
                if (index, column.index) in formulas:
                    result.warnings.append(_where(sheet, number, column, "the cell holds a formula with no "
                                                  "calculated value and was read as empty; open and save the "
                                                  "workbook in Excel or LibreOffice to calculate it"))
        clean: dict[str, Any] = {}
        for column_index, name, cleaner, column in cleaners:
            value = row[column_index]
            if name in enumerated and (value == "" or value is None) and (index, column_index) not in formulas:
                continue  # a blank dropdown: new rows take the default, existing ones keep their value
            kind_of_value = value.__class__
            if kind_of_value is float and value.is_integer():
                value = int(value)
            elif kind_of_value is not str and kind_of_value is not int and kind_of_value is not float:
                value = _as_text(value)  # dates, booleans
            if foreign and name == "title" and kind_of_value is str and "\n" in value.strip():
                # Another tool's multi-line "title" is the requirement's text: keep it, title its first sentence.
                clean.setdefault("statement", value.strip())
                value = _first_sentence(value)
            try:
                clean[name] = cleaner(value)
            except ValueError as error:
                message = f"{column.header}: {error}"
                if (index, column_index) in formulas:
                    message += " (the cell holds a formula with no calculated value)"
                errors.append(_where(sheet, number, column, message))
        if customs:
            clean["custom_fields"] = {column.header: text for column in customs
                                      if (text := _as_text(row[column.index]))}
        raw_id = row[id_column.index] if id_column else ""
        if raw_id.__class__ is str and fast_id.fullmatch(raw_id):
            hid = raw_id
        else:
            hid = _row_id(sheet, kind, id_column, raw_id, number, errors, result, clean, foreign=foreign)
        if foreign:
            if not _fill_title(clean):
                if sum(1 for cell in row if cell != "" and cell is not None) == 1:
                    result.warnings.append(_where(sheet, number, None, "a row with only one cell and no "
                                                  "requirement text looks like a section heading; skipped"))
                else:
                    result.errors.append(_where(sheet, number, by_field.get("statement") or by_field.get("title"),
                                                "the row has no requirement text"))
                    result.errors.extend(errors)  # and whatever else is wrong in it, in one pass
                    _skip(result, kind, hid, raw_id)
                continue
        upstream = None
        if links_column is not None and upstream_kind is not None:
            upstream = []
            for raw in split_list(_as_text(row[links_column.index])):
                canonical = known_links.get(raw)
                if canonical is None:
                    try:
                        canonical = known_links[raw] = check_hid(upstream_kind, raw)
                    except Invalid as error:
                        errors.append(_where(sheet, number, links_column,
                                             f"{links_column.header}: {error.problems[0].message}"))
                        continue
                upstream.append(canonical)
        status = None
        if status_column is not None and row[status_column.index] not in ("", None):
            try:
                status = validate_status(_as_text(row[status_column.index]))
            except ValueError as error:
                errors.append(_where(sheet, number, status_column, f"{status_column.header}: {error}"))
        if version_column is not None and hid is not None:
            version = row[version_column.index]
            if isinstance(version, (int, float)) and not isinstance(version, bool):
                result.versions[(kind, hid)] = int(version)
        if errors:
            result.errors.extend(errors)
            _skip(result, kind, hid, raw_id)
            if upstream:
                result.unchecked_links.append((upstream_kind, hid, upstream, {
                    "sheet": sheet.name, "row": number, "column": links_column.letter}))
            continue
        if foreign and status not in (None, "draft", "retired") and not upstream:
            result.warnings.append(_where(sheet, number, status_column, f"supports no process, so it arrives as a "
                                                                       f"draft, not {status}: link it, then approve it"))
            status = "draft"
        where = {"sheet": sheet.name, "row": number, "column": id_column.letter if id_column else None}
        if links_column is not None:
            where["link_column"] = links_column.letter
        result.desired.append(Desired(kind=kind, hid=hid, fields=clean, upstream=upstream, status=status,
                                      where=where))


def _check_links_of_skipped_rows(plan: SyncPlan, result: ReadResult) -> None:
    """A row left out for another error still has its links to items that exist neither in the project nor in the
    workbook reported, in the same pass."""
    if not result.unchecked_links:
        return
    skipped: dict[str, set[str]] = {}
    for kind, hid in result.skipped:
        skipped.setdefault(kind, set()).add(hid)
    for upstream_kind, hid, upstream, where in result.unchecked_links:
        for target in upstream:
            if target not in plan.known.get(upstream_kind, ()) and target not in skipped.get(upstream_kind, ()):
                plan.errors.append({**where, "message": missing_link(hid, upstream_kind, target)})


def _skip(result: ReadResult, kind: str, hid: str | None, raw_id: Any) -> None:
    """A row with errors stays out of the plan; its item, when its ID says which, is not missing from the workbook."""
    if hid is not None:
        result.skipped.add((kind, hid))
    elif raw_id not in ("", None):
        result.unidentified.add(kind)


def _comparer(columns: list[MappedColumn], stored: tuple[dict, dict]) -> Callable[[list[Any]], bool]:
    """A test: are this row's cells exactly what the export writes for the stored item with its ID?

    Plain fields are compared inline and the few rendered ones through `export_cell`; a re-import of
    10,000 untouched rows makes this test 10,000 times, so it stays lean.
    """
    items, links = stored
    id_index = next(column.index for column in columns if column.field == "id")
    rendered = {"priority", "steps", "tags", "excluded_deployments"}
    checks = [(column.index, column.field, column.header, column.field in rendered) for column in columns
              if column.field not in ("id", "version", IGNORE)]
    keys: dict[str, tuple] = {}  # hid_key per linked ID: thousands of rows link to the same few hundred

    def sort_key(hid: str) -> tuple:
        key = keys.get(hid)
        if key is None:
            key = keys[hid] = hid_key(hid)
        return key

    def unchanged(row: list[Any]) -> bool:
        hid = row[id_index]
        item = items.get(hid) if hid.__class__ is str else None
        if item is None:
            return False
        for index, name, header, render in checks:
            if render:
                expected = export_cell(name, item)
            elif name == "links":
                expected = ", ".join(sorted(links.get(hid, ()), key=sort_key)) or None
            elif name == CUSTOM:
                expected = (item.get("custom_fields") or {}).get(header) or None
            else:  # export_cell of a plain field, inline
                expected = item.get(name)
                if expected == "":
                    expected = None
            raw = row[index]
            if raw == "" or raw is None:
                if expected is not None:
                    return False
            elif raw != expected and not (raw.__class__ is float and raw == expected):
                return False
        return True
    return unchanged


def _row_id(sheet: Sheet, kind: str, column: MappedColumn | None, value: Any, number: int,
            errors: list[dict[str, Any]], result: ReadResult, data: dict[str, Any], *, foreign: bool) -> str | None:
    raw = _as_text(value)
    if not raw:
        return None
    other = kind_of_hid(raw)
    if other is not None and other != kind:
        errors.append(_where(sheet, number, column, f"{raw} is a {other} ID, not a {kind} ID"))
        return None
    if HID.match(raw):
        try:
            return check_hid(kind, raw)
        except Invalid as error:
            errors.append(_where(sheet, number, column, error.problems[0].message))
            return None
    if not foreign:
        errors.append(_where(sheet, number, column, f"{raw!r} is not a valid ID: {id_problem(raw)}"))
        return None
    # Another tool's ID that cannot be ours ("1.2.3"): keep it as a custom field, give the row our own.
    data.setdefault("custom_fields", {})[f"{column.header} (source)" if column else "Source ID"] = raw
    result.warnings.append(_where(sheet, number, column, f"{raw!r} cannot be a reqtrace ID: {id_problem(raw)}; "
                                                         "the row gets a new ID and keeps this one as a custom "
                                                         "field"))
    return None


def id_problem(raw: str) -> str:
    """Which rule of a reqtrace ID `raw` breaks, in words, then the rule itself."""
    broken = []
    first = raw[:1]
    if not (first.isascii() and first.isalpha()):
        broken.append(f"it starts with {first!r}, not a letter" + (" A-Z" if first.isalpha() else ""))
    others = [character for character in dict.fromkeys(raw)
              if not (character.isascii() and (character.isalnum() or character in "-_."))]
    if others:
        spaces = [character for character in others if character.isspace()]
        named = (["spaces"] if spaces else []) + [repr(character) for character in others
                                                  if character not in spaces]
        broken.append("it holds " + and_list(named))
    if len(raw) > MAX_HID:
        broken.append(f"it has {len(raw)} characters, more than {MAX_HID}")
    return (and_list(broken or ["it breaks the rule"]) + " (an ID holds only letters A-Z, digits, '-', '_' and '.', "
            f"starts with a letter and has at most {MAX_HID} characters)")


def _fill_title(data: dict[str, Any]) -> bool:
    """A foreign row needs text; with no title column the title is the statement's first sentence."""
    title, statement = _as_text(data.get("title")), _as_text(data.get("statement"))
    if title:
        if "\n" in title and not statement:  # a multi-line "title" is really the requirement's text
            data["statement"] = title
        return True
    if not statement:
        return False
    data["title"] = _first_sentence(statement)
    return True


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip()
    if len(first) <= TITLE_FROM_STATEMENT:
        return first
    cut = first[:TITLE_FROM_STATEMENT].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _as_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def _where(sheet: Sheet, row: int | None, column: MappedColumn | None, message: str) -> dict[str, Any]:
    return {"sheet": sheet.name, "row": row, "column": column.letter if column else None, "message": message}


def _describe(sheet: Sheet, header: int, columns: list[MappedColumn]) -> dict[str, Any]:
    return {"sheet": sheet.name, "header_row": header + 1,
            "columns": [{"column": column.letter, "header": column.header, "field": column.field}
                        for column in columns]}


def _summary(result: ReadResult, plan: SyncPlan | None, *, applied: bool) -> dict[str, Any]:
    if plan is None:
        summary = {"applied": False, "added": 0, "changed": 0, "unchanged": 0, "removed": 0, "items": []}
    else:
        summary = plan.summary(applied=applied)
        added = {(item.kind, item.hid): item for item in plan.items if item.action == "add"}
        for entry in summary["items"]:
            if entry["action"] == "add":
                entry["fields"] = _fields_of(added[(entry["kind"], entry["id"])])
    errors = result.errors + (plan.errors if plan else [])
    summary["errors"] = [{key: value for key, value in error.items() if key != "link_column"} for error in errors]
    summary["warnings"] = [{key: value for key, value in warning.items() if key != "link_column"}
                           for warning in result.warnings + (plan.warnings if plan else [])]
    summary["format"] = result.format
    summary["rows"] = result.rows
    summary["sheets"] = result.sheets
    return summary


def _fields_of(item: ItemPlan) -> list[dict[str, Any]]:
    """A new item's values that say something, named as its changes would name them, then its status and links."""
    fields = [{"field": name, "value": value} for name, value in item.values.items()
              if value is not None and value != "" and value != [] and value != {}]
    fields.append({"field": "status", "value": item.status})
    if item.links_add:
        fields.append({"field": LINKS_UP[item.kind].label, "value": ", ".join(item.links_add)})
    return fields


__all__ = ["ImportOptions", "ReadResult", "read_requirements_workbook", "import_requirements", "plan_digests",
           "column_letter", "id_problem"]
