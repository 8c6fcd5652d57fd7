"""The readiness assessment of the five transformation areas.

A company moves each area from a product focus towards a customer focus; it is
only as ready as its weakest area, and technology, being the easiest area to
buy, tends to run ahead of the others. Both are reported as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

# Each area's stages, left (product-focused) to right (customer-focused).
AREAS: dict[str, tuple[str, list[str]]] = {
    "business_focus": ("Business focus", [
        "Product sales", "Sales and channels", "Marketing and service", "Customer needs"]),
    "organisational_structure": ("Organisational structure", [
        "Product managers decide", "Channel and sales teams", "Shared customer teams",
        "Customer segment managers"]),
    "business_metrics": ("Business metrics", [
        "Product and promotion results", "Response rates and revenue", "Customer profitability",
        "Lifetime value and loyalty"]),
    "marketing_focus": ("Marketing focus", [
        "Mass communication", "Targeted campaigns", "Database marketing",
        "Interactive dialogue"]),
    "technology": ("Technology", [
        "Departmental systems", "Shared databases", "Integrated touch points",
        "Real-time single view of the customer"]),
}
STAGE_COUNT = 4


class ReadinessError(ValueError):
    pass


@dataclass(frozen=True)
class ReadinessReport:
    stages: dict[str, int]
    weakest: list[str]  # area keys at the lowest stage
    technology_ahead: bool
    warnings: list[str]

    def as_dict(self) -> dict:
        return {
            "areas": [
                {"area": key, "label": AREAS[key][0], "stage": self.stages.get(key),
                 "stage_label": stage_label(key, self.stages.get(key)), "of": STAGE_COUNT}
                for key in AREAS
            ],
            "weakest": self.weakest,
            "technology_ahead": self.technology_ahead,
            "warnings": self.warnings,
        }


def stage_label(area: str, stage: int | None) -> str | None:
    if stage is None:
        return None
    return AREAS[area][1][stage - 1]


def validate(stages: dict[str, object]) -> dict[str, int]:
    """Return the stages as ints 1..4, refusing unknown areas and stages out of range."""
    clean: dict[str, int] = {}
    for key, value in stages.items():
        if key not in AREAS:
            raise ReadinessError(f"unknown transformation area {key!r}; expected one of: {', '.join(AREAS)}")
        if value in (None, ""):
            continue
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(value, bool) or not number.is_integer():
            raise ReadinessError(f"{AREAS[key][0]}: stage {value!r} is not a whole number from 1 to {STAGE_COUNT}")
        stage = int(number)
        if not 1 <= stage <= STAGE_COUNT:
            raise ReadinessError(f"{AREAS[key][0]}: stage {stage} is outside 1 to {STAGE_COUNT}")
        clean[key] = stage
    return clean


def assess(stages: dict[str, int]) -> ReadinessReport:
    """Find the weakest areas and whether technology has run ahead of the rest."""
    assessed = {key: stages[key] for key in AREAS if stages.get(key) is not None}
    warnings: list[str] = []
    missing = [AREAS[key][0] for key in AREAS if key not in assessed]
    if missing:
        warnings.append("Not assessed yet: " + ", ".join(missing) + ".")
    if not assessed:
        return ReadinessReport(stages={}, weakest=[], technology_ahead=False, warnings=warnings)
    lowest = min(assessed.values())
    weakest = [key for key, stage in assessed.items() if stage == lowest]
    if lowest < STAGE_COUNT:
        names = ", ".join(AREAS[key][0] for key in weakest)
        warnings.append(
            f"Weakest link: {names} (stage {lowest} of {STAGE_COUNT}). The change is only as strong as this area.")
    others = [stage for key, stage in assessed.items() if key != "technology"]
    # "Ahead" means at least a full stage above the average of the other areas.
    technology_ahead = bool(others) and "technology" in assessed and (
        assessed["technology"] >= sum(others) / len(others) + 1)
    if technology_ahead:
        warnings.append(
            "Technology is ahead of the other areas: buying software will not move the organisation; "
            "let strategies, roles and processes lead.")
    return ReadinessReport(stages=assessed, weakest=weakest, technology_ahead=technology_ahead,
                           warnings=warnings)
