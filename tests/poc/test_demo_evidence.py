"""The demo database (`reqtrace demo`): a baseline, a script issued to every vendor, answers and probe results."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace.db import make_engine
from reqtrace.model import PocScript, ProbeResult, ScriptIssue, Vendor, VendorResponse
from reqtrace.services.baselines import list_baselines
from reqtrace.services.projects import get_project
from tests.poc.conftest import reqtrace_json
from tests.web.support import Visitor
from web import create_app

VENDORS = ["atlas", "keystone", "nimbus"]


@pytest.fixture
def demo(demo_url, cli_env):
    engine = make_engine(demo_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session, get_project(session, "crm")
    engine.dispose()


def test_the_demo_has_the_poc_baseline(demo):
    session, project = demo
    assert "POC issue 1" in [baseline.name for baseline in list_baselines(session, project)]


def test_the_demo_script_is_issued_to_every_vendor(demo_url, demo):
    session, project = demo
    issued = session.exec(select(Vendor.slug, PocScript.version, PocScript.baseline)
                          .join(ScriptIssue, ScriptIssue.vendor_id == Vendor.id)
                          .join(PocScript, PocScript.id == ScriptIssue.script_id)
                          .where(ScriptIssue.project_id == project.id).order_by(Vendor.slug)).all()
    assert [row[0] for row in issued] == VENDORS
    assert {row[2] for row in issued} == {"POC issue 1"}  # built from the baseline
    shown = reqtrace_json(demo_url, "script", "show", "--project", "crm")
    assert shown["baseline"] == "POC issue 1"
    assert shown["unproved_must"] == [] and shown["rescore_needed"] == []
    assert sum(len(scenario["steps"]) for scenario in shown["scenarios"]) > 0


def test_every_vendor_answered_its_questionnaire(demo):
    session, project = demo
    counts = dict(session.exec(select(Vendor.slug, func.count(VendorResponse.id))
                               .join(VendorResponse, VendorResponse.vendor_id == Vendor.id)
                               .where(VendorResponse.project_id == project.id).group_by(Vendor.slug)).all())
    assert sorted(counts) == VENDORS and all(count > 0 for count in counts.values())


def test_the_demo_has_recorded_probe_results(demo):
    session, project = demo
    results = session.exec(select(ProbeResult).where(ProbeResult.project_id == project.id)).scalars().all()
    assert results
    assert any(not result.passed for result in results) and any(result.passed for result in results)
    assert all(result.requirements for result in results)


def test_the_demo_ranks_atlas_first_and_knocks_nimbus_out_for_its_thin_client(demo_url):
    vendors = {v["vendor"]: v for v in reqtrace_json(demo_url, "score", "--project", "crm")["vendors"]}
    assert vendors["atlas"]["rank"] == 1 and vendors["atlas"]["knocked_out"] is False
    assert vendors["nimbus"]["knocked_out"] is True
    assert any("thin-client" in reason for reason in vendors["nimbus"]["knockout_reasons"])
    assert vendors["nimbus"]["rank"] == 3


def test_the_demo_scripts_page_shows_the_issues_and_probes(demo_url):
    visitor = Visitor(create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test"}).test_client())
    assert visitor.login("lead").status_code == 302
    data = visitor.json("/p/crm/scripts.json")
    assert all(vendor["issued"] is not None for vendor in data["vendors"])
    assert {probe["vendor"] for probe in data["probes"]} == set(VENDORS)
