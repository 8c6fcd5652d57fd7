"""A workbook import follows the forms' rules: no new link to a retired item, and owners who may own items.

The forms refuse (reqtrace.services.editing, reqtrace.services.links) a new
link to a retired item above (a link it already has may stay) and an owner who
is not an active requirement owner or the CRM lead (an owner kept as it was
stays, whatever it names); procurement assigns no owners at all. Each refusal
names the sheet, row and column, in preview and in apply, and writes nothing.

Workbooks are built in the test with openpyxl. "cli" is `reqtrace import
requirements` (no role: whoever runs the database, like the lead); "lead" and
"procurement" are the web app's import (`ImportOptions.role`).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event
from sqlmodel import Session

from reqtrace.db import make_engine, session_scope
from reqtrace.formats.requirements_import import ImportOptions, id_problem, import_requirements
from reqtrace.services.items import get_item, set_status, update_item
from reqtrace.services.projects import get_project
from reqtrace.services.users import add_user
from tests.builders import ProjectBuilder
from tests.formats import workbooks
from tests.formats.conftest import REQUIREMENT_COLUMN, Reqtrace, cell, column_of, edit_workbook, row_of

ROLES = {"cli": None, "lead": "admin", "procurement": "procurement"}
# username -> (role, active)
ACCOUNTS = {"lead": ("admin", True), "sam": ("owner", True), "olga": ("owner", False),
            "evaluator": ("evaluator", True), "procurement": ("procurement", True)}


@pytest.fixture
def crm(sqlite: Reqtrace) -> Reqtrace:
    """Project crm: two approved chains (STR/ROL/PRC/REQ-1 and -2), and retired STR-9, ROL-9 and PRC-14.

    ROL-9 links to STR-9 and REQ-14 to PRC-14 from before they were retired. The users of ACCOUNTS exist.
    """
    engine = make_engine(sqlite.url)
    with Session(engine) as session:
        project = ProjectBuilder("crm", "CRM").chain(2).strategy("STR-9").role("ROL-9", strategies=["STR-9"]) \
            .process("PRC-14", roles=["ROL-1"]).requirement("REQ-14", processes=["PRC-14"]).build(session)
        for kind, hid in (("strategy", "STR-9"), ("role", "ROL-9"), ("process", "PRC-14")):
            set_status(session=session, project=project, kind=kind, item=get_item(session, project, kind, hid),
                       status="retired", actor="test")
        for username, (role, active) in ACCOUNTS.items():
            user = add_user(session, username=username, role=role, password="a long test password", actor="test")
            user.active = active
        session.commit()
    engine.dispose()
    return sqlite


def _import(reqtrace: Reqtrace, who: str, path: Path, *, dry_run: bool, mapping: tuple[str, ...] = ()) -> dict:
    """Import as `who`: the command line, or the web app's import with the lead's or procurement's role."""
    if who == "cli":
        options = [option for pair in mapping for option in ("--map", pair)] + (["--dry-run"] if dry_run else [])
        code, summary = reqtrace.import_json(path, "crm", *options)
        assert code == (1 if summary["errors"] else 0)
        return summary
    engine = make_engine(reqtrace.url)
    try:
        with session_scope(engine, write=not dry_run) as session:  # as web/workbooks.py runs it
            summary = import_requirements(session, "crm", path, actor=who, dry_run=dry_run,
                                          options=ImportOptions(mapping=list(mapping), role=ROLES[who]))
            if not summary["applied"]:
                session.rollback()
        return summary
    finally:
        engine.dispose()


def _refused(reqtrace: Reqtrace, who: str, path: Path, *, mapping: tuple[str, ...] = ()) -> list[dict]:
    """Preview, then apply: the same errors both times, nothing written; returns the errors."""
    before = reqtrace.snapshot()
    preview = _import(reqtrace, who, path, dry_run=True, mapping=mapping)
    applied = _import(reqtrace, who, path, dry_run=False, mapping=mapping)
    assert preview["errors"], preview
    assert applied["applied"] is False and applied["errors"] == preview["errors"]
    assert reqtrace.snapshot() == before
    return preview["errors"]


def _accepted(reqtrace: Reqtrace, who: str, path: Path, *, mapping: tuple[str, ...] = ()) -> dict:
    preview = _import(reqtrace, who, path, dry_run=True, mapping=mapping)
    assert preview["errors"] == [], preview["errors"]
    applied = _import(reqtrace, who, path, dry_run=False, mapping=mapping)
    assert applied["errors"] == [] and applied["applied"] is True
    return applied


def _located(errors: list[dict]) -> list[tuple]:
    return [(error["sheet"], error["row"], error["column"]) for error in errors]


def _edited_export(reqtrace: Reqtrace, tmp_path: Path, change) -> Path:
    """The project's own workbook, exported, with `change(workbook)` applied as in Excel."""
    path = reqtrace.export(tmp_path / "crm.xlsx")
    edit_workbook(path, change)
    return path


def _set(sheet: str, hid: str, header: str, value):
    return lambda workbook: setattr(cell(workbook[sheet], hid, header), "value", value)


def _set_owner(reqtrace: Reqtrace, hid: str, owner: str) -> None:
    """Give REQ-n an owner as an earlier import could have (no account of that name needed)."""
    engine = make_engine(reqtrace.url)
    with Session(engine) as session:
        project = get_project(session, "crm")
        update_item(session=session, project=project, kind="requirement", actor="test",
                    item=get_item(session, project, "requirement", hid), fields={"owner": owner})
        session.commit()
    engine.dispose()


# --- a new link to a retired item -------------------------------------------------------------

@pytest.mark.parametrize("who", list(ROLES))
def test_a_new_row_linking_to_a_retired_process_is_refused_at_its_process_cell(crm, tmp_path, who):
    path = workbooks.plain(tmp_path / "new.xlsx", ["ID", "Requirement", "Process"],
                           [["NEWR-1", "Reps see every visit of the week.", "PRC-14"]])
    errors = _refused(crm, who, path)
    assert _located(errors) == [("Requirements", 2, "C")]
    message = errors[0]["message"]
    assert "PRC-14" in message and "retired" in message and "takes no new links" in message
    assert crm.item("NEWR-1") is None


@pytest.mark.parametrize("who", ["cli", "lead"])
def test_relinking_an_existing_requirement_to_a_retired_process_is_refused(crm, tmp_path, who):
    path = workbooks.plain(tmp_path / "relink.xlsx", ["ID", "Requirement", "Processes"],
                           [["REQ-2", "Managers see forecasts.", "PRC-2"],
                            ["REQ-1", "Reps record visits.", "PRC-1, PRC-14"]])
    errors = _refused(crm, who, path)
    assert _located(errors) == [("Requirements", 3, "C")]
    assert "REQ-1 would get a new link to process PRC-14, which is retired" in errors[0]["message"]
    assert crm.upstream("REQ-1") == {"PRC-1"}


@pytest.mark.parametrize("sheet, hid, header, links", [
    ("Roles", "ROL-2", "Strategies", "STR-2, STR-9"),
    ("Processes", "PRC-2", "Roles", "ROL-2, ROL-9"),
    ("Requirements", "REQ-2", "Processes", "PRC-2, PRC-14"),
])
def test_every_levels_links_column_refuses_a_new_link_to_a_retired_item(crm, tmp_path, sheet, hid, header, links):
    retired = links.split(", ")[1]
    located = {}

    def change(workbook):
        target = workbook[sheet]
        located["at"] = (sheet, row_of(target, hid), chr(ord("A") + column_of(target, header) - 1))
        target.cell(row_of(target, hid), column_of(target, header)).value = links

    errors = _refused(crm, "cli", _edited_export(crm, tmp_path, change))
    assert _located(errors) == [located["at"]]
    assert f"{hid} would get a new link" in errors[0]["message"] and f"{retired}, which is retired" in \
        errors[0]["message"]


@pytest.mark.parametrize("who", ["cli", "lead"])
def test_a_retired_item_gets_no_new_link_of_its_own(crm, tmp_path, who):
    located = {}

    def change(workbook):
        roles = workbook["Roles"]
        located["at"] = ("Roles", row_of(roles, "ROL-9"), chr(ord("A") + column_of(roles, "Strategies") - 1))
        roles.cell(row_of(roles, "ROL-9"), column_of(roles, "Strategies")).value = "STR-9, STR-1"

    errors = _refused(crm, who, _edited_export(crm, tmp_path, change))
    assert _located(errors) == [located["at"]]
    assert "ROL-9 is retired and would get new links to STR-1" in errors[0]["message"]
    assert crm.upstream("ROL-9", "role") == {"STR-9"}


@pytest.mark.parametrize("who", list(ROLES))
def test_a_link_a_retired_item_already_has_may_stay(crm, tmp_path, who):
    path = workbooks.plain(tmp_path / "keep.xlsx", ["ID", "Requirement", "Process"],
                           [["REQ-14", "Reps see the history of a pump, now offline too.", "PRC-14"]])
    summary = _accepted(crm, who, path)
    assert summary["changed"] == 1
    assert crm.upstream("REQ-14") == {"PRC-14"}
    assert crm.item("REQ-14")["statement"] == "Reps see the history of a pump, now offline too."


def test_the_projects_own_workbook_with_links_to_retired_items_imports_unchanged(crm, tmp_path):
    path = crm.export(tmp_path / "crm.xlsx")
    summary = _accepted(crm, "cli", path)
    assert (summary["added"], summary["changed"], summary["removed"]) == (0, 0, 0)


def test_a_workbook_restoring_a_retired_item_may_link_to_it(crm, tmp_path):
    """In the forms: restore PRC-14, then link REQ-1 to it. One workbook of the lead may do both."""
    def change(workbook):
        _set("Processes", "PRC-14", "Status", "draft")(workbook)
        _set("Requirements", "REQ-1", "Processes", "PRC-1, PRC-14")(workbook)

    _accepted(crm, "cli", _edited_export(crm, tmp_path, change))
    assert crm.item("PRC-14", "process")["status"] == "draft"
    assert crm.upstream("REQ-1") == {"PRC-1", "PRC-14"}


# --- owners: the lead's import and the command line -------------------------------------------

@pytest.mark.parametrize("who", ["cli", "lead"])
def test_an_owner_who_cannot_own_items_is_refused_at_its_cell(crm, tmp_path, who):
    path = workbooks.plain(tmp_path / "owners.xlsx", ["Requirement", "Owner"], [
        ["Reps plan visits on a map.", "evaluator"], ["Reps log calls.", "ghost"],
        ["Quotes are approved on a phone.", "procurement"], ["Managers see forecasts.", "olga"],
        ["Service sees contracts.", "sam"], ["Marketing sends newsletters.", "lead"], ["Reps work offline.", None]])
    errors = _refused(crm, who, path)
    assert _located(errors) == [("Requirements", row, "B") for row in (2, 3, 4, 5)]
    evaluator, ghost, procurement, olga = (error["message"] for error in errors)
    assert "'evaluator' is an evaluator account and cannot own items" in evaluator
    assert "'ghost' is not a reqtrace user" in ghost and "reqtrace user add ghost --role owner" in ghost
    assert "'procurement' is a procurement account" in procurement
    assert "'olga' is a deactivated account" in olga
    for message in (evaluator, ghost, procurement, olga):
        assert "map the column 'Owner' to a custom field" in message and "or ignore it" in message
    assert "reqtrace user add" not in evaluator  # the account exists: creating it is no way out


@pytest.mark.parametrize("who", ["cli", "lead"])
def test_owners_who_may_own_items_are_imported(crm, tmp_path, who):
    path = workbooks.plain(tmp_path / "owners.xlsx", ["ID", "Requirement", "Owner"], [
        ["NEW-1", "Service sees contracts.", "sam"], ["NEW-2", "Marketing sends newsletters.", "lead"],
        ["NEW-3", "Reps work offline.", None]])
    _accepted(crm, who, path)
    assert [crm.item(hid)["owner"] for hid in ("NEW-1", "NEW-2", "NEW-3")] == ["sam", "lead", None]


@pytest.mark.parametrize("who", list(ROLES))
def test_another_tools_owner_column_mapped_to_a_custom_field_imports(crm, tmp_path, who):
    """The documented way through for a list whose owners are not reqtrace users."""
    path = workbooks.plain(tmp_path / "owners.xlsx", ["ID", "Requirement", "Owner"],
                           [["NEW-1", "Reps log calls.", "ghost"], ["NEW-2", "Reps plan visits.", "evaluator"]])
    _accepted(crm, who, path, mapping=("Owner=custom",))
    assert (crm.item("NEW-1")["owner"], crm.item("NEW-1")["custom_fields"]) == (None, {"Owner": "ghost"})
    assert crm.item("NEW-2")["custom_fields"] == {"Owner": "evaluator"}
    ignored = workbooks.plain(tmp_path / "ignored.xlsx", ["ID", "Requirement", "Owner"],
                              [["NEW-3", "Reps quote offline.", "ghost"]])
    _accepted(crm, who, ignored, mapping=("Owner=ignore",))
    assert (crm.item("NEW-3")["owner"], crm.item("NEW-3")["custom_fields"]) == (None, {})


@pytest.mark.parametrize("who", list(ROLES))
def test_an_owner_left_as_stored_stays_whatever_it_names(crm, tmp_path, who):
    _set_owner(crm, "REQ-2", "ghost")
    path = workbooks.plain(tmp_path / "same.xlsx", ["ID", "Requirement", "Owner"],
                           [["REQ-2", "Managers see forecasts by segment.", "ghost"]])
    summary = _accepted(crm, who, path)
    assert summary["changed"] == 1
    assert (crm.item("REQ-2")["owner"], crm.item("REQ-2")["statement"]) == \
        ("ghost", "Managers see forecasts by segment.")
    if who == "procurement":  # changing it is still the lead's: the message says what it was
        changed = workbooks.plain(tmp_path / "other.xlsx", ["ID", "Requirement", "Owner"],
                                  [["REQ-2", "Managers see forecasts by segment.", "sam"]])
        (error,) = _refused(crm, who, changed)
        assert _located([error]) == [("Requirements", 2, "C")]
        assert "REQ-2's owner would change to 'sam'" in error["message"]
        assert "put its owner back to 'ghost'" in error["message"]


def test_the_projects_workbook_keeps_a_stored_owner_that_is_no_account(crm, tmp_path):
    _set_owner(crm, "REQ-2", "ghost")
    summary = _accepted(crm, "cli", _edited_export(crm, tmp_path, _set("Requirements", "REQ-2", "Title",
                                                                          "Forecasts by segment")))
    assert summary["changed"] == 1
    assert (crm.item("REQ-2")["owner"], crm.item("REQ-2")["title"]) == ("ghost", "Forecasts by segment")


@pytest.mark.parametrize("who", ["cli", "lead"])
def test_the_lead_may_change_an_owner_only_to_someone_who_may_own_items(crm, tmp_path, who):
    refused = _edited_export(crm, tmp_path, _set("Requirements", "REQ-1", "Owner", "procurement"))
    errors = _refused(crm, who, refused)
    row = row_of(openpyxl.load_workbook(refused)["Requirements"], "REQ-1")
    assert _located(errors) == [("Requirements", row, REQUIREMENT_COLUMN["Owner"])]
    assert "'procurement' is a procurement account" in errors[0]["message"]
    assert "leave its owner empty" in errors[0]["message"]  # REQ-1 had none
    _accepted(crm, who, _edited_export(crm, tmp_path, _set("Requirements", "REQ-1", "Owner", "sam")))
    assert crm.item("REQ-1")["owner"] == "sam"


def test_a_new_row_of_the_projects_workbook_with_a_bad_owner_is_refused_at_its_owner_cell(crm, tmp_path):
    def add(workbook):
        sheet = workbook["Requirements"]
        sheet.append({1: None, 2: "Reps log calls", 4: "Reps log calls from the phone.", 13: "ghost"})

    errors = _refused(crm, "cli", _edited_export(crm, tmp_path, add))
    (error,) = errors
    assert error["sheet"] == "Requirements" and error["column"] == REQUIREMENT_COLUMN["Owner"]
    assert "'ghost' is not a reqtrace user" in error["message"] and "leave the cell empty" in error["message"]


# --- owners: procurement's import -------------------------------------------------------------

def test_procurements_new_rows_name_no_owner(crm, tmp_path):
    """Only the CRM lead assigns owners: procurement's new rows, even naming a real owner, are refused."""
    path = workbooks.plain(tmp_path / "owners.xlsx", ["Requirement", "Priority", "Author"],
                           [["Reps plan visits on a map.", "Must", "sam"], ["Reps log calls.", "Could", None],
                            ["Quotes are approved on a phone.", "Should", "ghost"]])
    errors = _refused(crm, "procurement", path)
    assert _located(errors) == [("Requirements", 2, "C"), ("Requirements", 4, "C")]
    for error in errors:
        assert "only the CRM lead assigns owners" in error["message"]
        assert "leave the cell empty" in error["message"]
        assert "map the column 'Author' to a custom field" in error["message"]
    # without the owners, the same rows arrive as drafts with no owner
    summary = _accepted(crm, "procurement", path, mapping=("Author=ignore",))
    assert summary["added"] == 3


def test_procurements_new_row_of_the_projects_workbook_reports_both_status_and_owner(crm, tmp_path):
    def add(workbook):
        sheet = workbook["Requirements"]
        sheet.append({2: "Reps log calls", 4: "Reps log calls from the phone.", 8: "must", 13: "sam",
                      14: "approved"})

    errors = _refused(crm, "procurement", _edited_export(crm, tmp_path, add))
    assert {error["column"] for error in errors} == {REQUIREMENT_COLUMN["Status"], REQUIREMENT_COLUMN["Owner"]}
    assert len({error["row"] for error in errors}) == 1
    messages = " ".join(error["message"] for error in errors)
    assert "only the CRM lead approves" in messages and "only the CRM lead assigns owners" in messages


def test_procurement_changing_an_owner_is_refused_at_the_owner_cell(crm, tmp_path):
    path = _edited_export(crm, tmp_path, _set("Requirements", "REQ-1", "Owner", "sam"))
    (error,) = _refused(crm, "procurement", path)
    assert error["column"] == REQUIREMENT_COLUMN["Owner"]
    assert "only the CRM lead assigns owners" in error["message"] and "leave its owner empty" in error["message"]


# --- procurement's Status, as exported ---------------------------------------------------------

def _move(reqtrace: Reqtrace, tmp_path: Path, hid: str, statuses: list[str], *, how: str) -> None:
    """The lead moves requirement `hid` through `statuses`: with its status buttons, or with their own import."""
    for status in statuses:
        if how == "form":
            engine = make_engine(reqtrace.url)
            with Session(engine) as session:
                project = get_project(session, "crm")
                set_status(session=session, project=project, kind="requirement", actor="lead", status=status,
                           item=get_item(session, project, "requirement", hid))
                session.commit()
            engine.dispose()
        else:
            folder = tmp_path / f"lead-{status}"
            folder.mkdir(exist_ok=True)
            _accepted(reqtrace, "cli", _edited_export(reqtrace, folder, _set("Requirements", hid, "Status", status)))


def _status_warnings(summary: dict, hid: str) -> list[dict]:
    return [warning for warning in summary["warnings"] if warning["message"].startswith(f"{hid} was ")
            and "when this workbook was made" in warning["message"]]


@pytest.mark.parametrize("how", ["form", "import"])
@pytest.mark.parametrize("exported, since", [("approved", ["draft"]), ("draft", ["approved"]),
                                             ("approved", ["draft", "proposed"])])
def test_procurements_status_left_as_exported_keeps_the_status_the_lead_set_since(crm, tmp_path, how, exported,
                                                                                   since):
    """QA: the lead changed REQ-1's status after procurement's export; procurement's workbook, its Status
    untouched, was refused as if procurement had changed it. It imports, and REQ-1 keeps the lead's status."""
    if exported != "approved":
        _move(crm, tmp_path, "REQ-1", [exported], how=how)
    path = crm.export(tmp_path / "procurement.xlsx")
    row = row_of(openpyxl.load_workbook(path)["Requirements"], "REQ-1")
    _move(crm, tmp_path, "REQ-1", since, how=how)
    stored = crm.item("REQ-1")

    summary = _accepted(crm, "procurement", path)

    assert (summary["added"], summary["changed"], summary["removed"]) == (0, 0, 0)
    assert crm.item("REQ-1") == stored
    (warning,) = _status_warnings(summary, "REQ-1")
    assert (warning["sheet"], warning["row"], warning["column"]) == ("Requirements", row,
                                                                      REQUIREMENT_COLUMN["Status"])
    assert warning["message"] == (f"REQ-1 was {exported} when this workbook was made and is {since[-1]} now: its "
                                  f"Status, left as exported, changes nothing (the stored status, {since[-1]}, "
                                  "counts)")


def test_procurements_edit_of_a_row_whose_status_the_lead_changed_since_is_a_proposal(crm, tmp_path):
    _move(crm, tmp_path, "REQ-1", ["draft"], how="form")
    path = crm.export(tmp_path / "procurement.xlsx")
    _move(crm, tmp_path, "REQ-1", ["approved"], how="form")
    edit_workbook(path, _set("Requirements", "REQ-1", "Title", "Visits, offline too"))

    summary = _accepted(crm, "procurement", path)

    assert summary["changed"] == 1
    assert (crm.item("REQ-1")["title"], crm.item("REQ-1")["status"]) == ("Visits, offline too", "draft")
    assert any("REQ-1 was approved; this change sends it back to draft" in warning["message"]
               for warning in summary["warnings"])


@pytest.mark.parametrize("how", ["form", "import"])
def test_procurement_setting_another_status_on_a_row_changed_since_is_still_refused(crm, tmp_path, how):
    path = crm.export(tmp_path / "procurement.xlsx")
    _move(crm, tmp_path, "REQ-1", ["draft", "proposed"], how=how)
    for typed in ("retired", "draft"):  # draft: a status REQ-1 had since, but not the one exported
        edit_workbook(path, _set("Requirements", "REQ-1", "Status", typed))
        (error,) = _refused(crm, "procurement", path)
        assert error["column"] == REQUIREMENT_COLUMN["Status"]
        assert error["message"] == ("REQ-1: only the CRM lead changes an item's status; put its Status back as "
                                    "exported (approved)")
    assert crm.item("REQ-1")["status"] == "proposed"


# --- cost: one query for the accounts, none for the retired items -----------------------------

def _statements_of_a_preview(reqtrace: Reqtrace, path: Path) -> tuple[list[str], dict]:
    engine = make_engine(reqtrace.url)
    seen: list[str] = []
    listener = lambda _connection, _cursor, statement, *_args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with Session(engine) as session:
            summary = import_requirements(session, "crm", path, actor="test", dry_run=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
    return seen, summary


def test_owner_and_retired_link_checks_cost_the_same_queries_for_any_number_of_rows(crm, tmp_path):
    """Every row names an owner (some refused) and a process (half of them retired): one query for the users."""
    counts = {}
    for rows in (6, 300):
        owners, processes = ("sam", "ghost", "evaluator"), ("PRC-1", "PRC-14")
        path = workbooks.plain(tmp_path / f"{rows}.xlsx", ["Requirement", "Owner", "Process"],
                               [[f"Requirement {n}.", owners[n % 3], processes[n % 2]] for n in range(rows)])
        seen, summary = _statements_of_a_preview(crm, path)
        assert len(summary["errors"]) == sum(1 for n in range(rows) if n % 3) + sum(1 for n in range(rows) if n % 2)
        assert sum(1 for statement in seen if "user_account" in statement) == 1
        counts[rows] = len(seen)
    assert counts[6] == counts[300], counts


# --- IDs another tool uses ----------------------------------------------------------------------

def test_a_name_mapped_to_id_says_which_rule_of_an_id_it_breaks(crm, tmp_path):
    path = workbooks.plain(tmp_path / "names.xlsx", ["Name", "Requirement"], [
        ["Imported thing 1", "Reps log calls."], ["1.2.3", "Reps plan visits."], ["A" * 41, "Reps quote."],
        ["Größe/2", "Reps see sizes."]])
    summary = _accepted(crm, "cli", path, mapping=("Name=id",))
    warnings = {warning["row"]: warning["message"] for warning in summary["warnings"] if warning["row"]}
    assert warnings[2].startswith("'Imported thing 1' cannot be a reqtrace ID: it holds spaces (")
    assert "not a letter" not in warnings[2].split(" (")[0]
    assert warnings[3].startswith("'1.2.3' cannot be a reqtrace ID: it starts with '1', not a letter (")
    assert "it has 41 characters, more than 40 (" in warnings[4]
    assert "it holds 'ö', 'ß' and '/' (" in warnings[5]
    for message in warnings.values():
        assert "letters A-Z, digits, '-', '_' and '.', starts with a letter and has at most 40 characters" in message
        assert "keeps this one as a custom field" in message


def test_id_problem_names_every_rule_broken():
    assert id_problem("1 a").startswith("it starts with '1', not a letter and it holds spaces (")
    assert id_problem("Émile").startswith("it starts with 'É', not a letter A-Z and it holds 'É' (")


