"""The trace rules over pure trace graphs: no database, no Flask."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reqtrace.trace.graph import Node, TraceGraph
from reqtrace.trace.rules import (
    TECHNOLOGY_HEAVY_SHARE,
    capability_balance,
    check,
    impact,
    suspect_links,
    technology_driven,
    trace_matrix,
    unsupported_strategies,
)
from tests.builders import ProjectBuilder


def change_upstream(graph: TraceGraph, kind: str, hid: str) -> None:
    """Simulate an edit of an item after its links were reviewed: its fingerprint moves on."""
    graph.nodes[kind][hid].fingerprint = "changed-" + graph.nodes[kind][hid].fingerprint


# --- technology-driven requirements ---------------------------------------------------------

def test_complete_chain_has_no_technology_driven_requirement():
    graph = ProjectBuilder().chain(2).graph()
    assert technology_driven(graph) == []


def test_requirement_with_no_process_is_technology_driven():
    graph = ProjectBuilder().chain(1).requirement("REQ-2").graph()
    assert technology_driven(graph) == ["REQ-2"]


def test_requirement_whose_process_has_no_role_is_technology_driven():
    graph = ProjectBuilder().chain(1).process("PRC-2").requirement("REQ-2", processes=["PRC-2"]).graph()
    assert technology_driven(graph) == ["REQ-2"]


def test_requirement_whose_role_has_no_strategy_is_technology_driven():
    graph = (ProjectBuilder().chain(1).role("ROL-2").process("PRC-2", roles=["ROL-2"])
             .requirement("REQ-2", processes=["PRC-2"]).graph())
    assert technology_driven(graph) == ["REQ-2"]


def test_retired_strategy_makes_everything_below_it_technology_driven():
    graph = (ProjectBuilder().strategy("STR-1", status="retired").role("ROL-1", strategies=["STR-1"])
             .process("PRC-1", roles=["ROL-1"]).requirement("REQ-1", processes=["PRC-1"]).graph())
    report = check(graph)
    assert report.technology_driven == ["REQ-1"]
    assert report.roles_without_strategy == ["ROL-1"]


@pytest.mark.parametrize("retired_kind", ["role", "process"])
def test_retired_item_in_the_middle_of_the_chain_breaks_the_trace(retired_kind):
    builder = ProjectBuilder().strategy("STR-1")
    builder.role("ROL-1", strategies=["STR-1"], status="retired" if retired_kind == "role" else "approved")
    builder.process("PRC-1", roles=["ROL-1"], status="retired" if retired_kind == "process" else "approved")
    builder.requirement("REQ-1", processes=["PRC-1"])
    assert technology_driven(builder.graph()) == ["REQ-1"]


def test_retired_requirement_is_not_reported_as_technology_driven():
    graph = ProjectBuilder().chain(1).requirement("REQ-2", status="retired").graph()
    assert technology_driven(graph) == []


def test_one_traced_process_is_enough_for_a_requirement():
    graph = (ProjectBuilder().chain(1).process("PRC-2")
             .requirement("REQ-2", processes=["PRC-2", "PRC-1"]).graph())
    assert technology_driven(graph) == []


@pytest.mark.parametrize("status", ["draft", "proposed", "approved"])
def test_draft_and_proposed_items_still_carry_the_trace(status):
    graph = (ProjectBuilder().strategy("STR-1", status=status).role("ROL-1", strategies=["STR-1"], status=status)
             .process("PRC-1", roles=["ROL-1"], status=status)
             .requirement("REQ-1", processes=["PRC-1"], status=status).graph())
    assert technology_driven(graph) == []


# --- unsupported and unowned strategies -----------------------------------------------------

def test_fully_supported_strategy_is_not_reported():
    assert unsupported_strategies(ProjectBuilder().chain(1).graph()) == {}


def test_strategy_without_role_is_unsupported_because_no_role_is_redefined():
    graph = ProjectBuilder().chain(1).strategy("STR-2").graph()
    assert unsupported_strategies(graph) == {"STR-2": "no role is redefined for it"}


def test_strategy_whose_roles_run_no_process_is_unsupported():
    graph = ProjectBuilder().chain(1).strategy("STR-2").role("ROL-2", strategies=["STR-2"]).graph()
    assert unsupported_strategies(graph) == {"STR-2": "its roles run no re-engineered process"}


def test_strategy_whose_processes_have_no_requirement_is_unsupported():
    graph = (ProjectBuilder().chain(1).strategy("STR-2").role("ROL-2", strategies=["STR-2"])
             .process("PRC-2", roles=["ROL-2"]).graph())
    assert unsupported_strategies(graph) == {"STR-2": "its processes have no requirement"}


def test_retiring_the_only_requirement_leaves_its_strategy_unsupported():
    graph = (ProjectBuilder().strategy("STR-1").role("ROL-1", strategies=["STR-1"])
             .process("PRC-1", roles=["ROL-1"]).requirement("REQ-1", processes=["PRC-1"], status="retired")
             .graph())
    assert unsupported_strategies(graph) == {"STR-1": "its processes have no requirement"}


def test_retired_strategy_is_never_unsupported():
    graph = ProjectBuilder().chain(1).strategy("STR-2", status="retired").graph()
    assert unsupported_strategies(graph) == {}


def test_check_lists_unsupported_strategies_with_their_reasons():
    graph = ProjectBuilder().chain(1).strategy("STR-2").graph()
    report = check(graph)
    assert report.unsupported_strategies == ["STR-2"]
    assert report.reasons == {"STR-2": "no role is redefined for it"}


def test_strategies_without_sponsor_or_kpi_are_reported_separately():
    graph = (ProjectBuilder().chain(1).strategy("STR-2", sponsor="").strategy("STR-3", kpi="   ")
             .strategy("STR-4", sponsor="", kpi="", status="retired").graph())
    report = check(graph)
    assert report.strategies_without_sponsor == ["STR-2"]
    assert report.strategies_without_kpi == ["STR-3"]


def test_strategy_without_sponsor_attribute_at_all_counts_as_not_owned():
    graph = TraceGraph([Node("strategy", "STR-1", "Grow", fingerprint="a", seq=1, attrs={})])
    report = check(graph)
    assert report.strategies_without_sponsor == ["STR-1"]
    assert report.strategies_without_kpi == ["STR-1"]


# --- roles and processes with nothing above or below ----------------------------------------

def test_loose_roles_and_processes_are_reported_on_each_side():
    graph = (ProjectBuilder().chain(1)
             .role("ROL-2")  # nothing above, nothing below
             .role("ROL-3", strategies=["STR-1"])  # nothing below
             .process("PRC-2", roles=["ROL-1"])  # nothing below
             .process("PRC-3")  # nothing above
             .requirement("REQ-3", processes=["PRC-3"])
             .graph())
    report = check(graph)
    assert report.roles_without_strategy == ["ROL-2"]
    assert report.roles_without_process == ["ROL-2", "ROL-3"]
    assert report.processes_without_role == ["PRC-3"]
    assert report.processes_without_requirement == ["PRC-2"]


def test_link_to_a_retired_item_does_not_count_as_support():
    graph = (ProjectBuilder().chain(1).process("PRC-2", roles=["ROL-1"])
             .requirement("REQ-2", processes=["PRC-2"], status="retired").graph())
    assert check(graph).processes_without_requirement == ["PRC-2"]


# --- suspect links --------------------------------------------------------------------------

def test_reviewed_chain_has_no_suspect_link():
    assert suspect_links(ProjectBuilder().chain(2).graph()) == []


def test_changed_strategy_makes_its_link_to_the_role_suspect():
    graph = ProjectBuilder().chain(1).graph()
    change_upstream(graph, "strategy", "STR-1")
    assert suspect_links(graph) == ["STR-1->ROL-1"]


def test_only_direct_links_below_the_changed_item_become_suspect():
    graph = (ProjectBuilder().chain(2).role("ROL-3", strategies=["STR-1"])
             .process("PRC-3", roles=["ROL-3"]).requirement("REQ-3", processes=["PRC-3"]).graph())
    change_upstream(graph, "role", "ROL-1")
    assert suspect_links(graph) == ["ROL-1->PRC-1"]
    change_upstream(graph, "strategy", "STR-1")
    assert set(suspect_links(graph)) == {"STR-1->ROL-1", "STR-1->ROL-3", "ROL-1->PRC-1"}


def test_changed_requirement_makes_no_link_suspect():
    graph = ProjectBuilder().chain(1).graph()
    change_upstream(graph, "requirement", "REQ-1")
    assert suspect_links(graph) == []


def test_suspect_links_into_retired_items_are_ignored():
    graph = ProjectBuilder().chain(1).role("ROL-2", strategies=["STR-1"], status="retired").graph()
    change_upstream(graph, "strategy", "STR-1")
    assert suspect_links(graph) == ["STR-1->ROL-1"]


def test_suspect_links_out_of_retired_items_are_ignored():
    graph = ProjectBuilder().chain(1).strategy("STR-2", status="retired").role("ROL-2", strategies=["STR-2"]).graph()
    change_upstream(graph, "strategy", "STR-2")
    assert suspect_links(graph) == []


def test_suspect_links_are_sorted_naturally():
    builder = ProjectBuilder().strategy("STR-1")
    for number in (10, 2, 1):
        builder.role(f"ROL-{number}", strategies=["STR-1"])
    graph = builder.graph()
    change_upstream(graph, "strategy", "STR-1")
    assert suspect_links(graph) == ["STR-1->ROL-1", "STR-1->ROL-2", "STR-1->ROL-10"]


def test_suspect_link_is_a_violation_on_its_own():
    graph = ProjectBuilder().chain(1).graph()
    change_upstream(graph, "process", "PRC-1")
    report = check(graph)
    assert report.suspect_links == ["PRC-1->REQ-1"]
    assert report.violations is True
    assert report.as_dict()["ok"] is False


# --- impact ---------------------------------------------------------------------------------

def test_impact_of_a_strategy_lists_everything_downstream_level_by_level():
    graph = ProjectBuilder().chain(2).graph()
    result = impact(graph, "STR-1")
    assert result["kind"] == "strategy"
    assert (result["roles"], result["processes"], result["requirements"]) == (["ROL-1"], ["PRC-1"], ["REQ-1"])
    assert result["links"] == ["STR-1->ROL-1", "ROL-1->PRC-1", "PRC-1->REQ-1"]


def test_impact_reached_by_several_paths_lists_each_item_once():
    graph = (ProjectBuilder().strategy("STR-1")
             .role("ROL-1", strategies=["STR-1"]).role("ROL-2", strategies=["STR-1"])
             .process("PRC-1", roles=["ROL-1", "ROL-2"]).process("PRC-2", roles=["ROL-2"])
             .requirement("REQ-1", processes=["PRC-1", "PRC-2"]).graph())
    result = impact(graph, "STR-1")
    assert result["roles"] == ["ROL-1", "ROL-2"]
    assert result["processes"] == ["PRC-1", "PRC-2"]
    assert result["requirements"] == ["REQ-1"]
    assert len(result["links"]) == len(set(result["links"]))
    assert set(result["links"]) == {"STR-1->ROL-1", "STR-1->ROL-2", "ROL-1->PRC-1", "ROL-2->PRC-1",
                                    "ROL-2->PRC-2", "PRC-1->REQ-1", "PRC-2->REQ-1"}


def test_impact_of_a_process_starts_below_it():
    graph = ProjectBuilder().chain(1).requirement("REQ-2", processes=["PRC-1"]).graph()
    result = impact(graph, "PRC-1")
    assert result["requirements"] == ["REQ-1", "REQ-2"]
    assert "roles" not in result and "processes" not in result


def test_impact_skips_retired_items():
    graph = ProjectBuilder().chain(1).requirement("REQ-2", processes=["PRC-1"], status="retired").graph()
    assert impact(graph, "STR-1")["requirements"] == ["REQ-1"]


def test_impact_of_an_unknown_item_is_refused():
    with pytest.raises(KeyError):
        impact(ProjectBuilder().chain(1).graph(), "STR-99")


# --- capability balance ---------------------------------------------------------------------

def _with_capabilities(*capabilities: str) -> TraceGraph:
    builder = ProjectBuilder().strategy("STR-1").role("ROL-1", strategies=["STR-1"]).process("PRC-1", roles=["ROL-1"])
    for number, capability in enumerate(capabilities, start=1):
        builder.requirement(f"REQ-{number}", processes=["PRC-1"], capability=capability)
    return builder.graph()


def test_capability_balance_gives_the_share_of_each_capability():
    balance = capability_balance(_with_capabilities("technology", "people", "process", "knowledge-insight"))
    assert balance["total"] == 4
    assert balance["shares"] == {"technology": 0.25, "people": 0.25, "process": 0.25, "knowledge-insight": 0.25}
    assert balance["technology_heavy"] is False
    assert balance["warnings"] == []


def test_technology_at_exactly_sixty_percent_is_flagged_as_technology_heavy():
    assert TECHNOLOGY_HEAVY_SHARE == 0.6
    balance = capability_balance(_with_capabilities("technology", "technology", "technology", "people", "process"))
    assert balance["shares"]["technology"] == pytest.approx(0.6)
    assert balance["technology_heavy"] is True
    assert any("60%" in warning and "technology" in warning for warning in balance["warnings"])


def test_technology_at_half_is_not_technology_heavy():
    balance = capability_balance(_with_capabilities("technology", "technology", "people", "process"))
    assert balance["technology_heavy"] is False
    assert not any("are technology" in warning for warning in balance["warnings"])


def test_capability_balance_names_the_capabilities_nobody_builds():
    balance = capability_balance(_with_capabilities("people", "process"))
    assert balance["counts"] == {"technology": 0, "people": 1, "process": 1, "knowledge-insight": 0}
    assert any("technology" in warning and "knowledge-insight" in warning for warning in balance["warnings"])


def test_capability_balance_ignores_retired_requirements():
    graph = _with_capabilities("people", "technology")
    graph.nodes["requirement"]["REQ-2"].status = "retired"
    balance = capability_balance(graph)
    assert balance["total"] == 1
    assert balance["shares"]["people"] == 1.0


def test_capability_balance_of_an_empty_project_has_no_warning():
    balance = capability_balance(TraceGraph())
    assert balance["total"] == 0
    assert balance["technology_heavy"] is False
    assert balance["warnings"] == []
    assert set(balance["shares"].values()) == {0.0}


# --- trace matrix ---------------------------------------------------------------------------

def test_trace_matrix_has_one_row_per_active_requirement_in_natural_order():
    builder = ProjectBuilder().strategy("STR-1").role("ROL-1", strategies=["STR-1"]).process("PRC-1", roles=["ROL-1"])
    for number in (10, 2, 1):
        builder.requirement(f"REQ-{number}", processes=["PRC-1"])
    builder.requirement("REQ-3", processes=["PRC-1"], status="retired")
    rows = trace_matrix(builder.graph())
    assert [row["id"] for row in rows] == ["REQ-1", "REQ-2", "REQ-10"]


def test_trace_matrix_row_lists_everything_above_sorted_naturally():
    builder = ProjectBuilder()
    for number in (10, 2):
        builder.strategy(f"STR-{number}").role(f"ROL-{number}", strategies=[f"STR-{number}"]) \
            .process(f"PRC-{number}", roles=[f"ROL-{number}"])
    builder.requirement("REQ-1", processes=["PRC-10", "PRC-2"], priority="Must have", capability="people",
                        tags="offline, Field")
    (row,) = trace_matrix(builder.graph())
    assert row["processes"] == ["PRC-2", "PRC-10"]
    assert row["roles"] == ["ROL-2", "ROL-10"]
    assert row["strategies"] == ["STR-2", "STR-10"]
    assert (row["priority"], row["capability"], row["tags"]) == ("must", "people", ["offline", "field"])
    assert row["technology_driven"] is False


def test_trace_matrix_flags_technology_driven_rows():
    graph = ProjectBuilder().chain(1).requirement("REQ-2").graph()
    flags = {row["id"]: row["technology_driven"] for row in trace_matrix(graph)}
    assert flags == {"REQ-1": False, "REQ-2": True}


def test_suspect_link_high_up_flags_every_row_below_it():
    graph = ProjectBuilder().chain(2).graph()
    change_upstream(graph, "strategy", "STR-1")
    flags = {row["id"]: row["suspect"] for row in trace_matrix(graph)}
    assert flags == {"REQ-1": True, "REQ-2": False}


def test_suspect_link_into_a_requirement_flags_only_that_row():
    graph = ProjectBuilder().chain(1).requirement("REQ-2", processes=["PRC-1"]).graph()
    for edge in graph.edges["process"]:
        if edge.downstream == "REQ-2":
            edge.reviewed_fingerprint = "reviewed-long-ago"
    flags = {row["id"]: row["suspect"] for row in trace_matrix(graph)}
    assert flags == {"REQ-1": False, "REQ-2": True}


# --- the whole check ------------------------------------------------------------------------

def test_clean_project_passes_the_check():
    report = check(ProjectBuilder().chain(3).graph())
    assert report.violations is False
    data = report.as_dict()
    assert data["ok"] is True
    assert data["counts"] == {"strategy": 3, "role": 3, "process": 3, "requirement": 3}
    json.dumps(data)  # the CLI prints it as JSON


def test_technology_driven_requirement_fails_the_check():
    report = check(ProjectBuilder().chain(1).requirement("REQ-2").graph())
    assert report.violations is True
    assert report.as_dict()["ok"] is False


def test_unsupported_strategy_fails_the_check():
    report = check(ProjectBuilder().chain(1).strategy("STR-2").graph())
    assert report.violations is True


def test_missing_sponsor_alone_is_a_finding_but_not_a_violation():
    report = check(ProjectBuilder().strategy("STR-1", sponsor="", kpi="").role("ROL-1", strategies=["STR-1"])
                   .process("PRC-1", roles=["ROL-1"]).requirement("REQ-1", processes=["PRC-1"]).graph())
    assert report.strategies_without_sponsor == ["STR-1"]
    assert report.violations is False
    assert report.as_dict()["ok"] is True


def test_counts_leave_retired_items_out():
    report = check(ProjectBuilder().chain(2).requirement("REQ-3", processes=["PRC-1"], status="retired").graph())
    assert report.counts["requirement"] == 2


# --- properties on random graphs ------------------------------------------------------------

LEVELS = ("strategy", "role", "process", "requirement")
PREFIX = {"strategy": "STR", "role": "ROL", "process": "PRC", "requirement": "REQ"}


@st.composite
def random_graphs(draw) -> TraceGraph:
    """Up to five items per level, some retired, random links between adjacent levels, some suspect."""
    graph = TraceGraph()
    for kind in LEVELS:
        for number in range(1, draw(st.integers(0, 5)) + 1):
            retired = draw(st.integers(0, 3)) == 0
            graph.add(Node(kind, f"{PREFIX[kind]}-{number}", status="retired" if retired else "approved",
                           fingerprint=f"fp-{kind}-{number}", seq=number,
                           attrs={"sponsor": "CEO", "kpi": "NPS", "capability": "technology"}))
    for upper, lower in zip(LEVELS, LEVELS[1:]):
        for up in graph.nodes[upper]:
            for down in graph.nodes[lower]:
                if draw(st.integers(0, 2)) == 0:
                    stale = draw(st.integers(0, 4)) == 0
                    graph.link(upper, up, down, reviewed_fingerprint="old" if stale else None)
    return graph


def _children(graph: TraceGraph, kind: str, hid: str) -> list[str]:
    """Brute force: active items directly below an active item, straight from the edge list."""
    lower = LEVELS[LEVELS.index(kind) + 1]
    return [edge.downstream for edge in graph.edges[kind]
            if edge.upstream == hid and graph.nodes[lower][edge.downstream].active]


def _reachable_below(graph: TraceGraph, kind: str, hid: str) -> set[str]:
    if not graph.nodes[kind][hid].active or kind == "requirement":
        return set()
    lower = LEVELS[LEVELS.index(kind) + 1]
    found = set()
    for child in _children(graph, kind, hid):
        found.add(child)
        found |= _reachable_below(graph, lower, child)
    return found


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_requirement_is_technology_driven_exactly_when_no_active_strategy_reaches_it(graph):
    reached = set()
    for strategy in graph.nodes["strategy"]:
        reached |= _reachable_below(graph, "strategy", strategy)
    expected = {hid for hid, node in graph.nodes["requirement"].items() if node.active and hid not in reached}
    assert set(technology_driven(graph)) == expected


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_strategy_is_unsupported_exactly_when_no_active_requirement_lies_beneath_it(graph):
    expected = {hid for hid, node in graph.nodes["strategy"].items()
                if node.active and not any(child.startswith("REQ-")
                                           for child in _reachable_below(graph, "strategy", hid))}
    assert set(unsupported_strategies(graph)) == expected


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_impact_lists_exactly_the_items_reachable_below(graph):
    for kind in ("strategy", "role", "process"):
        for hid in graph.nodes[kind]:
            result = impact(graph, hid)
            listed = [item for key in ("roles", "processes", "requirements") for item in result.get(key, [])]
            assert len(listed) == len(set(listed))
            assert set(listed) == _reachable_below(graph, kind, hid)


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_a_link_is_suspect_exactly_when_both_ends_are_active_and_the_upstream_moved_on(graph):
    expected = set()
    for upper, lower in zip(LEVELS, LEVELS[1:]):
        for edge in graph.edges[upper]:
            above, below = graph.nodes[upper][edge.upstream], graph.nodes[lower][edge.downstream]
            if above.active and below.active and edge.reviewed_fingerprint != above.fingerprint:
                expected.add(f"{edge.upstream}->{edge.downstream}")
    found = suspect_links(graph)
    assert set(found) == expected
    assert len(found) == len(expected)


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_matrix_row_is_suspect_exactly_when_a_suspect_link_lies_on_some_path_above_it(graph):
    suspect = set(suspect_links(graph))

    def suspect_above(kind: str, hid: str) -> bool:
        if kind == "strategy":
            return False
        upper = LEVELS[LEVELS.index(kind) - 1]
        for edge in graph.edges[upper]:
            if edge.downstream == hid and graph.nodes[upper][edge.upstream].active:
                if f"{edge.upstream}->{hid}" in suspect or suspect_above(upper, edge.upstream):
                    return True
        return False

    for row in trace_matrix(graph):
        assert row["suspect"] == suspect_above("requirement", row["id"]), row["id"]
