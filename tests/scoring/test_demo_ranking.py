"""THE acceptance test of the scoring model: the demo project ranked by hand from the raw tables.

Everything expected here is computed from plain SQL over the database (the latest
baseline's frozen requirements, the current chain of links, checklist entries and
the steps they cite, consensus scores, questionnaire answers, probe results, the
vendors' deployment models and flags) with DESIGN.md's "Scoring model" written
out below — without importing reqtrace.scoring — and `reqtrace score --json` must
agree: totals to 1e-9, ranks, knock-outs and their reasons, scores per strategy.

The module also holds `demo_db_url`, the demo database on every configured
backend, which tests/scoring/test_report.py and tests/web/test_ranking.py reuse.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reqtrace.cli import main
from reqtrace.db import dispose_all, make_engine, upgrade
from tests.conftest import DEMO_PASSWORD

# --- DESIGN.md, "Scoring model", written out ---------------------------------------------------

PRIORITY_WEIGHT = {"must": 5.0, "should": 3.0, "could": 1.0, "wont": 0.0}
CLAIM_VALUE = {"fully supported": 1.0, "configuration": 0.8, "customisation": 0.5, "third party": 0.5,
               "roadmap": 0.2, "not supported": 0.0}
DEFAULTS = {"claim_factor": 0.5, "knockout_threshold": 0.4, "probe_cap": 0.2}
CONTRACT_FLAG = "contract-before-poc"


# --- the demo database on every backend --------------------------------------------------------

_POSTGRES_TEMPLATE: dict[str, str] = {}  # built once per run, whichever test module asks first


@pytest.fixture(scope="session")
def demo_postgres_template(postgres):
    """The demo project (evidence included) in a PostgreSQL template database; cloned per test."""
    if postgres is None:
        pytest.skip("no PostgreSQL configured")
    if "name" in _POSTGRES_TEMPLATE:  # another test module built it and drops it
        yield _POSTGRES_TEMPLATE["name"]
        return
    from reqtrace.db import session_scope
    from reqtrace.sample import build_sample

    url = postgres.create()
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        build_sample(session, password=DEMO_PASSWORD)
    engine.dispose()
    _POSTGRES_TEMPLATE["name"] = make_url(url).database
    yield _POSTGRES_TEMPLATE["name"]
    _POSTGRES_TEMPLATE.clear()
    postgres.drop(url)


@pytest.fixture
def demo_db_url(request, backend, tmp_path, postgres, demo_sqlite_file):
    """This test's own copy of the full demo database (SQLite, and PostgreSQL when configured)."""
    if backend == "sqlite":
        target = tmp_path / "demo.db"
        shutil.copyfile(demo_sqlite_file, target)
        yield f"sqlite:///{target}"
        dispose_all()
        return
    template = request.getfixturevalue("demo_postgres_template")
    url = postgres.create(template=template)
    yield url
    dispose_all()
    postgres.drop(url)


def reqtrace(url: str, *args) -> Any:
    return CliRunner().invoke(main, ["--db", url, *map(str, args)])


def score_json(url: str, *args) -> dict:
    result = reqtrace(url, "score", "--project", "crm", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the expected ranking, from raw SQL ----------------------------------------------------------

def _json(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _slugs(value: str | None) -> list[str]:
    """A slug-list column, stored as ",a,b,"."""
    return [part for part in (value or "").split(",") if part]


@dataclass
class Req:
    hid: str
    title: str
    priority: str
    weight: float
    capability: str
    excluded: list[str]
    processes: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    strategies: set[str] = field(default_factory=set)


@dataclass
class Expected:
    vendor: str
    total: float
    must_subtotal: float
    knockouts: list[tuple[str, str, str]]  # (kind, requirement, detail)
    n: dict[str, float]
    basis: dict[str, str]
    by_strategy: dict[str, float]
    rank: int = 0

    @property
    def knocked_out(self) -> bool:
        return bool(self.knockouts)


@dataclass
class Demo:
    """What the expected computation read, so tests can check it was not vacuous."""

    source: str
    requirements: dict[str, Req]
    vendors: dict[str, dict]
    evaluator_means: dict[tuple[str, str], dict[str, float]]
    consensus: dict[tuple[str, str], float]
    claims: dict[tuple[str, str], str]
    probes: dict[tuple[str, str], dict[str, bool]]
    results: dict[str, Expected]

    @property
    def ranking(self) -> list[Expected]:
        return sorted(self.results.values(), key=lambda e: e.rank)


def expected_ranking(url: str, strategy_weights: dict[str, float] | None = None) -> Demo:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return _expected(db, strategy_weights)
    finally:
        engine.dispose()


def _expected(db, what_if: dict[str, float] | None) -> Demo:
    q = lambda sql, **params: db.execute(text(sql), params).all()  # noqa: E731
    (project_id, settings), = q("SELECT id, settings FROM project WHERE key = 'crm'")
    settings = _json(settings) or {}
    config = {**DEFAULTS, **{k: float(v) for k, v in (settings.get("scoring") or {}).items() if k in DEFAULTS}}
    strategy_weights = what_if if what_if is not None else (settings.get("strategy_weights") or None)

    # What is scored: the latest baseline's requirements, else the approved ones.
    current = {hid: rid for rid, hid in q("SELECT id, hid FROM requirement WHERE project_id = :p", p=project_id)}
    baseline = q("SELECT id FROM baseline WHERE project_id = :p ORDER BY created_at DESC, id DESC LIMIT 1",
                 p=project_id)
    rows: list[dict] = []
    if baseline:
        source = "baseline"
        for hid, data in q("SELECT hid, data FROM baseline_item WHERE baseline_id = :b AND kind = 'requirement'",
                           b=baseline[0][0]):
            rows.append({"hid": hid, **_json(data)})
    else:
        source = "approved"
        for hid, title, priority, weight, capability, excluded in q(
                "SELECT hid, title, priority, weight, capability, excluded_deployments FROM requirement "
                "WHERE project_id = :p AND status = 'approved'", p=project_id):
            rows.append({"hid": hid, "title": title, "priority": priority, "weight": weight,
                         "capability": capability, "excluded_deployments": _slugs(excluded)})
    requirements: dict[str, Req] = {}
    for row in rows:
        if row["hid"] not in current:
            continue
        weight = float(row["weight"]) if row.get("weight") is not None else PRIORITY_WEIGHT[row["priority"]]
        requirements[row["hid"]] = Req(row["hid"], row.get("title") or "", row["priority"], weight,
                                       row.get("capability") or "technology",
                                       list(row.get("excluded_deployments") or []))

    # The chain above each requirement now: active (not retired) strategies, roles and processes,
    # every link counted whether reviewed or suspect.
    def active(table: str) -> dict[int, str]:
        return {i: hid for i, hid in q(f"SELECT id, hid FROM {table} WHERE project_id = :p AND status <> 'retired'",
                                       p=project_id)}
    strategies, roles, processes = active("strategy"), active("role"), active("process")
    role_strategies: dict[str, set[str]] = {}
    for s, r in q("SELECT strategy_id, role_id FROM strategy_role WHERE project_id = :p", p=project_id):
        if s in strategies and r in roles:
            role_strategies.setdefault(roles[r], set()).add(strategies[s])
    process_roles: dict[str, set[str]] = {}
    for r, pr in q("SELECT role_id, process_id FROM role_process WHERE project_id = :p", p=project_id):
        if r in roles and pr in processes:
            process_roles.setdefault(processes[pr], set()).add(roles[r])
    by_id = {rid: hid for hid, rid in current.items()}
    for pr, rid in q("SELECT process_id, requirement_id FROM process_requirement WHERE project_id = :p",
                     p=project_id):
        hid = by_id.get(rid)
        if pr in processes and hid in requirements:
            requirement = requirements[hid]
            requirement.processes.add(processes[pr])
            for role in process_roles.get(processes[pr], ()):
                requirement.roles.add(role)
                requirement.strategies |= role_strategies.get(role, set())

    vendors = {slug: {"deployment": deployment, "flags": _slugs(flags), "cost": cost}
               for slug, deployment, flags, cost in q(
                   "SELECT slug, deployment, flags, cost_5y FROM vendor WHERE project_id = :p", p=project_id)}

    # Checklist entries: each evaluator's latest entry per step over all the vendor's sessions, once they have
    # submitted that session (an attendee's entries before submission are sealed and do not count yet).
    citations = {(script, hid): list(_json(cited) or []) for script, hid, cited in q(
        "SELECT s.script_id, s.hid, s.requirements FROM poc_step s JOIN poc_script ps ON ps.id = s.script_id "
        "WHERE ps.project_id = :p", p=project_id)}
    entries = q("SELECT v.slug, c.evaluator, c.step, c.score, c.verdict, d.script_id, c.id, c.corrects "
                "FROM checklist_result c JOIN demo_session d ON d.id = c.session_id "
                "JOIN vendor v ON v.id = d.vendor_id "
                "LEFT JOIN demo_session_attendee a ON a.session_id = c.session_id AND a.username = c.evaluator "
                "WHERE d.project_id = :p AND NOT (a.username IS NOT NULL AND a.submitted_at IS NULL) "
                "ORDER BY c.recorded_at, c.id",
                p=project_id)
    corrected = {row[7] for row in entries if row[7] is not None}  # a correction replaces the entry it corrects
    latest: dict[tuple[str, str, str], tuple] = {}
    for slug, evaluator, step, score, verdict, script, entry_id, _ in entries:
        if entry_id not in corrected:
            latest[(slug, evaluator, step)] = (score, verdict, script)
    counted: dict[tuple[str, str, str], list[float]] = {}  # (vendor, requirement, evaluator) -> scores
    for (slug, evaluator, step), (score, verdict, script) in latest.items():
        if score is not None:
            value = float(score)
        elif verdict == "not shown":
            value = 0.0
        else:
            continue  # not assessed
        for hid in citations.get((script, step), []):
            counted.setdefault((slug, hid, evaluator), []).append(value)
    evaluator_means: dict[tuple[str, str], dict[str, float]] = {}
    for (slug, hid, evaluator), values in counted.items():
        evaluator_means.setdefault((slug, hid), {})[evaluator] = sum(values) / len(values)

    consensus = {}
    for slug, hid, score in q("SELECT v.slug, c.requirement, c.score FROM consensus_score c "
                              "JOIN vendor v ON v.id = c.vendor_id WHERE c.project_id = :p "
                              "ORDER BY c.recorded_at, c.id", p=project_id):
        consensus[(slug, hid)] = float(score)
    claims = {(slug, hid): answer for slug, hid, answer in q(
        "SELECT v.slug, r.hid, a.answer FROM vendor_response a JOIN vendor v ON v.id = a.vendor_id "
        "JOIN requirement r ON r.id = a.requirement_id WHERE a.project_id = :p", p=project_id)}
    probes: dict[tuple[str, str], dict[str, bool]] = {}
    for slug, probe, passed, cited in q(
            "SELECT v.slug, r.probe, r.passed, r.requirements FROM probe_result r JOIN vendor v ON v.id = r.vendor_id "
            "WHERE r.project_id = :p ORDER BY r.run_at, r.id", p=project_id):
        for hid in _json(cited) or []:
            probes.setdefault((slug, hid), {})[probe] = bool(passed)  # the latest result of each probe

    # wᵣ, with strategy weights: × k × the largest aₛ above r.
    weight = {}
    for hid, r in requirements.items():
        w = r.weight
        if strategy_weights:
            above = [strategy_weights[s] for s in r.strategies if s in strategy_weights]
            if above:
                w *= len(strategy_weights) * max(above)
        weight[hid] = w
    counted_reqs = [r for r in requirements.values() if weight[r.hid] > 0]  # weight 0 counts nowhere
    musts = [r for r in counted_reqs if r.priority == "must"]

    def T(members, n) -> float:
        total_weight = sum(weight[r.hid] for r in members)
        return 100 * sum(weight[r.hid] * n[r.hid] for r in members) / total_weight if total_weight else 0.0

    results = {}
    for slug, vendor in vendors.items():
        n, basis, failed = {}, {}, {}
        for r in requirements.values():
            key = (slug, r.hid)
            means = evaluator_means.get(key)
            d = sum(means.values()) / len(means) if means else None
            if key in consensus:
                d = consensus[key]
            if d is not None:
                n[r.hid], basis[r.hid] = d / 5, "consensus" if key in consensus else "demo"
            elif key in claims:
                n[r.hid], basis[r.hid] = config["claim_factor"] * CLAIM_VALUE[claims[key]], "claim"
            else:
                n[r.hid], basis[r.hid] = 0.0, "none"
            failed[r.hid] = sorted(p for p, passed in probes.get(key, {}).items() if not passed)
            if failed[r.hid] and n[r.hid] > config["probe_cap"]:
                n[r.hid], basis[r.hid] = config["probe_cap"], "probe cap"
        knockouts = []
        if CONTRACT_FLAG in vendor["flags"]:
            knockouts.append(("contract", "", ""))
        for r in musts:
            if vendor["deployment"] in r.excluded:
                knockouts.append(("deployment", r.hid, vendor["deployment"]))
            for probe in failed[r.hid]:
                knockouts.append(("probe", r.hid, probe))
            if round(n[r.hid], 6) < config["knockout_threshold"]:
                knockouts.append(("score", r.hid, f"{n[r.hid]:.2f}"))
        by_strategy = {}
        for strategy in {s for r in counted_reqs for s in r.strategies}:
            by_strategy[strategy] = T([r for r in counted_reqs if strategy in r.strategies], n)
        results[slug] = Expected(slug, T(counted_reqs, n), T(musts, n), knockouts, n, basis, by_strategy)

    order = sorted(results.values(), key=lambda e: (e.knocked_out, -round(e.total, 9), -round(e.must_subtotal, 9),
                                                    e.vendor))
    for position, expected in enumerate(order, start=1):
        expected.rank = position
    return Demo(source, requirements, vendors, evaluator_means, consensus, claims, probes, results)


# --- the tests -----------------------------------------------------------------------------------

def test_the_demo_evidence_exercises_every_part_of_the_model(demo_db_url):
    """Guard against a vacuous acceptance test: the demo holds each kind of evidence the formulas use."""
    demo = expected_ranking(demo_db_url)
    assert demo.source == "baseline"
    assert set(demo.vendors) == {"atlas", "keystone", "nimbus"}
    assert demo.consensus, "the demo records one consensus score on keystone"
    assert {slug for slug, _ in demo.consensus} == {"keystone"}
    assert {slug for slug, _ in demo.evaluator_means} == {"atlas", "keystone", "nimbus"}
    assert any(len(means) == 2 for means in demo.evaluator_means.values())
    bases = {basis for result in demo.results.values() for basis in result.basis.values()}
    assert {"demo", "consensus", "claim", "probe cap"} <= bases, bases
    # atlas's demo is under way: part of its requirements rest on the questionnaire alone
    assert "claim" in demo.results["atlas"].basis.values() and "demo" in demo.results["atlas"].basis.values()
    assert any(not passed for probes in demo.probes.values() for passed in probes.values())
    assert any(r.excluded for r in demo.requirements.values() if r.priority == "must")
    # some requirements sit under several strategies (each counted once per strategy)
    assert any(len(r.strategies) > 1 for r in demo.requirements.values())


def test_score_json_matches_the_ranking_computed_by_hand(demo_db_url):
    demo = expected_ranking(demo_db_url)
    document = score_json(demo_db_url, "--samples", 20)
    assert document["scope"].startswith("baseline")
    vendors = {entry["vendor"]: entry for entry in document["vendors"]}
    assert set(vendors) == set(demo.results)

    # the list is in rank order, ranks 1, 2, 3 over all vendors
    assert [entry["vendor"] for entry in document["vendors"]] == [e.vendor for e in demo.ranking]
    assert [entry["rank"] for entry in document["vendors"]] == list(range(1, len(demo.results) + 1))

    for slug, expected in demo.results.items():
        entry = vendors[slug]
        assert isinstance(entry["total"], float)
        assert math.isclose(entry["total"], expected.total, rel_tol=0, abs_tol=1e-9), (slug, entry["total"],
                                                                                       expected.total)
        assert math.isclose(entry["must_subtotal"], expected.must_subtotal, rel_tol=0, abs_tol=1e-9), slug
        assert entry["rank"] == expected.rank, slug
        assert entry["knocked_out"] is expected.knocked_out, (slug, entry["knockout_reasons"])
        assert len(entry["knockout_reasons"]) == len(expected.knockouts), (slug, entry["knockout_reasons"],
                                                                          expected.knockouts)
        assert entry["by_strategy"].keys() == expected.by_strategy.keys(), slug
        for strategy, value in expected.by_strategy.items():
            assert math.isclose(entry["by_strategy"][strategy], value, rel_tol=0, abs_tol=1e-9), (slug, strategy)


def test_every_knock_out_is_listed_with_its_reason(demo_db_url):
    demo = expected_ranking(demo_db_url)
    vendors = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 20)["vendors"]}
    for slug, expected in demo.results.items():
        reasons = vendors[slug]["knockout_reasons"]
        unmatched = list(reasons)
        for kind, hid, detail in expected.knockouts:
            if kind == "contract":
                match = [r for r in unmatched if "contract" in r]
            elif kind == "deployment":
                match = [r for r in unmatched if f"{hid} " in r and detail in r and "deployment" in r]
            elif kind == "probe":
                match = [r for r in unmatched if f"{hid} " in r and detail in r and "probe failed" in r]
            else:
                match = [r for r in unmatched if r.startswith(f"{hid} ") and "scored" in r and detail in r]
            assert match, (slug, kind, hid, detail, reasons)
            unmatched.remove(match[0])
        assert not unmatched, (slug, unmatched)


def test_nimbus_has_the_highest_total_and_is_knocked_out_for_offline(demo_db_url):
    demo = expected_ranking(demo_db_url)
    vendors = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 20)["vendors"]}
    nimbus = vendors["nimbus"]
    assert nimbus["total"] == max(entry["total"] for entry in vendors.values())
    assert nimbus["total"] > vendors["atlas"]["total"] and nimbus["total"] > vendors["keystone"]["total"]
    assert nimbus["knocked_out"] is True
    assert nimbus["rank"] == len(vendors)  # below every vendor still in, whatever its total
    assert vendors["atlas"]["knocked_out"] is False and vendors["keystone"]["knocked_out"] is False
    assert (vendors["atlas"]["rank"], vendors["keystone"]["rank"]) == (1, 2)

    reasons = nimbus["knockout_reasons"]
    failed_offline = [hid for (slug, hid), probes in demo.probes.items()
                      if slug == "nimbus" and probes.get("offline") is False
                      and demo.requirements.get(hid) and demo.requirements[hid].priority == "must"]
    assert failed_offline
    for hid in failed_offline:
        assert any("offline probe failed" in r and f"{hid} " in r for r in reasons), (hid, reasons)
    excluding = [r.hid for r in demo.requirements.values() if r.priority == "must" and "thin-client" in r.excluded]
    assert excluding
    for hid in excluding:
        assert any(r.startswith(f"{hid} (must) excludes") and "thin-client" in r for r in reasons), (hid, reasons)


def test_by_strategy_follows_the_chain_suspect_links_included(demo_db_url):
    """Two strategies' roll-ups by hand; then an upstream edit makes links suspect and nothing changes."""
    demo = expected_ranking(demo_db_url)
    strategies = sorted({s for r in demo.requirements.values() for s in r.strategies},
                        key=lambda hid: int(hid.split("-")[1]))
    assert len(strategies) >= 2
    chosen = strategies[:2]
    before = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 5)["vendors"]}
    for slug in demo.results:
        for strategy in chosen:
            members = [r for r in demo.requirements.values() if strategy in r.strategies and r.weight > 0]
            n = demo.results[slug].n
            value = 100 * sum(r.weight * n[r.hid] for r in members) / sum(r.weight for r in members)
            assert math.isclose(before[slug]["by_strategy"][strategy], value, abs_tol=1e-9), (slug, strategy)

    # Change STR-1's fingerprint behind the services' back: every link out of it becomes suspect.
    engine = create_engine(demo_db_url)
    with engine.begin() as db:
        (project_id,), = db.execute(text("SELECT id FROM project WHERE key = 'crm'")).all()
        db.execute(text("UPDATE strategy SET fingerprint = 'changed-upstream' WHERE project_id = :p AND hid = :h"),
                   {"p": project_id, "h": chosen[0]})
    engine.dispose()
    result = reqtrace(demo_db_url, "trace", "check", "--project", "crm", "--json")
    suspects = json.loads(result.stdout)["suspect_links"]
    assert any(link.startswith(f"{chosen[0]}->") for link in suspects), suspects
    after = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 5)["vendors"]}
    for slug in demo.results:
        assert after[slug]["by_strategy"] == before[slug]["by_strategy"]
        assert after[slug]["total"] == before[slug]["total"]


def test_strategy_weights_scale_requirement_weights_as_documented(demo_db_url):
    """k × the largest aₛ above r; equal weights change nothing (stored in settings as `weights` would)."""
    demo = expected_ranking(demo_db_url)
    strategies = sorted({s for r in demo.requirements.values() for s in r.strategies},
                        key=lambda hid: int(hid.split("-")[1]))
    raw = {hid: float(index % 3 + 1) for index, hid in enumerate(strategies)}
    weights = {hid: value / sum(raw.values()) for hid, value in raw.items()}
    engine = create_engine(demo_db_url)
    with engine.begin() as db:
        (project_id, settings), = db.execute(text("SELECT id, settings FROM project WHERE key = 'crm'")).all()
        settings = {**(_json(settings) or {}), "strategy_weights": weights}
        db.execute(text("UPDATE project SET settings = :s WHERE id = :p"),
                   {"s": json.dumps(settings), "p": project_id})
    engine.dispose()
    weighted = expected_ranking(demo_db_url)
    vendors = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 5)["vendors"]}
    assert any(not math.isclose(weighted.results[s].total, demo.results[s].total) for s in demo.results)
    for slug, expected in weighted.results.items():
        assert math.isclose(vendors[slug]["total"], expected.total, abs_tol=1e-9), slug
        assert vendors[slug]["rank"] == expected.rank, slug
        for strategy, value in expected.by_strategy.items():
            assert math.isclose(vendors[slug]["by_strategy"][strategy], value, abs_tol=1e-9), (slug, strategy)


def test_a_correction_replaces_the_entry_it_corrects_whatever_the_clocks_say(demo_db_url):
    """After submission an evaluator changes a score only by a correction naming the entry it corrects. The
    correction counts even when the device that sent it had a clock behind the one that recorded the original
    (the evaluator's clock sets recorded_at)."""
    from datetime import timedelta

    from sqlmodel import Session, select

    from reqtrace.model import ChecklistResult, DemoSession, Vendor
    from reqtrace.services import checklists
    from reqtrace.services.projects import get_project

    before = expected_ranking(demo_db_url).results["nimbus"].total
    engine = make_engine(demo_db_url)
    with Session(engine, expire_on_commit=False) as session:
        project = get_project(session, "crm")
        demo = session.exec(select(DemoSession).join(Vendor, Vendor.id == DemoSession.vendor_id)
                            .where(Vendor.slug == "nimbus")).first()
        original = session.exec(select(ChecklistResult).where(ChecklistResult.session_id == demo.id,
                                                               ChecklistResult.evaluator == "evaluator")
                                .order_by(ChecklistResult.id)).first()
        new_score = 5.0 if (original.score or 0) < 3 else 0.0
        outcome = checklists.record_ticks(session, project, demo, "evaluator", [{
            "client_id": "correction-behind-the-clock", "step": original.step, "verdict": "demonstrated",
            "score": new_score, "note": "Scored the wrong row; corrected after the review.",
            "corrects": original.id,
            "recorded_at": (original.recorded_at - timedelta(hours=1)).isoformat()}])
        assert outcome[0]["status"] == "stored", outcome
        session.commit()
    engine.dispose()

    demo = expected_ranking(demo_db_url)
    assert not math.isclose(demo.results["nimbus"].total, before)  # the correction matters
    vendors = {entry["vendor"]: entry for entry in score_json(demo_db_url, "--samples", 5)["vendors"]}
    assert math.isclose(vendors["nimbus"]["total"], demo.results["nimbus"].total, abs_tol=1e-9), (
        "the correction was ignored: the engine keeps the entry with the latest recorded_at",
        vendors["nimbus"]["total"], demo.results["nimbus"].total)
