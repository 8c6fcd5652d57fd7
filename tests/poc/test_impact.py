"""Impact analysis reaches into the proof of concept (DESIGN.md): below an item's requirements come the POC
steps that cite them and the scores recorded on those steps, which a change leaves needing a re-score.

Checked on the demo database against raw SQL, from the command line and on the web page's JSON twin.
"""

from __future__ import annotations

import json

import pytest

from tests.scoring.test_demo_ranking import _json, demo_db_url, demo_postgres_template, reqtrace  # noqa: F401
from tests.web.test_ranking import demo_app, query, visit  # noqa: F401


def expected(url: str, requirements: set[str]) -> tuple[set, dict]:
    steps = {(version, step) for version, step, cited in query(
        url, "SELECT ps.version, s.hid, s.requirements FROM poc_step s JOIN poc_script ps ON ps.id = s.script_id")
        if requirements & set(_json(cited) or [])}
    scores: dict[tuple[str, str], int] = {}
    for slug, version, step in query(url, "SELECT v.slug, ps.version, c.step FROM checklist_result c "
                                          "JOIN demo_session d ON d.id = c.session_id "
                                          "JOIN poc_script ps ON ps.id = d.script_id "
                                          "JOIN vendor v ON v.id = d.vendor_id"):
        if (version, step) in steps:
            scores[(slug, step)] = scores.get((slug, step), 0) + 1
    return steps, scores


def impact_json(url: str, hid: str) -> dict:
    result = reqtrace(url, "trace", "impact", hid, "--project", "crm", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("hid", ["REQ-1", "STR-2"])
def test_impact_lists_the_steps_and_the_scores_to_redo(demo_db_url, visit, hid):  # noqa: F811
    data = impact_json(demo_db_url, hid)
    below = set(data.get("requirements") or [hid])
    steps, scores = expected(demo_db_url, below)
    assert steps and scores, "the demo has steps and scores below this item"
    assert {(entry["version"], entry["step"]) for entry in data["steps"]} == steps
    assert {(entry["vendor"], entry["step"]): entry["entries"] for entry in data["scores"]} == scores
    assert all(entry["rescore_needed"] and set(entry["requirements"]) <= below for entry in data["scores"])
    page = visit("lead").json(f"/p/crm/items/{hid}/impact.json")
    assert page["steps"] == data["steps"] and page["scores"] == data["scores"]


def test_a_requirement_no_step_cites_reaches_no_step_and_no_score(demo_db_url):  # noqa: F811
    cited = {hid for (requirements,) in query(demo_db_url, "SELECT requirements FROM poc_step")
             for hid in _json(requirements) or []}
    (hid,) = next(row for row in query(demo_db_url, "SELECT hid FROM requirement ORDER BY id")
                  if row[0] not in cited)
    data = impact_json(demo_db_url, hid)
    assert data["steps"] == [] and data["scores"] == []
