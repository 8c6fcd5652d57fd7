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


@pytest.mark.parametrize("url, search", [("/p/crm/requirements.json", "q"), ("/p/crm/strategies.json", "q"),
                                         ("/p/crm/roles.json", "q"), ("/p/crm/matrix.json", "text")])
def test_percent_and_underscore_in_a_search_are_characters_not_wildcards(reader, url, search):
    """Every item list's search box, like the matrix's text filter, finds "%" and "_" as typed."""
    lead = reader("lead")
    assert lead.json(url)["total"] > 0
    for typed in ("%", "_", "%%", "R_Q"):  # as wildcards, "R_Q" would match every "REQ-"
        assert lead.json(url + "?" + urlencode({search: typed}))["total"] == 0, typed


def test_the_list_search_finds_a_title_holding_percent_and_underscore(auth):
    lead = auth("lead")
    assert lead.create("requirements", {"title": "Quote a 15% discount per line_item",
                                         "links": ["PRC-8"]}).status_code == 302
    for typed in ("%", "_", "15%", "line_item", "5% d"):
        found = lead.json("/p/crm/requirements.json?" + urlencode({"q": typed}))
        assert [row["id"] for row in found["rows"]] == ["REQ-173"], typed
        assert [row["id"] for row in lead.json("/p/crm/matrix.json?" + urlencode({"text": typed}))["rows"]] == [
            "REQ-173"], typed
    rows = lead.page("/p/crm/requirements?" + urlencode({"q": "%"})).one("tbody").find_all("tr")
    assert len(rows) == 1 and "Quote a 15% discount per line_item" in rows[0].text


def test_matrix_page_keeps_the_filter_in_its_form_and_pager(reader):
    page = reader("lead").page("/p/crm/matrix?strategy=STR-4&priority=must")
    assert page.one("select", name="strategy").one("option", selected="").attrs["value"] == "STR-4"
    assert page.one("select", name="priority").one("option", selected="").attrs["value"] == "must"
    nxt = page.find("a", rel="next")
    if nxt is not None:
        assert "strategy=STR-4" in nxt.attrs["href"] and "priority=must" in nxt.attrs["href"]


def test_matrix_tag_filter_submits_the_tag_itself(reader):
    """Every option carries value=: without it a browser sends the text with its spaces tidied."""
    page = reader("lead").page("/p/crm/matrix?tag=offline")
    assert page.one("select", name="tag").one("option", selected="").attrs["value"] == "offline"
    assert all("value" in option.attrs for option in page.find_all("option"))


def test_matrix_equals_the_trace_rules_after_changes_to_the_chain(auth, engine):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Reworded: links below become suspect."}).status_code == 302
    assert lead.save("ROL-2", {"to_state": "Owns the whole account."}).status_code == 302
    assert lead.save("REQ-60", {"links": ["PRC-10"]}).status_code == 302  # a retired item takes no new links
    assert lead.post("/p/crm/items/PRC-10/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/ROL-7/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/REQ-50/status", {"status": "draft", "version": 1}).status_code == 302
    assert lead.post("/p/crm/items/REQ-51/status", {"status": "retired", "version": 1}).status_code == 302
    assert lead.create("requirements", {"title": "Gamified leaderboard", "links": []}).status_code == 302
    # REQ-60 is now only under a retired process

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


@pytest.mark.parametrize("user", ["owner", "lead"])
def test_reviewing_a_link_from_an_item_that_does_not_exist_says_so(auth, user):
    """Not "nobody owns ROL-1, so only the CRM lead may review": STR-99 is not there to link from."""
    response = auth(user).post("/p/crm/suspect/review", {"link": "STR-99->ROL-1"})
    assert response.status_code == 404
    text = html.unescape(response.get_data(as_text=True))
    assert "no strategy STR-99 in project crm" in text and "may review" not in text


@pytest.mark.parametrize("link, why", [
    ("STR-1->REQ-1", "STR-1->REQ-1 is not a link: a requirement links only to the processes above it, and STR-1 "
                     "is a strategy"),
    ("REQ-1->PRC-1", "REQ-1->PRC-1 is not a link: a process links only to the roles above it, and REQ-1 is a "
                     "requirement"),
    ("ROL-1->STR-1", "ROL-1->STR-1 is not a link: nothing links into a strategy, and ROL-1 is a role"),
    ("STR-1", "'STR-1' is not a link; write it as FROM->TO"),
])
def test_reviewing_two_items_that_cannot_be_linked_says_why(auth, link, why):
    lead = auth("lead")
    response = lead.post("/p/crm/suspect/review", {"link": link})
    assert response.status_code == 404
    assert why in html.unescape(response.get_data(as_text=True))


def test_review_does_not_redirect_off_site(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Changed."}).status_code == 302
    response = lead.post("/p/crm/suspect/review", {"item": "ROL-6", "back": "https://evil.example/p/"})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/suspect"


def _owners_role_with_the_leads_process(lead: Visitor, owner: Visitor) -> None:
    """The owner's new ROL-19 above the lead's PRC-29 and the owner's PRC-30; the owner then rewords ROL-19."""
    assert owner.create("roles", {"title": "Field account manager", "links": ["STR-4"]}).status_code == 302
    assert lead.create("processes", {"title": "Escalate a key account", "links": ["ROL-19"]}).status_code == 302
    assert owner.create("processes", {"title": "Plan the week's visits", "links": ["ROL-19"]}).status_code == 302
    assert (lead.item("PRC-29")["owner"], owner.item("ROL-19")["owner"], owner.item("PRC-30")["owner"]) == (
        "lead", "owner", "owner")
    assert owner.save("ROL-19", {"description": "Owns the key accounts of a territory."}).status_code == 302
    suspect = [link["id"] for link in lead.json("/p/crm/suspect.json")["links"]]
    assert suspect == ["ROL-19->PRC-29", "ROL-19->PRC-30"]


def _review_form(visitor: Visitor, hid: str):
    return visitor.page(f"/p/crm/items/{hid}").find("form", action="/p/crm/suspect/review")


def test_an_owner_reviewing_their_item_leaves_the_links_into_other_peoples_items(auth):
    lead, owner = auth("lead"), auth("owner")
    _owners_role_with_the_leads_process(lead, owner)
    form = _review_form(owner, "ROL-19")
    assert form is not None
    assert "Left suspect for the owner of the item each leads into, or the CRM lead: ROL-19->PRC-29" in form.text

    response = owner.post("/p/crm/suspect/review", {"item": "ROL-19", "back": "/p/crm/items/ROL-19"})
    assert response.status_code == 302 and response.headers["Location"] == "/p/crm/items/ROL-19"
    text = owner.page("/p/crm/items/ROL-19").text
    assert "Reviewed ROL-19->PRC-30." in text
    assert "Left ROL-19->PRC-29 suspect: only lead, who owns PRC-29, or the CRM lead may review links into it." in text
    links = {link["id"]: link for link in lead.json("/p/crm/suspect.json")["links"]}
    assert list(links) == ["ROL-19->PRC-29"] and links["ROL-19->PRC-29"]["reviewed_by"] == "lead"
    history = lead.json("/p/crm/items/PRC-29/history.json")["events"]
    assert [event for event in history if event["action"] == "review"] == []

    # Only the lead's link is left: the owner sees no button, and pressing one anyway is refused.
    assert _review_form(owner, "ROL-19") is None
    refused = owner.post("/p/crm/suspect/review", {"item": "ROL-19", "back": "/p/crm/items/ROL-19"})
    assert refused.status_code == 403
    message = html.unescape(refused.get_data(as_text=True))
    assert ("You may review none of the suspect links into or out of ROL-19: ROL-19->PRC-29: only lead, who owns "
            "PRC-29, or the CRM lead may review links into it.") in message
    assert [link["id"] for link in lead.json("/p/crm/suspect.json")["links"]] == ["ROL-19->PRC-29"]

    assert _review_form(lead, "ROL-19") is not None
    assert lead.post("/p/crm/suspect/review", {"item": "ROL-19"}).status_code == 302
    assert lead.json("/p/crm/suspect.json")["links"] == []


@pytest.mark.parametrize("user", ["procurement", "evaluator"])
def test_readers_see_no_review_button(auth, user):
    lead, owner, reader = auth("lead"), auth("owner"), auth(user)
    _owners_role_with_the_leads_process(lead, owner)
    for hid in ("ROL-19", "PRC-29", "PRC-30"):
        assert _review_form(reader, hid) is None, hid
        assert _review_form(lead, hid) is not None, hid
    assert _review_form(owner, "PRC-29") is None  # the lead's process: the link into it is not the owner's
    assert _review_form(owner, "PRC-30") is not None


def test_the_item_page_marks_retired_items_above_and_below(auth):
    lead = auth("lead")
    assert lead.create("strategies", {"title": "Win back lapsed customers"}).status_code == 302
    assert lead.create("roles", {"title": "Win-back caller", "links": ["STR-12"]}).status_code == 302
    assert lead.post("/p/crm/items/STR-12/status", {"status": "retired", "version": 1}).status_code == 302

    above = lead.page("/p/crm/items/ROL-19").find_all("ul", cls="links")[0]
    (entry, warning) = above.find_all("li")
    assert "STR-12" in entry.text and entry.one("span", cls="status-retired").text == "Retired"
    assert warning.text == "Everything above is retired: this role serves no strategy in use."
    assert "ROL-19" in [entry["id"] for entry in lead.json("/p/crm/gaps.json")["roles_without_strategy"]]

    assert lead.post("/p/crm/items/ROL-19/status", {"status": "retired", "version": 1}).status_code == 302
    below = lead.page("/p/crm/items/STR-12").find("ul", cls="links")
    assert "ROL-19" in below.text and below.one("span", cls="status-retired").text == "Retired"
    active = lead.page("/p/crm/items/ROL-6").find_all("ul", cls="links")
    assert all(li.find("span", cls="status-retired") is None for ul in active for li in ul.find_all("li"))


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


def test_a_retired_items_page_shows_no_suspect_links_and_no_review_button(auth):
    """Nothing is reviewed against a retired item: its page must not offer a review that finds nothing."""
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Reworded: the links below it turn suspect."}).status_code == 302
    below = lead.json("/p/crm/items/STR-4.json")["down"]
    assert any(link["suspect"] for link in below)
    version = lead.item("STR-4")["version"]
    assert lead.post("/p/crm/items/STR-4/status", {"status": "retired", "version": version}).status_code == 302
    assert not any(link["suspect"] for link in lead.json("/p/crm/items/STR-4.json")["down"])
    assert _review_form(lead, "STR-4") is None


def test_the_breadcrumbs_name_each_item_above_once(reader):
    """QA: a role's page said "Serves STR-2 › STR-2 › ROL-1": its strategies are the items right above it."""
    lead = reader("lead")
    strategies = [link["id"] for link in lead.json("/p/crm/items/ROL-6.json")["up"]]
    assert len(strategies) >= 2
    crumbs = " ".join(parse_html(lead.get("/p/crm/items/ROL-6").get_data(as_text=True)).one("nav", cls="breadcrumbs")
                      .text.split())
    assert "Serves" not in crumbs and crumbs.endswith("› ROL-6")
    for hid in strategies:
        assert crumbs.count(hid) == 1, crumbs
    requirement = " ".join(parse_html(lead.get("/p/crm/items/REQ-47").get_data(as_text=True))
                           .one("nav", cls="breadcrumbs").text.split())
    assert requirement.startswith("Serves STR-") and requirement.endswith("› REQ-47")


def test_a_suspect_link_someone_may_not_review_says_who_does(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Changed, so its links are suspect."}).status_code == 302
    evaluator = auth("evaluator")
    page = evaluator.page("/p/crm/suspect")
    article = next(a for a in page.find_all("article", cls="suspect-link") if "ROL-6" in a.text)
    owner = lead.item("ROL-6")["owner"]
    assert " ".join(article.one("p", **{"data-who-reviews": ""}).text.split()) == \
        f"Reviewed by ROL-6's owner{f' ({owner})' if owner else ''} or the CRM lead."
    assert article.find("button") is None
    assert lead.page("/p/crm/suspect").find("p", **{"data-who-reviews": ""}) is None  # the lead reviews them all
