"""The item forms: building a chain, validation shown next to the field, ownership and approval rules."""

from __future__ import annotations

import pytest

from tests.web.support import Element, Visitor, parse_html, replace


def _created(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_a_whole_chain_built_through_the_forms_appears_in_the_matrix(auth):
    owner = auth("owner")
    strategy = _created(owner.create("strategies", {
        "title": "Answer every distributor within one working day", "statement": "Distributors *feel* heard.",
        "sponsor": "Chief Commercial Officer", "perspective": "customer", "kpi": "Share answered in 1 day",
        "target": "95% by Q4"}))
    role = _created(owner.create("roles", {"title": "Distributor desk", "from_state": "Answers when free",
                                           "to_state": "Owns each question", "links": [strategy]}))
    process = _created(owner.create("processes", {"title": "Distributor question handling",
                                                  "steps": "1. Log\n2. Answer\n3. Close", "links": [role]}))
    requirement = _created(owner.create("requirements", {
        "title": "Distributor questions queue with one-day timer", "priority": "must", "weight": "4",
        "tags": "distributor, SLA", "links": [process]}))
    assert (strategy, role, process, requirement) == ("STR-12", "ROL-19", "PRC-29", "REQ-173")

    matrix = owner.json("/p/crm/matrix.json?text=one-day+timer")
    assert matrix["total"] == 1
    row = matrix["rows"][0]
    assert (row["id"], row["processes"], row["roles"], row["strategies"]) == (requirement, [process], [role],
                                                                              [strategy])
    assert row["technology_driven"] is False and row["status"] == "draft" and row["priority"] == "must"
    assert row["tags"] == ["distributor", "sla"]
    item = owner.item(requirement)
    assert (item["owner"], item["weight"], item["status"]) == ("owner", 4.0, "draft")
    # One step per line, kept as written: a round-trip through a workbook must not change them.
    assert owner.json(f"/p/crm/items/{process}.json")["item"]["steps"] == ["1. Log", "2. Answer", "3. Close"]
    assert [s["id"] for s in owner.json(f"/p/crm/items/{requirement}.json")["strategies"]] == [strategy]
    assert strategy not in [s["id"] for s in owner.json("/p/crm/gaps.json")["unsupported_strategies"]]


# --- validation ------------------------------------------------------------------------------

def _field(page: Element, name: str) -> Element:
    return page.one("div", id=f"field-{name}")


def _errors_in(box: Element) -> str:
    errors = box.find("ul", cls="field-errors")
    return errors.text if errors else ""


INVALID = [
    # (the changed field, the value, words the message next to it contains)
    ("title", "", "title is required"),
    ("priority", "banana", "banana"),
    ("weight", "-3", "weight is a number from 0"),
    ("weight", "lots", "'lots' is not a number"),
    ("links", "PRC-999", "no process PRC-999"),
    ("timebox_minutes", "0", "timebox"),
    ("tags", "no/slashes", "tag"),
]


@pytest.mark.parametrize("field, value, words", INVALID, ids=[f"{f}={v or 'empty'}" for f, v, _ in INVALID])
def test_an_invalid_new_requirement_is_shown_again_with_the_message_by_the_field(auth, field, value, words):
    owner = auth("owner")
    typed = {"title": "Quote approval on the road", "statement": "Reps **approve** quotes from the van.",
             "acceptance": "- The approval reaches the customer", "weight": "2", "tags": "mobile, quote",
             "links": ["PRC-9"]}
    response = owner.create("requirements", {**typed, field: value})
    assert response.status_code == 422
    page = parse_html(response.get_data(as_text=True))
    assert "Nothing was saved" in page.one("p", cls="flash-error").text
    box = _field(page, field)
    assert "has-error" in box.attrs["class"]
    assert words in _errors_in(box), _errors_in(box)
    others = [name for name in ("title", "statement", "weight", "tags") if name != field]
    assert all(not _errors_in(_field(page, name)) for name in others)
    # What the user typed is still there.
    for name in others:
        shown = page.one(id=name)
        kept = shown.raw_text.strip() if shown.tag == "textarea" else shown.attrs.get("value")
        assert kept == typed[name], name
    if field in ("title", "weight", "timebox_minutes", "tags"):
        assert page.one("input", id=field).attrs.get("value") == value
        assert page.one("input", id=field).attrs.get("aria-invalid") == "true"
    if field != "links":
        assert [box.attrs["value"] for box in page.find_all("input", name="links") if "checked" in box.attrs] == \
            ["PRC-9"]
    # Nothing was written.
    assert owner.json("/p/crm/requirements.json")["total"] == 172
    assert owner.get("/p/crm/items/REQ-173.json").status_code == 404
    assert owner.json("/p/crm/items/PRC-9.json")["down"][-1]["id"] != "REQ-173"


def test_every_problem_is_shown_at_once(auth):
    owner = auth("owner")
    response = owner.create("requirements", {"title": "", "priority": "banana", "weight": "-3",
                                             "links": ["PRC-999"]})
    assert response.status_code == 422
    page = parse_html(response.get_data(as_text=True))
    for field in ("title", "priority", "weight", "links"):
        assert _errors_in(_field(page, field)), field


@pytest.mark.parametrize("field, value, words", INVALID[:5], ids=[f"{f}={v or 'empty'}" for f, v, _ in INVALID[:5]])
def test_an_invalid_edit_changes_nothing(auth, field, value, words):
    owner = auth("owner")
    before = owner.item("REQ-47")
    response = owner.save("REQ-47", {"statement": "A new statement that must not be saved.", field: value})
    assert response.status_code == 422
    page = parse_html(response.get_data(as_text=True))
    assert words in _errors_in(_field(page, field))
    assert page.one("textarea", id="statement").raw_text.strip() == "A new statement that must not be saved."
    assert owner.item("REQ-47") == before
    assert [link["id"] for link in owner.json("/p/crm/items/REQ-47.json")["up"]] == ["PRC-8"]


def test_an_edit_without_a_version_is_refused(auth):
    lead = auth("lead")
    form = [(name, value) for name, value in lead.edit_form("REQ-47") if name != "version"]
    response = lead.post("/p/crm/items/REQ-47/edit", replace(form, title="No version"))
    assert response.status_code == 422
    assert "which version" in response.get_data(as_text=True)
    assert lead.item("REQ-47")["title"] != "No version"


# --- ownership -------------------------------------------------------------------------------

def test_the_owner_field_is_not_offered_to_an_owner(auth):
    owner, lead = auth("owner"), auth("lead")
    assert owner.page("/p/crm/items/REQ-47/edit").find("select", id="owner") is None
    assert lead.page("/p/crm/items/REQ-47/edit").find("select", id="owner") is not None


def test_an_owner_cannot_give_an_item_away(auth):
    owner = auth("owner")
    response = owner.save("REQ-47", {"title": "Still mine", "owner": "lead"})
    assert response.status_code == 302
    item = owner.item("REQ-47")
    assert (item["title"], item["owner"]) == ("Still mine", "owner")
    assert owner.save("REQ-47", {"owner": ""}).status_code == 302
    assert owner.item("REQ-47")["owner"] == "owner"


def test_an_owner_cannot_create_an_item_for_someone_else(auth):
    owner = auth("owner")
    hid = _created(owner.create("requirements", {"title": "For the lead?", "owner": "lead", "links": ["PRC-8"]}))
    assert owner.item(hid)["owner"] == "owner"


def test_the_lead_assigns_owners(auth):
    lead = auth("lead")
    assert lead.save("REQ-1", {"owner": "owner"}).status_code == 302
    assert lead.item("REQ-1")["owner"] == "owner"
    owner = auth("owner")
    assert owner.get("/p/crm/items/REQ-1/edit").status_code == 200
    hid = _created(lead.create("requirements", {"title": "Assigned at birth", "owner": "owner"}))
    assert lead.item(hid)["owner"] == "owner"


# --- approval --------------------------------------------------------------------------------

def test_an_approved_item_edited_by_its_owner_goes_back_to_draft(auth):
    owner = auth("owner")
    assert owner.item("REQ-47")["status"] == "approved"
    assert owner.save("REQ-47", {"statement": "Everything on the device, offline."}).status_code == 302
    item = owner.item("REQ-47")
    assert (item["status"], item["statement"]) == ("draft", "Everything on the device, offline.")
    events = owner.json("/p/crm/items/REQ-47/history.json")["events"]
    assert events[-1]["action"] == "status"
    assert {"field": "status", "before": "approved", "after": "draft"} in events[-1]["changes"]


def test_an_owner_saving_without_changes_keeps_the_approval(auth):
    owner = auth("owner")
    assert owner.save("REQ-47", {}).status_code == 302
    assert owner.item("REQ-47")["status"] == "approved"
    assert owner.item("REQ-47")["version"] == 1


def test_the_leads_edit_keeps_an_item_approved(auth):
    lead = auth("lead")
    assert lead.save("REQ-47", {"statement": "Everything on the device, offline."}).status_code == 302
    item = lead.item("REQ-47")
    assert (item["status"], item["statement"]) == ("approved", "Everything on the device, offline.")


def test_an_owner_relinking_an_approved_item_does_not_silently_keep_it_approved(auth):
    """Moving a requirement to another process changes what it supports, like a text change does."""
    owner = auth("owner")
    assert owner.save("REQ-47", {"links": ["PRC-9"]}).status_code == 302
    data = owner.json("/p/crm/items/REQ-47.json")
    assert [link["id"] for link in data["up"]] == ["PRC-9"]
    assert data["item"]["status"] == "draft"


def test_the_live_preview_renders_markdown_safely(auth):
    owner: Visitor = auth("owner")
    html = owner.post("/preview", {"text": "# Title\n\n[docs](https://example.com) [bad](javascript:alert(1))"}) \
        .get_json()["html"]
    assert "<h1>Title</h1>" in html and 'href="https://example.com"' in html
    assert "javascript:" not in html


def test_an_invalid_readiness_assessment_is_refused_with_a_message(auth):
    lead = auth("lead")
    before = lead.json("/p/crm/gaps.json")["readiness"]
    response = lead.post("/p/crm/readiness", {"business_focus": "9", "technology": "banana"})
    assert response.status_code in (302, 422)
    assert lead.json("/p/crm/gaps.json")["readiness"] == before
    assert "flash-error" in lead.get("/p/crm/gaps").get_data(as_text=True)
