"""Enumerated values and field schemas: one set of rules for forms, workbooks and the catalogue."""

from __future__ import annotations

import pytest

from reqtrace import vocab
from reqtrace.schemas import MAX_TIMEBOX, MAX_WEIGHT, Problem, validate_fields, validate_status
from reqtrace.vocab import DEPLOYMENT, PRIORITY, UnknownValue

ALL_VOCABULARIES = [value for value in vars(vocab).values() if isinstance(value, vocab.Vocabulary)]


def requirement(**fields):
    """Validate a requirement with a title plus `fields`; return (clean, problems)."""
    return validate_fields("requirement", {"title": "Record a visit offline", **fields})


def problem_fields(problems: list[Problem]) -> list[str]:
    return [problem.field for problem in problems]


# --- vocabularies ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["must", "Must", "MUST", "Must have", "must-have", "M", "m", " must "])
def test_must_is_recognised_whatever_the_case_and_spelling(text):
    assert PRIORITY.parse(text) == "must"


@pytest.mark.parametrize("text", ["Won't", "won't", "WONT", "Won’t", "won't have", "W"])
def test_wont_is_recognised_with_or_without_the_apostrophe(text):
    assert PRIORITY.parse(text) == "wont"


@pytest.mark.parametrize("text,slug", [("Should have", "should"), ("S", "should"), ("Could", "could"),
                                       ("nice to have", "could")])
def test_other_priorities_have_their_moscow_synonyms(text, slug):
    assert PRIORITY.parse(text) == slug


def test_unknown_priority_is_refused_with_the_allowed_values():
    with pytest.raises(UnknownValue) as raised:
        PRIORITY.parse("banana")
    message = str(raised.value)
    assert "banana" in message
    # Listed as the workbook's dropdown spells them.
    for value in ("must", "should", "could", "won't"):
        assert value in message


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_value_is_refused_not_defaulted(empty):
    with pytest.raises(UnknownValue, match="empty"):
        PRIORITY.parse(empty)


@pytest.mark.parametrize("vocabulary", ALL_VOCABULARIES, ids=lambda vocabulary: vocabulary.name)
def test_every_term_and_label_reads_back_as_itself(vocabulary):
    """No synonym shadows another term's slug or label."""
    for slug, label in vocabulary.terms.items():
        assert vocabulary.parse(slug) == slug
        assert vocabulary.parse(label) == slug
        assert vocabulary.parse(label.upper()) == slug


@pytest.mark.parametrize("vocabulary", ALL_VOCABULARIES, ids=lambda vocabulary: vocabulary.name)
def test_every_synonym_reads_as_the_term_it_was_declared_for(vocabulary):
    for synonym, slug in vocabulary.synonyms.items():
        assert vocabulary.parse(synonym) == slug, synonym


@pytest.mark.parametrize("text,slug", [("SaaS", "hosted-only"), ("Hosted only", "hosted-only"),
                                       ("thin client", "thin-client"), ("On Premises", "on-premise"),
                                       ("offline", "hybrid-offline")])
def test_deployment_models_have_synonyms(text, slug):
    assert DEPLOYMENT.parse(text) == slug


@pytest.mark.parametrize("text,slug", [("Accepted", "approved"), ("in review", "proposed"), ("Draft", "draft"),
                                       ("withdrawn", "retired")])
def test_status_accepts_synonyms(text, slug):
    assert validate_status(text) == slug


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="expected one of: draft, proposed, approved, retired"):
        validate_status("finished")


# --- requirement fields ---------------------------------------------------------------------

def test_requirement_defaults_are_the_models_defaults():
    clean, problems = requirement()
    assert problems == []
    assert (clean["priority"], clean["kind"], clean["capability"]) == ("should", "process-control", "technology")
    assert clean["weight"] is None and clean["tags"] == [] and clean["excluded_deployments"] == []


def test_priority_synonym_is_stored_as_its_slug():
    clean, problems = requirement(priority="Must have")
    assert problems == [] and clean["priority"] == "must"


def test_bad_priority_is_a_problem_on_the_priority_field():
    clean, problems = requirement(priority="banana")
    assert clean is None
    assert problem_fields(problems) == ["priority"]
    assert "banana" in problems[0].message and "must, should, could, won't" in problems[0].message


def test_several_bad_fields_are_all_reported_at_once():
    clean, problems = requirement(priority="banana", capability="magic", weight="heavy")
    assert clean is None
    assert sorted(problem_fields(problems)) == ["capability", "priority", "weight"]


def test_tags_are_lowercased_dashed_and_deduplicated():
    clean, problems = requirement(tags="Offline, No Telephony; offline\nfield")
    assert problems == []
    assert clean["tags"] == ["offline", "no-telephony", "field"]


def test_tags_given_as_a_list_are_normalised_too():
    clean, _ = requirement(tags=[" OFFLINE ", "Field Sales"])
    assert clean["tags"] == ["offline", "field-sales"]


def test_tag_with_punctuation_is_refused():
    clean, problems = requirement(tags="offline, 100%!")
    assert clean is None
    assert problem_fields(problems) == ["tags"]
    assert "100%!" in problems[0].message


def test_excluded_deployments_accept_synonyms_and_drop_repeats():
    clean, problems = requirement(excluded_deployments="Thin client, SaaS, web, hosted")
    assert problems == []
    assert clean["excluded_deployments"] == ["thin-client", "hosted-only"]


def test_unknown_deployment_model_is_refused():
    clean, problems = requirement(excluded_deployments="thin-client, mainframe")
    assert clean is None
    assert problem_fields(problems) == ["excluded_deployments"]
    assert "mainframe" in problems[0].message


@pytest.mark.parametrize("weight,expected", [(0, 0.0), ("5", 5.0), (2.5, 2.5), (MAX_WEIGHT, MAX_WEIGHT),
                                             ("", None), (None, None)])
def test_weight_within_bounds_is_accepted(weight, expected):
    clean, problems = requirement(weight=weight)
    assert problems == []
    assert clean["weight"] == expected


@pytest.mark.parametrize("weight", [-1, -0.01, MAX_WEIGHT + 0.5, "heavy", float("nan"), float("inf")])
def test_weight_out_of_bounds_is_refused(weight):
    clean, problems = requirement(weight=weight)
    assert clean is None
    assert problem_fields(problems) == ["weight"]


@pytest.mark.parametrize("minutes,expected", [(1, 1), ("30", 30), (45.0, 45), (MAX_TIMEBOX, MAX_TIMEBOX),
                                              ("", None)])
def test_timebox_within_bounds_is_accepted(minutes, expected):
    clean, problems = requirement(timebox_minutes=minutes)
    assert problems == []
    assert clean["timebox_minutes"] == expected


@pytest.mark.parametrize("minutes", [0, -5, MAX_TIMEBOX + 1, 2.5, "soon", "1e9", "nan", "inf", float("inf")])
def test_timebox_out_of_bounds_is_refused(minutes):
    clean, problems = requirement(timebox_minutes=minutes)
    assert clean is None
    assert problem_fields(problems) == ["timebox_minutes"]


def test_custom_fields_are_kept_as_text():
    clean, problems = requirement(custom_fields={"Cost centre ": 4711, "Note": None})
    assert problems == []
    assert clean["custom_fields"] == {"Cost centre": "4711", "Note": ""}


# --- titles, unknown fields, text -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["strategy", "role", "process", "requirement"])
def test_title_is_required_at_every_level(kind):
    clean, problems = validate_fields(kind, {})
    assert clean is None
    assert problems == [Problem("title", "is required")]


@pytest.mark.parametrize("title", ["", "   ", None])
def test_blank_title_is_refused(title):
    clean, problems = validate_fields("strategy", {"title": title})
    assert clean is None
    assert problem_fields(problems) == ["title"]
    assert "required" in problems[0].message


def test_title_is_one_line():
    clean, problems = validate_fields("role", {"title": "Field rep\nand account manager"})
    assert clean is None
    assert problems == [Problem("title", "a title is one line")]


def test_title_surrounding_whitespace_and_trailing_newline_are_dropped():
    clean, problems = validate_fields("role", {"title": "  Field rep \r\n"})
    assert problems == [] and clean["title"] == "Field rep"


def test_overlong_title_is_refused_with_its_length():
    clean, problems = validate_fields("process", {"title": "x" * 301})
    assert clean is None
    assert "301" in problems[0].message


def test_unknown_field_is_refused_by_name():
    clean, problems = validate_fields("strategy", {"title": "Grow", "colour": "blue"})
    assert clean is None
    assert problems == [Problem("colour", "is not a known field")]


def test_field_of_another_level_is_unknown():
    clean, problems = validate_fields("role", {"title": "Rep", "priority": "must"})
    assert clean is None
    assert problem_fields(problems) == ["priority"]


def test_statement_line_endings_are_normalised():
    clean, _ = validate_fields("strategy", {"title": "Grow", "statement": "One\r\nTwo\rThree\n"})
    assert clean["statement"] == "One\nTwo\nThree"


def test_strategy_perspective_accepts_balanced_scorecard_synonyms():
    clean, problems = validate_fields("strategy", {"title": "Grow", "perspective": "Learning and growth"})
    assert problems == [] and clean["perspective"] == "people"


# --- process steps --------------------------------------------------------------------------

def test_steps_from_a_multi_line_string_are_one_per_line_kept_as_written():
    """Blank lines and outer spaces go; the text stays, so a workbook round-trip changes nothing."""
    text = "1. Review the territory\r\n2) Plan the route\n\n- Visit the customer\n  Record the outcome  \n"
    clean, problems = validate_fields("process", {"title": "Visit", "steps": text})
    assert problems == []
    assert clean["steps"] == ["1. Review the territory", "2) Plan the route", "- Visit the customer",
                              "Record the outcome"]
    again, _ = validate_fields("process", {"title": "Visit", "steps": "\n".join(clean["steps"])})
    assert again["steps"] == clean["steps"]


def test_steps_from_a_list_drop_blank_entries():
    clean, _ = validate_fields("process", {"title": "Visit", "steps": [" Plan ", "", "Visit"]})
    assert clean["steps"] == ["Plan", "Visit"]


def test_step_that_starts_with_a_number_keeps_it_when_it_is_content():
    clean, _ = validate_fields("process", {"title": "Visit", "steps": "24 hours before, confirm the visit"})
    assert clean["steps"] == ["24 hours before, confirm the visit"]


def test_management_approach_accepts_theory_of_constraints():
    clean, problems = validate_fields("process", {"title": "Visit", "management": "TOC"})
    assert problems == [] and clean["management"] == "constraint"
