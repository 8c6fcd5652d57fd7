"""An item saved while an import is being saved is never overwritten by it.

The web app's apply plans again in its write transaction and compares with the preview; on PostgreSQL (READ
COMMITTED) the lead's save can still commit between that planning and the import's UPDATE. The import then
writes nothing and says which item was changed. On SQLite the import's write transaction holds the database,
so the same save is made in the import's own transaction (tests/db/test_sync.py does both backends too).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from reqtrace.db import dispose_all, make_engine, session_scope, upgrade
from reqtrace.formats import requirements_import
from reqtrace.formats.requirements_import import ImportOptions, import_requirements
from reqtrace.services.items import get_item, update_item
from reqtrace.services.projects import get_project
from tests.builders import ProjectBuilder
from tests.conftest import _new_database
from tests.formats.conftest import Reqtrace, cell, edit_workbook

REFUSAL = "REQ-1 was changed by someone else while this import was being saved: nothing was imported; try again"


@pytest.fixture
def crm(backend, tmp_path, postgres, cli_env):
    """Project crm (STR/ROL/PRC/REQ-1 and -2, approved) on each backend."""
    url = _new_database(backend, tmp_path, postgres)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        ProjectBuilder("crm", "CRM").chain(2).build(session)
        session.commit()
    engine.dispose()
    yield Reqtrace(url)
    dispose_all()
    if backend == "postgres":
        postgres.drop(url)


@pytest.fixture
def lead_saves_first(crm, backend, monkeypatch):
    """In the import's apply, after planning and before writing, the lead saves REQ-1's title."""
    apply_plan = requirements_import.apply_plan
    engine = make_engine(crm.url)

    def save(session: Session) -> None:
        project = get_project(session, "crm")
        update_item(session=session, project=project, kind="requirement", actor="lead",
                    item=get_item(session, project, "requirement", "REQ-1"), fields={"title": "The lead's title"})

    def saved_then_applied(session, project, plan, *, actor):
        if backend == "postgres":  # a real concurrent transaction, committed
            with Session(engine) as other:
                save(other)
                other.commit()
        else:
            save(session)
        return apply_plan(session, project, plan, actor=actor)

    monkeypatch.setattr(requirements_import, "apply_plan", saved_then_applied)
    yield
    engine.dispose()


def _edited_export(crm: Reqtrace, tmp_path):
    path = crm.export(tmp_path / "crm.xlsx")

    def edit(workbook):
        cell(workbook["Requirements"], "REQ-1", "Title").value = "The workbook's title"
        cell(workbook["Requirements"], "REQ-2", "Statement").value = "The workbook's statement"
        workbook["Requirements"].append([None, "A new requirement", "PRC-1"])

    edit_workbook(path, edit)
    return path


def test_the_apply_of_a_preview_keeps_a_save_made_while_it_writes(crm, backend, tmp_path, request):
    """As web/workbooks.py applies a preview: plan again in the write transaction, compare, write."""
    path = _edited_export(crm, tmp_path)
    engine = make_engine(crm.url)
    with session_scope(engine) as session:
        preview = import_requirements(session, "crm", path, actor="lead", dry_run=True,
                                      options=ImportOptions(role="admin"))
    assert (preview["added"], preview["changed"]) == (1, 2)
    before = crm.item("REQ-2")
    request.getfixturevalue("lead_saves_first")
    with session_scope(engine, write=True) as session:
        summary = import_requirements(session, "crm", path, actor="lead", expected_plan=preview["plan_digests"],
                                      options=ImportOptions(role="admin"))
        if not summary["applied"]:
            session.rollback()
    engine.dispose()
    assert summary["applied"] is False and summary["preview_outdated"] is True
    assert [error["message"] for error in summary["errors"]] == [REFUSAL]
    assert crm.item("REQ-2") == before
    assert crm.item("REQ-3") is None
    if backend == "postgres":  # on SQLite the save was part of the import's transaction, rolled back with it
        assert crm.item("REQ-1")["title"] == "The lead's title"


def test_the_command_line_says_which_item_and_exits_1(crm, backend, tmp_path, lead_saves_first):
    path = _edited_export(crm, tmp_path)
    before = crm.item("REQ-2")
    result = crm.run("import", "requirements", path, "--project", "crm")
    assert result.exit_code == 1
    assert REFUSAL in result.stderr
    assert crm.item("REQ-1")["title"] == ("The lead's title" if backend == "postgres" else "Requirement REQ-1")
    assert crm.item("REQ-2") == before
    assert crm.item("REQ-3") is None
