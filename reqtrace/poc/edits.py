"""The CRM lead's edits to a script, as pure functions from one version's content to the next."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from reqtrace.schemas import Problem, clean_line, split_list
from reqtrace.services.errors import Invalid
from reqtrace.words import and_list


class Unchanged(Exception):
    """The edit leaves the script as it was: there is nothing to save as a new version."""


OPENING = ("title", "introduction", "sample_data")
STEP_FIELDS = ("instruction", "expected", "timebox_minutes", "requirements", "action")


def apply_edit(content: dict[str, Any], operation: str, form: Mapping[str, str], *,
               new_step: Callable[[], str]) -> tuple[dict[str, Any], str, str]:
    """One edit of the lead's script page, as its form sends it: (the next version's content, the change note,
    the step or scenario it concerns, "" for the script as a whole or one no longer there).

    `operation` is the form's `op`; `new_step` gives the ID of a step being added. Only the fields sent are
    changed by an edit of the opening or a scenario: a client sending the title alone keeps the introduction.
    Raises Invalid for an unknown operation or bad input, Unchanged for a move at the edge."""
    step, scenario = form.get("step", ""), form.get("scenario", "")
    if operation in ("up", "down"):
        return move_step(content, step, -1 if operation == "up" else 1), f"moved {step} {operation}", step
    if operation == "edit":
        fields = {name: form.get(name, "") for name in STEP_FIELDS}
        return edit_step(content, step, **fields), f"edited {step}", step
    if operation == "merge":
        other = form.get("other", "")
        return merge_steps(content, step, other), f"merged {other} into {step}", step
    if operation == "remove":
        return remove_step(content, step), f"removed {step}", step
    if operation == "add":
        hid = new_step()
        fields = {name: form.get(name, "5" if name == "timebox_minutes" else "") for name in STEP_FIELDS}
        return add_step(content, scenario, hid, **fields), f"added {hid}", hid
    if operation == "opening":
        changed = edit_opening(content, **{name: form[name] for name in OPENING if name in form})
        edited = [name.replace("_", " ") for name in OPENING if changed[name] != content[name]] or ["script"]
        return changed, f"edited the {and_list(edited)}", ""
    if operation == "scenario":
        fields = {name: form[name] for name in ("title", "narrative") if name in form}
        return edit_scenario(content, scenario, **fields), f"edited {scenario}", scenario
    if operation in ("scenario-up", "scenario-down"):
        direction = operation.removeprefix("scenario-")
        return move_scenario(content, scenario, -1 if direction == "up" else 1), f"moved {scenario} {direction}", \
            scenario
    if operation == "add-scenario":
        changed = add_scenario(content, title=form.get("title", ""), narrative=form.get("narrative", ""))
        added = changed["scenarios"][-1]["key"]
        return changed, f"added {added}", added
    if operation == "remove-scenario":
        return remove_scenario(content, scenario), f"removed {scenario}", ""
    raise Invalid([], f"unknown edit {operation!r}")


def move_step(content: dict[str, Any], hid: str, offset: int) -> dict[str, Any]:
    """Move a step up (-1) or down (+1) within its scenario, or into the neighbouring scenario at the edge.

    Raises Unchanged for the script's first step moved up, or its last moved down."""
    result = copy.deepcopy(content)
    scenarios = result["scenarios"]
    index, position = _locate(scenarios, hid)
    steps = scenarios[index]["steps"]
    step = steps.pop(position)
    target = position + offset
    if 0 <= target <= len(steps):
        steps.insert(target, step)
    elif target < 0 and index > 0:
        scenarios[index - 1]["steps"].append(step)
    elif target > len(steps) and index < len(scenarios) - 1:
        scenarios[index + 1]["steps"].insert(0, step)
    else:
        raise Unchanged(f"{hid} is already {'first' if offset < 0 else 'last'} in the script")
    return result


def edit_step(content: dict[str, Any], hid: str, **fields: Any) -> dict[str, Any]:
    """Change a step's instruction, expected outcome, timebox, cited requirements or adapter action."""
    result = copy.deepcopy(content)
    index, position = _locate(result["scenarios"], hid)
    step = result["scenarios"][index]["steps"][position]
    for name, value in fields.items():
        if name == "requirements":
            value = split_list(value)
        elif name == "timebox_minutes":
            value = _minutes(hid, value)
        elif name not in ("instruction", "expected", "action"):
            raise Invalid([Problem(name, "is not a field of a step")])
        step[name] = _text(value) if isinstance(value, str) else value
    return result


def merge_steps(content: dict[str, Any], first: str, second: str) -> dict[str, Any]:
    """Fold `second` into `first`: one step that shows both, cites both, and takes both timeboxes."""
    if first == second:
        raise Invalid([Problem(second, "a step cannot be merged with itself")])
    result = copy.deepcopy(content)
    index, position = _locate(result["scenarios"], first)
    other_index, other_position = _locate(result["scenarios"], second)
    target = result["scenarios"][index]["steps"][position]
    absorbed = result["scenarios"][other_index]["steps"].pop(other_position)
    target["instruction"] = f"{target['instruction']}\n\n{absorbed['instruction']}".strip()
    target["expected"] = f"{target['expected']}\n\n{absorbed['expected']}".strip()
    target["timebox_minutes"] += absorbed["timebox_minutes"]
    target["requirements"] = list(dict.fromkeys(target["requirements"] + absorbed["requirements"]))
    return result


def add_step(content: dict[str, Any], scenario_key: str, hid: str, *, instruction: str, expected: str = "",
             timebox_minutes: Any = 5, requirements: Any = (), action: str = "") -> dict[str, Any]:
    result = copy.deepcopy(content)
    scenario = _scenario(result["scenarios"], scenario_key)
    scenario["steps"].append({"hid": hid, "instruction": _text(instruction), "expected": _text(expected),
                              "timebox_minutes": _minutes(hid, timebox_minutes),
                              "requirements": split_list(requirements), "action": _text(action)})
    return result


def remove_step(content: dict[str, Any], hid: str) -> dict[str, Any]:
    result = copy.deepcopy(content)
    index, position = _locate(result["scenarios"], hid)
    result["scenarios"][index]["steps"].pop(position)
    return result


def edit_opening(content: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Change the script's title, its introduction (how the demonstration runs) or its sample data."""
    result = copy.deepcopy(content)
    for name, value in fields.items():
        if name not in ("title", "introduction", "sample_data"):
            raise Invalid([Problem(name, "is not a field of the script's opening")])
        result[name] = _line("title", value) if name == "title" else _text(value or "")
    return result


def edit_scenario(content: dict[str, Any], key: str, **fields: Any) -> dict[str, Any]:
    """Change a scenario's title or narrative (the story the vendor's demonstration of it follows)."""
    result = copy.deepcopy(content)
    scenario = _scenario(result["scenarios"], key)
    for name, value in fields.items():
        if name not in ("title", "narrative"):
            raise Invalid([Problem(name, "is not a field of a scenario")])
        scenario[name] = _line(key, value) if name == "title" else _text(value or "")
    return result


def move_scenario(content: dict[str, Any], key: str, offset: int) -> dict[str, Any]:
    """Move a scenario, with its steps, one place earlier (-1) or later (+1) in the running order."""
    result = copy.deepcopy(content)
    scenarios = result["scenarios"]
    index = scenarios.index(_scenario(scenarios, key))
    target = index + offset
    if not 0 <= target < len(scenarios):
        raise Unchanged(f"{key} is already {'first' if offset < 0 else 'last'} in the script")
    scenarios.insert(target, scenarios.pop(index))
    return result


def add_scenario(content: dict[str, Any], *, title: str, narrative: str = "") -> dict[str, Any]:
    """Append an empty scenario (steps are added to it afterwards), keyed one past the highest SC-n."""
    title = _line("title", title)
    if not title:  # said before the scenario has a key the lead has never seen
        raise Invalid([Problem("title", "a scenario needs a title")])
    result = copy.deepcopy(content)
    numbers = [int(s["key"][3:]) for s in result["scenarios"] if s["key"][:3] == "SC-" and s["key"][3:].isdigit()]
    key = f"SC-{max(numbers, default=0) + 1}"
    result["scenarios"].append({"key": key, "title": title, "narrative": _text(narrative or ""),
                                "process": "", "roles": [], "steps": []})
    return result


def remove_scenario(content: dict[str, Any], key: str) -> dict[str, Any]:
    """Remove a scenario with no steps left: removing steps is its own, deliberate edit, one step at a time."""
    result = copy.deepcopy(content)
    scenario = _scenario(result["scenarios"], key)
    if scenario["steps"]:
        count = len(scenario["steps"])
        raise Invalid([Problem(key, f"still has {count} step{'s' if count != 1 else ''}: move or remove "
                                    f"{'them' if count != 1 else 'it'} first")])
    result["scenarios"].remove(scenario)
    return result


def check_changed(before: dict[str, Any], after: dict[str, Any], what: str) -> None:
    """Raise Unchanged when `after` says all `before` says (a version saved again would differ in nothing)."""
    if _substance(before) == _substance(after):
        raise Unchanged(f"{what} is unchanged")


def check_citations(content: dict[str, Any], known: set[str], *, before: dict[str, Any] | None = None,
                    scope: set[str] | None = None, scope_label: str = "") -> None:
    """Every cited requirement must exist; with `scope`, every citation an edit adds must be one of the
    requirements the script proves (`scope_label` names them): a draft, a retired requirement or one outside
    the baseline was never asked of the vendors. What the script cited `before` stays citable, whatever became
    of it, wherever it goes (two steps merged, a step's citations moved to another)."""
    had = {hid for scenario in (before or {}).get("scenarios", []) for step in scenario["steps"]
           for hid in step["requirements"]}
    problems = []
    for scenario in content["scenarios"]:
        for step in scenario["steps"]:
            for hid in step["requirements"]:
                if hid not in known:
                    problems.append(Problem(step["hid"], f"cites {hid}, which is not a requirement of this project"))
                elif scope is not None and hid not in scope and hid not in had:
                    problems.append(Problem(step["hid"], f"cites {hid}, which is not among {scope_label}: a script "
                                                         "proves only the requirements it was built from"))
    if problems:
        raise Invalid(problems)


def _substance(content: dict[str, Any]) -> dict[str, Any]:
    """What a version says, without what `read_version` adds about it (its number, author, minutes)."""
    return {"title": content.get("title"), "introduction": content.get("introduction"),
            "sample_data": content.get("sample_data"),
            "scenarios": [{**{key: value for key, value in scenario.items() if key != "minutes"},
                           "steps": [dict(step) for step in scenario["steps"]]} for scenario in content["scenarios"]]}


def _scenario(scenarios: list[dict[str, Any]], key: str) -> dict[str, Any]:
    scenario = next((s for s in scenarios if s["key"] == key), None)
    if scenario is None:
        raise Invalid([Problem("scenario", f"there is no scenario {key} in this script")])
    return scenario


def _locate(scenarios: list[dict[str, Any]], hid: str) -> tuple[int, int]:
    for index, scenario in enumerate(scenarios):
        for position, step in enumerate(scenario["steps"]):
            if step["hid"] == hid:
                return index, position
    raise Invalid([Problem("step", f"there is no step {hid} in this script")])


def _text(value: str) -> str:
    """Stripped, with a browser's CRLF line breaks as the script stores them (a form sent as it stands is no change)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _line(where: str, value: Any) -> str:
    """A title: one line, as items' titles are (a heading of the printed script, a line of the checklist)."""
    try:
        return clean_line(value or "")
    except ValueError as error:
        raise Invalid([Problem(where, str(error))]) from None


def _minutes(hid: str, value: Any) -> int:
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise Invalid([Problem(hid, f"{value!r} is not a number of minutes")]) from None
    if not 1 <= minutes <= 240:
        raise Invalid([Problem(hid, "a timebox is a whole number of minutes from 1 to 240")])
    return minutes
