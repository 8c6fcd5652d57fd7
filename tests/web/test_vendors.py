"""Vendors in the web app: the list, adding and editing them, who may, and what the ranking makes of it.

The sample project has three vendors: atlas (hybrid-offline), keystone and nimbus; none asked for a contract.
"""

from __future__ import annotations

import html

import pytest
from sqlmodel import Session, select

from reqtrace.db import make_engine
from reqtrace.model import AuditEvent
from reqtrace.services.errors import Conflict
from reqtrace.services.projects import get_project
from reqtrace.services.vendors import VendorChanged, add_vendor, get_vendor, update_vendor

from tests.web.support import form_values, parse_html, race, replace

NEW_VENDOR = {"slug": "zenith", "name": "Zenith CRM Ltd", "product": "Zenith 4", "deployment": "on-premise",
              "cost_5y": "1250000", "sandbox_url": "https://sandbox.zenith.example", "flags": [],
              "notes": "Reference customer in Leeds."}


def _vendors(visitor) -> dict[str, dict]:
    return {row["slug"]: row for row in visitor.json("/p/crm/vendors.json")["vendors"]}


def _edit_form(visitor, slug: str = "atlas") -> list[tuple[str, str]]:
    page = visitor.page(f"/p/crm/vendors/{slug}/edit")
    form = page.one("form", cls="vendor-form")
    return [(name, value) for name, value in form_values(form) if name != "csrf_token"]


@pytest.mark.parametrize("username, sees_details, may_edit", [
    ("lead", True, True), ("procurement", True, True), ("owner", False, False), ("evaluator", False, False)])
def test_everyone_reads_who_competes_but_only_the_lead_and_procurement_see_flags_notes_and_cost(
        auth, username, sees_details, may_edit):
    """A flag can knock a vendor out and notes may hold prices: evaluators and owners must score unswayed."""
    lead, visitor = auth("lead"), auth(username)
    form = _edit_form(lead)
    assert lead.post("/p/crm/vendors/atlas", replace(form, flags=["contract-before-poc"], notes="Quoted 1.2M."))\
        .status_code == 302
    vendors = _vendors(visitor)
    assert sorted(vendors) == ["atlas", "keystone", "nimbus"]
    atlas = vendors["atlas"]
    assert (atlas["name"], atlas["deployment_label"]) == ("Atlas Field Systems", "Hybrid, offline-capable")
    hidden = {"cost_5y", "flags", "flag_labels", "notes"}
    assert (hidden <= set(atlas)) is sees_details and (hidden & set(atlas) == set()) is not sees_details
    page = visitor.page("/p/crm/vendors")
    assert ("Quoted 1.2M." in page.text, "contract before the proof of concept" in page.text) == \
        (sees_details, sees_details)
    headers = [th.text.strip() for th in page.one("table", cls="vendors").find_all("th")]
    assert ("Five-year cost" in headers, "Flags" in headers, "Notes" in headers) == (sees_details,) * 3
    # The add form and the edit links are for those who may use them.
    assert (page.find("form", cls="vendor-form") is not None) is may_edit
    assert (page.one("tr", id="vendor-atlas").find("a", href="/p/crm/vendors/atlas/edit") is not None) is may_edit


def test_the_lead_adds_a_vendor_through_the_form(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/vendors", NEW_VENDOR)
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/vendors#vendor-zenith"
    page = lead.page("/p/crm/vendors")
    assert "Vendor zenith (Zenith CRM Ltd) added." in page.text
    row = page.one("tr", id="vendor-zenith")
    assert "1,250,000" in row.text and "On-premise client" in row.text
    zenith = _vendors(lead)["zenith"]
    assert (zenith["name"], zenith["product"], zenith["deployment"], zenith["cost_5y"], zenith["sandbox_url"],
            zenith["notes"], zenith["version"]) == ("Zenith CRM Ltd", "Zenith 4", "on-premise", 1250000.0,
                                                    "https://sandbox.zenith.example", "Reference customer in Leeds.", 1)
    # The new vendor is in the ranking at once (with no evidence yet).
    ranked = {row["vendor"] for row in lead.json("/p/crm/ranking.json")["ranking"]}
    assert "zenith" in ranked


@pytest.mark.parametrize("changes, field, message", [
    ({"slug": "Zenith Ltd"}, "slug", "'Zenith Ltd' is not a vendor slug"),
    ({"slug": "atlas"}, "slug", "vendor 'atlas' already exists in project crm"),
    ({"slug": " atlas "}, "slug", "vendor 'atlas' already exists in project crm"),
    ({"name": "  "}, "name", "a vendor needs a name"),
    ({"deployment": ""}, "deployment", "deployment model"),
    ({"cost_5y": "about a million"}, "cost_5y", "'about a million' is not a cost"),
    ({"sandbox_url": "javascript:alert(1)"}, "sandbox_url", "a sandbox URL starts with http:// or https://"),
    ({"flags": ["bribery"]}, "flags", "bribery"),
    ({"product": "p" * 201}, "product", "a vendor's product has at most 200 characters (this one has 201)"),
])
def test_a_bad_new_vendor_is_refused_next_to_its_field_and_nothing_is_added(auth, changes, field, message):
    lead = auth("lead")
    response = lead.post("/p/crm/vendors", {**NEW_VENDOR, **changes})
    assert response.status_code in (409, 422)
    page = parse_html(response.get_data(as_text=True))
    box = page.one("div", id=f"field-{field}")
    assert message in html.unescape(box.text)
    assert "has-error" in box.attrs["class"]
    # What was typed is still there to correct.
    assert page.one("input", id="name").attrs.get("value") == (changes.get("name", NEW_VENDOR["name"]))
    assert sorted(_vendors(lead)) == ["atlas", "keystone", "nimbus"]


def test_the_lead_edits_a_vendor_and_the_ranking_knocks_it_out(auth, db):
    lead = auth("lead")
    atlas_notes = _vendors(lead)["atlas"]["notes"]
    form = replace(_edit_form(lead), cost_5y="1600000", flags=["contract-before-poc"], notes="Wants a contract.")
    response = lead.post("/p/crm/vendors/atlas", form)
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/vendors#vendor-atlas"
    assert "Vendor atlas saved (version 2)." in lead.page("/p/crm/vendors").text
    atlas = _vendors(lead)["atlas"]
    assert (atlas["cost_5y"], atlas["flags"], atlas["notes"], atlas["version"]) == \
        (1600000.0, ["contract-before-poc"], "Wants a contract.", 2)
    ranked = {row["vendor"]: row for row in lead.json("/p/crm/ranking.json")["ranking"]}
    assert "asked for a contract before the proof of concept" in ranked["atlas"]["knockout_reasons"]
    (event,) = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "vendor",
                                                  AuditEvent.action == "update")).all()
    assert (event.actor, event.entity_id) == ("lead", "atlas")
    assert event.before == {"flags": [], "cost_5y": 1450000.0, "notes": atlas_notes, "version": 1}
    assert event.after == {"flags": ["contract-before-poc"], "cost_5y": 1600000.0, "notes": "Wants a contract.",
                           "version": 2}


def test_procurement_edits_a_vendors_cost(auth):
    procurement = auth("procurement")
    response = procurement.post("/p/crm/vendors/nimbus", replace(_edit_form(procurement, "nimbus"), cost_5y="990000"))
    assert response.status_code == 302
    assert _vendors(procurement)["nimbus"]["cost_5y"] == 990000.0


def test_saving_the_form_unchanged_makes_no_new_version(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/vendors/atlas", _edit_form(lead))
    assert response.status_code == 302
    assert "Vendor atlas already had these values: nothing changed." in lead.page("/p/crm/vendors").text
    assert _vendors(lead)["atlas"]["version"] == 1


def test_an_edit_begun_before_someone_elses_save_is_refused_with_both_versions(auth):
    lead, procurement = auth("lead"), auth("procurement")
    stale = _edit_form(lead)
    assert procurement.post("/p/crm/vendors/atlas", replace(_edit_form(procurement), cost_5y="777000")).status_code \
        == 302
    response = lead.post("/p/crm/vendors/atlas", replace(stale, cost_5y="888000"))
    assert response.status_code == 409
    page = parse_html(response.get_data(as_text=True))
    assert "you edited version 1, it is now version 2" in html.unescape(page.text)
    assert "777,000" in page.one("section", cls="conflict").text
    assert page.one("input", id="cost_5y").attrs["value"] == "888000"  # the lead's own value, to save again
    assert _vendors(lead)["atlas"]["cost_5y"] == 777000.0
    # Saving the form as shown now replaces the saved version, knowingly.
    again = [(name, value) for name, value in form_values(page.one("form", cls="vendor-form")) if name != "csrf_token"]
    assert lead.post("/p/crm/vendors/atlas", again).status_code == 302
    assert _vendors(lead)["atlas"]["cost_5y"] == 888000.0


def test_a_bad_edit_is_refused_next_to_its_field_and_changes_nothing(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/vendors/atlas", replace(_edit_form(lead), deployment="mainframe", cost_5y="-3"))
    assert response.status_code == 422
    page = parse_html(response.get_data(as_text=True))
    assert "mainframe" in page.one("div", id="field-deployment").text
    assert "'-3' is not a cost" in html.unescape(page.one("div", id="field-cost_5y").text)
    atlas = _vendors(lead)["atlas"]
    assert (atlas["deployment"], atlas["version"]) == ("hybrid-offline", 1)


def test_a_form_without_its_version_is_refused(auth):
    lead = auth("lead")
    form = [(name, value) for name, value in _edit_form(lead) if name != "version"]
    for version in ([], [("version", "")], [("version", "²")], [("version", "0")], [("version", "-1")],
                    [("version", "9" * 5000)]):
        response = lead.post("/p/crm/vendors/atlas", replace(form, name="Atlas Renamed") + version)
        assert response.status_code == 400, version
        assert "The form had no version of the vendor" in response.get_data(as_text=True)
    assert _vendors(lead)["atlas"]["name"] != "Atlas Renamed"


@pytest.mark.parametrize("username", ["owner", "evaluator"])
def test_owners_and_evaluators_may_not_add_or_edit_vendors(auth, username):
    lead, visitor = auth("lead"), auth(username)
    form = _edit_form(lead)
    assert visitor.get("/p/crm/vendors/atlas/edit").status_code == 403
    assert visitor.post("/p/crm/vendors/atlas", replace(form, cost_5y="1")).status_code == 403
    assert visitor.post("/p/crm/vendors", NEW_VENDOR).status_code == 403
    vendors = _vendors(lead)
    assert sorted(vendors) == ["atlas", "keystone", "nimbus"] and vendors["atlas"]["version"] == 1


def test_a_vendor_form_without_a_csrf_token_is_refused(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/vendors", NEW_VENDOR, csrf=False).status_code == 400
    assert lead.post("/p/crm/vendors/atlas", replace(_edit_form(lead), cost_5y="1"), csrf=False).status_code == 400
    assert "zenith" not in _vendors(lead) and _vendors(lead)["atlas"]["version"] == 1


def test_an_unknown_vendor_is_no_page(auth):
    lead = auth("lead")
    assert lead.get("/p/crm/vendors/ghost/edit").status_code == 404
    assert lead.post("/p/crm/vendors/ghost", {"name": "Ghost", "version": "1"}).status_code == 404


def test_two_saves_of_the_same_version_at_once_let_exactly_one_through(app):
    """The first save holds the vendor (PostgreSQL: its row lock; SQLite: the write lock) until it commits;
    the second, begun on the same version, then finds the new one and is refused: no change is lost."""
    engine = make_engine(app.config["DATABASE_URL"])

    def save(actor: str, notes: str):
        return lambda db: update_vendor(db, get_project(db, "crm"), "atlas", {"notes": notes}, actor=actor,
                                        expected_version=1)

    first, second = race(engine, save("lead", "First."), save("procurement", "Second."))
    assert first[1] == ["notes"]
    assert isinstance(second, VendorChanged) and "you edited version 1, it is now version 2" in str(second)
    with Session(engine) as db:
        atlas = get_vendor(db, get_project(db, "crm"), "atlas")
        assert (atlas.notes, atlas.version) == ("First.", 2)
        updates = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "vendor",
                                                   AuditEvent.action == "update")).all()
        assert len(updates) == 1
    engine.dispose()


def test_two_adds_of_the_same_slug_at_once_add_one_and_refuse_the_other(app):
    engine = make_engine(app.config["DATABASE_URL"])

    def add(name: str):
        return lambda db: add_vendor(db, get_project(db, "crm"), slug="zenith", name=name, deployment="on-premise",
                                     actor="lead").slug

    first, second = race(engine, add("Zenith CRM"), add("Zenith again"))
    assert first == "zenith"
    assert isinstance(second, Conflict) and "vendor 'zenith' already exists in project crm" in str(second)
    engine.dispose()
