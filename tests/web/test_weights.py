"""The lead weighs the strategies pairwise in the web app; inconsistent sets are refused, nothing half-saved."""

from __future__ import annotations

from itertools import combinations

import pytest
from sqlalchemy import select

from reqtrace.model import AuditEvent, Project
from tests.web.support import parse_html


def strategies(lead) -> list[str]:
    return [s["id"] for s in lead.json("/p/crm/weights.json")["strategies"]]


def form(ids: list[str], overrides: dict[tuple[str, str], str] | None = None, **extra) -> dict:
    data = {f"pair.{a}.{b}": (overrides or {}).get((a, b), "1") for a, b in combinations(ids, 2)}
    data.update(extra)
    return data


def stored(db) -> dict:
    session = db()
    session.expire_all()
    return session.exec(select(Project).where(Project.key == "crm")).scalars().one().settings or {}


def audit_actions(db) -> list[str]:
    session = db()
    return list(session.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "project")).scalars())


@pytest.mark.parametrize("role", ["owner", "procurement", "evaluator"])
def test_only_the_lead_weighs_strategies(auth, role):
    visitor = auth(role)
    assert visitor.get("/p/crm/weights").status_code == 403
    assert visitor.get("/p/crm/weights.json").status_code == 403
    assert visitor.post("/p/crm/weights", {"pair.STR-1.STR-2": "9"}).status_code == 403


def test_checking_consistency_shows_weights_and_saves_nothing(auth, db):
    lead = auth("lead")
    ids = strategies(lead)
    response = lead.post("/p/crm/weights", form(ids, {(ids[0], ids[1]): "3"}, check="1"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Consistency ratio" in text and "acceptable" in text
    assert "strategy_weights" not in stored(db)


def test_an_inconsistent_set_is_refused_naming_the_pair_and_keeping_the_input(auth, db):
    lead = auth("lead")
    ids = strategies(lead)
    a, b, c, d = ids[:4]
    # a 9× b and b 9× c, yet c 9× a; c 9× d, yet d 9× b: no set of weights fits that (CR about 0.33).
    response = lead.post("/p/crm/weights", form(ids, {(a, b): "9", (b, c): "9", (a, c): "1/9", (c, d): "9",
                                                      (b, d): "1/9"}))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "too inconsistent" in text and "nothing was stored" in text
    assert f"the most inconsistent judgement is {b} vs {c} judged 9" in text
    page = lead.page("/p/crm/weights")  # nothing stored: the form shows all 1 again
    assert "strategy_weights" not in stored(db)
    assert page.one("select", id=f"pair.{b}.{c}").one("option", selected="").text == "1"
    kept = response.get_data(as_text=True)
    assert f'<select id="pair.{b}.{c}" name="pair.{b}.{c}">' in kept and '<option value="9" selected>9</option>' in kept


def test_the_value_the_other_judgements_imply_ignores_the_judgement_itself(auth):
    """QA: the first strategy 3 × each other, the rest equal, but one pair judged 9: the rest imply 1, not 1.67."""
    lead = auth("lead")
    ids = strategies(lead)
    first, a, b = ids[0], ids[5], ids[6]
    response = lead.post("/p/crm/weights", form(ids, {**{(first, other): "3" for other in ids[1:]}, (a, b): "9"},
                                                check="1"))
    assert response.status_code == 200
    text = parse_html(response.get_data(as_text=True)).one("section", id="result").text
    assert f"Most inconsistent judgement: {a} vs {b} judged 9, the other judgements imply 1.00 (≈ 1)." in text


def test_every_scale_option_submits_its_own_value(auth):
    """An option without value= submits its text as the browser tidies it; each carries its value instead."""
    lead = auth("lead")
    page = lead.page("/p/crm/weights")
    options = [option for select in page.find_all("select") for option in select.find_all("option")]
    assert options and all(option.attrs.get("value") == option.text for option in options)


def test_a_consistent_set_is_applied_audited_and_used_by_the_ranking(auth, db):
    lead = auth("lead")
    ids = strategies(lead)
    before = lead.json("/p/crm/ranking.json")["strategies"]
    response = lead.post("/p/crm/weights", form(ids, {(ids[0], other): "3" for other in ids[1:]}))
    assert response.status_code == 302
    weights = stored(db)["strategy_weights"]
    assert set(weights) == set(ids) and abs(sum(weights.values()) - 1) < 1e-9
    assert weights[ids[0]] > weights[ids[1]]
    assert "strategy_weights" in audit_actions(db)
    after = lead.json("/p/crm/ranking.json")["strategies"]
    assert [s["relative"] for s in after] != [s["relative"] for s in before]
    assert lead.post("/p/crm/weights/clear").status_code == 302
    assert "strategy_weights" not in stored(db) and "strategy_weights_clear" in audit_actions(db)


def test_a_judgement_off_the_scale_is_refused(auth, db):
    lead = auth("lead")
    ids = strategies(lead)
    response = lead.post("/p/crm/weights", form(ids, {(ids[0], ids[1]): "12"}))
    assert response.status_code == 422
    assert ids[0] in response.get_data(as_text=True)
    assert "strategy_weights" not in stored(db)


def test_scoring_settings_are_saved_audited_and_refused_out_of_range(auth, db):
    lead = auth("lead")
    refused = lead.post("/p/crm/settings/scoring", {"claim_factor": "1.5"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Claim factor: &#39;1.5&#39; is not a number from 0 to 1" in page
    assert 'name="claim_factor" inputmode="decimal" size="5" value="1.5"' in page  # what was typed is kept
    assert "scoring" not in stored(db)
    assert lead.post("/p/crm/settings/scoring", {"claim_factor": "0.3"}).status_code == 302
    assert stored(db)["scoring"] == {"claim_factor": 0.3}
    assert "scoring_settings" in audit_actions(db)
    assert lead.json("/p/crm/ranking.json")["settings"]["claim_factor"] == 0.3


def test_the_ranking_warns_when_the_weights_no_longer_match_the_strategies(auth, db):
    from reqtrace.services.items import get_item, set_status
    from reqtrace.services.projects import get_project

    lead = auth("lead")
    ids = strategies(lead)
    assert lead.post("/p/crm/weights", form(ids)).status_code == 302
    assert lead.json("/p/crm/ranking.json")["stale_weights"] == []
    session = db()
    project = get_project(session, "crm")
    set_status(session=session, project=project, kind="strategy", item=get_item(session, project, "strategy", ids[-1]),
               status="retired", actor="lead")
    session.commit()
    assert lead.json("/p/crm/ranking.json")["stale_weights"] == [ids[-1]]
    assert "no longer match the active strategies" in lead.get("/p/crm/ranking").get_data(as_text=True)


def test_a_hand_edited_scoring_setting_is_named_not_a_traceback(sample_url):
    from click.testing import CliRunner
    from sqlalchemy import update

    from reqtrace.cli import main
    from reqtrace.db import make_engine

    engine = make_engine(sample_url)
    with engine.begin() as connection:
        connection.execute(update(Project).where(Project.key == "crm")
                           .values(settings={"scoring": {"claim_factor": "lots"}}))
    engine.dispose()
    result = CliRunner().invoke(main, ["--db", sample_url, "score", "--project", "crm", "--json"])
    assert result.exit_code == 1
    assert "claim_factor" in result.stdout and "Traceback" not in result.stdout + result.stderr
