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


def test_a_new_requirements_capability_is_chosen_not_assumed(auth):
    """The form offers no capability chosen, so a plan is all technology only if its writers said so."""
    owner = auth("owner")
    select = parse_html(owner.get("/p/crm/requirements/new").get_data(as_text=True)).one("select", id="capability")
    assert "required" in select.attrs
    chosen = [option for option in select.find_all("option") if "selected" in option.attrs]
    assert [(option.attrs["value"], option.text) for option in chosen] == [("", "Choose what it builds…")]
    form = owner.new_form("requirements")
    response = owner.post("/p/crm/requirements/new", replace(form, title="Coach agents on first-call fixes",
                                                              links=["PRC-8"], capability=""))
    assert response.status_code == 422
    assert "capability is empty" in _errors_in(_field(parse_html(response.get_data(as_text=True)), "capability"))
    assert owner.json("/p/crm/requirements.json")["total"] == 172
    hid = _created(owner.post("/p/crm/requirements/new", replace(form, title="Coach agents on first-call fixes",
                                                                  links=["PRC-8"], capability="people")))
    assert owner.item(hid)["capability"] == "people"
    edit = parse_html(owner.get(f"/p/crm/items/{hid}/edit").get_data(as_text=True)).one("select", id="capability")
    assert [option.attrs["value"] for option in edit.find_all("option") if "selected" in option.attrs] == ["people"]


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


# --- what a form must never do: store what no workbook holds, drop what it did not show ----------

def test_a_text_longer_than_an_excel_cell_is_refused_at_its_field_and_the_export_still_opens(auth):
    owner = auth("owner")
    response = owner.create("roles", {"title": "Long-winded role", "description": "A" * 32_768,
                                      "links": ["STR-1"]})
    assert response.status_code == 422
    box = _field(parse_html(response.get_data(as_text=True)), "description")
    assert "at most 32,767 characters" in _errors_in(box) and "32,768" in _errors_in(box)
    assert _created(owner.create("roles", {"title": "Just fits", "description": "A" * 32_767,
                                           "links": ["STR-1"]}))
    workbook = owner.get("/p/crm/export/requirements.xlsx")
    assert workbook.status_code == 200
    import io

    import openpyxl

    roles = openpyxl.load_workbook(io.BytesIO(workbook.data))["Roles"]
    assert any(row and "A" * 32_767 in row for row in roles.iter_rows(values_only=True))


def test_characters_no_workbook_can_hold_never_enter(auth):
    owner = auth("owner")
    hid = _created(owner.create("strategies", {"title": "Odd\u202e characters", "statement":
                                               "one\ufffetwo\uffffthree\u2028four"}))
    item = owner.item(hid)
    assert item["title"] == "Odd characters"
    assert item["statement"] == "onetwothree\nfour"
    refused = owner.create("strategies", {"title": "Two\u2028lines"})
    assert "a title is one line" in _errors_in(_field(parse_html(refused.get_data(as_text=True)), "title"))


def test_a_retired_item_takes_no_new_links(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/items/STR-3/status", {"status": "retired"}).status_code == 302
    response = lead.create("roles", {"title": "Serving a retired strategy", "links": ["STR-3", "STR-1"]})
    assert response.status_code == 422
    assert "STR-3 is retired" in _errors_in(_field(parse_html(response.get_data(as_text=True)), "links"))
    assert lead.json("/p/crm/roles.json?q=Serving+a+retired")["total"] == 0


def test_an_edit_keeps_a_link_to_a_retired_item_the_form_shows_it_and_unchecking_removes_it(auth):
    lead = auth("lead")
    up = [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]]
    retiring = up[0]
    assert lead.post(f"/p/crm/items/{retiring}/status", {"status": "retired"}).status_code == 302
    page = lead.page("/p/crm/items/ROL-1/edit")
    shown = next(box for box in page.find_all("input", name="links") if box.attrs["value"] == retiring)
    assert "checked" in shown.attrs and "(retired)" in shown.parent.text
    assert lead.save("ROL-1", {"department": "Field sales"}).status_code == 302
    assert [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]] == up
    history = lead.json("/p/crm/items/ROL-1/history.json")["events"]
    assert not [event for event in history if event["action"] == "unlink"]
    assert lead.save("ROL-1", {"links": up[1:]}).status_code == 302  # unchecked knowingly: now it goes
    assert [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]] == up[1:]


def test_a_retired_item_gains_no_links_from_its_own_edit_form_but_may_drop_one(auth):
    lead = auth("lead")
    up = [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]]
    other = next(s["id"] for s in lead.json("/p/crm/strategies.json")["rows"] if s["id"] not in up)
    assert lead.post("/p/crm/items/ROL-1/status", {"status": "retired"}).status_code == 302
    refused = lead.save("ROL-1", {"links": up + [other], "department": "Renamed while retired"})
    assert refused.status_code == 422
    message = _errors_in(_field(parse_html(refused.get_data(as_text=True)), "links"))
    assert "retired" in message and other in message
    assert [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]] == up
    assert lead.item("ROL-1")["department"] != "Renamed while retired"
    assert len(up) > 1
    assert lead.save("ROL-1", {"links": up[1:]}).status_code == 302  # a link it has may go
    assert [link["id"] for link in lead.json("/p/crm/items/ROL-1.json")["up"]] == up[1:]


@pytest.mark.parametrize("owner", ["nobody-such", "evaluator", "Owner"])
def test_the_lead_can_only_make_an_owner_or_the_lead_an_owner(auth, owner):
    lead = auth("lead")
    response = lead.create("strategies", {"title": "Owned by whom?", "owner": owner})
    assert response.status_code == 422
    assert owner in _errors_in(_field(parse_html(response.get_data(as_text=True)), "owner"))
    assert lead.json("/p/crm/strategies.json?q=Owned+by+whom")["total"] == 0


def test_an_owner_no_account_matches_survives_an_edit_of_another_field(auth, db):
    from sqlalchemy import update

    from reqtrace.model import Strategy

    session = db()
    session.exec(update(Strategy).where(Strategy.hid == "STR-2").values(owner="j.doe (imported)"))
    session.commit()
    lead = auth("lead")
    assert lead.save("STR-2", {"sponsor": "Chief Customer Officer"}).status_code == 302
    item = lead.item("STR-2")
    assert (item["sponsor"], item["owner"]) == ("Chief Customer Officer", "j.doe (imported)")


def test_no_owner_chosen_by_the_lead_on_a_new_item_means_none_and_the_default_is_the_lead(auth):
    lead = auth("lead")
    assert lead.item(_created(lead.create("strategies", {"title": "Nobody's yet", "owner": ""})))["owner"] is None
    assert lead.item(_created(lead.create("strategies", {"title": "The lead's"})))["owner"] == "lead"


def test_an_unchanged_form_saves_a_weight_in_full_and_keeps_the_approval(auth):
    owner, lead = auth("owner"), auth("lead")
    assert owner.save("REQ-47", {"weight": "2.123456789"}).status_code == 302
    assert lead.post("/p/crm/items/REQ-47/status", {"status": "approved"}).status_code == 302
    version = owner.item("REQ-47")["version"]
    assert owner.save("REQ-47", {}).status_code == 302
    item = owner.item("REQ-47")
    assert (item["weight"], item["status"], item["version"]) == (2.123456789, "approved", version)


def test_the_owner_is_told_an_approved_item_went_back_to_draft(auth):
    owner = auth("owner")
    response = owner.save("REQ-47", {"statement": "Changed by its owner."})
    assert response.status_code == 302
    page = owner.page(response.headers["Location"])
    assert "It was approved and is draft again: it needs approving once more." in page.text


def test_percent_and_underscore_in_a_search_are_characters_not_wildcards(auth):
    owner = auth("owner")
    assert owner.json("/p/crm/requirements.json?q=%25")["total"] == 0
    assert owner.json("/p/crm/requirements.json?q=_")["total"] == 0
    assert owner.json("/p/crm/requirements.json?q=REQ-4")["total"] > 0
    hid = _created(owner.create("requirements", {"title": "Discount of 10% for 2_year deals", "links": ["PRC-8"]}))
    assert [row["id"] for row in owner.json("/p/crm/requirements.json?q=10%25")["rows"]] == [hid]
    assert [row["id"] for row in owner.json("/p/crm/requirements.json?q=2_y")["rows"]] == [hid]


def test_a_text_its_page_could_not_format_is_refused_at_its_field(auth):
    owner = auth("owner")
    nested = "\n".join("\t" * depth + "- x" for depth in range(250))  # fits a cell; nests past what renders
    response = owner.create("processes", {"title": "Deep lists", "description": nested, "links": ["ROL-1"]})
    assert response.status_code == 422
    message = _errors_in(_field(parse_html(response.get_data(as_text=True)), "description"))
    assert "cannot be formatted" in message and "nest too deeply" in message
    assert owner.json("/p/crm/processes.json?q=Deep+lists")["total"] == 0


def test_an_imported_text_no_page_can_format_does_not_block_an_edit_of_another_field(auth, db):
    """An import keeps such text as written; the form refuses it only when it is what the user typed."""
    from sqlalchemy import update

    from reqtrace.model import Process

    nested = "\n".join("\t" * depth + "- x" for depth in range(250))
    session = db()
    session.exec(update(Process).where(Process.hid == "PRC-2").values(description=nested))
    session.commit()
    lead = auth("lead")
    assert lead.save("PRC-2", {"title": "Renamed beside an unformattable description"}).status_code == 302
    item = lead.item("PRC-2")
    assert (item["title"], item["description"]) == ("Renamed beside an unformattable description", nested)
    refused = lead.save("PRC-2", {"description": nested + "\n" + "\t" * 250 + "- y"})
    assert refused.status_code == 422
    assert "cannot be formatted" in _errors_in(_field(parse_html(refused.get_data(as_text=True)), "description"))
    assert lead.item("PRC-2")["description"] == nested


def test_approving_an_item_below_one_not_approved_warns_that_a_baseline_would_leave_that_out(auth):
    lead = auth("lead")
    process = _created(lead.create("processes", {"title": "Plan a visit", "links": ["ROL-6"]}))
    requirement = _created(lead.create("requirements", {"title": "Visit plan on the phone", "links": [process]}))
    for status in ("proposed", "approved"):
        response = lead.post(f"/p/crm/items/{requirement}/status",
                             {"status": status, "version": lead.item(requirement)["version"]})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    flashes = [" ".join(p.text.split()) for p in lead.page(f"/p/crm/items/{requirement}").find_all("p", cls="flash")]
    assert f"{requirement} is now approved." in flashes
    assert f"{process}, above {requirement}, is not approved yet: a baseline leaves out what is not approved, so " \
           f"{requirement} would arrive there without it." in flashes
    for status in ("proposed", "approved"):  # the process approved, then the requirement again: no warning
        lead.post(f"/p/crm/items/{process}/status", {"status": status, "version": lead.item(process)["version"]})
    lead.post(f"/p/crm/items/{requirement}/status", {"status": "draft", "version": lead.item(requirement)["version"]})
    for status in ("proposed", "approved"):
        lead.post(f"/p/crm/items/{requirement}/status",
                  {"status": status, "version": lead.item(requirement)["version"]})
    flashes = [p.text for p in lead.page(f"/p/crm/items/{requirement}").find_all("p", cls="flash")]
    assert flashes and not [text for text in flashes if "not approved yet" in text]
