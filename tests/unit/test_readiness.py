"""The readiness assessment: the weakest area, and technology running ahead of the rest."""

from __future__ import annotations

import pytest

from reqtrace.readiness import AREAS, ReadinessError, assess, validate

OTHERS = ("business_focus", "organisational_structure", "business_metrics", "marketing_focus")


def stages(technology: int | None = None, **others: int) -> dict[str, int]:
    result = {area: others.get(area, 2) for area in OTHERS}
    if technology is not None:
        result["technology"] = technology
    return result


# --- the weakest link -----------------------------------------------------------------------

def test_weakest_area_is_named_in_a_warning():
    report = assess({**stages(technology=3), "business_metrics": 1})
    assert report.weakest == ["business_metrics"]
    assert any("Weakest link: Business metrics (stage 1 of 4)" in warning for warning in report.warnings)


def test_all_areas_tied_at_the_lowest_stage_are_weakest():
    report = assess(stages(technology=3, business_focus=3, marketing_focus=3))
    assert sorted(report.weakest) == ["business_metrics", "organisational_structure"]
    warning = next(warning for warning in report.warnings if warning.startswith("Weakest link"))
    assert "Organisational structure" in warning and "Business metrics" in warning


def test_fully_customer_focused_company_gets_no_weakest_link_warning():
    report = assess({area: 4 for area in AREAS})
    assert not any("Weakest link" in warning for warning in report.warnings)
    assert report.technology_ahead is False


def test_areas_not_yet_assessed_are_listed():
    report = assess({"technology": 2, "business_focus": 2})
    warning = next(warning for warning in report.warnings if warning.startswith("Not assessed yet"))
    assert "Organisational structure" in warning and "Business metrics" in warning and "Marketing focus" in warning
    assert "Technology" not in warning


def test_nothing_assessed_gives_no_weakest_area_and_no_technology_warning():
    report = assess({})
    assert report.weakest == []
    assert report.technology_ahead is False
    assert len(report.warnings) == 1 and report.warnings[0].startswith("Not assessed yet")


# --- technology ahead -----------------------------------------------------------------------

def test_technology_a_full_stage_above_the_others_average_is_ahead():
    report = assess(stages(technology=3))  # others all at 2
    assert report.technology_ahead is True
    assert any("Technology is ahead" in warning for warning in report.warnings)


def test_technology_less_than_a_stage_above_the_average_is_not_ahead():
    # others average 2.25; technology 3 is 0.75 above
    report = assess(stages(technology=3, business_focus=3))
    assert report.technology_ahead is False
    assert not any("Technology is ahead" in warning for warning in report.warnings)


def test_technology_level_with_the_others_is_not_ahead():
    assert assess(stages(technology=2)).technology_ahead is False


def test_technology_behind_the_others_is_the_weakest_link_not_ahead():
    report = assess(stages(technology=1))
    assert report.technology_ahead is False
    assert report.weakest == ["technology"]


def test_technology_alone_cannot_be_ahead_of_nothing():
    assert assess({"technology": 4}).technology_ahead is False


def test_technology_not_assessed_is_not_ahead():
    assert assess(stages()).technology_ahead is False


def test_sample_like_assessment_warns_about_both():
    report = assess({"business_focus": 3, "organisational_structure": 2, "business_metrics": 2,
                     "marketing_focus": 3, "technology": 4})
    assert report.technology_ahead is True
    assert sorted(report.weakest) == ["business_metrics", "organisational_structure"]


def test_report_as_dict_lists_all_five_areas_with_stage_labels():
    data = assess({"technology": 4, "business_focus": 1}).as_dict()
    assert [area["area"] for area in data["areas"]] == list(AREAS)
    by_area = {area["area"]: area for area in data["areas"]}
    assert by_area["technology"]["stage_label"] == "Real-time single view of the customer"
    assert by_area["business_focus"]["stage_label"] == "Product sales"
    assert by_area["marketing_focus"]["stage"] is None and by_area["marketing_focus"]["stage_label"] is None
    assert all(area["of"] == 4 for area in data["areas"])


# --- validation -----------------------------------------------------------------------------

def test_validate_turns_text_stages_into_numbers_and_skips_blanks():
    assert validate({"technology": "3", "business_focus": 1, "marketing_focus": "", "business_metrics": None}) == \
        {"technology": 3, "business_focus": 1}


def test_unknown_area_is_refused_by_name():
    with pytest.raises(ReadinessError, match="'culture'"):
        validate({"culture": 2})


@pytest.mark.parametrize("stage", [0, 5, -1, "5"])
def test_stage_outside_one_to_four_is_refused(stage):
    with pytest.raises(ReadinessError, match="Technology: stage"):
        validate({"technology": stage})


@pytest.mark.parametrize("stage", ["high", "2.5x", [2]])
def test_stage_that_is_not_a_number_is_refused(stage):
    with pytest.raises(ReadinessError, match="is not a whole number from 1 to 4"):
        validate({"business_focus": stage})


def test_fractional_stage_is_refused_not_truncated():
    """A stage is one of four steps: 2.5 is not silently read as 2 (the text "2.5" is refused too)."""
    with pytest.raises(ReadinessError):
        validate({"technology": 2.5})
