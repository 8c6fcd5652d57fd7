"""Reading catalogue folders: each problem names its file, line and item, and a bad catalogue loads nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reqtrace.catalog.reader import read_catalog
from reqtrace.cli import main
from tests.catalog.catalogue_files import chain, item, line_of, write

def only_problem(catalog):
    assert len(catalog.problems) == 1, [str(problem) for problem in catalog.problems]
    return catalog.problems[0]


# --- a good catalogue -----------------------------------------------------------------------

def test_valid_catalogue_reads_every_item_with_its_links(tmp_path):
    catalog = read_catalog(write(tmp_path, {"a.toml": chain(1), "b.toml": chain(2)}))
    assert catalog.ok, [str(problem) for problem in catalog.problems]
    assert catalog.files == ["a.toml", "b.toml"]
    assert [catalog.count(kind) for kind in ("strategy", "role", "process", "requirement")] == [2, 2, 2, 2]
    requirement = next(entry for entry in catalog.items if entry.hid == "REQ-2")
    assert (requirement.upstream, requirement.file) == (["PRC-2"], "b.toml")
    assert requirement.fields["priority"] == "must"


def test_items_may_link_across_files(tmp_path):
    catalog = read_catalog(write(tmp_path, {
        "a.toml": item("strategy"),
        "b.toml": item("role") + item("process") + item("requirement")}))
    assert catalog.ok


def test_from_and_to_become_the_roles_from_and_to_states(tmp_path):
    catalog = read_catalog(write(tmp_path, {"a.toml": chain()}))
    role = next(entry for entry in catalog.items if entry.kind == "role")
    assert (role.fields["from_state"], role.fields["to_state"]) == ("Product seller", "Account manager")


def test_strategy_with_nothing_beneath_it_is_a_warning_not_an_error(tmp_path):
    catalog = read_catalog(write(tmp_path, {"a.toml": chain() + item("strategy", id="STR-2")}))
    assert catalog.ok
    assert [(warning.item, warning.message) for warning in catalog.warnings] == \
        [("STR-2", "no requirement supports this strategy yet")]


# --- each problem, with file, line and item -------------------------------------------------

def test_bad_toml_names_the_file_and_line(tmp_path):
    folder = write(tmp_path, {"a.toml": chain() + 'broken = "no end\n'})
    problem = only_problem(read_catalog(folder))
    assert problem.file == "a.toml"
    assert problem.line == line_of(folder, "a.toml", 'broken = "no end')
    assert "not valid TOML" in problem.message


def test_unknown_link_target_names_the_item_and_the_target(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy") + item("role", strategies=["STR-1", "STR-9"])
                              + item("process") + item("requirement")})
    problem = only_problem(read_catalog(folder))
    assert (problem.file, problem.item) == ("a.toml", "ROL-1")
    assert problem.line == line_of(folder, "a.toml", 'id = "ROL-1"')
    assert "STR-9" in problem.message and "not in the catalogue" in problem.message


def test_link_to_the_wrong_level_says_what_the_target_is(tmp_path):
    folder = write(tmp_path, {"a.toml": chain() + item("requirement", id="REQ-2", processes=["ROL-1"])})
    problems = read_catalog(folder).problems
    wrong_level = [problem for problem in problems if "is a role, not a process" in problem.message]
    assert len(wrong_level) == 1
    assert (wrong_level[0].item, wrong_level[0].line) == ("REQ-2", line_of(folder, "a.toml", 'id = "REQ-2"'))


def test_duplicate_id_in_another_file_names_the_first_file_and_line(tmp_path):
    folder = write(tmp_path, {"a.toml": chain(), "b.toml": item("strategy", title="Another strategy")})
    problem = only_problem(read_catalog(folder))
    assert (problem.file, problem.item) == ("b.toml", "STR-1")
    assert problem.line == line_of(folder, "b.toml", 'id = "STR-1"')
    first_line = line_of(folder, "a.toml", 'id = "STR-1"')
    assert "duplicate" in problem.message.lower()
    assert f"a.toml line {first_line}" in problem.message


def test_duplicate_id_in_the_same_file_points_at_the_second_occurrence(tmp_path):
    folder = write(tmp_path, {"a.toml": chain() + item("strategy", title="Another strategy")})
    problem = only_problem(read_catalog(folder))
    first_line = line_of(folder, "a.toml", 'id = "STR-1"', occurrence=1)
    second_line = line_of(folder, "a.toml", 'id = "STR-1"', occurrence=2)
    assert f"a.toml line {first_line}" in problem.message
    assert problem.line == second_line


def test_missing_required_field_is_named(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy") + item("role") + item("process")
                              + item("requirement", drop=("acceptance",))})
    problem = only_problem(read_catalog(folder))
    assert (problem.file, problem.item, problem.line) == ("a.toml", "REQ-1", line_of(folder, "a.toml", 'id = "REQ-1"'))
    assert "missing required field 'acceptance'" in problem.message


def test_empty_link_list_counts_as_missing(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy") + item("role", strategies=[]) + item("process")
                              + item("requirement")})
    messages = [problem.message for problem in read_catalog(folder).problems if problem.item == "ROL-1"]
    assert "missing required field 'strategies'" in messages


def test_unknown_field_is_named_with_the_known_ones(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy", colour="blue") + item("role") + item("process")
                              + item("requirement")})
    problem = only_problem(read_catalog(folder))
    assert (problem.item, problem.line) == ("STR-1", line_of(folder, "a.toml", 'id = "STR-1"'))
    assert "unknown field 'colour'" in problem.message and "sponsor" in problem.message


def test_bad_enumerated_value_names_the_field_and_the_allowed_values(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy") + item("role") + item("process")
                              + item("requirement", priority="banana")})
    problem = only_problem(read_catalog(folder))
    assert (problem.file, problem.item) == ("a.toml", "REQ-1")
    assert problem.line == line_of(folder, "a.toml", 'id = "REQ-1"')
    assert problem.message.startswith("priority:")
    assert "banana" in problem.message and "must, should, could, won't" in problem.message


def test_item_with_a_bad_value_is_not_also_reported_missing_by_the_items_linking_to_it(tmp_path):
    """STR-1 is in the file: the only problem is its perspective, not "STR-1 is not in the catalogue"."""
    folder = write(tmp_path, {"a.toml": item("strategy", perspective="banana") + item("role") + item("process")
                              + item("requirement")})
    problem = only_problem(read_catalog(folder))
    assert problem.item == "STR-1" and problem.message.startswith("perspective:")


def test_synonyms_are_accepted_in_the_catalogue(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy") + item("role") + item("process", management="TOC")
                              + item("requirement", priority="Must have", capability="Knowledge")})
    catalog = read_catalog(folder)
    assert catalog.ok
    fields = {entry.hid: entry.fields for entry in catalog.items}
    assert fields["PRC-1"]["management"] == "constraint"
    assert (fields["REQ-1"]["priority"], fields["REQ-1"]["capability"]) == ("must", "knowledge-insight")


def test_id_that_does_not_follow_its_levels_pattern_is_refused(tmp_path):
    folder = write(tmp_path, {"a.toml": chain() + item("requirement", id="REQ-01")})
    problems = [problem for problem in read_catalog(folder).problems if problem.item == "REQ-01"]
    assert any("does not follow the pattern REQ-<number>" in problem.message for problem in problems)


def test_roles_listing_each_other_as_strategies_form_a_cycle(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy")
                              + item("role", id="ROL-1", strategies=["ROL-2"])
                              + item("role", id="ROL-2", strategies=["ROL-1"])
                              + item("process", roles=["ROL-1"]) + item("requirement")})
    problems = read_catalog(folder).problems
    cycles = [problem for problem in problems if "cycle" in problem.message]
    assert len(cycles) == 1
    assert "ROL-1" in cycles[0].message and "ROL-2" in cycles[0].message
    assert cycles[0].file == "a.toml" and cycles[0].line is not None


def test_requirement_reaching_no_strategy_is_an_error(tmp_path):
    folder = write(tmp_path, {"a.toml": chain()
                              + item("role", id="ROL-2", strategies=["STR-9"])
                              + item("process", id="PRC-2", roles=["ROL-2"])
                              + item("requirement", id="REQ-2", processes=["PRC-2"])})
    problems = {problem.item: problem for problem in read_catalog(folder).problems}
    assert "STR-9" in problems["ROL-2"].message
    assert "reaches no strategy" in problems["REQ-2"].message
    assert problems["REQ-2"].line == line_of(folder, "a.toml", 'id = "REQ-2"')
    assert "REQ-1" not in problems


def test_unknown_top_level_key_is_refused(tmp_path):
    folder = write(tmp_path, {"a.toml": 'requirement = "oops"\n' + chain()})
    problem = only_problem(read_catalog(folder))
    assert problem.file == "a.toml" and "'requirement'" in problem.message


def test_folder_without_toml_files_is_a_problem(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    assert "no .toml files" in only_problem(read_catalog(tmp_path)).message


def test_missing_folder_is_a_problem(tmp_path):
    assert "not a folder" in only_problem(read_catalog(tmp_path / "nope")).message


def test_problem_text_reads_file_colon_line_colon_item(tmp_path):
    folder = write(tmp_path, {"a.toml": item("strategy", colour="blue") + item("role") + item("process")
                              + item("requirement")})
    line = line_of(folder, "a.toml", 'id = "STR-1"')
    assert str(only_problem(read_catalog(folder))).startswith(f"a.toml:{line}: STR-1: unknown field 'colour'")


# --- a bad catalogue loads nothing ----------------------------------------------------------

def _load(folder: Path, database: Path, *extra: str):
    return CliRunner().invoke(main, ["--db", f"sqlite:///{database}", "catalog", "load", str(folder),
                                     "--project", "crm", *extra])


def _trace_check(database: Path):
    return CliRunner().invoke(main, ["--db", f"sqlite:///{database}", "trace", "check", "--project", "crm",
                                     "--json"])


def test_catalogue_with_a_problem_creates_no_project(tmp_path, cli_env):
    folder = write(tmp_path / "catalogue", {"a.toml": chain(), "b.toml": item("requirement", id="REQ-2",
                                                                               priority="banana")})
    result = _load(folder, tmp_path / "reqtrace.db")
    assert result.exit_code == 1
    assert "b.toml" in result.output and "REQ-2" in result.output and "nothing was loaded" in result.output
    check = _trace_check(tmp_path / "reqtrace.db")  # refused before the database was even opened, or empty
    assert check.exit_code == 1 and ("no project with key 'crm'" in check.output or
                                     "there is no database" in check.output), check.output


def test_catalogue_with_a_problem_leaves_an_existing_project_as_it_was(tmp_path, cli_env):
    database = tmp_path / "reqtrace.db"
    good = write(tmp_path / "good", {"a.toml": chain()})
    assert _load(good, database, "--status", "approved").exit_code == 0
    bad = write(tmp_path / "bad", {"a.toml": item("strategy", statement="Changed.") + item("role")
                                   + item("process") + item("requirement") + item("strategy", id="STR-2",
                                                                                   colour="red")})
    result = _load(bad, database, "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["applied"] is False and summary["added"] == 0
    assert [(error["file"], error["item"]) for error in summary["errors"]] == [("a.toml", "STR-2")]
    report = json.loads(_trace_check(database).stdout)
    assert report["counts"]["strategy"] == 1
    assert report["suspect_links"] == []  # the changed statement was not loaded
