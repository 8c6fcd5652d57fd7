"""POC scripts in the database: build a version, read one, edit into the next version, issue to vendors.

A version never changes once saved: demo sessions and issues point at the
version they used. Step IDs (STEP-n) carry over from version to version and are
never given twice, so evidence recorded on a step keeps its meaning. Scenario keys
(SC-n) carry over too, but only name a scenario within a version: evidence never
points at one, and a key freed by removing a scenario may be taken by a new one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.bulk import bulk_insert
from reqtrace.model import PocScript, Project, Requirement, Scenario, ScriptIssue, Step, Vendor, utcnow
from reqtrace.poc import edits
from reqtrace.poc.generate import DEFAULT_TIMEBOX, ScriptDraft, build_script, coverage
from reqtrace.schemas import MAX_ID, MAX_TEXT, MAX_TITLE, Problem
from reqtrace.services.baselines import baseline_state, get_baseline
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.services.scope import approved_weighted_hids, current_scope, effective_weight
from reqtrace.trace.graph import hid_key
from reqtrace.trace.load import load_graph

MAX_TIMEBOX = 240
MAX_ACTION = 80  # an adapter action's name: the width of its column (poc_step.action)

GENERIC_SAMPLE_DATA = (
    "Before the demonstration, load the sample records the customer sends with this script — accounts with "
    "their contacts, products, open opportunities and quotes, orders and invoices, service cases and installed "
    "equipment — into your product. Every step is shown on those records, not on your own demonstration data.")


def scope_for(session: Session, project: Project, baseline: str | None) -> tuple[str, list[dict[str, Any]]]:
    """(baseline name or "", requirements with weight > 0) a script is built from."""
    if baseline:
        state = baseline_state(session, get_baseline(session, project, baseline))
        rows = [{"hid": hid, **data} for (kind, hid), data in state.items() if kind == "requirement"]
        name = baseline
    else:
        scope = current_scope(session, project)
        rows, name = scope.requirements, scope.baseline
    return name, [row for row in rows if effective_weight(row) > 0]


def citable(session: Session, project: Project, baseline: str) -> tuple[str, set[str]]:
    """(how to name them, the IDs) of the requirements a script built from `baseline` ("" for the approved set)
    may cite: that baseline's, else the requirements approved now, carrying weight."""
    if baseline:
        _, rows = scope_for(session, project, baseline)
        return f"the requirements of baseline {baseline}", {row["hid"] for row in rows}
    return "the approved requirements", approved_weighted_hids(session, project)


def check_new_citations(session: Session, project: Project, script: PocScript, before: dict[str, Any],
                        after: dict[str, Any]) -> None:
    """`edits.check_citations` for an edit of `script` from `before` to `after`, looking the project's
    requirements and the script's scope up only when the edit cites something the script did not (a move or a
    text edit adds nothing to check, and a baseline's scope is a read of the whole baseline)."""
    if not _cited(after) - _cited(before):
        return
    known = set(session.exec(select(Requirement.hid).where(Requirement.project_id == project.id)).scalars())
    label, scope = citable(session, project, script.baseline)
    edits.check_citations(after, known, before=before, scope=scope, scope_label=label)


def _cited(content: dict[str, Any]) -> set[str]:
    return {hid for scenario in content["scenarios"] for step in scenario["steps"] for hid in step["requirements"]}


def build_version(session: Session, project: Project, *, actor: str, baseline: str | None = None) -> PocScript:
    """Generate a script from the baseline (default: the latest, else the approved requirements) and save it."""
    name, requirements = scope_for(session, project, baseline)
    if not requirements:
        raise Invalid([Problem("baseline", "there is no approved requirement to script: approve requirements or "
                                           "make a baseline first")])
    settings = project.settings or {}
    draft = build_script(requirements, load_graph(session, project),
                         title=f"Proof of concept — {project.name}",
                         sample_data=settings.get("poc_sample_data") or GENERIC_SAMPLE_DATA,
                         default_timebox=int(settings.get("poc_default_timebox") or DEFAULT_TIMEBOX),
                         first_step=_next_step_number(session, project))
    return save_version(session, project, _draft_to_content(draft), actor=actor, baseline=name,
                        note=f"built from {f'baseline {name}' if name else 'the approved requirements'}")


def save_version(session: Session, project: Project, content: dict[str, Any], *, actor: str, baseline: str,
                 note: str, based_on: int | None = None) -> PocScript:
    """Validate `content` (as `read_version` gives it) and save it as the next version.

    `based_on` is the version the edit started from: if a newer one exists, saving would silently undo it."""
    _validate(content)
    latest = session.exec(select(func.max(PocScript.version)).where(PocScript.project_id == project.id)).scalar_one()
    if based_on is not None and latest and based_on != latest:
        raise Conflict(f"this edit was made on version {based_on}, but version {latest} has been saved since; "
                       f"nothing was saved: open version {latest} and make the change there")
    version = (latest or 0) + 1
    script = PocScript(project_id=project.id, version=version, baseline=baseline, title=content["title"],
                       introduction=content.get("introduction", ""), sample_data=content.get("sample_data", ""),
                       change_note=note, created_by=actor, created_at=utcnow())
    session.add(script)
    session.flush()
    connection = session.connection()
    bulk_insert(connection, Scenario.__table__, [
        {"seq": index, "key": scenario["key"], "title": scenario["title"], "narrative": scenario.get("narrative", ""),
         "process": scenario.get("process", ""), "roles": list(scenario.get("roles", []))}
        for index, scenario in enumerate(content["scenarios"], start=1)], {"script_id": script.id})
    bulk_insert(connection, Step.__table__, [
        {"scenario_key": scenario["key"], "seq": index, "hid": step["hid"], "instruction": step["instruction"],
         "expected": step["expected"], "timebox_minutes": int(step["timebox_minutes"]),
         "requirements": list(step["requirements"]), "action": step.get("action", "")}
        for scenario in content["scenarios"] for index, step in enumerate(scenario["steps"], start=1)],
        {"script_id": script.id})
    audit.record(session, actor=actor, project_id=project.id, entity_type="script", entity_id=f"v{version}",
                 action="create", after={"version": version, "baseline": baseline, "note": note,
                                         "steps": sum(len(s["steps"]) for s in content["scenarios"])})
    return script


def get_version(session: Session, project: Project, version: int | None = None) -> PocScript:
    """The given version, or the latest when `version` is None (0 is a version number, and there is none)."""
    statement = select(PocScript).where(PocScript.project_id == project.id)
    statement = statement.where(PocScript.version == version) if version is not None else \
        statement.order_by(PocScript.version.desc())
    # Past MAX_ID no database holds a version, and a query naming one overflows: there is none such.
    script = session.exec(statement).scalars().first() if version is None or 0 < version <= MAX_ID else None
    if script is None:
        if version is not None and list_versions(session, project):
            raise NotFound(f"project {project.key} has no version {version} of the POC script")
        raise NotFound(f"project {project.key} has no POC script: build one with `reqtrace script build`")
    return script


def list_versions(session: Session, project: Project) -> list[PocScript]:
    return list(session.exec(select(PocScript).where(PocScript.project_id == project.id)
                             .order_by(PocScript.version.desc())).scalars())


def read_version(session: Session, script: PocScript) -> dict[str, Any]:
    """The script as plain data: title, introduction, sample data, scenarios with their steps, minutes."""
    scenarios = session.exec(select(Scenario).where(Scenario.script_id == script.id).order_by(Scenario.seq)
                             ).scalars().all()
    steps = session.exec(select(Step).where(Step.script_id == script.id).order_by(Step.seq)).scalars().all()
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        by_scenario.setdefault(step.scenario_key, []).append(
            {"hid": step.hid, "instruction": step.instruction, "expected": step.expected,
             "timebox_minutes": step.timebox_minutes, "requirements": list(step.requirements), "action": step.action})
    content = {"version": script.version, "baseline": script.baseline, "title": script.title,
               "introduction": script.introduction, "sample_data": script.sample_data,
               "change_note": script.change_note, "created_at": script.created_at, "created_by": script.created_by,
               "scenarios": [{"key": s.key, "title": s.title, "narrative": s.narrative, "process": s.process,
                              "roles": list(s.roles), "steps": by_scenario.get(s.key, [])} for s in scenarios]}
    for scenario in content["scenarios"]:
        scenario["minutes"] = sum(step["timebox_minutes"] for step in scenario["steps"])
    content["minutes"] = sum(scenario["minutes"] for scenario in content["scenarios"])
    return content


def script_coverage(session: Session, project: Project, content: dict[str, Any]) -> dict[str, list[str]]:
    """Requirements in the script's scope that no step proves (must-haves listed apart)."""
    _name, requirements = scope_for(session, project, content["baseline"] or None)
    return coverage([step for scenario in content["scenarios"] for step in scenario["steps"]], requirements)


def next_step_id(session: Session, project: Project) -> str:
    return f"STEP-{_next_step_number(session, project)}"


def issue_to_vendor(session: Session, project: Project, script: PocScript, vendor: Vendor, *,
                    actor: str) -> ScriptIssue:
    """Record that `vendor` was handed this version, with the fingerprints of all it cites and what is above."""
    content = read_version(session, script)
    graph = load_graph(session, project)
    above = _ancestors(graph)
    prints: dict[str, dict[str, str]] = {}
    for scenario in content["scenarios"]:
        for step in scenario["steps"]:
            items: dict[str, str] = {}
            for hid in step["requirements"]:
                for item in (hid, *above.get(hid, ())):
                    kind = graph.kind_of(item)
                    if kind is not None:
                        items[item] = graph.nodes[kind][item].fingerprint
            prints[step["hid"]] = items
    issue = ScriptIssue(project_id=project.id, script_id=script.id, vendor_id=vendor.id, issued_by=actor,
                        fingerprints=prints, issued_at=utcnow())
    session.add(issue)
    if project.status in ("drafting", "baselined"):
        project.status = "issued"
        session.add(project)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="script", entity_id=f"v{script.version}",
                 action="issue", after={"vendor": vendor.slug, "version": script.version})
    return issue


def rescore_needed(session: Session, project: Project, graph=None) -> list[dict[str, Any]]:
    """Steps whose requirements, or anything above them, changed since the script was issued to a vendor
    (`graph`: the project's, when the caller has it loaded)."""
    graph = graph if graph is not None else load_graph(session, project)
    current = {hid: node.fingerprint if node.active else "retired"
               for kind in graph.nodes for hid, node in graph.nodes[kind].items()}
    rows = session.exec(select(ScriptIssue, PocScript.version, Vendor.slug)
                        .join(PocScript, PocScript.id == ScriptIssue.script_id)
                        .join(Vendor, Vendor.id == ScriptIssue.vendor_id)
                        .where(ScriptIssue.project_id == project.id)
                        .order_by(ScriptIssue.issued_at, ScriptIssue.id)).all()
    latest: dict[str, tuple[ScriptIssue, int]] = {}
    for issue, version, slug in rows:
        latest[slug] = (issue, version)  # the script a vendor has now is the one issued last
    found = []
    for slug, (issue, version) in sorted(latest.items()):
        for step, items in sorted(issue.fingerprints.items(), key=lambda pair: hid_key(pair[0])):
            changed = sorted((hid for hid, mark in items.items() if current.get(hid) != mark), key=hid_key)
            if changed:
                found.append({"vendor": slug, "version": version, "step": step, "changed": changed})
    return found


def _ancestors(graph) -> dict[str, set[str]]:
    from reqtrace.trace.rules import closure

    links = closure(graph)
    result: dict[str, set[str]] = {}
    for requirement, processes in links.requirement_processes.items():
        result[requirement] = set(processes) | links.requirement_roles.get(requirement, set()) | \
            links.requirement_strategies.get(requirement, set())
    return result


def _next_step_number(session: Session, project: Project) -> int:
    hids = session.exec(select(Step.hid).join(PocScript, PocScript.id == Step.script_id)
                        .where(PocScript.project_id == project.id)).scalars().all()
    numbers = [int(hid.split("-")[1]) for hid in hids if hid.startswith("STEP-") and hid[5:].isdigit()]
    return max(numbers, default=0) + 1


def _draft_to_content(draft: ScriptDraft) -> dict[str, Any]:
    return {"title": draft.title, "introduction": draft.introduction, "sample_data": draft.sample_data,
            "scenarios": [{**{k: v for k, v in asdict(scenario).items() if k != "steps"},
                           "steps": [asdict(step) for step in scenario.steps]} for scenario in draft.scenarios]}


def _validate(content: dict[str, Any]) -> None:
    problems = []
    if not (content.get("title") or "").strip():
        problems.append(Problem("title", "a script needs a title"))
    problems += _too_long("script", content, {"title": MAX_TITLE, "introduction": MAX_TEXT, "sample_data": MAX_TEXT})
    seen: set[str] = set()
    for scenario in content.get("scenarios", []):
        if not (scenario.get("title") or "").strip():
            problems.append(Problem(scenario.get("key", "scenario"), "a scenario needs a title"))
        problems += _too_long(scenario.get("key", "scenario"), scenario, {"title": MAX_TITLE, "narrative": MAX_TEXT})
        for step in scenario.get("steps", []):
            where = step.get("hid", "step")
            if where in seen:
                problems.append(Problem(where, "appears twice"))
            seen.add(where)
            if not (step.get("instruction") or "").strip():
                problems.append(Problem(where, "a step needs an instruction to the vendor"))
            problems += _too_long(where, step, {"instruction": MAX_TEXT, "expected": MAX_TEXT, "action": MAX_ACTION})
            minutes = step.get("timebox_minutes")
            if not isinstance(minutes, int) or not 1 <= minutes <= MAX_TIMEBOX:
                problems.append(Problem(where, f"a timebox is a whole number of minutes from 1 to {MAX_TIMEBOX}"))
    if problems:
        raise Invalid(problems)


def _too_long(where: str, part: dict[str, Any], limits: dict[str, int]) -> list[Problem]:
    """The texts of `part` over their limit (the shared ones: a script travels in workbooks, a cell a text)."""
    problems = []
    for name, limit in limits.items():
        text = part.get(name) or ""
        if len(text) > limit:
            label = name.replace("_", " ")
            problems.append(Problem(where, f"the {label} has at most {limit:,} characters "
                                           f"(this one has {len(text):,})"))
    return problems
