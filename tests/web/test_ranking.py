"""The ranking pages on the demo project: who may see them, what-if weights, the evidence behind a score,
the decision report.

Expected numbers come from `reqtrace score --json` on the same database and from the
by-hand computation of tests/scoring/test_demo_ranking.py (raw SQL, DESIGN.md's formulas).
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, select, text

from tests.scoring.test_demo_ranking import (  # noqa: F401  (fixtures)
    _json,
    demo_db_url,
    demo_postgres_template,
    expected_ranking,
    score_json,
)
from tests.web.support import Visitor, parse_html
from tests.web.test_scripts import steps_of
from web import create_app

RANKING_URLS = ["/p/crm/ranking", "/p/crm/ranking/requirements", "/p/crm/ranking/atlas/REQ-1"]
FILES = ["/p/crm/report", "/p/crm/report.md"]


@pytest.fixture
def demo_app(demo_db_url):
    return create_app({"DATABASE_URL": demo_db_url, "SECRET_KEY": "test"})


@pytest.fixture
def visit(demo_app):
    """visit("lead") -> a Visitor logged in on this test's demo database."""
    def login(username: str) -> Visitor:
        visitor = Visitor(demo_app.test_client())
        response = visitor.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return visitor
    return login


def query(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return db.execute(text(sql), params).all()
    finally:
        engine.dispose()


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)


# --- who may see it ------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["lead", "procurement"])
def test_lead_and_procurement_see_the_ranking_score_json_gives(visit, demo_db_url, username):
    expected = score_json(demo_db_url, "--samples", 10)["vendors"]
    visitor = visit(username)
    data = visitor.json("/p/crm/ranking.json")
    assert data["project"]["key"] == "crm" and data["what_if"] is False
    ranking = data["ranking"]
    assert [v["vendor"] for v in ranking] == [v["vendor"] for v in expected]
    for got, want in zip(ranking, expected):
        assert got["rank"] == want["rank"]
        assert got["knocked_out"] is want["knocked_out"]
        assert got["knockout_reasons"] == want["knockout_reasons"]
        assert close(got["total"], want["total"]) and close(got["must_subtotal"], want["must_subtotal"])
        assert got["by_strategy"].keys() == want["by_strategy"].keys()
        assert all(close(got["by_strategy"][s], want["by_strategy"][s]) for s in want["by_strategy"])

    page = visitor.page("/p/crm/ranking")
    rows = page.one("table", cls="ranking").find("tbody").find_all("tr")
    assert [tr.attrs["id"] for tr in rows] == [f"vendor-{v['vendor']}" for v in expected]
    assert [tr.find_all("td")[2].text for tr in rows] == [f"{v['total']:.1f}" for v in expected]
    for vendor in expected:
        if vendor["knocked_out"]:
            box = page.one("section", id=f"knockouts-{vendor['vendor']}")
            assert [li.text for li in box.find_all("li")] == [" ".join(r.split()) for r in vendor["knockout_reasons"]]


@pytest.mark.parametrize("username", ["owner", "evaluator"])
def test_owner_and_evaluator_may_not_see_the_ranking(visit, username):
    visitor = visit(username)
    for url in RANKING_URLS:
        assert visitor.get(url).status_code == 403, url
        response = visitor.get(url + ".json")
        assert response.status_code == 403, url
        assert response.mimetype == "application/json" and response.get_json()["error"], url
        assert "may not see the ranking, its evidence or the scoring record" in response.get_json()["message"], url
    for url in FILES:
        assert visitor.get(url).status_code == 403, url


@pytest.mark.parametrize("username", ["lead", "procurement"])
def test_every_ranking_page_renders_for_those_who_may(visit, username):
    visitor = visit(username)
    for url in RANKING_URLS:
        response = visitor.get(url)
        assert response.status_code == 200 and response.mimetype == "text/html", url
        assert visitor.json(url + ".json")["project"]["key"] == "crm"


def test_anonymous_visitors_are_sent_to_login(demo_app):
    anonymous = Visitor(demo_app.test_client())
    for url in RANKING_URLS + FILES:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in RANKING_URLS:
        assert anonymous.get(url + ".json").status_code == 401, url


# --- what-if weights -----------------------------------------------------------------------------

def _active_strategies(url: str) -> list[str]:
    rows = query(url, "SELECT s.hid, s.seq FROM strategy s JOIN project p ON p.id = s.project_id "
                      "WHERE p.key = 'crm' AND s.status <> 'retired' ORDER BY s.seq")
    return [hid for hid, _ in rows]


def _trail(url: str) -> tuple:
    count, last = query(url, "SELECT COUNT(*), MAX(id) FROM audit_event")[0]
    settings = query(url, "SELECT settings FROM project WHERE key = 'crm'")[0][0]
    return count, last, _json(settings)


def test_what_if_weights_change_the_totals_and_nothing_is_saved(visit, demo_db_url):
    lead = visit("lead")
    plain = lead.json("/p/crm/ranking.json")
    trail = _trail(demo_db_url)

    asked = {"STR-1": 5, "STR-2": 0, "STR-4": 2.5}
    url = "/p/crm/ranking.json?" + urlencode({f"w.{hid}": value for hid, value in asked.items()})
    what_if = lead.json(url)
    assert what_if["what_if"] is True
    totals = {v["vendor"]: v["total"] for v in what_if["ranking"]}
    before = {v["vendor"]: v["total"] for v in plain["ranking"]}
    assert any(not close(totals[slug], before[slug]) for slug in before)

    # the what-if follows the documented formula: relative weights (unnamed strategies 1) normalised to sum 1,
    # wᵣ × k × the largest aₛ above r
    raw = {hid: float(asked.get(hid, 1)) for hid in _active_strategies(demo_db_url)}
    weights = {hid: value / sum(raw.values()) for hid, value in raw.items()}
    expected = expected_ranking(demo_db_url, strategy_weights=weights)
    assert [v["vendor"] for v in what_if["ranking"]] == [e.vendor for e in expected.ranking]
    for vendor in what_if["ranking"]:
        want = expected.results[vendor["vendor"]]
        assert close(vendor["total"], want.total), vendor["vendor"]
        assert vendor["rank"] == want.rank and vendor["knocked_out"] is want.knocked_out

    page = lead.page(url.replace(".json", ""))
    assert "not saved" in page.one("h1").text

    # nothing saved: the plain page is as before, the audit trail and the project's settings unchanged
    assert _trail(demo_db_url) == trail
    again = lead.json("/p/crm/ranking.json")
    assert again["what_if"] is False
    assert [(v["vendor"], v["total"], v["rank"]) for v in again["ranking"]] == \
        [(v["vendor"], v["total"], v["rank"]) for v in plain["ranking"]]


def test_what_if_with_every_weight_equal_changes_nothing(visit):
    lead = visit("lead")
    plain = lead.json("/p/crm/ranking.json")
    equal = lead.json("/p/crm/ranking.json?w.STR-1=3&w.STR-2=1")  # others default to 1: not equal
    assert equal["what_if"] is True
    same = lead.json("/p/crm/ranking.json?w.STR-1=1")
    for a, b in zip(same["ranking"], plain["ranking"]):
        assert a["vendor"] == b["vendor"] and close(a["total"], b["total"])
    assert any(not close(a["total"], b["total"]) for a, b in zip(
        sorted(equal["ranking"], key=lambda v: v["vendor"]), sorted(plain["ranking"], key=lambda v: v["vendor"])))


@pytest.mark.parametrize("value, words", [("abc", "number"), ("-1", "zero or more"), ("nan", "zero or more"),
                                          ("inf", "zero or more")])
def test_a_bad_what_if_weight_is_refused_with_a_message(visit, demo_db_url, value, words):
    lead = visit("lead")
    trail = _trail(demo_db_url)
    for path in ("/p/crm/ranking", "/p/crm/ranking/requirements"):
        response = lead.get(f"{path}.json?w.STR-1={value}")
        assert response.status_code == 400, (path, response.status_code)
        message = response.get_json()["message"]
        assert "STR-1" in message and words in message, message
        html = lead.get(f"{path}?w.STR-1={value}")
        assert html.status_code == 400
        box = parse_html(html.get_data(as_text=True)).one("div", cls="error-box")
        assert "STR-1" in box.text and words in box.text and "saved weights" in box.text  # the page, not a dead end
    assert _trail(demo_db_url) == trail


def test_a_what_if_weight_for_a_strategy_the_project_does_not_have_is_refused_not_ignored(visit):
    lead = visit("lead")
    response = lead.get("/p/crm/ranking.json?w.STR-99=2&w.STR-1=1")
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("STR-99 is not an active strategy of this project; weigh STR-1")
    page = lead.get("/p/crm/ranking?w.STR-99=2")
    assert page.status_code == 400
    assert "STR-99 is not an active strategy" in parse_html(page.get_data(as_text=True)).one(
        "div", cls="error-box").text


def test_huge_what_if_weights_rank_as_their_proportions_do(visit):
    """1e308 twice is 1:1 between them and 0 for the rest, as 2 and 2 are: no overflow to a ranking of zeros."""
    lead = visit("lead")
    strategies = ["STR-%d" % n for n in range(1, 12)]
    rest = {f"w.{hid}": 0 for hid in strategies[2:]}
    huge = lead.json("/p/crm/ranking.json?" + urlencode({"w.STR-1": "1e308", "w.STR-2": "1e308", **rest}))
    small = lead.json("/p/crm/ranking.json?" + urlencode({"w.STR-1": 2, "w.STR-2": 2, **rest}))
    assert [(v["vendor"], v["knocked_out"]) for v in huge["ranking"]] == \
        [(v["vendor"], v["knocked_out"]) for v in small["ranking"]]
    assert all(close(a["total"], b["total"]) for a, b in zip(huge["ranking"], small["ranking"]))
    assert any(v["total"] > 0 for v in huge["ranking"])


def test_what_if_weights_all_zero_are_refused(visit):
    lead = visit("lead")
    strategies = ["STR-%d" % n for n in range(1, 12)]
    response = lead.get("/p/crm/ranking.json?" + urlencode({f"w.{hid}": 0 for hid in strategies}))
    assert response.status_code == 400
    assert response.get_json()["message"]
    page = lead.get("/p/crm/ranking?" + urlencode({f"w.{hid}": 0 for hid in strategies}))
    assert page.status_code == 400
    tree = parse_html(page.get_data(as_text=True))
    assert "above zero" in tree.one("div", cls="error-box").text
    assert tree.one("input", id="w-STR-1").attrs["value"] == "0"  # what was typed stays in the form


def test_the_ranking_and_the_report_say_when_scores_need_re_scoring(visit, demo_db_url):
    """A requirement edited after the script was issued: the steps citing it may have been scored on the old
    text. The scripts page lists them all; the ranking and the report count those some vendor was scored on."""
    lead = visit("lead")
    assert lead.json("/p/crm/ranking.json")["rescore_needed"] == {}
    assert lead.json("/p/crm/scripts.json")["rescore_needed"] == []
    hid = _requirement_both_scored(demo_db_url, "keystone")
    assert lead.save(hid, {"statement": "Reworded after the script went out."}).status_code == 302
    flagged = lead.json("/p/crm/scripts.json")["rescore_needed"]
    scored = set(query(demo_db_url, "SELECT DISTINCT v.slug, c.step FROM checklist_result c JOIN demo_session d "
                                    "ON d.id = c.session_id JOIN vendor v ON v.id = d.vendor_id"))
    counts = {}
    for entry in flagged:
        if (entry["vendor"], entry["step"]) in scored:
            counts[entry["vendor"]] = counts.get(entry["vendor"], 0) + 1
    assert counts.get("keystone") and len(flagged) >= sum(counts.values())
    assert lead.json("/p/crm/ranking.json")["rescore_needed"] == counts
    line = " ".join(parse_html(lead.get("/p/crm/ranking").get_data(as_text=True)).one("p", **{"data-rescore": ""})
                    .text.split())
    assert line.startswith("Re-score needed:") and "changed after it was issued" in line
    report = lead.get("/p/crm/report.md").get_data(as_text=True)
    assert "**Re-score needed** —" in report


def test_a_requirement_added_after_the_scripts_went_out_is_named_as_never_demonstrated(visit):
    """QA: a new baseline with one more requirement; it counted 0 for everyone, and nothing said why."""
    lead = visit("lead")
    assert lead.json("/p/crm/ranking.json")["never_scripted"] == {}
    created = lead.create("requirements", {"title": "Quote in the customer's currency", "links": ["PRC-8"],
                                           "priority": "must"})
    hid = created.headers["Location"].rsplit("/", 1)[-1]
    for status in ("proposed", "approved"):
        assert lead.post(f"/p/crm/items/{hid}/status", {"status": status,
                                                         "version": lead.item(hid)["version"]}).status_code == 302
    assert lead.post("/p/crm/baselines", {"name": "POC issue 2"}).status_code == 302
    data = lead.json("/p/crm/ranking.json")
    issued = sorted(v["slug"] for v in lead.json("/p/crm/scripts.json")["vendors"] if v["issued"])
    assert data["scope"] == "baseline POC issue 2" and data["never_scripted"] == {hid: issued}
    line = " ".join(parse_html(lead.get("/p/crm/ranking").get_data(as_text=True)).one(
        "p", **{"data-never-scripted": ""}).text.split())
    assert line.startswith("1 counted requirement was never put to some vendors in a script")
    assert f"{hid} ({', '.join(issued)})" in line
    assert f"**Never demonstrated** — 1 counted requirement was never put to some vendors in a script, so no " \
           f"demonstration of theirs scored it: {hid} ({', '.join(issued)})" in \
        lead.get("/p/crm/report.md").get_data(as_text=True)


def test_the_ranking_says_who_is_still_scoring(visit):
    data = visit("procurement").json("/p/crm/ranking.json")
    assert data["still_scoring"] == {"atlas": ["evaluator"]}
    text = parse_html(visit("lead").get("/p/crm/ranking").get_data(as_text=True)).one("p", **{
        "data-still-scoring": ""}).text
    assert "atlas (evaluator)" in text and "count once they submit" in text


def test_the_what_if_form_shows_the_numbers_as_typed(visit):
    lead = visit("lead")
    page = parse_html(lead.get("/p/crm/ranking?w.STR-1=5").get_data(as_text=True))
    assert page.one("input", id="w-STR-1").attrs["value"] == "5"
    assert page.one("input", id="w-STR-2").attrs["value"] == "1"


def test_a_spread_the_lead_settled_with_a_consensus_is_no_longer_one_to_discuss(visit, demo_db_url):
    lead = visit("lead")
    spreads = lead.json("/p/crm/ranking.json")["checks"]["evaluator_spread"]
    widest = next(s for s in spreads if s["vendor"] == "keystone" and s["consensus"] is None)
    engine = create_engine(demo_db_url)
    with engine.begin() as db:  # the demo's one consensus of keystone, moved onto the widest spread
        db.execute(text("UPDATE consensus_score SET requirement = :hid, score = 3 WHERE vendor_id = "
                        "(SELECT id FROM vendor WHERE slug = 'keystone')"), {"hid": widest["requirement"]})
    engine.dispose()
    after = lead.json("/p/crm/ranking.json")["checks"]["evaluator_spread"]
    settled = [(s["vendor"], s["requirement"], s["consensus"]) for s in after if s["consensus"] is not None]
    assert settled == [("keystone", widest["requirement"], 3.0)]
    line = " ".join(parse_html(lead.get("/p/crm/ranking").get_data(as_text=True)).one("li", **{"data-spread": ""})
                    .text.split())
    assert line.startswith(f"Evaluator spread of 2 or more: {len(after) - 1} requirement scores to discuss:")
    assert f"keystone {widest['requirement']} (" not in line
    assert line.endswith("; 1 more settled by a consensus score.")


# --- the evidence behind one score ---------------------------------------------------------------

def _consensus_requirement(url: str) -> tuple[str, float]:
    (hid, score), = query(url, "SELECT c.requirement, c.score FROM consensus_score c JOIN vendor v "
                               "ON v.id = c.vendor_id WHERE v.slug = 'keystone'")
    return hid, float(score)


def _requirement_both_scored(url: str, slug: str) -> str:
    """A requirement cited by a step that both attendees scored in `slug`'s session."""
    rows = query(url, "SELECT c.step, c.evaluator, s.requirements FROM checklist_result c "
                      "JOIN demo_session d ON d.id = c.session_id JOIN vendor v ON v.id = d.vendor_id "
                      "JOIN poc_step s ON s.script_id = d.script_id AND s.hid = c.step WHERE v.slug = :v "
                      "ORDER BY c.id", v=slug)
    by_step: dict[str, set[str]] = {}
    cited: dict[str, list[str]] = {}
    for step, evaluator, requirements in rows:
        by_step.setdefault(step, set()).add(evaluator)
        cited[step] = list(_json(requirements) or [])
    for step, people in by_step.items():
        if people >= {"lead", "evaluator"} and cited[step]:
            return cited[step][0]
    raise AssertionError(f"no step of {slug} scored by both")


def test_drill_down_for_a_submitted_session_shows_every_evaluator(visit, demo_db_url):
    hid, agreed = _consensus_requirement(demo_db_url)
    for username in ("lead", "procurement"):
        data = visit(username).json(f"/p/crm/ranking/keystone/{hid}.json")
        assert data["vendor"]["slug"] == "keystone" and data["requirement"]["id"] == hid
        entries = data["entries"]
        assert {e["evaluator"] for e in entries} == {"lead", "evaluator"}
        assert data["sealed"] == 0
        for entry in entries:
            assert entry["sealed"] is False
            assert isinstance(entry["score"], (int, float)), entry
        assert [c["score"] for c in data["consensus"]] == [agreed]
        assert data["score"]["basis"] == "consensus" and data["score"]["consensus"] == agreed
        assert data["score"]["n"] == pytest.approx(agreed / 5)
        # the evaluator means behind D are the entries' scores per evaluator
        for evaluator, mean in data["score"]["evaluator_means"].items():
            scores = [e["score"] for e in entries if e["evaluator"] == evaluator]
            assert mean == pytest.approx(sum(scores) / len(scores))
        (answer,), = query(demo_db_url, "SELECT a.answer FROM vendor_response a JOIN vendor v ON v.id = a.vendor_id "
                                        "JOIN requirement r ON r.id = a.requirement_id "
                                        "WHERE v.slug = 'keystone' AND r.hid = :h", h=hid)
        assert data["answer"]["answer"] == answer


def test_drill_down_before_submission_seals_other_evaluators_entries(visit, demo_db_url):
    """In Atlas's session the lead has handed in; the evaluator is still scoring."""
    hid = _requirement_both_scored(demo_db_url, "atlas")
    by = lambda data, name: [e for e in data["entries"] if e["evaluator"] == name]  # noqa: E731
    for viewer in ("lead", "procurement"):
        data = visit(viewer).json(f"/p/crm/ranking/atlas/{hid}.json")
        handed_in, others = by(data, "lead"), by(data, "evaluator")
        assert handed_in and others
        for entry in handed_in:  # submitted: counted, and visible to the lead and procurement
            assert entry["sealed"] is False and entry["score"] is not None and entry["counted"] is True
        for entry in others:  # still scoring: sealed for everyone else, and not counted yet
            assert entry["sealed"] is True and entry["score"] is None and entry["counted"] is False
            assert entry["verdict"] == "" and entry["note"] == ""
        assert data["sealed"] == data["pending"] == len(others)
        # Only submitted entries count: D is the lead's own mean.
        scores = [e["score"] for e in handed_in if e["score"] is not None]
        assert list(data["score"]["evaluator_means"]) == ["lead"]
        assert data["score"]["demo"] == pytest.approx(sum(scores) / len(scores))
    page = visit("lead").page(f"/p/crm/ranking/atlas/{hid}")
    assert "sealed until evaluator submits; not counted yet" in page.text


def test_nobody_still_scoring_a_demo_sees_the_ranking_or_any_score(demo_app, demo_db_url, tmp_path):
    """Procurement added to Atlas's session: until it submits there, every score page is closed to it."""
    from reqtrace.db import make_engine, session_scope
    from reqtrace.model import DemoSession, Vendor
    from reqtrace.services.checklists import submit
    from reqtrace.services.projects import get_project
    from reqtrace.services.sessions import add_attendee

    engine = make_engine(demo_db_url)
    with session_scope(engine, write=True) as session:
        project = get_project(session, "crm")
        demo = session.exec(select(DemoSession).join(Vendor, Vendor.id == DemoSession.vendor_id)
                            .where(Vendor.slug == "atlas")).scalars().one()
        add_attendee(session, project, demo, "procurement", actor="lead")
        demo_id = demo.id
    visitor = Visitor(demo_app.test_client())
    assert visitor.login("procurement").status_code == 302
    for url in [*RANKING_URLS, *FILES, "/p/crm/export/scores.xlsx", "/p/crm/ranking/keystone/REQ-1"]:
        response = visitor.get(url)
        assert response.status_code == 403, url
        assert "still scoring atlas" in response.get_data(as_text=True), url
    with session_scope(engine, write=True) as session:
        submit(session, get_project(session, "crm"), session.get(DemoSession, demo_id), "procurement")
    engine.dispose()
    assert visitor.get("/p/crm/ranking").status_code == 200


def test_a_sealed_score_does_not_move_any_number_until_it_is_submitted(visit, demo_db_url, tmp_path):
    """Scoring the only step that cites a requirement must not show the score in the ranking before submission
    (D would be that very score); once the evaluator submits, it counts."""
    from reqtrace.db import make_engine, session_scope
    from reqtrace.model import DemoSession, Vendor
    from reqtrace.services.checklists import record_ticks, submit
    from reqtrace.services.projects import get_project

    rows = query(demo_db_url, "SELECT s.hid, s.requirements FROM poc_step s JOIN demo_session d "
                              "ON d.script_id = s.script_id JOIN vendor v ON v.id = d.vendor_id WHERE v.slug = 'atlas'")
    cited_by: dict[str, list[str]] = {}
    for step, requirements in rows:
        for hid in _json(requirements) or []:
            cited_by.setdefault(hid, []).append(step)
    scored = {row[0] for row in query(demo_db_url, "SELECT c.step FROM checklist_result c JOIN demo_session d "
                                                   "ON d.id = c.session_id JOIN vendor v ON v.id = d.vendor_id "
                                                   "WHERE v.slug = 'atlas'")}
    hid, (step,) = next((hid, steps) for hid, steps in sorted(cited_by.items())
                        if len(steps) == 1 and steps[0] not in scored)
    before = visit("procurement").json(f"/p/crm/ranking/atlas/{hid}.json")["score"]
    total_before = next(v for v in visit("procurement").json("/p/crm/ranking.json")["ranking"] if v["vendor"] == "atlas")

    engine = make_engine(demo_db_url)
    with session_scope(engine, write=True) as session:
        project = get_project(session, "crm")
        demo = session.exec(select(DemoSession).join(Vendor, Vendor.id == DemoSession.vendor_id)
                            .where(Vendor.slug == "atlas")).scalars().one()
        assert record_ticks(session, project, demo, "evaluator", [{"client_id": "sealed-1", "step": step,
                                                                   "score": 1}])[0]["status"] == "stored"
    sealed = visit("procurement").json(f"/p/crm/ranking/atlas/{hid}.json")
    assert sealed["score"] == before and sealed["pending"] == 1 and sealed["entries"][0]["score"] is None
    total_sealed = next(v for v in visit("lead").json("/p/crm/ranking.json")["ranking"] if v["vendor"] == "atlas")
    assert total_sealed["total"] == total_before["total"]

    with session_scope(engine, write=True) as session:
        project = get_project(session, "crm")
        demo = session.get(DemoSession, demo.id)
        submit(session, project, demo, "evaluator")
    engine.dispose()
    after = visit("procurement").json(f"/p/crm/ranking/atlas/{hid}.json")["score"]
    assert after["demo"] == 1.0 and after["basis"] in ("demo", "probe cap") and after["evaluator_means"] == \
        {"evaluator": 1.0}


def test_drill_down_does_not_reveal_sealed_scores_through_the_evaluator_means(visit, demo_db_url):
    """A sealed entry's value is for its author only: the per-evaluator means of the score must not show it
    either (with one step citing r, the mean *is* the sealed score)."""
    hid = _requirement_both_scored(demo_db_url, "atlas")
    for username in ("procurement", "lead"):
        visitor = visit(username)
        data = visitor.json(f"/p/crm/ranking/atlas/{hid}.json")
        sealed = {e["evaluator"] for e in data["entries"] if e["sealed"]}
        assert "evaluator" in sealed
        means = data["score"]["evaluator_means"] or {}
        leaked = {name: means[name] for name in sealed if means.get(name) is not None}
        assert not leaked, f"{username} sees the sealed means {leaked} of atlas on {hid}"
        box = visitor.page(f"/p/crm/ranking/atlas/{hid}").one("section", cls="score-box").text
        for name in sealed:
            assert not re.search(rf"\b{name} \d", box), (username, box)


def test_an_evaluator_scoring_a_second_demo_keeps_the_means_of_the_first_in_sight(visit, demo_db_url):
    """Keystone's submitted session counts while the evaluator scores a second one: its means are submitted
    numbers, shown to procurement and behind the evaluator spread, not hidden as if sealed."""
    from reqtrace.db import make_engine, session_scope
    from reqtrace.model import DemoSession, PocScript, Vendor
    from reqtrace.services.projects import get_project
    from reqtrace.services.sessions import create_session

    hid = _requirement_both_scored(demo_db_url, "keystone")
    before = visit("procurement").json(f"/p/crm/ranking/keystone/{hid}.json")["score"]
    assert set(before["evaluator_means"]) == {"lead", "evaluator"}
    engine = make_engine(demo_db_url)
    with session_scope(engine, write=True) as session:
        project = get_project(session, "crm")
        first = session.exec(select(DemoSession).join(Vendor, Vendor.id == DemoSession.vendor_id)
                             .where(Vendor.slug == "keystone")).scalars().one()
        create_session(session, project, session.get(Vendor, first.vendor_id),
                       session.get(PocScript, first.script_id), actor="lead", title="Keystone, day two",
                       attendees=["evaluator"])
    engine.dispose()
    procurement = visit("procurement")
    after = procurement.json(f"/p/crm/ranking/keystone/{hid}.json")["score"]
    assert after["evaluator_means"] == before["evaluator_means"] and None not in after["evaluator_means"].values()
    box = procurement.page(f"/p/crm/ranking/keystone/{hid}").one("section", cls="score-box").text
    assert re.search(r"\bevaluator \d", box), box
    ranking = procurement.json("/p/crm/ranking.json")
    assert ranking["still_scoring"] == {"atlas": ["evaluator"], "keystone": ["evaluator"]}


def test_drill_down_shows_the_failed_probe(visit, demo_db_url):
    rows = query(demo_db_url, "SELECT r.requirements FROM probe_result r JOIN vendor v ON v.id = r.vendor_id "
                              "WHERE v.slug = 'nimbus' AND r.probe = 'offline'")
    hid = _json(rows[0][0])[0]
    data = visit("procurement").json(f"/p/crm/ranking/nimbus/{hid}.json")
    assert [(p["probe"], p["passed"]) for p in data["probes"]] == [("offline", False)]
    assert data["probes"][0]["reason"]
    assert data["score"]["failed_probes"] == ["offline"]
    assert data["score"]["n"] <= 0.2


@pytest.mark.parametrize("url", ["/p/crm/ranking/nobody/REQ-1", "/p/crm/ranking/atlas/REQ-99999",
                                 "/p/crm/ranking/atlas/STR-1", "/p/nothere/ranking/atlas/REQ-1"])
def test_drill_down_for_something_unknown_is_404(visit, url):
    lead = visit("lead")
    assert lead.get(url).status_code == 404
    response = lead.get(url + ".json")
    assert response.status_code == 404 and response.get_json()["message"]


# --- the requirements comparison -----------------------------------------------------------------

def test_requirements_filtered_by_priority_must_are_only_musts(visit, demo_db_url):
    demo = expected_ranking(demo_db_url)
    musts = sorted(hid for hid, r in demo.requirements.items() if r.priority == "must")
    lead = visit("lead")
    data = lead.json("/p/crm/ranking/requirements.json?priority=must")
    assert data["filters"]["priority"] == "must"
    assert data["total"] == len(musts)
    rows = list(data["rows"])
    for page in range(2, data["pages"] + 1):
        rows += lead.json(f"/p/crm/ranking/requirements.json?priority=must&page={page}")["rows"]
    assert all(row["priority"] == "must" for row in rows)
    assert sorted(row["id"] for row in rows) == musts
    for row in rows:
        for slug, cell in row["vendors"].items():
            assert cell["n"] == pytest.approx(demo.results[slug].n[row["id"]], abs=1e-12), (slug, row["id"])


def test_requirements_filtered_by_strategy_follow_the_chain(visit, demo_db_url):
    demo = expected_ranking(demo_db_url)
    beneath = sorted(hid for hid, r in demo.requirements.items() if "STR-2" in r.strategies)
    data = visit("procurement").json("/p/crm/ranking/requirements.json?strategy=STR-2")
    assert data["total"] == len(beneath)
    assert all("STR-2" in row["strategies"] for row in data["rows"])


# --- the decision report -------------------------------------------------------------------------

def test_report_page_forbids_scripts(visit):
    for username in ("lead", "procurement"):
        response = visit(username).get("/p/crm/report")
        assert response.status_code == 200 and response.mimetype == "text/html"
        policy = {part.split()[0]: part.split()[1:] for part in
                  response.headers["Content-Security-Policy"].split(";") if part.strip()}
        assert policy["default-src"] == ["'none'"]
        assert "script-src" not in policy and "script-src-elem" not in policy  # falls back to 'none'
        body = response.get_data(as_text=True)
        assert "<script" not in body.lower()
        assert "Nimbus Cloud" in body and "knocked out" in body


def test_report_markdown_is_served_to_those_who_may(visit):
    response = visit("procurement").get("/p/crm/report.md")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.get_data(as_text=True).startswith("# Decision report")


def test_weights_on_the_pages_show_two_decimals_at_most_and_never_an_exponent(demo_app):
    weight = demo_app.jinja_env.filters["weight"]
    assert [weight(value) for value in (5, 2.45136, 1000, 1234.5, 0.5, 0)] == ["5", "2.45", "1000", "1234.5",
                                                                              "0.5", "0"]
