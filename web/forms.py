"""The item forms: which fields each level shows and how a posted form becomes service input.

Validation is not done here: the services validate through reqtrace.schemas,
the same rules the catalogue and the workbook importers use, and their
problems are shown next to the fields named here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from reqtrace.model import LINKS_UP
from reqtrace.vocab import CAPABILITY, DEPLOYMENT, KIND, MANAGEMENT, PERSPECTIVE, PRIORITY, STATUS


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, markdown, select, checkboxes, number, lines, owner, links
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    prompt: str = ""  # a select's first option while nothing is chosen (a new item): the writer must choose


def _choices(vocabulary) -> tuple[tuple[str, str], ...]:
    return tuple(vocabulary.terms.items())


TITLE = FormField("title", "Title", "text", "Required: one line that names it.", required=True)
OWNER = FormField("owner", "Owner", "owner", "Who writes and proposes it. Only the CRM lead assigns owners.")

FORMS: dict[str, list[FormField]] = {
    "strategy": [
        TITLE,
        FormField("statement", "Statement", "markdown", "The customer-centric strategy, as top management set it."),
        FormField("sponsor", "Executive sponsor", "text", "The executive who owns the strategy."),
        FormField("perspective", "Scorecard perspective", "select", choices=_choices(PERSPECTIVE)),
        FormField("segment", "Customer segment", "text", "The customers it is aimed at."),
        FormField("kpi", "KPI", "text", "How success is measured."),
        FormField("target", "Target", "text", "The KPI's target, with a date."),
        OWNER,
    ],
    "role": [
        TITLE,
        FormField("from_state", "From (today)", "textarea", "What the function does today."),
        FormField("to_state", "To (after the change)", "textarea", "What it will do once the strategy is in place."),
        FormField("department", "Department", "text"),
        FormField("description", "Notes", "markdown"),
        FormField("links", "Strategies it serves", "links"),
        OWNER,
    ],
    "process": [
        TITLE,
        FormField("description", "Description", "markdown"),
        FormField("steps", "Steps", "lines", "One step per line, in order."),
        FormField("management", "Management approach", "select",
                  "Balanced flow suits steady back-office work; constraint management suits front-office work "
                  "where customers set the pace.", choices=_choices(MANAGEMENT)),
        FormField("bottleneck", "Bottleneck", "textarea", "Where the flow jams when demand peaks."),
        FormField("peak_demand", "Peak-demand cover", "textarea", "How peaks are covered."),
        FormField("links", "Roles that run it", "links"),
        OWNER,
    ],
    "requirement": [
        TITLE,
        FormField("statement", "Statement", "markdown", "What the system must do to support the process."),
        FormField("acceptance", "Acceptance criteria", "markdown", "What an evaluator checks during the demo."),
        FormField("kind", "Kind", "select", choices=_choices(KIND)),
        FormField("capability", "Capability", "select",
                  "What the requirement builds: the technology itself, people's skills and habits, the way a process "
                  "runs, or knowledge and insight drawn from customer data. A plan that is all technology is "
                  "flagged on the gaps page.", choices=_choices(CAPABILITY), required=True,
                  prompt="Choose what it builds…"),
        FormField("priority", "Priority", "select", choices=_choices(PRIORITY)),
        FormField("weight", "Weight", "number", "Leave blank for the priority's default (must 5, should 3, could 1, "
                                               "won't 0)."),
        FormField("tags", "Tags", "text", "Comma-separated, e.g. offline, no-telephony."),
        FormField("excluded_deployments", "Excludes deployment models", "checkboxes",
                  "A must-have that a model cannot meet knocks out vendors offering it.", choices=_choices(DEPLOYMENT)),
        FormField("timebox_minutes", "Demo timebox (minutes)", "number", "Leave blank for the default."),
        FormField("links", "Processes it supports", "links"),
        OWNER,
    ],
}

STATUS_CHOICES = _choices(STATUS)


@dataclass
class Submitted:
    fields: dict[str, Any]
    links: list[str] | None
    version: int | None
    raw: dict[str, Any] = field(default_factory=dict)  # what to show back in the form


def parse(kind: str, form: MultiDict, *, may_assign_owner: bool) -> Submitted:
    """Turn a posted form into service input, keeping the raw values for redisplay."""
    fields: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    links: list[str] | None = None
    for spec in FORMS[kind]:
        if spec.widget == "links":
            links = [value for value in form.getlist("links") if value.strip()]
            raw["links"] = links
        elif spec.widget == "checkboxes":
            fields[spec.name] = raw[spec.name] = form.getlist(spec.name)
        elif spec.widget == "owner":
            if may_assign_owner and "owner" in form:  # left out: the item's owner as it is (or the lead, if new)
                fields["owner"] = raw["owner"] = (form.get("owner") or "").strip() or None
        else:
            fields[spec.name] = raw[spec.name] = form.get(spec.name, "")
    version = form.get("version", "")
    return Submitted(fields=fields, links=links if kind in LINKS_UP else None,
                     version=int(version) if version.isdigit() else None, raw=raw)


def values_of(kind: str, item_snapshot: dict[str, Any], links: list[str]) -> dict[str, Any]:
    """An item's stored values as the form shows them."""
    values = dict(item_snapshot)
    if kind == "process":
        values["steps"] = "\n".join(item_snapshot.get("steps") or [])
    if kind == "requirement":
        values["tags"] = ", ".join(item_snapshot.get("tags") or [])
        weight = item_snapshot.get("weight")
        values["weight"] = "" if weight is None else _number(weight)
        timebox = item_snapshot.get("timebox_minutes")
        values["timebox_minutes"] = "" if timebox is None else str(timebox)
    values["links"] = links
    return values


def _number(value: float) -> str:
    """As short as it reads, in full: an unchanged form must save the very number it showed."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def empty_values(kind: str) -> dict[str, Any]:
    defaults = {"strategy": {"perspective": "customer"}, "process": {"management": "balanced-flow"},
                "requirement": {"kind": "process-control", "capability": "", "priority": "should",
                                "excluded_deployments": []}}
    return {"links": [], **defaults.get(kind, {})}
