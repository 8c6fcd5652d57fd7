"""Baselines in the web app, and the same baselines through `reqtrace baseline` on the same database."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from reqtrace.cli import main
from reqtrace.model import Baseline
from tests.web.support import form_values

SAMPLE_COUNTS = {"strategy": 11, "role": 18, "process": 28, "requirement": 172}
NEW_TITLE = "Territory accounts usable offline after a restart"


def test_the_lead_freezes_the_approved_chain(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/baselines", {"name": "B1", "note": "POC issue 1"})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/baselines/B1"
    assert "Baseline B1 frozen: 172 approved requirements." in lead.page("/p/crm/baselines/B1").text
    listed = lead.json("/p/crm/baselines.json")["baselines"]
    assert [(b["name"], b["note"], b["created_by"], b["counts"]) for b in listed] == [
        ("B1", "POC issue 1", "lead", SAMPLE_COUNTS)]
    shown = lead.json("/p/crm/baselines/B1.json")
    assert {kind: len(rows) for kind, rows in shown["levels"].items()} == SAMPLE_COUNTS
    req47 = next(row for row in shown["levels"]["requirement"] if row["id"] == "REQ-47")
    assert (req47["version"], req47["links"], req47["priority"]) == (1, ["PRC-8"], "must")
    overview = lead.json("/p/crm.json")
    assert overview["project"]["status"] == "baselined"
    assert overview["latest_baseline"]["name"] == "B1"


def test_only_approved_items_are_frozen(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/items/REQ-47/status", {"status": "draft", "version": 1}).status_code == 302
    assert lead.create("requirements", {"title": "Draft only", "links": ["PRC-8"]}).status_code == 302
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    frozen = lead.json("/p/crm/baselines/B1.json")
    ids = {row["id"] for row in frozen["levels"]["requirement"]}
    assert "REQ-47" not in ids and "REQ-173" not in ids
    assert frozen["baseline"]["counts"]["requirement"] == 171


@pytest.mark.parametrize("name", ["B1", " B1 "])
def test_a_duplicate_name_is_refused(auth, name):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    response = lead.post("/p/crm/baselines", {"name": name})
    assert response.status_code == 422
    # The refusal is a page of its own (a redirect with a 4xx status would not be followed by a browser).
    assert "already has a baseline named 'B1'" in html.unescape(response.get_data(as_text=True))
    assert [b["name"] for b in lead.json("/p/crm/baselines.json")["baselines"]] == ["B1"]


@pytest.mark.parametrize("name", ["", "current", "../x", "<b>"])
def test_a_bad_name_is_refused(auth, name):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": name}).status_code == 422
    assert lead.json("/p/crm/baselines.json")["baselines"] == []


@pytest.mark.parametrize("name, says", [("x" * 500, "a baseline name has at most 80 characters (this one has 500)"),
                                        ("   ", "give the baseline a name, e.g. POC issue 1")])
def test_a_name_too_long_or_empty_is_refused_saying_just_that(auth, name, says):
    lead = auth("lead")
    response = lead.post("/p/crm/baselines", {"name": name})
    assert response.status_code == 422
    assert says in html.unescape(response.get_data(as_text=True))
    assert lead.json("/p/crm/baselines.json")["baselines"] == []


@pytest.mark.parametrize("name", ["x.json", "POC issue 1.json"])
def test_a_name_ending_in_json_is_refused_because_its_page_could_never_open(app, auth, cli_env, name):
    lead = auth("lead")
    response = lead.post("/p/crm/baselines", {"name": name})
    assert response.status_code == 422
    stem = name.removesuffix(".json")
    assert (f"a baseline name may not end in '.json' ({name!r}): the address of its page would be read as the "
            f"JSON of a baseline named {stem!r}") in html.unescape(response.get_data(as_text=True))
    refused = CliRunner().invoke(main, ["--db", app.config["DATABASE_URL"], "baseline", "create", name,
                                        "--project", "crm", "--json"])
    assert refused.exit_code == 1 and "may not end in '.json'" in json.loads(refused.stdout)["error"]
    assert lead.json("/p/crm/baselines.json")["baselines"] == []
    # ".json" elsewhere in the name is fine, and the baseline opens.
    assert lead.post("/p/crm/baselines", {"name": "x.json v2"}).status_code == 302
    assert "x.json v2" in lead.page("/p/crm/baselines/x.json v2").one("h1").text
    assert lead.json("/p/crm/baselines/x.json v2.json")["baseline"]["name"] == "x.json v2"


def test_an_owner_cannot_baseline(auth):
    owner = auth("owner")
    assert owner.json("/p/crm/baselines.json")["may_create"] is False
    assert owner.page("/p/crm/baselines").find("form", action="/p/crm/baselines") is None
    assert owner.post("/p/crm/baselines", {"name": "B1"}).status_code == 403
    assert owner.json("/p/crm/baselines.json")["baselines"] == []


def test_compare_a_baseline_with_the_current_state(auth):
    lead, owner = auth("lead"), auth("owner")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    assert lead.json("/p/crm/compare.json?from=B1&to=current")["counts"] == {"added": 0, "removed": 0, "changed": 0}
    old_title = owner.item("REQ-47")["title"]
    assert owner.save("REQ-47", {"title": NEW_TITLE}).status_code == 302  # back to draft: an owner's edit

    result = lead.json("/p/crm/compare.json?from=B1&to=current")
    assert result["counts"] == {"added": 0, "removed": 0, "changed": 1}
    entry = result["changed"][0]
    assert (entry["kind"], entry["id"], entry["title"]) == ("requirement", "REQ-47", NEW_TITLE)
    changes = {change["field"]: (change["before"], change["after"]) for change in entry["changes"]}
    assert changes == {"title": (old_title, NEW_TITLE), "status": ("approved", "draft")}

    page = lead.page("/p/crm/compare?from=B1&to=current")
    assert page.one("h1").text == "What changed from B1 to current"
    rows = {tr.find_all("td")[0].text: (tr.one("td", cls="before").text, tr.one("td", cls="after").text)
            for tr in page.one("table", cls="diff").one("tbody").find_all("tr")}
    assert rows == {"title": (old_title, NEW_TITLE), "status": ("approved", "draft")}
    assert lead.json("/p/crm/compare.json")["from"] == "B1"  # the latest baseline by default


def test_compare_two_baselines(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    old_title = lead.item("REQ-47")["title"]
    assert lead.save("REQ-47", {"title": NEW_TITLE, "priority": "should"}).status_code == 302  # stays approved
    assert lead.post("/p/crm/items/REQ-48/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.create("requirements", {"title": "New and approved", "links": ["PRC-8"]}).status_code == 302
    assert lead.post("/p/crm/items/REQ-173/status", {"status": "approved", "version": 1}).status_code == 302
    assert lead.post("/p/crm/baselines", {"name": "B2"}).status_code == 302

    result = lead.json("/p/crm/compare.json?from=B1&to=B2")
    assert result["counts"] == {"added": 1, "removed": 1, "changed": 1}  # links are stored upwards only
    assert [entry["id"] for entry in result["added"]] == ["REQ-173"]
    assert [entry["id"] for entry in result["removed"]] == ["REQ-48"]
    changed = {entry["id"]: {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}
               for entry in result["changed"]}
    assert changed["REQ-47"] == {"title": (old_title, NEW_TITLE), "priority": ("must", "should")}
    assert list(changed) == ["REQ-47"]
    assert lead.json("/p/crm/compare.json?from=B2&to=B1")["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert lead.json("/p/crm/baselines.json")["baselines"][0]["name"] == "B2"  # newest first


def test_compare_with_an_unknown_baseline_is_404(auth):
    lead = auth("lead")
    response = lead.get("/p/crm/compare.json?from=nope&to=current")
    assert response.status_code == 404
    assert "nope" in response.get_json()["message"]


# --- the CLI on the same database ------------------------------------------------------------

def _cli(app, *args):
    result = CliRunner().invoke(main, ["--db", app.config["DATABASE_URL"], *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_cli_sees_the_same_baselines_and_differences(app, auth, cli_env):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    assert lead.save("REQ-47", {"title": NEW_TITLE}).status_code == 302

    created = _cli(app, "baseline", "create", "B2", "--project", "crm", "--json")
    assert created["counts"] == SAMPLE_COUNTS
    web = {b["name"]: b["counts"] for b in lead.json("/p/crm/baselines.json")["baselines"]}
    assert web == {"B1": SAMPLE_COUNTS, "B2": SAMPLE_COUNTS}
    assert lead.json("/p/crm/baselines/B2.json")["baseline"]["created_by"] == "cli:test"

    listed = _cli(app, "baseline", "list", "--project", "crm", "--json")
    assert [(b["name"], b["counts"]) for b in listed["baselines"]] == [("B2", SAMPLE_COUNTS), ("B1", SAMPLE_COUNTS)]

    for old, new in (("B1", "current"), ("B1", "B2"), ("B2", "current")):
        from_cli = _cli(app, "baseline", "compare", old, new, "--project", "crm", "--json")
        from_web = lead.json(f"/p/crm/compare.json?from={old}&to={new}")
        assert from_cli["counts"] == from_web["counts"], (old, new)
        assert from_cli["changed"] == from_web["changed"], (old, new)
    assert _cli(app, "baseline", "compare", "B1", "B2", "--project", "crm", "--json")["counts"]["changed"] == 1

    refused = CliRunner().invoke(main, ["--db", app.config["DATABASE_URL"], "baseline", "create", "B1",
                                        "--project", "crm", "--json"])
    assert refused.exit_code == 1
    assert [b["name"] for b in lead.json("/p/crm/baselines.json")["baselines"]] == ["B2", "B1"]


# --- names that look the same ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["qa b1", "QA  B1", " Qa\tb1 "])
def test_a_name_that_looks_like_a_taken_one_is_refused_naming_it(auth, name):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "QA B1"}).status_code == 302
    response = lead.post("/p/crm/baselines", {"name": name})
    assert response.status_code == 422
    assert ("project crm already has a baseline named 'QA B1' (names that differ only in capitals or spaces look "
            "the same)") in html.unescape(response.get_data(as_text=True))
    assert [b["name"] for b in lead.json("/p/crm/baselines.json")["baselines"]] == ["QA B1"]
    assert len(lead.page("/p/crm/baselines").one("tbody").find_all("tr")) == 1


def test_runs_of_spaces_in_a_new_name_become_one_space(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/baselines", {"name": "  POC   issue 2 "})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/baselines/POC%20issue%202"
    assert "Baseline POC issue 2 frozen" in lead.page("/p/crm/baselines/POC issue 2").text
    assert [b["name"] for b in lead.json("/p/crm/baselines.json")["baselines"]] == ["POC issue 2"]


def test_an_accented_letter_is_refused_by_a_message_that_says_so(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/baselines", {"name": "café"})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "a baseline name has unaccented letters (A-Z, a-z), digits" in text and "holds 'é'" in text


def test_compare_submits_the_baseline_chosen_even_if_an_old_name_has_two_spaces(auth, db):
    """A baseline named before names were tidied ("QA  B1") is still the one compared when chosen."""
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "QA B1"}).status_code == 302
    assert lead.save("REQ-47", {"title": NEW_TITLE}).status_code == 302
    assert lead.post("/p/crm/baselines", {"name": "QA B2"}).status_code == 302
    session = db()
    legacy = session.exec(select(Baseline).where(Baseline.name == "QA B2")).scalars().one()
    legacy.name = "QA  B1"
    session.commit()

    page = lead.page("/p/crm/compare?" + urlencode({"from": "QA  B1", "to": "current"}))
    chosen = dict(form_values(page.one("form", cls="filters")))
    assert chosen == {"from": "QA  B1", "to": "current"}
    assert lead.json("/p/crm/compare.json?" + urlencode(chosen))["counts"]["changed"] == 0  # not "QA B1"
    for option in page.find_all("option"):
        assert "value" in option.attrs, option.text


def test_a_baseline_says_which_frozen_items_link_to_items_it_does_not_hold(auth):
    """PRC-8 goes back to draft; the requirements under it stay approved and are frozen, with their link to a
    process the baseline does not hold: the lead is told at once, and the baseline's page marks the links."""
    lead = auth("lead")
    assert lead.post("/p/crm/items/PRC-8/status", {"status": "draft", "version": 1}).status_code == 302
    under = sorted((link["id"] for link in lead.json("/p/crm/items/PRC-8.json")["down"]),
                   key=lambda hid: int(hid.split("-")[1]))
    assert under and "REQ-47" in under
    response = lead.post("/p/crm/baselines", {"name": "B1"})
    assert response.status_code == 302
    page = lead.page("/p/crm/baselines/B1")
    warning = page.one("p", cls="flash-warning").text
    assert warning.startswith(f"{len(under)} frozen items link to items above that were not approved, so are not "
                              f"in this baseline: {under[0]} → PRC-8")
    data = lead.json("/p/crm/baselines/B1.json")
    assert [(row["id"], row["links_to"]) for row in data["links_outside"]] == [(hid, "PRC-8") for hid in under]
    req47 = next(row for row in data["levels"]["requirement"] if row["id"] == "REQ-47")
    assert req47["links_outside"] == ["PRC-8"]
    marked = [span.text for span in page.find_all("span", cls="outside")]
    assert "PRC-8 (not in this baseline)" in marked and len(marked) == len(under)


def test_a_baseline_of_a_closed_chain_says_nothing_of_links_outside(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302
    page = lead.page("/p/crm/baselines/B1")
    assert page.find("p", cls="flash-warning") is None and page.find("span", cls="outside") is None
    assert lead.json("/p/crm/baselines/B1.json")["links_outside"] == []
