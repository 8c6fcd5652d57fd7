"""Every route declares who may use it; every page has a JSON twin carrying the data the page shows."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from reqtrace.schemas import MAX_ID
from reqtrace.workflow import ROLE_ACTIONS
from tests.web.support import PUBLIC_ENDPOINTS, Element, every_page_url, json_twin, page_rules
from web import create_app, security
from web.pages import page


def test_every_view_but_login_static_and_health_declares_a_permission(shared_app):
    endpoints = {rule.endpoint for rule in shared_app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS <= endpoints
    for endpoint in sorted(endpoints - PUBLIC_ENDPOINTS):
        view = shared_app.view_functions[endpoint]
        assert hasattr(view, "permission"), f"{endpoint} declares no permission"
        assert view.permission in ROLE_ACTIONS, f"{endpoint}: unknown permission {view.permission!r}"


def test_state_changing_views_do_not_ask_only_for_read(shared_app):
    # An evaluator (a reader otherwise) scores the sessions they attend: these check attendance
    # themselves (403 for anyone else, see tests/web/test_sessions.py).
    readers_may_post = {"auth.logout", "sessions.results", "sessions.tick", "sessions.submit",
                        "sessions.upload_photo",
                        # Exporting the requirements workbook is a read, as its direct download; the POST starts a
                        # job whose file only its starter may download, and changes nothing in the project.
                        "workbooks.start_requirements_export",
                        # Everyone changes their own password (with the current one): tests/web/test_users.py.
                        "account.change_password"}
    for rule in shared_app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS | readers_may_post:
            assert shared_app.view_functions[rule.endpoint].permission != "read", rule.endpoint


def test_an_app_with_an_undeclared_view_refuses_to_start(sample_url):
    app = create_app({"DATABASE_URL": sample_url, "SECRET_KEY": "test"})
    app.add_url_rule("/forgotten", "forgotten", lambda: "no role check")
    with pytest.raises(RuntimeError, match="forgotten"):
        security.check_every_view_declares_a_permission(app)


def test_the_page_decorator_registers_a_guarded_json_twin():
    blueprint = Blueprint("example", __name__)
    registered = {}
    blueprint.add_url_rule = lambda rule, endpoint, view, methods: registered.update({endpoint: (rule, view)})

    @page(blueprint, "/p/<key>/thing", "error.html", permission="baseline")
    def thing(key):
        return {"key": key}

    assert registered["thing"][0] == "/p/<key>/thing"
    assert registered["thing_json"][0] == "/p/<key>/thing.json"
    assert registered["thing"][1].permission == registered["thing_json"][1].permission == "baseline"


def test_every_page_rule_has_a_json_twin_rule(shared_app):
    rules = {rule.endpoint: rule.rule for rule in shared_app.url_map.iter_rules()}
    pages = page_rules(shared_app)
    assert len(pages) >= 15
    for rule in pages:
        twin = rule.endpoint + "_json"
        assert twin in rules, f"{rule.rule} has no JSON twin"
        expected = rule.rule + "index.json" if rule.rule.endswith("/") else rule.rule + ".json"
        assert rules[twin] == expected
        assert shared_app.view_functions[twin].permission == shared_app.view_functions[rule.endpoint].permission


def test_every_page_and_its_twin_answer_the_lead(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "B1"}).status_code == 302  # so /baselines/B1 exists
    urls = every_page_url(lead.client.application) + [
        ("trace.matrix", "/p/crm/matrix?page=2"), ("baselines.compare", "/p/crm/compare?from=B1&to=current"),
        ("items.detail", "/p/crm/items/ROL-6"), ("items.detail", "/p/crm/items/PRC-8")]
    for endpoint, url in urls:
        html = lead.get(url)
        assert html.status_code == 200 and html.mimetype == "text/html", url
        data = lead.json(json_twin(url))
        assert isinstance(data, dict) and data, url
        # The only pages outside a project: home, help and the accounts.
        if endpoint not in ("home.index", "help.show", "account.show", "users.index", "users.edit_form"):
            assert data["project"]["key"] == "crm", url


# --- the twin holds what the page shows (spot checks) ----------------------------------------

def _rows(table: Element) -> list[Element]:
    body = table.find("tbody")
    return body.find_all("tr") if body else []


def test_matrix_page_shows_the_twins_rows(reader):
    lead = reader("lead")
    for url in ("/p/crm/matrix", "/p/crm/matrix?page=3", "/p/crm/matrix?strategy=STR-4&page=2"):
        data = lead.json(json_twin(url))
        page = lead.page(url)
        assert f"{data['total']} requirements" in page.one("h1").text
        assert f"Page {data['page']} of {data['pages']}" in page.one("nav", cls="pager").text
        rows = _rows(page.one("table", cls="matrix"))
        assert len(rows) == len(data["rows"]) > 0
        for tr, row in zip(rows, data["rows"]):
            cells = tr.find_all("td")
            assert cells[0].find("a").text == row["id"]
            assert row["title"] in cells[0].text
            assert [a.text for a in cells[3].find_all("a")] == row["processes"]
            assert [a.text for a in cells[4].find_all("a")] == row["roles"]
            assert [a.text for a in cells[5].find_all("a")] == row["strategies"]


def test_listing_shows_the_twins_rows(reader):
    lead = reader("lead")
    for plural in ("strategies", "roles", "processes", "requirements"):
        data = lead.json(f"/p/crm/{plural}.json")
        page = lead.page(f"/p/crm/{plural}")
        assert page.one("h1").find("small").text == str(data["total"])
        ids = [tr.find("a").text for tr in _rows(page.one("table", cls="grid"))]
        assert ids == [row["id"] for row in data["rows"]]


def test_item_page_shows_the_twins_fields_and_links(reader):
    lead = reader("lead")
    data = lead.json("/p/crm/items/REQ-47.json")
    page = lead.page("/p/crm/items/REQ-47")
    assert data["item"]["title"] in page.one("h1").text
    assert f"version {data['item']['version']}" in page.one("p", cls="meta").text
    above = [a.text for a in page.find_all("ul", cls="links")[0].find_all("a")]
    assert above == [link["id"] for link in data["up"]] == ["PRC-8"]
    assert [s["id"] for s in data["strategies"]] == ["STR-4", "STR-6", "STR-8"]
    crumbs = page.one("nav", cls="breadcrumbs").text
    assert all(s["id"] in crumbs for s in data["strategies"])
    assert data["rendered"]["statement"].startswith("<p>")


def test_tree_gaps_impact_and_overview_show_their_twins(reader):
    lead = reader("lead")
    tree = lead.json("/p/crm/tree.json")
    page = lead.page("/p/crm/tree")
    shown = [li.find("a").text for li in page.one("ul", cls="tree").find_all("li", cls="level-strategy")]
    assert shown == [node["id"] for node in tree["strategies"]]

    impact = lead.json("/p/crm/items/STR-4/impact.json")
    page = lead.page("/p/crm/items/STR-4/impact")
    for level in impact["levels"]:
        section = next(s for s in page.find_all("section") if s.find("h2").text.startswith(level["name"].capitalize()))
        assert [a.text for a in section.find_all("a")] == [entry["id"] for entry in level["entries"]]

    gaps = lead.json("/p/crm/gaps.json")
    text = lead.page("/p/crm/gaps").text
    for capability, count in gaps["capability_balance"]["counts"].items():
        share = round(gaps["capability_balance"]["shares"][capability] * 100)
        assert f"{share}% ({count})" in text

    overview = lead.json("/p/crm.json")
    steps = lead.page("/p/crm").find_all("a", cls="chain-step")
    assert [step.find("strong").text for step in steps] == [str(overview["counts"][kind]) for kind in
                                                           ("strategy", "role", "process", "requirement")]


def test_edit_and_new_forms_show_their_twins_values(reader):
    lead = reader("lead")
    data = lead.json("/p/crm/items/REQ-47/edit.json")
    page = lead.page("/p/crm/items/REQ-47/edit")
    assert page.one("input", id="title").attrs["value"] == data["values"]["title"]
    assert page.one("textarea", id="statement").raw_text.strip() == data["values"]["statement"]
    assert page.one("input", name="version").attrs["value"] == str(data["item"]["version"])
    checked = [box.attrs["value"] for box in page.find_all("input", name="links") if "checked" in box.attrs]
    assert checked == data["values"]["links"] == ["PRC-8"]
    new = lead.json("/p/crm/strategies/new.json")
    labels = [label.text.replace("*", "").strip() for label in lead.page("/p/crm/strategies/new").find_all("label")]
    for spec in new["fields"]:
        assert spec["label"] in labels


def test_history_suspect_baselines_and_compare_pages_show_their_twins(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Meet customers where they are."}).status_code == 302
    assert lead.post("/p/crm/baselines", {"name": "B1", "note": "first"}).status_code == 302
    assert lead.save("REQ-47", {"title": "Territory accounts usable offline"}).status_code == 302

    history = lead.json("/p/crm/items/STR-4/history.json")
    page = lead.page("/p/crm/items/STR-4/history")
    entries = [li for li in page.one("ol", cls="history").children if isinstance(li, Element)]
    assert len(entries) == len(history["events"]) >= 2
    assert entries[0].find("strong").text == history["events"][-1]["actor_name"] == "Morgan Reyes (CRM lead)"

    suspect = lead.json("/p/crm/suspect.json")
    page = lead.page("/p/crm/suspect")
    assert page.one("h1").find("small").text == str(len(suspect["links"])) == "4"
    headings = [" ".join(a.text for a in article.find("h2").find_all("a")) for article in
                page.find_all("article", cls="suspect-link")]
    assert headings == [f"{link['from']['id']} {link['to']['id']}" for link in suspect["links"]]

    baselines = lead.json("/p/crm/baselines.json")
    rows = _rows(lead.page("/p/crm/baselines").one("table", cls="grid"))
    assert [(tr.find("a").text, tr.find_all("td")[3].text) for tr in rows] == [
        (b["name"], str(b["counts"]["requirement"])) for b in baselines["baselines"]]

    compare = lead.json("/p/crm/compare.json?from=B1&to=current")
    page = lead.page("/p/crm/compare?from=B1&to=current")
    counts = compare["counts"]
    assert f"{counts['added']} added · {counts['removed']} removed · {counts['changed']} changed" in page.text
    changed = [h3.find("a").text for h3 in page.find_all("h3")]
    assert changed == [entry["id"] for entry in compare["changed"]] and "REQ-47" in changed

    shown = lead.json("/p/crm/baselines/B1.json")
    text = lead.page("/p/crm/baselines/B1").text
    assert shown["baseline"]["counts"]["requirement"] == 172
    assert all(row["id"] in text for row in shown["levels"]["requirement"])
    assert re.search(r"Requirements\s+172", text)


def test_unknown_projects_and_items_are_404_in_html_and_json(reader):
    lead = reader("lead")
    for url in ("/p/nope", "/p/nope/matrix", "/p/crm/items/REQ-999", "/p/crm/items/REQ-47%3Cb%3E",
                "/p/crm/baselines/nope", "/p/crm/widgets"):
        page = lead.get(url)
        assert page.status_code == 404 and page.mimetype == "text/html", url
        twin = lead.get(json_twin(url))
        assert twin.status_code == 404 and twin.get_json()["error"] == "Not found", url


def test_a_number_in_a_url_too_large_for_any_id_is_no_page_not_a_server_error(auth):
    """Every <int:…> part: a number past any id once reached the database driver and made a 500."""
    lead = auth("lead")
    huge = str(2**70)
    rules = [rule for rule in lead.client.application.url_map.iter_rules() if "<int:" in rule.rule]
    assert len(rules) >= 10
    for rule in rules:
        url = re.sub(r"<int:\w+>", huge, rule.rule)
        url = re.sub(r"<(?:\w+:)?key>", "crm", url)
        url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
        if "GET" in rule.methods:
            assert lead.get(url).status_code == 404, url
        else:  # werkzeug answers 405 where a GET rule has the same path
            assert lead.post(url, {}).status_code in (404, 405), url
    for number in (MAX_ID, MAX_ID + 1, 2**63 - 1, 2**63):  # past 2**31 - 1 an INTEGER overflowed on PostgreSQL
        assert lead.get(f"/p/crm/sessions/{number}").status_code == 404, number
