"""A vendor's questionnaire answers in the web app, as procurement and the CRM lead read them.

The demo database holds the three sample vendors' answers (reqtrace/sample_evidence.py): every requirement of
baseline "POC issue 1" answered, won't-haves (which the questionnaire leaves out) included. Expected values are
read from the tables with plain SQL, not through the service the page uses.
"""

from __future__ import annotations

from collections import Counter

import openpyxl
import pytest

from tests.questionnaire.support import answer, export_questionnaire, import_responses
from tests.scoring.test_demo_ranking import demo_db_url, demo_postgres_template  # noqa: F401  (fixtures)
from tests.web.support import Element, Visitor, parse_html
from tests.web.test_ranking import query
from web import create_app

SIX = ["fully supported", "configuration", "customisation", "third party", "roadmap", "not supported"]
LABELS = {"fully supported": "Fully supported", "configuration": "Configuration", "customisation": "Customisation",
          "third party": "Third party", "roadmap": "Roadmap", "not supported": "Not supported"}


@pytest.fixture
def visit(demo_db_url):  # noqa: F811
    """visit("procurement") -> a Visitor logged in on this test's copy of the demo database."""
    app = create_app({"DATABASE_URL": demo_db_url, "SECRET_KEY": "test"})

    def login(username: str) -> Visitor:
        visitor = Visitor(app.test_client())
        assert visitor.login(username).status_code == 302
        return visitor
    return login


def stored(url: str, vendor: str) -> dict[str, tuple[str, str, str, str]]:
    """ID -> (answer, comment, demonstration, the requirement's priority), straight from the tables."""
    rows = query(url, "SELECT r.hid, vr.answer, vr.comment, vr.demonstration, r.priority FROM vendor_response vr "
                      "JOIN requirement r ON r.id = vr.requirement_id JOIN vendor v ON v.id = vr.vendor_id "
                      "WHERE v.slug = :vendor", vendor=vendor)
    return {hid: (answer_, comment, demonstration, priority) for hid, answer_, comment, demonstration, priority in rows}


def every_page(visitor: Visitor, url: str) -> tuple[dict, list[dict]]:
    """The first page's JSON and the rows of all its pages."""
    first = visitor.json(url)
    rows = list(first["rows"])
    for number in range(2, first["pages"] + 1):
        rows += visitor.json(f"{url}{'&' if '?' in url else '?'}page={number}")["rows"]
    return first, rows


def table_rows(page: Element, cls: str) -> list[list[str]]:
    body = page.one("table", cls=cls).find("tbody")
    return [[cell.text for cell in tr.find_all("td")] for tr in body.find_all("tr")]


def shown_counts(page: Element) -> dict[str, int]:
    """The counts at the top of the page: answer -> number ("" for the requirements with no answer)."""
    return {li.attrs["data-answer"]: int(li.find("strong").text)
            for li in page.one("ul", cls="answer-counts").find_all("li")}


def count_link(page: Element, answer_: str) -> str:
    return next(li for li in page.one("ul", cls="answer-counts").find_all("li")
                if li.attrs["data-answer"] == answer_).find("a").attrs["href"]


def said(response) -> str:
    """What a refusal says: the page's text as a person reads it, or the JSON's message."""
    if response.mimetype == "application/json":
        return response.get_json()["message"]
    return parse_html(response.get_data(as_text=True)).text


# --- what the page lists -------------------------------------------------------------------------

@pytest.mark.parametrize("vendor", ["atlas", "nimbus"])
def test_the_page_lists_exactly_the_stored_answers_and_counts_each_answer(visit, demo_db_url, vendor):  # noqa: F811
    expected = stored(demo_db_url, vendor)
    procurement = visit("procurement")
    data, rows = every_page(procurement, f"/p/crm/vendors/{vendor}/answers.json")
    assert data["pages"] == -(-len(expected) // 50) > 1  # 50 a page, as the requirements list
    assert {row["id"]: (row["answer"], row["comment"], row["demonstration"], row["priority"]) for row in rows} \
        == expected
    assert len(rows) == len(expected) == data["total"] == data["answered"]
    counts = Counter(value[0] for value in expected.values())
    assert data["counts"] == {slug: counts.get(slug, 0) for slug in SIX}
    page = procurement.page(f"/p/crm/vendors/{vendor}/answers")
    assert shown_counts(page) == {**data["counts"], "": 0}  # the sample vendors answered every requirement
    # Imported once, from the questionnaire issued from the baseline.
    assert [(entry["answers"], entry["issue"]["baseline"]) for entry in data["imports"]] == [(len(expected),
                                                                                            "POC issue 1")]
    assert "from baseline POC issue 1" in page.one("p", cls="imported").text


def test_the_page_shows_what_its_json_twin_holds(visit):
    lead = visit("lead")
    for url in ("/p/crm/vendors/keystone/answers", "/p/crm/vendors/keystone/answers?page=2",
                "/p/crm/vendors/keystone/answers?answer=customisation"):
        data = lead.json(url.replace("/answers", "/answers.json"))
        page = lead.page(url)
        shown = table_rows(page, "vendor-answers")
        assert len(shown) == len(data["rows"]) > 0, url
        for cells, row in zip(shown, data["rows"]):
            assert cells[0] == row["id"] and cells[1].startswith(row["title"]), url
            assert cells[3:] == [LABELS[row["answer"]], row["comment"], row["demonstration"]], url
        assert f"{data['total']} answer" in page.one("p", cls="answer-total").text
        assert shown_counts(page) == {**data["counts"], "": data["unanswered_total"]}
        # Each count opens the answers it counts.
        link = count_link(page, "roadmap")
        assert lead.json(link.replace("/answers?", "/answers.json?"))["total"] == data["counts"]["roadmap"]


def test_won_t_haves_answered_anyway_are_shown_as_not_scored(visit, demo_db_url):  # noqa: F811
    """The questionnaire leaves out requirements weighted 0; an answer to one counts nowhere, and says so."""
    wont = {hid for hid, value in stored(demo_db_url, "atlas").items() if value[3] == "wont"}
    assert wont  # the sample answers them
    lead = visit("lead")
    _data, rows = every_page(lead, "/p/crm/vendors/atlas/answers.json?priority=wont")
    assert {row["id"] for row in rows} == wont and not any(row["in_scope"] for row in rows)
    page = lead.page("/p/crm/vendors/atlas/answers?priority=wont")
    assert all("not scored" in cells[1] for cells in table_rows(page, "vendor-answers"))


# --- filters -----------------------------------------------------------------------------------

def test_filters_by_answer_and_priority(visit, demo_db_url):  # noqa: F811
    expected = stored(demo_db_url, "keystone")
    procurement = visit("procurement")
    data, rows = every_page(procurement, "/p/crm/vendors/keystone/answers.json?answer=configuration&priority=must")
    wanted = {hid for hid, value in expected.items() if value[0] == "configuration" and value[3] == "must"}
    assert wanted and {row["id"] for row in rows} == wanted and data["total"] == len(wanted)
    assert data["filter"] == {"answer": "configuration", "priority": "must"}
    # The counts split the must-haves by answer: the answer filter narrows the table only.
    musts = Counter(value[0] for value in expected.values() if value[3] == "must")
    assert data["counts"] == {slug: musts.get(slug, 0) for slug in SIX}
    # The words people type work too, as in the workbooks.
    same = procurement.json("/p/crm/vendors/keystone/answers.json?answer=Config&priority=Must+have")
    assert same["filter"] == data["filter"] and [row["id"] for row in same["rows"]] == [row["id"] for row in rows]
    # The form keeps the filter chosen, and the pager keeps it too.
    page = procurement.page("/p/crm/vendors/keystone/answers?answer=configuration&priority=must")
    form = page.one("form", cls="answer-filters")
    chosen = {select.attrs["name"]: [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs]
              for select in form.find_all("select")}
    assert chosen == {"answer": ["configuration"], "priority": ["must"]}
    everything = procurement.page("/p/crm/vendors/keystone/answers?priority=should")
    next_page = everything.one("nav", cls="pager").find("a", rel="next").attrs["href"]
    assert "priority=should" in next_page and "page=2" in next_page
    last = procurement.json("/p/crm/vendors/keystone/answers.json?page=99")  # past the end: the last page
    assert last["page"] == last["pages"] and last["rows"]


@pytest.mark.parametrize("query_string, words", [("answer=maybe", "'maybe' is not one of the answers"),
                                                 ("priority=banana", "'banana' is not one of the priorities")])
def test_a_filter_outside_the_vocabulary_is_refused_not_shown_as_nothing(visit, query_string, words):
    lead = visit("lead")
    for url in (f"/p/crm/vendors/atlas/answers?{query_string}", f"/p/crm/vendors/atlas/answers.json?{query_string}"):
        response = lead.get(url)
        assert response.status_code == 400 and words in said(response), url


# --- a questionnaire returned with blanks, and what a vendor may write in it --------------------------

def test_requirements_left_unanswered_are_named_and_vendor_text_is_shown_escaped(visit, demo_db_url,  # noqa: F811
                                                                                  tmp_path):
    """Keystone returns its questionnaire with three answers, one comment holding a script: the rest is named."""
    path = tmp_path / "keystone.xlsx"
    export_questionnaire(demo_db_url, "keystone", path)
    sheet = openpyxl.load_workbook(path)["Questionnaire"]
    issued = [(sheet.cell(row, 1).value, sheet.cell(row, 4).value) for row in range(2, sheet.max_row + 1)]
    script = '<script>alert("owned")</script><b>bold</b>'
    answer(path, {"REQ-1": "Fully supported", "REQ-2": "roadmap", "REQ-3": "third party"},
           comments={"REQ-1": script}, demonstrations={"REQ-1": "Line one\nline two & more"})
    code, summary = import_responses(demo_db_url, path, "keystone")
    assert code == 0 and summary["applied"], summary

    lead = visit("lead")
    data = lead.json("/p/crm/vendors/keystone/answers.json")
    assert [(row["id"], row["answer"]) for row in data["rows"]] == [("REQ-1", "fully supported"),
                                                                  ("REQ-2", "roadmap"), ("REQ-3", "third party")]
    missing = [hid for hid, _priority in issued if hid not in ("REQ-1", "REQ-2", "REQ-3")]
    assert data["unanswered_total"] == len(missing) > 0
    assert [row["id"] for row in data["unanswered"]] == missing
    musts = [hid for hid, priority in issued if priority == "Must" and hid in missing]
    assert [row["id"] for row in lead.json("/p/crm/vendors/keystone/answers.json?priority=must")["unanswered"]] \
        == musts

    response = lead.get("/p/crm/vendors/keystone/answers")
    text = response.get_data(as_text=True)
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in text
    page = parse_html(text)
    assert page.find("script", src=None) is None  # the page's only script is app.js
    assert table_rows(page, "vendor-answers")[0][4:] == [script, "Line one line two & more"]
    assert [cells[0] for cells in table_rows(page, "unanswered")] == missing
    assert f"{len(missing)} with no answer" in page.one("ul", cls="answer-counts").text
    # The requirement's page says it too, as escaped.
    item = lead.get("/p/crm/items/REQ-1").get_data(as_text=True)
    assert "<script>alert" not in item and "&lt;script&gt;alert" in item


# --- one requirement, every vendor ---------------------------------------------------------------

def test_the_requirement_page_puts_every_vendors_answer_side_by_side(visit, demo_db_url):  # noqa: F811
    answers = {vendor: stored(demo_db_url, vendor)["REQ-47"] for vendor in ("atlas", "keystone", "nimbus")}
    assert answers["nimbus"][0] == "not supported"  # the browser-only product cannot work offline
    lead = visit("lead")
    data = lead.json("/p/crm/items/REQ-47.json")
    assert {row["vendor"]: (row["answer"], row["comment"], row["demonstration"]) for row in data["vendor_answers"]} \
        == {vendor: value[:3] for vendor, value in answers.items()}
    rows = table_rows(lead.page("/p/crm/items/REQ-47"), "vendor-answers")
    assert [cells[1] for cells in rows] == [LABELS[answers[vendor][0]] for vendor in ("atlas", "keystone", "nimbus")]


# --- who may -----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["owner", "evaluator"])
def test_owners_and_evaluators_may_not_read_the_answers(visit, username):
    visitor = visit(username)
    for url in ("/p/crm/vendors/atlas/answers", "/p/crm/vendors/atlas/answers.json",
                "/p/crm/vendors/atlas/answers?answer=roadmap"):
        response = visitor.get(url)
        assert response.status_code == 403, url
        assert "may not read vendors' questionnaire answers" in said(response), url
    # Nor on the requirement's page, nor a link to them anywhere.
    assert "vendor_answers" not in visitor.json("/p/crm/items/REQ-47.json")
    assert visitor.page("/p/crm/items/REQ-47").find(id="vendor-answers") is None
    for url in ("/p/crm/vendors", "/p/crm/workbooks"):
        assert "/answers" not in visitor.get(url).get_data(as_text=True), url


@pytest.mark.parametrize("username", ["lead", "procurement"])
def test_the_lead_and_procurement_reach_the_answers_from_the_vendors_and_workbooks_pages(visit, username):
    visitor = visit(username)
    row = visitor.page("/p/crm/vendors").one("tr", id="vendor-atlas")
    assert row.find("a", href="/p/crm/vendors/atlas/answers").text == "Answers"
    assert visitor.page("/p/crm/vendors/atlas/edit").find("a", href="/p/crm/vendors/atlas/answers") is not None
    assert visitor.page("/p/crm/workbooks").find("a", href="/p/crm/vendors/atlas/answers") is not None


def test_an_unknown_vendor_or_project_is_404(visit):
    lead = visit("lead")
    for url in ("/p/crm/vendors/zenith/answers", "/p/nope/vendors/atlas/answers"):
        assert lead.get(url).status_code == 404, url
        response = lead.get(url.replace("/answers", "/answers.json"))
        assert response.status_code == 404 and response.get_json()["message"], url
