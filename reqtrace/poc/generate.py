"""Turn the requirements in scope into a scripted demo: scenarios around processes, a step per requirement.

Pure functions over plain data. A scenario walks through one re-engineered
process as the roles that run it would ("a day in the life of the field
sales representative: plan and carry out account visits — with no
connection"); each of its steps asks the vendor to show one requirement on
their own product with the customer's sample data, says what the evaluators
expect to see (the acceptance criteria) and gets a timebox. Every requirement
in scope is proved by exactly one generated step, so every must-have is
covered; the CRM lead then reorders, edits, merges and adds steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reqtrace.trace.graph import TraceGraph, hid_key

DEFAULT_TIMEBOX = 5  # minutes a step may take when its requirement names none
NO_CONNECTION_TAGS = {"offline", "offline-edit", "no-telephony"}


@dataclass
class StepDraft:
    hid: str
    instruction: str
    expected: str
    timebox_minutes: int
    requirements: list[str]
    action: str = ""


@dataclass
class ScenarioDraft:
    key: str
    title: str
    narrative: str
    process: str
    roles: list[str]
    steps: list[StepDraft] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(step.timebox_minutes for step in self.steps)


@dataclass
class ScriptDraft:
    title: str
    introduction: str
    sample_data: str
    scenarios: list[ScenarioDraft]

    @property
    def minutes(self) -> int:
        return sum(scenario.minutes for scenario in self.scenarios)

    def steps(self) -> list[StepDraft]:
        return [step for scenario in self.scenarios for step in scenario.steps]


def build_script(requirements: list[dict[str, Any]], graph: TraceGraph, *, title: str, sample_data: str,
                 default_timebox: int = DEFAULT_TIMEBOX, first_step: int = 1) -> ScriptDraft:
    """A script proving each requirement (dicts with hid, title, statement, acceptance, tags, timebox_minutes)."""
    up_processes, up_roles = graph.up("process"), graph.up("role")
    processes, roles = graph.nodes["process"], graph.nodes["role"]
    by_process: dict[str, list[dict[str, Any]]] = {}
    for requirement in sorted(requirements, key=lambda r: hid_key(r["hid"])):
        above = sorted(up_processes.get(requirement["hid"], []), key=lambda p: (processes[p].seq, hid_key(p)))
        by_process.setdefault(above[0] if above else "", []).append(requirement)
    ordered = sorted((p for p in by_process if p), key=lambda p: (processes[p].seq, hid_key(p)))
    if "" in by_process:
        ordered.append("")  # requirements that support no process still get proved, last
    scenarios: list[ScenarioDraft] = []
    number = first_step
    for index, process_id in enumerate(ordered, start=1):
        chosen = by_process[process_id]
        role_ids = sorted(up_roles.get(process_id, []), key=lambda r: (roles[r].seq, hid_key(r))) if process_id else []
        scenario = ScenarioDraft(key=f"SC-{index}", title=_scenario_title(process_id, processes, role_ids, roles, chosen),
                                 narrative=_narrative(process_id, processes), process=process_id, roles=role_ids)
        for requirement in chosen:
            scenario.steps.append(StepDraft(
                hid=f"STEP-{number}",
                instruction=_instruction(requirement),
                expected=(requirement.get("acceptance") or "").strip() or "The behaviour stated is shown working.",
                timebox_minutes=int(requirement.get("timebox_minutes") or default_timebox),
                requirements=[requirement["hid"]]))
            number += 1
        scenarios.append(scenario)
    introduction = (
        "Show us, on your own product and with the sample data below, how each step works. Follow the scenarios "
        "in order; each one walks through a process as the people who run it will. Keep to each step's timebox: "
        "a step you cannot show within it counts as not shown. Evaluators score every step as you go.")
    return ScriptDraft(title=title, introduction=introduction, sample_data=sample_data, scenarios=scenarios)


def coverage(draft_steps: list[dict[str, Any]] | list[StepDraft], requirements: list[dict[str, Any]]
             ) -> dict[str, list[str]]:
    """Requirements in scope that no step proves, and the must-haves among them."""
    cited = set()
    for step in draft_steps:
        cited.update(step.requirements if isinstance(step, StepDraft) else step["requirements"])
    missing = [r["hid"] for r in sorted(requirements, key=lambda r: hid_key(r["hid"])) if r["hid"] not in cited]
    musts = {r["hid"] for r in requirements if r.get("priority") == "must"}
    return {"unproved": missing, "unproved_must": [hid for hid in missing if hid in musts]}


def _scenario_title(process_id: str, processes, role_ids: list[str], roles, chosen: list[dict[str, Any]]) -> str:
    if not process_id:
        return "Requirements that support no process yet"
    names = [roles[r].title.lower() for r in role_ids] or ["the people who run it"]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    title = f"A day in the life of the {who}: {processes[process_id].title.lower()}"
    if any(NO_CONNECTION_TAGS & set(r.get("tags") or ()) for r in chosen):
        title += ", with no connection"
    return title[:300]


def _narrative(process_id: str, processes) -> str:
    if not process_id:
        return "These requirements are not yet linked to a process; the vendor shows each on its own."
    process = processes[process_id]
    lines = [f"This scenario follows {process_id}, *{process.title}*."]
    steps = process.attrs.get("steps") or []
    if steps:
        lines.append("The process runs: " + "; ".join(f"{i}. {step}" for i, step in enumerate(steps, 1)) + ".")
    if process.attrs.get("management") == "constraint":
        lines.append("It is run under constraint management: show it working when demand peaks.")
    return "\n\n".join(lines)


def _instruction(requirement: dict[str, Any]) -> str:
    statement = (requirement.get("statement") or "").strip()
    head = f"Show {requirement['hid']}: **{requirement['title']}**"
    return f"{head}\n\n{statement}" if statement else head
