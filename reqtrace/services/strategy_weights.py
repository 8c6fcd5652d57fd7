"""Per-project scoring overrides: AHP strategy weights and the scoring settings, every change audited.

They live in `project.settings`: `strategy_weights` ({STR-id: aₛ}, summing to
1 over the active strategies), `strategy_judgements` (the pairwise judgements
they came from) and `scoring` (`claim_factor`, `knockout_threshold`,
`probe_cap`, each in [0, 1]). `reqtrace.scoring.load` reads them.
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import Project
from reqtrace.schemas import Problem
from reqtrace.scoring.ahp import (
    CR_LIMIT,
    AHPResult,
    JudgementError,
    judgements_from_list,
    judgements_to_list,
    pairwise_weights,
    parse_value,
)
from reqtrace.scoring.engine import Settings
from reqtrace.services.errors import Invalid
from reqtrace.services.items import list_items

SCORING_FIELDS = ("claim_factor", "knockout_threshold", "probe_cap")
WEIGHT_KEYS = ("strategy_weights", "strategy_judgements")


def active_strategies(session: Session, project: Project) -> list[str]:
    return [item.hid for item in list_items(session, project, "strategy", include_retired=False)]


def compute_pairwise(session: Session, project: Project, judgements: Mapping[tuple[str, str], Any]) -> AHPResult:
    """AHP over the project's active strategies; every pair of them must be judged. Stores nothing."""
    strategies = active_strategies(session, project)
    if not strategies:
        raise Invalid([Problem("judgements", f"project {project.key} has no active strategy to weigh")])
    try:
        return pairwise_weights(strategies, judgements)
    except JudgementError as error:
        raise Invalid([Problem("judgements", str(error))]) from None


def apply_pairwise(session: Session, project: Project, judgements: Mapping[tuple[str, str], Any], actor: str
                   ) -> AHPResult:
    """Store the AHP strategy weights; refused (Invalid) when CR > 0.10, naming the most inconsistent pair."""
    result = compute_pairwise(session, project, judgements)
    if not result.consistent:
        raise Invalid([Problem("judgements", inconsistency_message(result))])
    stored = {pair: parse_value(value, pair) if isinstance(value, str) else float(value)
              for pair, value in judgements.items()}
    before = _weights_snapshot(project)
    after = {"strategy_weights": dict(result.weights), "strategy_judgements": judgements_to_list(stored)}
    _replace_settings(project, after)
    session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=project.key,
                 action="strategy_weights", before=before,
                 after={**after, "lambda_max": result.lambda_max, "cr": result.cr})
    return result


def clear_strategy_weights(session: Session, project: Project, actor: str) -> bool:
    """Remove the strategy weights (requirements keep their own weights again); False when there were none."""
    before = _weights_snapshot(project)
    if not any(before.values()):
        return False
    settings = {key: value for key, value in (project.settings or {}).items() if key not in WEIGHT_KEYS}
    project.settings = settings
    session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=project.key,
                 action="strategy_weights_clear", before=before, after={key: None for key in WEIGHT_KEYS})
    return True


def stored_judgements(project: Project) -> dict[tuple[str, str], float]:
    return judgements_from_list((project.settings or {}).get("strategy_judgements") or [])


def set_scoring_settings(session: Session, project: Project, actor: str, claim_factor: float | None = None,
                         knockout_threshold: float | None = None, probe_cap: float | None = None) -> bool:
    """Override scoring defaults for the project, each in [0, 1]; False when nothing changed."""
    given = {"claim_factor": claim_factor, "knockout_threshold": knockout_threshold, "probe_cap": probe_cap}
    problems = []
    for name, value in given.items():
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not 0.0 <= number <= 1.0:  # NaN fails too
            problems.append(Problem(name, f"{value!r} is not a number from 0 to 1"))
    if problems:
        raise Invalid(problems)
    before = dict((project.settings or {}).get("scoring") or {})
    after = {**before, **{name: float(value) for name, value in given.items() if value is not None}}
    if after == before:
        return False
    _replace_settings(project, {"scoring": after})
    session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="project", entity_id=project.key,
                 action="scoring_settings", before=before, after=after)
    return True


def scoring_settings(project: Project) -> dict[str, Any]:
    """The settings scoring uses (defaults with the project's overrides) and the overrides alone."""
    overrides = dict((project.settings or {}).get("scoring") or {})
    return {"scoring": Settings.from_project(project.settings).__dict__, "overrides": overrides}


def inconsistency_message(result: AHPResult) -> str:
    worst = result.most_inconsistent
    where = f"; the most inconsistent judgement is {worst.describe()}" if worst else ""
    return (f"the judgements are too inconsistent: CR {result.cr:.3f} > {CR_LIMIT:.2f}{where}. "
            "Revise that judgement and try again; nothing was stored")


def _weights_snapshot(project: Project) -> dict[str, Any]:
    settings = project.settings or {}
    return {key: settings.get(key) for key in WEIGHT_KEYS}


def _replace_settings(project: Project, changes: dict[str, Any]) -> None:
    """Assign a new dict: the JSON column only notices a new value, not an edit in place."""
    project.settings = {**(project.settings or {}), **changes}
