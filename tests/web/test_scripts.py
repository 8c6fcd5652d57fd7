"""POC scripts in the web app: versions, coverage, the lead's edits, issue, print, and re-score flags.

The lead builds the script (POST /p/crm/scripts/build), each edit
(POST /p/crm/scripts/<v>/edit with op=up|down|edit|merge|remove|add, or opening|scenario|scenario-up|
scenario-down|add-scenario|remove-scenario) saves the
next version; every page has its JSON twin.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from reqtrace.model import PocScript, Requirement, ScriptIssue
from reqtrace.poc.render import minutes_text
from reqtrace.schemas import MAX_TEXT
from reqtrace.services.items import get_item, update_item
from reqtrace.services.projects import get_project
from tests.web.support import form_values, parse_html

OTHERS = ("owner", "procurement", "evaluator")


def steps_of(script: dict) -> list[dict]:
    return [step for scenario in script["scenarios"] for step in scenario["steps"]]


def location(response) -> str:
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:800])
    parsed = urlparse(response.headers["Location"])
    return parsed.path + (f"#{parsed.fragment}" if parsed.fragment else "")


def versions(db) -> list[int]:
    session = db()
    return [row for row in session.exec(select(PocScript.version).order_by(PocScript.version)).scalars()]


@pytest.fixture
def lead(auth):
    return auth("lead")


@pytest.fixture
def built(lead) -> dict:
    """Version 1, built by the lead through the page's button; returns the version page's JSON."""
    assert location(lead.post("/p/crm/scripts/build")) == "/p/crm/scripts/1"
    return lead.json("/p/crm/scripts/1.json")


def edit(visitor, version: int, **form):
    return visitor.post(f"/p/crm/scripts/{version}/edit", form)


def step_form(step: dict, **changes) -> dict:
    """The fields the step's edit form sends, with some changed."""
    form = {"step": step["hid"], "instruction": step["instruction"], "expected": step["expected"],
            "timebox_minutes": step["timebox_minutes"], "requirements": ", ".join(step["requirements"]),
            "action": step["action"]}
    form.update(changes)
    return form


# --- the pages -----------------------------------------------------------------------------------

def test_the_scripts_page_before_any_script(lead):
    data = lead.json("/p/crm/scripts.json")
    assert data["versions"] == [] and data["rescore_needed"] == [] and data["probes"] == []
    assert [v["slug"] for v in data["vendors"]] == ["atlas", "keystone", "nimbus"]
    assert all(v["issued"] is None for v in data["vendors"])
    page = lead.page("/p/crm/scripts")
    assert "No script yet." in page.text
    assert page.find("form", action="/p/crm/scripts/build") is not None


def test_building_lists_the_version(lead, built):
    data = lead.json("/p/crm/scripts.json")
    assert [v["version"] for v in data["versions"]] == [1]
    assert data["versions"][0]["created_by"] == "lead"
    page = lead.page("/p/crm/scripts")
    assert page.find("a", href="/p/crm/scripts/1") is not None


def test_the_version_page_lists_scenarios_steps_and_minutes(lead, built):
    script = built["script"]
    assert script["version"] == 1 and built["latest"] == 1 and built["may_edit"] is True
    assert built["unproved"] == [] and built["rescore_needed"] == []
    assert [s["hid"] for s in steps_of(script)] == [f"STEP-{n}" for n in range(1, len(steps_of(script)) + 1)]
    for scenario in script["scenarios"]:
        assert scenario["minutes"] == sum(step["timebox_minutes"] for step in scenario["steps"])
    assert script["minutes"] == sum(scenario["minutes"] for scenario in script["scenarios"])
    assert built["minutes_text"] == minutes_text(script["minutes"])
    page = lead.page("/p/crm/scripts/1")
    for scenario in script["scenarios"]:
        section = page.one("section", id=scenario["key"])
        assert scenario["title"] in section.one("h2").text
        assert minutes_text(scenario["minutes"]) in section.one("h2").text
        assert [li.attrs["id"] for li in section.find_all("li", cls="step")] == \
            [step["hid"] for step in scenario["steps"]]
    assert minutes_text(script["minutes"]) in page.find_all("p", cls="meta")[0].text
    assert "Every requirement in scope is proved by a step." in page.text


def test_the_version_page_shows_requirements_no_step_proves(lead, built):
    step = steps_of(built["script"])[0]
    assert location(edit(lead, 1, op="remove", step=step["hid"])) == f"/p/crm/scripts/2#{step['hid']}"
    data = lead.json("/p/crm/scripts/2.json")
    hid = step["requirements"][0]
    assert [entry["id"] for entry in data["unproved"]] == [hid]
    assert data["unproved"][0]["must"] == (lead.item(hid)["priority"] == "must")
    box = lead.page("/p/crm/scripts/2").one("section", cls="warn-box")
    assert "Requirements no step proves" in box.text and hid in box.text


def test_a_version_that_does_not_exist_is_not_found(lead, built):
    assert lead.get("/p/crm/scripts/9").status_code == 404
    assert lead.get("/p/crm/scripts/9.json").status_code == 404


def test_version_0_is_not_found_rather_than_the_latest(lead, db, built):
    """Version 0 is no version: never the latest shown, printed or issued in its place."""
    step = steps_of(built["script"])[-1]
    assert location(edit(lead, 1, op="remove", step=step["hid"])) == f"/p/crm/scripts/2#{step['hid']}"
    for url in ("/p/crm/scripts/0", "/p/crm/scripts/0.json", "/p/crm/scripts/0/print", "/p/crm/scripts/0/script.md"):
        response = lead.get(url)
        assert response.status_code == 404, url
        assert "no version 0 of the POC script" in response.get_data(as_text=True), url
    assert lead.post("/p/crm/scripts/0/issue", {"vendor": "atlas"}).status_code == 404
    assert lead.post("/p/crm/scripts/0/edit", {"op": "remove", "step": "STEP-1"}).status_code == 404
    assert db().exec(select(func.count()).select_from(ScriptIssue)).scalar_one() == 0
    assert versions(db) == [1, 2]
    assert location(lead.post("/p/crm/scripts/1/issue", {"vendor": "atlas"})) == "/p/crm/scripts/1"
    assert lead.page("/p/crm/scripts/1").one("p", role="status").text == "Version 1 issued to Atlas Field Systems."
    vendors = {v["slug"]: v["issued"] for v in lead.json("/p/crm/scripts.json")["vendors"]}
    assert vendors["atlas"]["version"] == 1


def test_anonymous_visitors_are_sent_to_log_in(client, lead, built):
    anonymous = client()
    response = anonymous.get("/p/crm/scripts/1")
    assert response.status_code == 302 and urlparse(response.headers["Location"]).path == "/login"
    assert anonymous.get("/p/crm/scripts/1.json").status_code == 401


@pytest.mark.parametrize("username", OTHERS)
def test_everyone_may_read_the_script(auth, built, username):
    visitor = auth(username)
    data = visitor.json("/p/crm/scripts/1.json")
    assert data["may_edit"] is False
    page = visitor.page("/p/crm/scripts/1")
    assert page.find("form", action="/p/crm/scripts/1/edit") is None
    assert page.find("form", action="/p/crm/scripts/1/issue") is None
    assert visitor.get("/p/crm/scripts/1/print").status_code == 200


# --- the lead's edits ------------------------------------------------------------------------------

def test_moving_a_step_down_and_up(lead, db, built):
    first, second = built["script"]["scenarios"][0]["steps"][:2]
    assert location(edit(lead, 1, op="down", step=first["hid"])) == f"/p/crm/scripts/2#{first['hid']}"
    moved = lead.json("/p/crm/scripts/2.json")["script"]["scenarios"][0]["steps"]
    assert [s["hid"] for s in moved[:2]] == [second["hid"], first["hid"]]
    assert location(edit(lead, 2, op="up", step=first["hid"])) == f"/p/crm/scripts/3#{first['hid']}"
    back = lead.json("/p/crm/scripts/3.json")["script"]["scenarios"][0]["steps"]
    assert [s["hid"] for s in back[:2]] == [first["hid"], second["hid"]]
    assert lead.json("/p/crm/scripts/1.json")["script"] == built["script"]  # the old version is unchanged
    assert versions(db) == [1, 2, 3]
    notes = [v["note"] for v in lead.json("/p/crm/scripts.json")["versions"]]
    assert notes[:2] == [f"moved {first['hid']} up", f"moved {first['hid']} down"]


def test_editing_a_step_through_its_form(lead, built):
    step = built["script"]["scenarios"][1]["steps"][0]
    other = built["script"]["scenarios"][0]["steps"][0]["requirements"][0]
    form = step_form(step, instruction="Show the **route planner**.", expected="A route for tomorrow.",
                     timebox_minutes="9", requirements=f"{step['requirements'][0]}, {other}", action="edit")
    assert location(edit(lead, 1, op="edit", **form)) == f"/p/crm/scripts/2#{step['hid']}"
    data = lead.json("/p/crm/scripts/2.json")
    saved = data["script"]["scenarios"][1]["steps"][0]
    assert saved == {"hid": step["hid"], "instruction": "Show the **route planner**.",
                     "expected": "A route for tomorrow.", "timebox_minutes": 9,
                     "requirements": [step["requirements"][0], other], "action": "edit",
                     "instruction_html": saved["instruction_html"], "expected_html": saved["expected_html"]}
    assert "<strong>route planner</strong>" in saved["instruction_html"]
    assert data["script"]["minutes"] == built["script"]["minutes"] - step["timebox_minutes"] + 9
    item = parse_html(lead.get("/p/crm/scripts/2").get_data(as_text=True)).one("li", id=step["hid"])
    assert "adapter action" in item.text and "9 min" in item.text


def test_the_step_edit_form_sent_as_it_stands_changes_nothing(lead, db, built):
    """The form the page offers, submitted unchanged with op=edit (a browser's CRLF line breaks and all), says
    the step is unchanged and saves no version identical to the last."""
    step = steps_of(built["script"])[0]
    form = lead.page("/p/crm/scripts/1").one("li", id=step["hid"]).one("form")
    pairs = [(name, value.replace("\n", "\r\n")) for name, value in form_values(form) if name != "other"]
    assert location(lead.post(form.attrs["action"], pairs + [("op", "edit")])) == f"/p/crm/scripts/1#{step['hid']}"
    assert f"{step['hid']} is unchanged: nothing was saved, this is still version 1." in \
        lead.page("/p/crm/scripts/1").one("p", role="status").text
    assert versions(db) == [1]


@pytest.mark.parametrize("op, which, says", [("up", 0, "already first"), ("down", -1, "already last")])
def test_moving_the_first_step_up_or_the_last_down_saves_no_version(lead, db, built, op, which, says):
    step = steps_of(built["script"])[which]
    assert location(edit(lead, 1, op=op, step=step["hid"])) == f"/p/crm/scripts/1#{step['hid']}"
    assert f"{step['hid']} is {says} in the script: nothing was saved, this is still version 1." in \
        [flash.text for flash in lead.page("/p/crm/scripts/1").find_all("p", role="status")]
    assert versions(db) == [1]
    assert [v["version"] for v in lead.json("/p/crm/scripts.json")["versions"]] == [1]


@pytest.mark.parametrize("field, length", [("instruction", 40_000), ("expected", MAX_TEXT + 1), ("action", 81)])
def test_a_step_text_over_its_limit_is_refused_naming_the_field(lead, db, built, field, length):
    step = steps_of(built["script"])[0]
    response = edit(lead, 1, op="edit", **step_form(step, **{field: "x" * length}))
    assert response.status_code == 422
    alert = parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert f"{step['hid']}: the {field} has at most" in alert and f"this one has {length:,}" in alert
    added = edit(lead, 1, op="add", scenario=built["script"]["scenarios"][0]["key"],
                 **{"instruction": "Show it.", "timebox_minutes": "5", field: "x" * length})
    assert added.status_code == 422 and f"the {field} has at most" in added.get_data(as_text=True)
    assert versions(db) == [1]


def test_merging_a_step_with_the_next(lead, built):
    first, second = built["script"]["scenarios"][0]["steps"][:2]
    response = edit(lead, 1, op="merge", step=first["hid"], other=second["hid"])
    assert location(response) == f"/p/crm/scripts/2#{first['hid']}"
    data = lead.json("/p/crm/scripts/2.json")
    merged = data["script"]["scenarios"][0]["steps"][0]
    assert merged["hid"] == first["hid"]
    assert merged["requirements"] == first["requirements"] + second["requirements"]
    assert merged["timebox_minutes"] == first["timebox_minutes"] + second["timebox_minutes"]
    assert second["hid"] not in [s["hid"] for s in steps_of(data["script"])]
    assert data["unproved"] == []
    assert data["script"]["minutes"] == built["script"]["minutes"]


def test_adding_a_step_to_a_scenario(lead, built):
    count = len(steps_of(built["script"]))
    key = built["script"]["scenarios"][2]["key"]
    response = edit(lead, 1, op="add", scenario=key, instruction="Show the audit trail of an account.",
                    expected="Who changed what, when.", timebox_minutes="6", requirements="REQ-1")
    assert location(response) == f"/p/crm/scripts/2#STEP-{count + 1}"
    data = lead.json("/p/crm/scripts/2.json")
    scenario = next(s for s in data["script"]["scenarios"] if s["key"] == key)
    added = scenario["steps"][-1]
    assert added["hid"] == f"STEP-{count + 1}"
    assert (added["instruction"], added["timebox_minutes"], added["requirements"]) == \
        ("Show the audit trail of an account.", 6, ["REQ-1"])
    assert data["script"]["minutes"] == built["script"]["minutes"] + 6
    edit(lead, 2, op="add", scenario=key, instruction="And another.", requirements="")
    assert steps_of(lead.json("/p/crm/scripts/3.json")["script"])[-1]["hid"] != added["hid"]


def test_removing_a_step(lead, built):
    step = steps_of(built["script"])[5]
    edit(lead, 1, op="remove", step=step["hid"])
    data = lead.json("/p/crm/scripts/2.json")
    assert step["hid"] not in [s["hid"] for s in steps_of(data["script"])]
    assert data["script"]["minutes"] == built["script"]["minutes"] - step["timebox_minutes"]


@pytest.mark.parametrize("username", OTHERS)
def test_only_the_lead_may_build_issue_or_edit(auth, db, built, username):
    visitor = auth(username)
    step = steps_of(built["script"])[0]
    assert visitor.post("/p/crm/scripts/build").status_code == 403
    assert visitor.post("/p/crm/scripts/1/issue", {"vendor": "atlas"}).status_code == 403
    for form in ({"op": "remove", "step": step["hid"]}, {"op": "up", "step": step["hid"]},
                 {"op": "add", "scenario": "SC-1", "instruction": "x"}, step_form(step, op="edit", instruction="x"),
                 {"op": "opening", "title": "x"}, {"op": "scenario", "scenario": "SC-1", "title": "x"},
                 {"op": "scenario-down", "scenario": "SC-1"}, {"op": "add-scenario", "title": "x"}):
        assert edit(visitor, 1, **form).status_code == 403
    assert versions(db) == [1]
    assert db().exec(select(func.count()).select_from(ScriptIssue)).scalar_one() == 0


@pytest.mark.parametrize("changes, says", [
    ({"timebox_minutes": "0"}, "timebox"),
    ({"timebox_minutes": "a while"}, "minutes"),
    ({"requirements": "REQ-1, REQ-999"}, "REQ-999"),
    ({"instruction": "   "}, "instruction"),
])
def test_an_invalid_edit_is_refused_with_the_reason_and_saves_nothing(lead, db, built, changes, says):
    step = steps_of(built["script"])[0]
    response = edit(lead, 1, op="edit", **step_form(step, **changes))
    assert response.status_code == 422
    alert = parse_html(response.get_data(as_text=True)).one("p", role="alert")
    assert says in alert.text
    assert versions(db) == [1]


def test_a_step_may_not_start_citing_a_requirement_the_script_was_not_built_from(lead, db, built):
    """A draft (or retired, or won't) requirement was never asked of the vendors: citing it would score them on
    something they were never told about. What a step cited already stays citable."""
    created = lead.create("requirements", {"title": "Only a draft", "links": ["PRC-8"]})
    assert created.status_code == 302
    outside = location(created).rsplit("/", 1)[-1]
    assert lead.item(outside)["status"] == "draft"
    step = steps_of(built["script"])[0]
    for form in (step_form(step, requirements=f"{step['requirements'][0]}, {outside}", op="edit"),
                 {"op": "add", "scenario": built["script"]["scenarios"][0]["key"], "instruction": "x",
                  "requirements": outside}):
        response = edit(lead, 1, **form)
        assert response.status_code == 422, form
        alert = parse_html(response.get_data(as_text=True)).one("p", role="alert").text
        assert f"cites {outside}, which is not among the approved requirements" in alert
    assert versions(db) == [1]
    kept = step["requirements"][0]
    assert lead.post(f"/p/crm/items/{kept}/status", {"status": "retired",
                                                     "version": lead.item(kept)["version"]}).status_code == 302
    assert lead.item(kept)["status"] == "retired"
    # Retired since: the step keeps it, and other edits of the step go through; merged into another step, it
    # goes with it.
    assert location(edit(lead, 1, **step_form(step, op="edit", instruction="Show it once more."))) == \
        f"/p/crm/scripts/2#{step['hid']}"
    other = steps_of(built["script"])[1]
    assert kept not in other["requirements"]
    assert location(edit(lead, 2, op="merge", step=other["hid"], other=step["hid"])).startswith("/p/crm/scripts/3")
    merged = next(s for s in steps_of(lead.json("/p/crm/scripts/3.json")["script"]) if s["hid"] == other["hid"])
    assert kept in merged["requirements"]


@pytest.mark.parametrize("form, says", [
    ({"op": "add", "scenario": "SC-1", "instruction": "x", "timebox_minutes": "0"}, "timebox"),
    ({"op": "add", "scenario": "SC-1", "instruction": "x", "requirements": "REQ-999"}, "REQ-999"),
    ({"op": "add", "scenario": "SC-999", "instruction": "x"}, "SC-999"),
    ({"op": "remove", "step": "STEP-9999"}, "STEP-9999"),
    ({"op": "merge", "step": "STEP-1", "other": "STEP-1"}, "itself"),
    ({"op": "explode", "step": "STEP-1"}, "explode"),
])
def test_other_invalid_edits_are_refused(lead, db, built, form, says):
    response = edit(lead, 1, **form)
    assert response.status_code == 422
    assert says in parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert versions(db) == [1]


def test_an_edit_without_a_csrf_token_is_refused(lead, db, built):
    response = lead.post("/p/crm/scripts/1/edit", {"op": "remove", "step": "STEP-1"}, csrf=False)
    assert response.status_code == 400
    assert versions(db) == [1]


def test_building_when_nothing_is_approved_is_refused(lead, db):
    session = db()
    for requirement in session.exec(select(Requirement)).scalars():
        requirement.status = "draft"
    session.commit()
    response = lead.post("/p/crm/scripts/build")
    assert response.status_code == 422
    assert "approve" in parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert versions(db) == []


# --- issue, print, Markdown -------------------------------------------------------------------------

def test_issuing_a_version_to_a_vendor(lead, built):
    assert location(lead.post("/p/crm/scripts/1/issue", {"vendor": "atlas"})) == "/p/crm/scripts/1"
    vendors = {v["slug"]: v["issued"] for v in lead.json("/p/crm/scripts.json")["vendors"]}
    assert vendors["atlas"]["version"] == 1 and vendors["keystone"] is None and vendors["nimbus"] is None
    assert "Atlas Field Systems: version 1" in lead.page("/p/crm/scripts").text
    assert lead.post("/p/crm/scripts/1/issue", {"vendor": "nobody"}).status_code == 404


def test_the_print_view_is_a_self_contained_printable_page(lead, built):
    response = lead.get("/p/crm/scripts/1/print")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.lstrip().lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "@media print" in html
    assert "<script" not in html.lower()
    assert 'rel="stylesheet"' not in html  # nothing to fetch: it prints the same offline
    for step in steps_of(built["script"]):
        assert step["hid"] in html


def test_the_markdown_download(lead, built):
    response = lead.get("/p/crm/scripts/1/script.md")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert 'filename="crm-poc-script-v1.md"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith(f"# {built['script']['title']}")
    for scenario in built["script"]["scenarios"]:
        assert f"## {scenario['key']}: {scenario['title']} ({minutes_text(scenario['minutes'])})" in text
    for step in steps_of(built["script"]):
        assert f"### {step['hid']} — " in text


# --- re-score flags -----------------------------------------------------------------------------------

def test_a_changed_requirement_flags_its_step_for_the_vendor_it_was_issued_to(lead, db, built):
    lead.post("/p/crm/scripts/1/issue", {"vendor": "atlas"})
    step = next(s for s in steps_of(built["script"]) if "REQ-47" in s["requirements"])
    assert lead.save("REQ-47", {"statement": "Work with no connection for a whole week."}).status_code == 302
    data = lead.json("/p/crm/scripts/1.json")
    assert data["rescore_needed"] == [{"vendor": "atlas", "version": 1, "step": step["hid"], "changed": ["REQ-47"]}]
    assert data["flagged"] == {step["hid"]: ["atlas"]}
    item = lead.page("/p/crm/scripts/1").one("li", id=step["hid"])
    assert "rescore" in item.attrs["class"].split()
    assert "re-score needed: atlas" in item.text
    assert lead.json("/p/crm/scripts.json")["rescore_needed"] == data["rescore_needed"]
    assert "Re-score needed" in lead.page("/p/crm/scripts").text
    others = [li for li in lead.page("/p/crm/scripts/1").find_all("li", cls="step") if li.attrs["id"] != step["hid"]]
    assert not any("rescore" in li.attrs["class"].split() for li in others)


def test_a_change_before_the_script_is_issued_flags_nothing(lead, db, built):
    session = db()
    project = get_project(session, "crm")
    update_item(session=session, project=project, kind="requirement",
                item=get_item(session, project, "requirement", "REQ-47"), fields={"statement": "Changed."},
                actor="owner")
    session.commit()
    assert lead.json("/p/crm/scripts/1.json")["rescore_needed"] == []  # issued to no vendor yet
    assert "rescore" not in lead.page("/p/crm/scripts/1").one("li", id="STEP-1").attrs["class"]


def test_an_older_version_links_to_the_latest_and_offers_no_edits(lead, built):
    edit(lead, 1, op="remove", step="STEP-3")
    data = lead.json("/p/crm/scripts/1.json")
    assert data["latest"] == 2 and data["may_edit"] is False
    page = lead.page("/p/crm/scripts/1")
    assert page.find("a", href="/p/crm/scripts/2") is not None
    assert page.find("form", action="/p/crm/scripts/1/edit") is None


def test_step_text_is_sanitised_on_the_version_page(lead, built):
    step = steps_of(built["script"])[0]
    hostile = 'Show it. <script>alert("x")</script> <img src=x onerror="alert(1)">'
    assert location(edit(lead, 1, op="edit", **step_form(step, instruction=hostile, expected=hostile))) \
        == f"/p/crm/scripts/2#{step['hid']}"
    html = lead.get("/p/crm/scripts/2").get_data(as_text=True)
    item = html[html.index(f'id="{step["hid"]}"'):]
    item = item[:item.index("</li>")]
    rendered = item[:item.index('<details class="step-edit">')]
    assert "<script" not in rendered and "onerror" not in rendered
    assert "Show it." in rendered
    printed = lead.get("/p/crm/scripts/2/print").get_data(as_text=True)
    assert "<script" not in printed.lower() and "onerror" not in printed


def test_an_edit_posted_from_an_older_version_does_not_undo_the_newer_one(lead, db, built):
    """Two tabs: the lead removes STEP-3 (version 2), then posts an edit from the stale version 1 page."""
    assert location(edit(lead, 1, op="remove", step="STEP-3")) == "/p/crm/scripts/2#STEP-3"
    response = edit(lead, 1, op="remove", step="STEP-4")
    if response.status_code == 302:
        latest = lead.json(urlparse(response.headers["Location"]).path + ".json")["script"]
        assert "STEP-3" not in [s["hid"] for s in steps_of(latest)], "version 2's change was silently undone"
    else:
        assert response.status_code in (409, 422)
        assert versions(db) == [1, 2]


# --- the opening and the scenarios ------------------------------------------------------------------

def form_of(page, field_id: str, **changes) -> tuple[str, list[tuple[str, str]]]:
    """The action and the fields of the form holding `field_id`, as a browser sends them, some changed."""
    form = page.one(id=field_id).parent
    assert form.tag == "form"
    return form.attrs["action"], [(name, changes.pop(name, value)) for name, value in form_values(form)] + \
        list(changes.items())


def test_editing_the_title_introduction_and_sample_data_through_the_form(lead, db, built):
    action, fields = form_of(lead.page("/p/crm/scripts/1"), "script-title", title="POC for field sales",
                             sample_data="Load **40 accounts** and their open deals.", op="opening")
    assert location(lead.post(action, fields)) == "/p/crm/scripts/2"
    data = lead.json("/p/crm/scripts/2.json")
    assert (data["script"]["title"], data["script"]["sample_data"], data["script"]["introduction"]) == \
        ("POC for field sales", "Load **40 accounts** and their open deals.", built["script"]["introduction"])
    assert data["script"]["scenarios"] == built["script"]["scenarios"]
    assert lead.json("/p/crm/scripts.json")["versions"][0]["note"] == "edited the title and sample data"
    page = lead.page("/p/crm/scripts/2")
    assert page.one("h1").text.startswith("POC for field sales")
    assert "<strong>40 accounts</strong>" in lead.get("/p/crm/scripts/2").get_data(as_text=True)
    printed = lead.get("/p/crm/scripts/2/print").get_data(as_text=True)
    assert "POC for field sales" in printed and "<strong>40 accounts</strong>" in printed
    # Sending the title alone (a script, not the page) leaves the introduction and sample data as they were.
    assert location(edit(lead, 2, op="opening", title="Shorter")) == "/p/crm/scripts/3"
    v3 = lead.json("/p/crm/scripts/3.json")["script"]
    assert (v3["title"], v3["sample_data"], v3["introduction"]) == \
        ("Shorter", data["script"]["sample_data"], data["script"]["introduction"])
    assert versions(db) == [1, 2, 3]


def test_the_opening_form_sent_as_it_stands_changes_nothing(lead, db, built):
    action, fields = form_of(lead.page("/p/crm/scripts/1"), "script-title", op="opening")
    assert location(lead.post(action, [(n, v.replace("\n", "\r\n")) for n, v in fields])) == "/p/crm/scripts/1"
    assert "the script is unchanged: nothing was saved, this is still version 1." in \
        [flash.text for flash in lead.page("/p/crm/scripts/1").find_all("p", role="status")]
    assert versions(db) == [1]


def test_editing_a_scenario_shows_its_narrative_sanitised(lead, built):
    key = built["script"]["scenarios"][1]["key"]
    action, fields = form_of(lead.page("/p/crm/scripts/1"), f"title-{key}", title="Plan tomorrow's visits",
                             narrative="Anna plans her **Tuesday**. <script>alert(1)</script>", op="scenario")
    assert location(lead.post(action, fields)) == f"/p/crm/scripts/2#{key}"
    section = lead.page("/p/crm/scripts/2").one("section", id=key)
    assert section.one("h2").text.startswith(f"{key}: Plan tomorrow's visits")
    narrative = section.one("div", cls="narrative")
    assert narrative.one("strong").text == "Tuesday" and not narrative.find_all("script")
    saved = lead.json("/p/crm/scripts/2.json")["script"]["scenarios"][1]
    assert saved["steps"] == built["script"]["scenarios"][1]["steps"]
    assert lead.json("/p/crm/scripts.json")["versions"][0]["note"] == f"edited {key}"


def test_moving_a_scenario_down_and_the_first_up(lead, db, built):
    first, second = (s["key"] for s in built["script"]["scenarios"][:2])
    assert location(edit(lead, 1, op="scenario-down", scenario=first)) == f"/p/crm/scripts/2#{first}"
    keys = [s["key"] for s in lead.json("/p/crm/scripts/2.json")["script"]["scenarios"]]
    assert keys[:2] == [second, first]
    page = lead.page("/p/crm/scripts/2")
    # The page offers only the moves that change something.
    assert not page.one("section", id=second).find_all("button", value="scenario-up")
    assert page.one("section", id=second).find_all("button", value="scenario-down")
    assert page.one("section", id=first).find_all("button", value="scenario-up")
    assert location(edit(lead, 2, op="scenario-up", scenario=second)) == f"/p/crm/scripts/2#{second}"
    assert f"{second} is already first in the script: nothing was saved, this is still version 2." in \
        [flash.text for flash in lead.page("/p/crm/scripts/2").find_all("p", role="status")]
    assert versions(db) == [1, 2]


def test_adding_a_scenario_then_a_step_to_it_then_removing_it(lead, db, built):
    count = len(built["script"]["scenarios"])
    new = f"SC-{count + 1}"
    action, fields = form_of(lead.page("/p/crm/scripts/1"), "new-scenario-title", title="Month-end forecast",
                             narrative="The director asks why the forecast moved.")
    assert location(lead.post(action, fields)) == f"/p/crm/scripts/2#{new}"
    section = lead.page("/p/crm/scripts/2").one("section", id=new)
    assert section.one("h2").text.startswith(f"{new}: Month-end forecast")
    assert section.find_all("button", value="remove-scenario")  # empty: it may go
    edit(lead, 2, op="add", scenario=new, instruction="Show the forecast by region.", requirements="REQ-1")
    page = lead.page("/p/crm/scripts/3")
    assert not page.one("section", id=new).find_all("button", value="remove-scenario")
    response = edit(lead, 3, op="remove-scenario", scenario=new)
    assert response.status_code == 422
    assert f"{new}: still has 1 step: move or remove it first" in \
        parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    step = lead.json("/p/crm/scripts/3.json")["script"]["scenarios"][-1]["steps"][0]["hid"]
    edit(lead, 3, op="remove", step=step)
    assert location(edit(lead, 4, op="remove-scenario", scenario=new)) == "/p/crm/scripts/5"
    assert [s["key"] for s in lead.json("/p/crm/scripts/5.json")["script"]["scenarios"]] == \
        [s["key"] for s in built["script"]["scenarios"]]
    assert versions(db) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("form, says", [
    ({"op": "add-scenario", "title": "  "}, "title: a scenario needs a title"),
    ({"op": "scenario", "scenario": "SC-1", "title": ""}, "SC-1: a scenario needs a title"),
    ({"op": "scenario", "scenario": "SC-999", "title": "x"}, "there is no scenario SC-999"),
    ({"op": "scenario-down", "scenario": "SC-999"}, "SC-999"),
    ({"op": "opening", "title": ""}, "a script needs a title"),
    ({"op": "opening", "title": "Line one\nLine two"}, "title: a title is one line"),
    ({"op": "scenario", "scenario": "SC-1", "title": "Line one\r\nLine two"}, "SC-1: a title is one line"),
    ({"op": "add-scenario", "title": "Line one\nLine two"}, "title: a title is one line"),
    ({"op": "opening", "introduction": "x" * (MAX_TEXT + 1)}, "the introduction has at most"),
])
def test_invalid_scenario_and_opening_edits_are_refused(lead, db, built, form, says):
    response = edit(lead, 1, **form)
    assert response.status_code == 422
    assert says in parse_html(response.get_data(as_text=True)).one("p", role="alert").text
    assert versions(db) == [1]
