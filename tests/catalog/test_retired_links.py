"""A catalogue load gives no retired item a new link, as the forms and the workbook import do not."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from reqtrace.catalog.loader import load_catalog, plan_catalog
from reqtrace.catalog.reader import read_catalog
from reqtrace.model import AuditEvent
from reqtrace.services.items import get_item, set_status
from reqtrace.services.projects import create_project
from reqtrace.services.sync import load_state
from tests.catalog.catalogue_files import chain, item, line_of, write


@pytest.fixture
def project(session, tmp_path):
    """Two chains loaded from a catalogue; then PRC-2 retired (REQ-2 keeps its link to it)."""
    project = create_project(session, key="crm", name="CRM", actor="test")
    load_catalog(session, project, read_catalog(write(tmp_path / "v1", {"sales.toml": chain(1) + chain(2)})),
                 actor="test", status="approved")
    set_status(session=session, project=project, kind="process", item=get_item(session, project, "process", "PRC-2"),
               status="retired", actor="test")
    return project


def _state(session, project):
    state = load_state(session, project)
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return state.items, state.links, events


def test_a_catalogue_linking_a_requirement_to_a_retired_process_loads_nothing(session, project, tmp_path):
    folder = write(tmp_path / "v2", {"sales.toml": chain(1) + chain(2) + item(
        "requirement", id="REQ-3", title="Quote offline", processes=["PRC-1", "PRC-2"])})
    before = _state(session, project)
    line = line_of(folder, "sales.toml", 'id = "REQ-3"')
    planned = plan_catalog(session, project, read_catalog(folder)).summary(applied=False)
    loaded = load_catalog(session, project, read_catalog(folder), actor="test")
    for summary in (planned, loaded):
        assert summary["applied"] is False
        (problem,) = summary["errors"]
        assert (problem["file"], problem["line"], problem["item"]) == ("sales.toml", line, "REQ-3")
        assert problem["message"].startswith("new requirement REQ-3 links to process PRC-2, which is retired")
    assert _state(session, project) == before


def test_a_catalogue_giving_the_retired_item_itself_a_new_link_loads_nothing(session, project, tmp_path):
    folder = write(tmp_path / "v2", {"sales.toml": chain(1) + item("strategy", id="STR-2") + item(
        "role", id="ROL-2", strategies=["STR-2"]) + item("process", id="PRC-2", roles=["ROL-2", "ROL-1"]) + item(
        "requirement", id="REQ-2", processes=["PRC-2"])})
    before = _state(session, project)
    summary = load_catalog(session, project, read_catalog(folder), actor="test")
    assert summary["applied"] is False
    (problem,) = summary["errors"]
    assert problem["item"] == "PRC-2" and problem["line"] == line_of(folder, "sales.toml", 'id = "PRC-2"')
    assert problem["message"].startswith("PRC-2 is retired and would get new links to ROL-1")
    assert _state(session, project) == before


def test_a_link_the_retired_item_already_has_stays_on_reload(session, project, tmp_path):
    catalog = read_catalog(write(tmp_path / "again", {"sales.toml": chain(1) + chain(2)}))
    summary = load_catalog(session, project, catalog, actor="test")
    assert summary["applied"] is True and (summary["added"], summary["changed"]) == (0, 0)
    assert load_state(session, project).links["requirement"]["REQ-2"] == {"PRC-2"}


def test_a_load_that_restores_the_item_may_link_to_it(session, project, tmp_path):
    """--status approved restores every item the catalogue names, PRC-2 too: then it may take new links."""
    catalog = read_catalog(write(tmp_path / "v2", {"sales.toml": chain(1) + chain(2) + item(
        "requirement", id="REQ-3", title="Quote offline", processes=["PRC-1", "PRC-2"])}))
    summary = load_catalog(session, project, catalog, actor="test", status="approved")
    assert summary["applied"] is True and summary["added"] == 1
    state = load_state(session, project)
    assert state.items["process"]["PRC-2"]["status"] == "approved"
    assert state.links["requirement"]["REQ-3"] == {"PRC-1", "PRC-2"}


def test_a_catalogue_naming_an_owner_who_may_not_own_items_loads_nothing(session, project, tmp_path):
    from reqtrace.services.users import add_user

    add_user(session, username="sam", role="owner", password="long enough password", actor="test")
    add_user(session, username="eve", role="evaluator", password="long enough password", actor="test")
    before = _state(session, project)
    for owner, words in (("ghost", "'ghost' is not a reqtrace user"), ("eve", "'eve' is an evaluator account")):
        folder = write(tmp_path / owner, {"sales.toml": chain(1) + chain(2) + item(
            "requirement", id="REQ-3", title="Quote offline", processes=["PRC-1"], owner=owner)})
        summary = load_catalog(session, project, read_catalog(folder), actor="test")
        assert summary["applied"] is False
        (problem,) = summary["errors"]
        assert problem["item"] == "REQ-3" and words in problem["message"]
        assert _state(session, project) == before
    folder = write(tmp_path / "sam", {"sales.toml": chain(1) + chain(2) + item(
        "requirement", id="REQ-3", title="Quote offline", processes=["PRC-1"], owner="sam")})
    assert load_catalog(session, project, read_catalog(folder), actor="test")["applied"] is True


def test_an_item_saved_while_the_catalogue_loads_refuses_the_load_in_its_summary(session, project, tmp_path,
                                                                                 monkeypatch):
    """Someone saves PRC-1 between the plan and its writing: the summary says so, and nothing is written."""
    import reqtrace.catalog.loader as loader
    from reqtrace.services.items import update_item

    def plan_then_someone_saves(*args, **kwargs):
        plan = plan_catalog(*args, **kwargs)
        update_item(session=session, project=project, kind="process", actor="owner",
                    item=get_item(session, project, "process", "PRC-1"), fields={"title": "Saved meanwhile"})
        return plan

    monkeypatch.setattr(loader, "plan_catalog", plan_then_someone_saves)
    folder = write(tmp_path / "v2", {"sales.toml": item("strategy", id="STR-1") + item(
        "role", id="ROL-1", strategies=["STR-1"]) + item("process", id="PRC-1", title="Renamed by the catalogue",
                                                       roles=["ROL-1"]) + item(
        "requirement", id="REQ-1", processes=["PRC-1"]) + chain(2) + item("process", id="PRC-3", roles=["ROL-1"])})
    catalog = read_catalog(folder)
    summary = loader.load_catalog(session, project, catalog, actor="test")
    assert summary["applied"] is False
    assert [error["message"] for error in summary["errors"]] == [
        "PRC-1 changed while the catalogue was being loaded (someone saved it meanwhile): nothing was loaded; "
        "load the catalogue again"]
    assert get_item(session, project, "process", "PRC-1").title == "Saved meanwhile"
    assert "PRC-3" not in load_state(session, project).items["process"]


def test_reloading_a_catalogue_that_names_no_owner_keeps_the_owners_assigned_in_the_app(session, project,
                                                                                        tmp_path):
    """The lead assigns owners in the app; the shipped catalogue names none. Loading it again must take
    nobody's items away (it did: every owner was cleared), while a catalogue that names one still sets it."""
    from reqtrace.services.items import get_item, update_item
    from reqtrace.services.users import add_user

    add_user(session, username="sam", role="owner", password="long enough password", actor="test")
    add_user(session, username="kim", role="owner", password="long enough password", actor="test")
    folder = write(tmp_path / "plain", {"sales.toml": chain(1) + chain(2)})
    assert load_catalog(session, project, read_catalog(folder), actor="test")["applied"] is True
    strategy = get_item(session, project, "strategy", "STR-1")
    update_item(session=session, project=project, kind="strategy", item=strategy, fields={"owner": "sam"},
                actor="lead")
    again = load_catalog(session, project, read_catalog(folder), actor="test")
    assert (again["applied"], again["changed"]) == (True, 0)
    session.expire_all()
    assert get_item(session, project, "strategy", "STR-1").owner == "sam"
    named = write(tmp_path / "named", {"sales.toml": item("strategy", id="STR-1", owner="kim")
                                       + chain(1).split("\n\n", 1)[1] + chain(2)})
    loaded = load_catalog(session, project, read_catalog(named), actor="test")
    assert (loaded["applied"], loaded["changed"]) == (True, 1)
    session.expire_all()  # the load writes with Core statements
    assert get_item(session, project, "strategy", "STR-1").owner == "kim"
