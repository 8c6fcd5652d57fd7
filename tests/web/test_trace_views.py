"""The trace views: matrix (paged, filtered, equal to the trace rules), tree, gaps, suspect links, impact."""

from __future__ import annotations

import html

from urllib.parse import urlencode

import pytest
from sqlmodel import Session

from reqtrace.services.projects import get_project
from reqtrace.trace import check, impact, trace_matrix
from reqtrace.trace.load import load_graph
from tests.web.support import Visitor, parse_html

MATRIX_FIELDS = ("id", "title", "status", "priority", "capability", "tags", "processes", "roles", "strategies",
                 "technology_driven", "suspect")


def walk(visitor: Visitor, **query) -> list[dict]:
    """Every row of the matrix for a filter, page after page, checking the paging as it goes."""
    rows: list[dict] = []
    page, total = 1, None
    while True:
        data = visitor.json("/p/crm/matrix.json?" + urlencode({**query, "page": page}))
        if total is None:
            total = data["total"]
        assert data["total"] == total and data["page"] == page
        rows.extend(data["rows"])
        if page >= data["pages"]:
            break
        page += 1
    assert len(rows) == total
    assert len({row["id"] for row in rows}) == total  # no row twice across pages
    return rows


def rule_rows(engine_or_url) -> list[dict]:
    """What reqtrace.trace.trace_matrix says, straight from the database."""
    with Session(engine_or_url) as session:
        return trace_matrix(load_graph(session, get_project(session, "crm")))


def graph_of(engine):
    with Session(engine) as session:
        return load_graph(session, get_project(session, "crm"))


def project_rows(rows: list[dict]) -> list[dict]:
    return [{name: row[name] for name in MATRIX_FIELDS} for row in rows]


@pytest.fixture
def shared_engine(shared_app):
    return shared_app.extensions["reqtrace_engine"]


@pytest.fixture
def engine(app):
    return app.extensions["reqtrace_engine"]


# --- paging ----------------------------------------------------------------------------------

def test_matrix_pages_hold_different_rows_and_a_stable_total(reader):
    lead = reader("lead")
    first, second = lead.json("/p/crm/matrix.json"), lead.json("/p/crm/matrix.json?page=2")
    assert first["total"] == second["total"] == 172
    assert (first["pages"], first["per_page"], len(first["rows"]), len(second["rows"])) == (4, 50, 50, 50)
    assert not {row["id"] for row in first["rows"]} & {row["id"] for row in second["rows"]}
    assert first["rows"][0]["id"] == "REQ-1" and second["rows"][0]["id"] == "REQ-51"
    last = lead.json("/p/crm/matrix.json?page=4")
    assert len(last["rows"]) == 22 and last["rows"][-1]["id"] == "REQ-172"
    assert lead.json("/p/crm/matrix.json?page=99")["page"] == 4  # past the end: the last page
    assert lead.json("/p/crm/matrix.json?page=0")["page"] == 1
    small = lead.json("/p/crm/matrix.json?per_page=7&page=3")
    assert [row["id"] for row in small["rows"]] == [f"REQ-{n}" for n in range(15, 22)]
    page = lead.page("/p/crm/matrix?page=2")
    assert page.one("a", rel="next").attrs["href"] == "/p/crm/matrix?page=3"
    assert page.one("a", rel="prev").attrs["href"] == "/p/crm/matrix?page=1"


def test_paged_matrix_equals_the_trace_rules_for_every_requirement(reader, shared_engine):
    assert project_rows(walk(reader("lead"))) == project_rows(rule_rows(shared_engine))


FILTERS = [
    ({"strategy": "STR-4"}, lambda row: "STR-4" in row["strategies"]),
    ({"strategy": "STR-1", "priority": "must"}, lambda row: "STR-1" in row["strategies"] and row["priority"] == "must"),
    ({"priority": "wont"}, lambda row: row["priority"] == "wont"),
    ({"capability": "people"}, lambda row: row["capability"] == "people"),
    ({"capability": "knowledge-insight", "priority": "should"},
     lambda row: row["capability"] == "knowledge-insight" and row["priority"] == "should"),
    ({"tag": "offline"}, lambda row: "offline" in row["tags"]),
    ({"tag": "business-rules"}, lambda row: "business-rules" in row["tags"]),
    ({"status": "approved"}, lambda row: row["status"] == "approved"),
    ({"text": "offline"}, lambda row: "offline" in row["title"].lower() or "offline" in row["id"].lower()),
    ({"trace": "technology-driven"}, lambda row: row["technology_driven"]),
]


@pytest.mark.parametrize("query, keep", FILTERS, ids=[urlencode(query) for query, _ in FILTERS])
def test_matrix_filters_keep_exactly_the_matching_rows(reader, shared_engine, query, keep):
    expected = [row for row in rule_rows(shared_engine) if keep(row)]
    if "trace" not in query:
        assert expected, "the filter should match something in the sample"
    got = walk(reader("lead"), **query)
    assert [row["id"] for row in got] == [row["id"] for row in expected]
    assert project_rows(got) == project_rows(expected)
    assert reader("lead").json("/p/crm/matrix.json?" + urlencode(query))["filter"] == query


def test_matrix_page_keeps_the_filter_in_its_form_and_pager(reader):
    page = reader("lead").page("/p/crm/matrix?strategy=STR-4&priority=must")
    assert page.one("select", name="strategy").one("option", selected="").attrs["value"] == "STR-4"
    assert page.one("select", name="priority").one("option", selected="").attrs["value"] == "must"
    nxt = page.find("a", rel="next")
    if nxt is not None:
        assert "strategy=STR-4" in nxt.attrs["href"] and "priority=must" in nxt.attrs["href"]


def test_matrix_equals_the_trace_rules_after_changes_to_the_chain(auth, engine):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Reworded: links below become suspect."}).status_code == 302
    assert lead.save("ROL-2", {"to_state": "Owns the whole account."}).status_code == 302
    assert lead.post("/p/crm/items/PRC-10/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/ROL-7/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/REQ-50/status", {"status": "draft", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/REQ-51/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.create("requirements", {"title": "Gamified leaderboard", "links": []}).status_code == 302
    assert lead.save("REQ-60", {"links": ["PRC-10"]}).status_code == 302  # only under a retired process now

    expected = rule_rows(engine)
    got = walk(lead)
    assert project_rows(got) == project_rows(expected)
    assert {row["id"] for row in got if row["technology_driven"]} >= {"REQ-173", "REQ-60"}
    assert any(row["suspect"] for row in got)
    assert "REQ-51" not in {row["id"] for row in got}
    for query, keep in [({"trace": "technology-driven"}, lambda row: row["technology_driven"]),
                        ({"trace": "suspect"}, lambda row: row["suspect"]),
                        ({"status": "draft"}, lambda row: row["status"] == "draft"),
                        ({"strategy": "STR-4"}, lambda row: "STR-4" in row["strategies"])]:
        assert project_rows(walk(lead, **query)) == project_rows([row for row in expected if keep(row)]), query


# --- tree ------------------------------------------------------------------------------------

def _tree_nodes(nodes):
    for node in nodes:
        yield node
        yield from _tree_nodes(node.get("children", []))


@pytest.mark.parametrize("q", ["no network", "Quote", "REQ-47", "field"])
def test_tree_filter_keeps_matches_and_their_ancestors_only(reader, shared_engine, q):
    lead = reader("lead")
    tree = lead.json("/p/crm/tree.json?" + urlencode({"q": q}))
    needle = q.lower()
    contains = lambda node: needle in node["id"].lower() or needle in node["title"].lower()  # noqa: E731
    nodes = list(_tree_nodes(tree["strategies"]))
    assert nodes
    for node in nodes:
        assert node["match"] == contains(node)
        if not node["match"]:
            assert node.get("children"), f"{node['id']} neither matches nor leads to a match"
    shown = {node["id"] for node in nodes if node["kind"] == "requirement"} | {
        entry["id"] for entry in tree["unplaced"]["requirement"]}
    expected = {row["id"] for row in rule_rows(shared_engine) if needle in row["id"].lower()
                or needle in row["title"].lower()}
    assert shown == expected
    page = lead.page("/p/crm/tree?" + urlencode({"q": q}))
    assert page.one("input", name="q").attrs["value"] == q
    assert {li.find("a").text for li in page.find_all("li", cls="match")} == {n["id"] for n in nodes if n["match"]}


def test_tree_without_a_filter_holds_every_active_item(reader, shared_engine):
    tree = reader("lead").json("/p/crm/tree.json")
    ids = {node["id"] for node in _tree_nodes(tree["strategies"])}
    counts = check(graph_of(shared_engine)).counts
    assert len({i for i in ids if i.startswith("STR-")}) == counts["strategy"]
    assert len({i for i in ids if i.startswith("REQ-")}) == counts["requirement"]
    assert tree["unplaced"] == {"role": [], "process": [], "requirement": []}


def test_requirement_filter_in_tree_places_technology_driven_ones_apart(auth):
    lead = auth("lead")
    assert lead.create("requirements", {"title": "Blockchain ledger for quotes", "links": []}).status_code == 302
    tree = lead.json("/p/crm/tree.json?q=blockchain")
    assert tree["strategies"] == []
    assert tree["unplaced"]["requirement"] == [{"id": "REQ-173", "title": "Blockchain ledger for quotes",
                                                "status": "draft"}]


# --- gaps ------------------------------------------------------------------------------------

def test_gaps_shows_a_requirement_with_no_process_as_technology_driven(auth):
    lead = auth("lead")
    assert lead.json("/p/crm/gaps.json")["technology_driven"] == []
    assert lead.create("requirements", {"title": "AI chatbot because everyone has one", "links": []}) \
        .status_code == 302
    gaps = lead.json("/p/crm/gaps.json")
    assert gaps["technology_driven"] == [{"id": "REQ-173", "title": "AI chatbot because everyone has one"}]
    assert gaps["ok"] is False
    page = lead.page("/p/crm/gaps")
    section = next(s for s in page.find_all("section", cls="gap-list")
                   if s.find("h2").text.startswith("Technology-driven"))
    assert section.find("h2").find("small").text == "1"
    assert "REQ-173 AI chatbot because everyone has one" in section.find("ul").text
    assert lead.json("/p/crm.json")["trace"]["technology_driven"] == ["REQ-173"]
    assert lead.json("/index.json")["projects"][0]["technology_driven"] == 1


def test_gaps_lists_a_strategy_nobody_sponsors_or_measures_and_that_nothing_supports(auth):
    lead = auth("lead")
    assert lead.create("strategies", {"title": "Delight everyone", "sponsor": "", "kpi": ""}).status_code == 302
    gaps = lead.json("/p/crm/gaps.json")
    assert {"id": "STR-12", "title": "Delight everyone"} in gaps["strategies_without_sponsor"]
    assert {"id": "STR-12", "title": "Delight everyone"} in gaps["strategies_without_kpi"]
    assert gaps["unsupported_strategies"] == [{"id": "STR-12", "title": "Delight everyone",
                                               "reason": "no role is redefined for it"}]


# --- suspect links ---------------------------------------------------------------------------

def test_an_edited_strategy_makes_its_links_suspect_until_reviewed(auth, engine):
    lead = auth("lead")
    old = lead.item("STR-4")["statement"]
    assert lead.save("STR-4", {"statement": "Be there when the customer needs us."}).status_code == 302
    links = lead.json("/p/crm/suspect.json")["links"]
    assert [link["id"] for link in links] == ["STR-4->ROL-5", "STR-4->ROL-6", "STR-4->ROL-7", "STR-4->ROL-8"]
    for link in links:
        assert link["from"]["id"] == "STR-4"
        assert link["changes"] == [{"at": link["changes"][0]["at"], "actor": "lead", "field": "statement",
                                    "before": old, "after": "Be there when the customer needs us."}]
    assert {link["to"]["id"]: link["to"]["owner"] for link in links} == {
        "ROL-5": None, "ROL-6": "owner", "ROL-7": "owner", "ROL-8": "owner"}
    assert check(graph_of(engine)).suspect_links == [link["id"] for link in links]

    page = lead.page("/p/crm/suspect")
    article = page.find_all("article", cls="suspect-link")[1]
    assert "STR-4" in article.find("h2").text and "ROL-6" in article.find("h2").text
    assert article.one("td", cls="after").text == "Be there when the customer needs us."
    assert article.one("input", name="link").attrs["value"] == "STR-4->ROL-6"

    response = lead.post("/p/crm/suspect/review", {"link": "STR-4->ROL-6"})
    assert response.status_code == 302
    assert "Reviewed STR-4->ROL-6" in lead.page("/p/crm/suspect").text
    remaining = [link["id"] for link in lead.json("/p/crm/suspect.json")["links"]]
    assert remaining == ["STR-4->ROL-5", "STR-4->ROL-7", "STR-4->ROL-8"]
    assert not lead.json("/p/crm/items/ROL-6.json")["up"][0]["suspect"]
    assert lead.json("/p/crm/items/ROL-7.json")["up"][0]["suspect"]
    assert check(graph_of(engine)).suspect_links == remaining


def test_reviewing_an_item_clears_every_suspect_link_into_it_and_says_so(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Changed."}).status_code == 302
    response = lead.post("/p/crm/suspect/review", {"item": "STR-4", "back": "/p/crm/items/STR-4"})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/items/STR-4"
    assert lead.json("/p/crm/suspect.json")["links"] == []
    assert lead.json("/p/crm/gaps.json")["suspect_links"] == 0


def test_reviewing_an_unknown_link_says_so(auth):
    lead = auth("lead")
    response = lead.post("/p/crm/suspect/review", {"link": "STR-4->ROL-1"})
    assert response.status_code == 404
    assert "no link STR-4->ROL-1" in html.unescape(response.get_data(as_text=True))


def test_review_does_not_redirect_off_site(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Changed."}).status_code == 302
    response = lead.post("/p/crm/suspect/review", {"item": "ROL-6", "back": "https://evil.example/p/"})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/suspect"


# --- impact ----------------------------------------------------------------------------------

def test_impact_of_a_strategy_lists_everything_below_it(reader, shared_engine):
    lead = reader("lead")
    data = lead.json("/p/crm/items/STR-4/impact.json")
    expected = impact(graph_of(shared_engine), "STR-4")
    levels = {level["name"]: [entry["id"] for entry in level["entries"]] for level in data["levels"]}
    assert levels == {"roles": expected["roles"], "processes": expected["processes"],
                      "requirements": expected["requirements"]}
    assert levels["roles"] == ["ROL-5", "ROL-6", "ROL-7", "ROL-8"]
    assert {"PRC-8", "PRC-9", "PRC-10"} <= set(levels["processes"])
    assert {"REQ-47", "REQ-71"} <= set(levels["requirements"])
    assert "STR-4->ROL-6" in data["links"] and "PRC-8->REQ-47" in data["links"]
    page = lead.page("/p/crm/items/STR-4/impact")
    assert all(hid in page.text for hid in levels["requirements"])


def test_impact_of_a_requirement_is_empty_and_of_an_unknown_item_is_404(reader):
    lead = reader("lead")
    assert lead.json("/p/crm/items/REQ-47/impact.json")["levels"] == []
    assert "Nothing lies below a requirement" in lead.page("/p/crm/items/REQ-47/impact").text
    response = lead.get("/p/crm/items/STR-99/impact.json")
    assert response.status_code == 404 and response.get_json()["error"] == "Not found"


def test_impact_leaves_out_retired_items(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/items/ROL-7/status", {"status": "retired", "version": 1}).status_code == 302
    data = lead.json("/p/crm/items/STR-4/impact.json")
    roles = next(level for level in data["levels"] if level["name"] == "roles")
    assert [entry["id"] for entry in roles["entries"]] == ["ROL-5", "ROL-6", "ROL-8"]
    assert parse_html(lead.get("/p/crm/items/STR-4/impact").text).find("a", href="/p/crm/items/ROL-7") is None
