"""`reqtrace probe run` in Debian's Chromium against the two test sandboxes, driven by the example adapter.

Every probe must pass on the offline-capable sandbox and fail on the thin client, each for its own reason.
Each probe runs once per sandbox for the whole module (the results are shared by the tests that read them);
the command runs as a real process, as a user would start it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from reqtrace.db import dispose_all, make_engine
from reqtrace.model import ProbeResult
from reqtrace.services.items import list_items
from reqtrace.services.projects import get_project
from reqtrace.services.responses import replace_answers
from reqtrace.services.vendors import get_vendor
from tests.conftest import free_port
from tests.poc.conftest import reqtrace_json
from tests.sandboxes.crm_sandbox import Sandbox

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "vendor_scripts" / "example" / "adapter.toml"
PROBES = ("offline", "offline-edit", "slow-network", "small-screen")


@dataclass
class Run:
    code: int
    document: Any
    stdout: str
    stderr: str
    evidence_dir: Path


def probe_cli(*args: Any, cwd: Path, db: str | None = None, json_output: bool = True,
              env: dict[str, str] | None = None) -> Run:
    """`python -m reqtrace [--db URL] probe run ARGS... --json` as its own process."""
    command = [sys.executable, "-m", "reqtrace", *(["--db", db] if db else []), "probe", "run", *map(str, args),
               *(["--json"] if json_output else [])]
    environment = {**os.environ, "REQTRACE_HOME": str(cwd / "home"), "REQTRACE_ACTOR": "cli:test", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300, env=environment)
    document = json.loads(done.stdout) if json_output and done.stdout.strip() else None
    evidence = Path(args[args.index("--evidence-dir") + 1]) if "--evidence-dir" in args else cwd / "evidence"
    return Run(done.returncode, document, done.stdout, done.stderr, evidence)


@pytest.fixture(scope="module")
def sandboxes():
    boxes = {kind: Sandbox(kind) for kind in ("thin", "offline")}
    yield boxes
    for box in boxes.values():
        box.stop()


@pytest.fixture(scope="module")
def probe(sandboxes, tmp_path_factory):
    """probe("offline", "thin") -> the Run of that probe on that sandbox, with the example adapter (run once)."""
    root = tmp_path_factory.mktemp("probes")
    runs: dict[tuple, Run] = {}

    def run(name: str, kind: str, *extra: Any) -> Run:
        key = (name, kind, extra)
        if key not in runs:
            evidence = root / f"{kind}-{name}-{len(runs)}"
            runs[key] = probe_cli(name, "--url", sandboxes[kind].url, "--adapter", ADAPTER,
                                  "--evidence-dir", evidence, *extra, cwd=root)
        return runs[key]
    return run


def passed(run: Run) -> bool:
    assert run.document is not None, (run.code, run.stdout[-1500:], run.stderr[-1500:])
    assert run.code == (0 if run.document["passed"] else 1), (run.code, run.document)
    return run.document["passed"]


# --- each probe passes on the offline sandbox and fails on the thin client ------------------------

@pytest.mark.parametrize("name", PROBES)
def test_every_probe_passes_on_the_offline_capable_sandbox(probe, name):
    run = probe(name, "offline")
    assert passed(run) is True, run.document["details"]
    assert run.code == 0
    assert run.document["recorded"] is None  # run without --vendor and --project: kept nowhere


def test_offline_fails_on_the_thin_client_with_the_browsers_offline_page(probe):
    run = probe("offline", "thin")
    assert passed(run) is False and run.code == 1
    details = run.document["details"]
    assert "own offline error" in details["reason"]
    assert details["url_after"].startswith("chrome-error://")


def test_offline_edit_fails_on_the_thin_client_because_nothing_can_be_changed_offline(probe, sandboxes):
    run = probe("offline-edit", "thin")
    assert passed(run) is False
    assert run.document["details"]["reason"] == "the record could not be changed with no network"
    assert "INTERNET_DISCONNECTED" in run.document["details"]["error"]


def test_offline_edit_on_the_offline_sandbox_reaches_the_server(probe, sandboxes):
    run = probe("offline-edit", "offline")
    assert passed(run) is True
    token = run.document["details"]["token"]
    assert f"Visit {token}" in sandboxes["offline"].notes[1]  # the server has the note made offline


def test_slow_network_fails_on_the_heavy_thin_client_over_the_threshold(probe):
    run = probe("slow-network", "thin")
    assert passed(run) is False
    details = run.document["details"]
    assert details["seconds"] > 5 and details["threshold_seconds"] == 5
    assert "over the 5 s threshold" in details["reason"]
    assert details["bytes"] > 1_000_000


def test_slow_network_on_the_offline_sandbox_is_within_the_threshold(probe):
    details = probe("slow-network", "offline").document["details"]
    assert details["seconds"] <= 5 and "within the 5 s threshold" in details["reason"]


def test_small_screen_fails_on_the_thin_client_for_sideways_scrolling_or_small_targets(probe):
    run = probe("small-screen", "thin")
    assert passed(run) is False
    details = run.document["details"]
    assert "scrolls sideways" in details["reason"] or "tap targets smaller than 44" in details["reason"]
    assert details["viewport"] == {"width": 360, "height": 740}
    assert any(page["horizontal_overflow_px"] > 1 or page["small_target_count"] for page in details["pages"])


def test_small_screen_sees_that_the_thin_clients_1000px_layout_does_not_fit_a_phone(probe):
    """The thin sandbox lays its pages out in a fixed 1,000 px table: on a 360 px phone they scroll sideways."""
    details = probe("small-screen", "thin").document["details"]
    overflow = {page["url"]: page["horizontal_overflow_px"] for page in details["pages"]}
    assert all(pixels > 1 for pixels in overflow.values()), overflow
    assert "scrolls sideways" in details["reason"]


def test_small_screen_checks_the_adapters_pages(probe, sandboxes):
    details = probe("small-screen", "offline").document["details"]
    base = sandboxes["offline"].url
    assert [page["url"] for page in details["pages"]] == [base, base + "accounts/1"]
    assert all(page["horizontal_overflow_px"] <= 1 and page["small_target_count"] == 0 for page in details["pages"])


# --- evidence ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["thin", "offline"])
@pytest.mark.parametrize("name", PROBES)
def test_each_probe_keeps_screenshots_and_a_json_log_under_the_evidence_folder(probe, name, kind):
    run = probe(name, kind)
    document = run.document
    assert set(document) == {"probe", "url", "passed", "evidence", "details", "recorded"}
    assert document["probe"] == name and document["url"].startswith("http://127.0.0.1:")
    files = [Path(path) for path in document["evidence"]]
    assert files and all(path.is_file() for path in files)
    assert all(path.resolve().is_relative_to(run.evidence_dir.resolve()) for path in files)
    assert any(path.suffix == ".png" and path.stat().st_size > 0 for path in files)
    logs = [path for path in files if path.suffix == ".json"]
    assert len(logs) == 1
    log = json.loads(logs[0].read_text())
    assert {key: log[key] for key in ("probe", "url", "passed", "details")} == \
        {key: document[key] for key in ("probe", "url", "passed", "details")}
    events = [entry["event"] for entry in log["log"]]
    assert "log in" in events and "step" in events  # the adapter's login steps, one by one
    assert all(isinstance(entry["t"], (int, float)) for entry in log["log"])


def test_the_offline_edit_log_lists_the_adapters_steps(probe):
    log_file = next(Path(p) for p in probe("offline-edit", "offline").document["evidence"] if p.endswith(".json"))
    steps = [entry["step"] for entry in json.loads(log_file.read_text())["log"] if entry["event"] == "step"]
    token = probe("offline-edit", "offline").document["details"]["token"]
    assert "goto /accounts/1" in steps
    assert f"fill #note = Visit {token}" in steps
    assert f"expect_text Visit {token}" in steps
    assert steps.count("goto /login") == 2  # logged in again in the fresh browser that verifies


def test_evidence_goes_under_the_current_folder_by_default(tmp_path):
    run = probe_cli("small-screen", "--url", f"http://127.0.0.1:{free_port()}/", cwd=tmp_path)
    assert run.code == 1
    files = [tmp_path / path for path in run.document["evidence"]]
    assert files and all(path.is_file() for path in files)
    assert all(path.resolve().is_relative_to((tmp_path / "evidence").resolve()) for path in files)


# --- thresholds, actions, an address nothing answers ----------------------------------------------

def test_a_threshold_makes_slow_network_pass_or_fail_as_set(probe):
    strict = probe("slow-network", "offline", "--threshold", "0.01")
    assert passed(strict) is False
    assert strict.document["details"]["threshold_seconds"] == 0.01
    assert "over the 0.01 s threshold" in strict.document["details"]["reason"]
    lenient = probe("slow-network", "thin", "--threshold", "60")
    assert passed(lenient) is True
    assert 5 < lenient.document["details"]["seconds"] <= 60


@pytest.mark.parametrize("kind", ["thin", "offline"])
def test_the_action_probe_runs_a_named_adapter_action_on_either_sandbox(probe, sandboxes, kind):
    before = list(sandboxes[kind].notes[1])
    run = probe("action", kind, "--action", "edit")
    assert passed(run) is True
    assert run.document["details"] == {"action": "edit", "reason": "every step of the action worked"}
    added = [note for note in sandboxes[kind].notes[1] if note not in before]
    assert len(added) == 1 and added[0].startswith("Visit ")


def test_the_action_probe_fails_when_the_action_fails(probe):
    run = probe("action", "thin", "--action", "verify")  # no note with this run's token exists
    assert passed(run) is False
    assert run.document["details"]["reason"].startswith("the action failed: expect_text Visit ")


def test_a_sandbox_nothing_listens_on_fails_cleanly(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    run = probe_cli("offline", "--url", url, "--evidence-dir", tmp_path / "evidence", cwd=tmp_path)
    assert run.code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.document["passed"] is False and run.document["url"] == url
    assert "ERR_CONNECTION_REFUSED" in run.document["details"]["reason"]
    text = probe_cli("offline", "--url", url, "--evidence-dir", tmp_path / "again", cwd=tmp_path, json_output=False)
    assert text.code == 1 and "Traceback" not in text.stdout + text.stderr
    assert text.stdout.startswith("offline: FAILED")


def test_an_address_that_is_not_a_web_address_is_refused(tmp_path):
    run = probe_cli("offline", "--url", "ftp://example.com/", cwd=tmp_path)
    assert run.code == 1 and run.document["ok"] is False
    assert "web address" in run.document["error"]
    assert not (tmp_path / "evidence").exists()


# --- recording a result for a vendor --------------------------------------------------------------

def tagged(url: str, tag: str) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        project = get_project(session, "crm")
        found = [item.hid for item in list_items(session, project, "requirement")
                 if tag in (item.tags or ()) and item.status != "retired"]
    engine.dispose()
    return found


def claim_everything(url: str, vendor: str) -> None:
    """The vendor answers "fully supported" everywhere: n = 0.5 × 1.0 on every requirement."""
    engine = make_engine(url)
    with Session(engine) as session:
        project = get_project(session, "crm")
        answers = {item.hid: {"answer": "fully supported", "comment": "", "demonstration": ""}
                   for item in list_items(session, project, "requirement")}
        replace_answers(session, project, get_vendor(session, project, vendor), answers, actor="test")
        session.commit()
    engine.dispose()


def test_a_probe_result_is_recorded_against_the_tagged_requirements_and_caps_their_scores(
        sample_url, sandboxes, tmp_path):
    offline = tagged(sample_url, "offline")
    assert offline == ["REQ-40", "REQ-47", "REQ-50", "REQ-126"]  # not the offline-edit ones
    claim_everything(sample_url, "nimbus")
    claim_everything(sample_url, "atlas")
    failed = probe_cli("offline", "--url", sandboxes["thin"].url, "--vendor", "nimbus", "--project", "crm",
                       "--evidence-dir", tmp_path / "nimbus", cwd=tmp_path, db=sample_url)
    assert failed.code == 1 and failed.document["passed"] is False
    assert failed.document["recorded"]["requirements"] == offline
    ok = probe_cli("offline", "--url", sandboxes["offline"].url, "--adapter", ADAPTER, "--vendor", "atlas",
                   "--project", "crm", "--evidence-dir", tmp_path / "atlas", cwd=tmp_path, db=sample_url)
    assert ok.code == 0 and ok.document["recorded"]["requirements"] == offline
    engine = make_engine(sample_url)
    with Session(engine) as session:
        rows = session.exec(select(ProbeResult).order_by(ProbeResult.id)).scalars().all()
        assert [(row.probe, row.passed, row.requirements) for row in rows] == \
            [("offline", False, offline), ("offline", True, offline)]
        assert rows[0].id == failed.document["recorded"]["id"]
        assert rows[0].evidence == failed.document["evidence"]
    engine.dispose()
    dispose_all()

    scores = reqtrace_json(sample_url, "score", "--project", "crm", "--details")
    vendors = {vendor["vendor"]: vendor for vendor in scores["vendors"]}
    nimbus = {entry["hid"]: entry for entry in vendors["nimbus"]["requirements"]}
    atlas = {entry["hid"]: entry for entry in vendors["atlas"]["requirements"]}
    for hid in offline:
        assert nimbus[hid]["n"] == pytest.approx(0.2) and nimbus[hid]["failed_probes"] == ["offline"]
        assert atlas[hid]["n"] == pytest.approx(0.5) and atlas[hid]["failed_probes"] == []
    assert nimbus["REQ-1"]["n"] == pytest.approx(0.5)  # an untagged requirement keeps its claim
    assert vendors["nimbus"]["knocked_out"] is True
    assert any(reason.startswith("the offline probe failed on REQ-40 (must)")
               for reason in vendors["nimbus"]["knockout_reasons"])
    assert not any("probe" in reason for reason in vendors["atlas"]["knockout_reasons"])


def test_recording_needs_both_vendor_and_project(sandboxes, tmp_path):
    run = probe_cli("offline", "--url", sandboxes["thin"].url, "--vendor", "nimbus", cwd=tmp_path)
    assert run.code == 1 and "--project" in run.document["error"]


def test_an_unknown_vendor_is_refused_before_the_browser_starts(sample_url, sandboxes, tmp_path):
    run = probe_cli("offline", "--url", sandboxes["thin"].url, "--vendor", "nobody", "--project", "crm",
                    cwd=tmp_path, db=sample_url, env={"REQTRACE_CHROMIUM": str(tmp_path / "no-chromium")})
    assert run.code == 1 and "nobody" in run.document["error"]
    assert not (tmp_path / "evidence").exists()
