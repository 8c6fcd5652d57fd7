"""Script generation as a pure function: small chains built by hand, no database."""

from __future__ import annotations

import random
from dataclasses import asdict

from reqtrace.poc.generate import DEFAULT_TIMEBOX, StepDraft, build_script, coverage
from tests.builders import ProjectBuilder


def requirement(hid: str, *, priority: str = "must", tags: tuple[str, ...] = (), timebox: int | None = None,
                acceptance: str = "", statement: str = "") -> dict:
    """A requirement as the script builder receives it."""
    return {"hid": hid, "title": f"Title of {hid}", "statement": statement or f"What {hid} asks for.",
            "acceptance": acceptance, "tags": list(tags), "priority": priority, "timebox_minutes": timebox}


def two_processes() -> ProjectBuilder:
    """STR-1 drives two roles; PRC-1 is run by both, PRC-2 by the inside rep; PRC-3 has no requirement."""
    return (ProjectBuilder()
            .strategy("STR-1")
            .role("ROL-1", strategies=["STR-1"], title="Field sales representative")
            .role("ROL-2", strategies=["STR-1"], title="Inside sales representative")
            .process("PRC-1", roles=["ROL-2", "ROL-1"], title="Plan and carry out account visits")
            .process("PRC-2", roles=["ROL-2"], title="Quote by phone")
            .process("PRC-3", roles=["ROL-1"], title="Nothing to show")
            .requirement("REQ-1", processes=["PRC-2"])
            .requirement("REQ-2", processes=["PRC-1"])
            .requirement("REQ-10", processes=["PRC-1"])
            .requirement("REQ-3", processes=["PRC-2", "PRC-1"]))


def build(requirements: list[dict], builder: ProjectBuilder | None = None, **options):
    return build_script(requirements, (builder or two_processes()).graph(), title="POC", sample_data="Load these.",
                        **options)


FOUR = [requirement("REQ-1"), requirement("REQ-2"), requirement("REQ-10"), requirement("REQ-3")]


def test_one_scenario_per_process_in_process_order():
    script = build(FOUR)
    assert [scenario.process for scenario in script.scenarios] == ["PRC-1", "PRC-2"]
    assert [scenario.key for scenario in script.scenarios] == ["SC-1", "SC-2"]
    first = script.scenarios[0]
    assert first.roles == ["ROL-1", "ROL-2"]  # the roles that run it, in their order
    assert first.title == ("A day in the life of the field sales representative and inside sales representative: "
                           "plan and carry out account visits")
    assert "PRC-1" in first.narrative


def test_a_process_with_no_requirement_in_scope_gets_no_scenario():
    script = build(FOUR)
    assert "PRC-3" not in [scenario.process for scenario in script.scenarios]


def test_a_requirement_under_two_processes_is_proved_once_in_the_first():
    script = build(FOUR)
    cited = [hid for step in script.steps() for hid in step.requirements]
    assert cited.count("REQ-3") == 1
    assert "REQ-3" in [hid for step in script.scenarios[0].steps for hid in step.requirements]
    assert sorted(cited) == sorted(r["hid"] for r in FOUR)


def test_steps_follow_requirement_ids_in_natural_order_and_are_numbered_consecutively():
    script = build(FOUR)
    assert [step.requirements for step in script.scenarios[0].steps] == [["REQ-2"], ["REQ-3"], ["REQ-10"]]
    assert [step.requirements for step in script.scenarios[1].steps] == [["REQ-1"]]
    assert [step.hid for step in script.steps()] == ["STEP-1", "STEP-2", "STEP-3", "STEP-4"]


def test_numbering_starts_where_asked():
    script = build(FOUR, first_step=42)
    assert [step.hid for step in script.steps()] == ["STEP-42", "STEP-43", "STEP-44", "STEP-45"]


def test_each_step_says_what_to_show_and_what_to_expect():
    script = build([requirement("REQ-2", acceptance="The map shows *Millbrook*.", statement="Plan a route.")])
    step = script.steps()[0]
    assert "REQ-2" in step.instruction and "Title of REQ-2" in step.instruction
    assert "Plan a route." in step.instruction
    assert step.expected == "The map shows *Millbrook*."
    assert build([requirement("REQ-2")]).steps()[0].expected  # never empty, even without acceptance criteria


def test_timebox_is_the_requirements_own_else_the_default():
    script = build([requirement("REQ-2", timebox=12), requirement("REQ-10"), requirement("REQ-1", timebox=2)])
    minutes = {step.requirements[0]: step.timebox_minutes for step in script.steps()}
    assert minutes == {"REQ-2": 12, "REQ-10": DEFAULT_TIMEBOX, "REQ-1": 2}
    assert DEFAULT_TIMEBOX == 5  # the documented default (docs/cli.md)
    custom = build([requirement("REQ-2", timebox=12), requirement("REQ-10")], default_timebox=7)
    assert [step.timebox_minutes for step in custom.steps()] == [12, 7]


def test_scenario_and_total_minutes_add_up():
    script = build([requirement("REQ-1", timebox=3), requirement("REQ-2", timebox=12), requirement("REQ-10"),
                    requirement("REQ-3", timebox=1)])
    assert [scenario.minutes for scenario in script.scenarios] == [12 + 1 + 5, 3]
    assert script.minutes == 12 + 1 + 5 + 3
    assert script.minutes == sum(step.timebox_minutes for step in script.steps())


def test_a_scenario_with_offline_or_no_telephony_requirements_is_told_with_no_connection():
    for tag in ("offline", "offline-edit", "no-telephony"):
        script = build([requirement("REQ-1", tags=(tag, "mobile")), requirement("REQ-2")])
        quoting, visits = script.scenarios[1], script.scenarios[0]
        assert quoting.title.endswith(", with no connection"), (tag, quoting.title)
        assert "no connection" not in visits.title
    plain = build([requirement("REQ-1", tags=("mobile", "sync"))])
    assert "no connection" not in plain.scenarios[0].title


def test_requirements_that_support_no_process_come_last():
    builder = two_processes().requirement("REQ-7").requirement("REQ-5")
    script = build(FOUR + [requirement("REQ-7"), requirement("REQ-5")], builder)
    last = script.scenarios[-1]
    assert [scenario.process for scenario in script.scenarios] == ["PRC-1", "PRC-2", ""]
    assert last.title == "Requirements that support no process yet"
    assert last.roles == []
    assert [step.requirements for step in last.steps] == [["REQ-5"], ["REQ-7"]]
    assert script.steps()[-1].hid == "STEP-6"


def test_a_retired_process_does_not_hold_a_scenario():
    builder = (ProjectBuilder().strategy("STR-1").role("ROL-1", strategies=["STR-1"])
               .process("PRC-1", roles=["ROL-1"], status="retired").process("PRC-2", roles=["ROL-1"])
               .requirement("REQ-1", processes=["PRC-1", "PRC-2"]).requirement("REQ-2", processes=["PRC-1"]))
    script = build([requirement("REQ-1"), requirement("REQ-2")], builder)
    assert [(scenario.process, [s.requirements[0] for s in scenario.steps]) for scenario in script.scenarios] == \
        [("PRC-2", ["REQ-1"]), ("", ["REQ-2"])]


def test_the_same_input_gives_the_same_script_whatever_the_order_it_comes_in():
    requirements = FOUR + [requirement("REQ-20", tags=("offline",), timebox=8), requirement("REQ-11")]
    builder = two_processes().requirement("REQ-20", processes=["PRC-2"]).requirement("REQ-11")
    expected = asdict(build(requirements, builder))
    assert asdict(build(requirements, builder)) == expected
    shuffled_builder = two_processes().requirement("REQ-20", processes=["PRC-2"]).requirement("REQ-11")
    random.Random(7).shuffle(shuffled_builder.items)  # the graph's nodes and links in another order
    for seed in range(5):
        shuffled = list(requirements)
        random.Random(seed).shuffle(shuffled)
        assert asdict(build(shuffled, shuffled_builder)) == expected


def test_coverage_lists_unproved_requirements_and_unproved_must_haves():
    requirements = [requirement("REQ-1"), requirement("REQ-2", priority="should"), requirement("REQ-10"),
                    requirement("REQ-3", priority="could")]
    script = build(requirements)
    assert coverage(script.steps(), requirements) == {"unproved": [], "unproved_must": []}
    kept = [step for step in script.steps() if step.requirements not in (["REQ-10"], ["REQ-2"])]
    assert coverage(kept, requirements) == {"unproved": ["REQ-2", "REQ-10"], "unproved_must": ["REQ-10"]}
    as_dicts = [{"hid": step.hid, "requirements": step.requirements} for step in kept]
    assert coverage(as_dicts, requirements) == {"unproved": ["REQ-2", "REQ-10"], "unproved_must": ["REQ-10"]}


def test_a_step_citing_several_requirements_covers_them_all():
    requirements = [requirement("REQ-1"), requirement("REQ-2"), requirement("REQ-3", priority="should")]
    merged = [StepDraft("STEP-1", "Show both", "Both", 10, ["REQ-1", "REQ-3"])]
    assert coverage(merged, requirements) == {"unproved": ["REQ-2"], "unproved_must": ["REQ-2"]}
