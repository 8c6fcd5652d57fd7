"""POC scripts in the database: `reqtrace script build|issue|show` on the sample project, versions and edits."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from reqtrace.model import PocScript, ScriptIssue, Vendor
from reqtrace.poc import edits
from reqtrace.poc.render import minutes_text, to_html, to_markdown
from reqtrace.poc.scripts import get_version, next_step_id, read_version, save_version, script_coverage
from reqtrace.schemas import MAX_TEXT, MAX_TITLE
from reqtrace.services.errors import Invalid, NotFound
from reqtrace.services.items import get_item, list_items, update_item
from reqtrace.services.scope import effective_weight
from tests.poc.conftest import reqtrace, reqtrace_json


def steps_of(content: dict) -> list[dict]:
    return [step for scenario in content["scenarios"] for step in scenario["steps"]]


def requirement_rows(db) -> dict[str, dict]:
    """The sample's requirements as the services hold them: ID -> priority, weight, status."""
    with db() as session:
        project = db.project(session)
        return {item.hid: {"priority": item.priority, "weight": item.weight, "status": item.status}
                for item in list_items(session, project, "requirement")}


def show(url: str, version: int | None = None) -> dict:
    return reqtrace_json(url, "script", "show", "--project", "crm", *(["--version", version] if version else []))


@pytest.fixture
def built(url, tmp_path) -> dict:
    """`reqtrace script build --project crm -o DIR --json` on the sample."""
    return reqtrace_json(url, "script", "build", "--project", "crm", "-o", tmp_path / "out")


# --- building ----------------------------------------------------------------------------------

def test_build_proves_every_approved_must_have_and_leaves_out_the_wont_haves(url, db, built):
    requirements = requirement_rows(db)
    content = show(url)
    cited = [hid for step in steps_of(content) for hid in step["requirements"]]
    musts = {hid for hid, r in requirements.items() if r["priority"] == "must" and r["status"] == "approved"}
    assert musts and musts <= set(cited)
    excluded = {hid for hid, r in requirements.items() if effective_weight(r) == 0}
    assert excluded, "the sample has won't-haves"
    assert not excluded & set(cited)
    in_scope = {hid for hid, r in requirements.items() if r["status"] == "approved"} - excluded
    assert sorted(cited) == sorted(in_scope)  # each requirement in scope exactly once
    assert built["unproved"] == [] and built["unproved_must"] == []
    assert content["unproved"] == [] and content["unproved_must"] == []
    assert built["version"] == 1 and built["steps"] == len(in_scope)


def test_build_numbers_steps_consecutively_and_the_minutes_add_up(url, built):
    content = show(url)
    assert [step["hid"] for step in steps_of(content)] == [f"STEP-{n}" for n in range(1, built["steps"] + 1)]
    assert [scenario["key"] for scenario in content["scenarios"]] == \
        [f"SC-{n}" for n in range(1, len(content["scenarios"]) + 1)]
    for scenario in content["scenarios"]:
        assert scenario["steps"], scenario["key"]
        assert scenario["minutes"] == sum(step["timebox_minutes"] for step in scenario["steps"])
        assert all(1 <= step["timebox_minutes"] <= 240 for step in scenario["steps"])
    assert content["minutes"] == sum(scenario["minutes"] for scenario in content["scenarios"]) == built["minutes"]
    assert built["scenarios"] == len(content["scenarios"])


def test_each_step_takes_its_requirements_timebox_else_five_minutes(url, db, built):
    with db() as session:
        own = {item.hid: item.timebox_minutes for item in list_items(session, db.project(session), "requirement")}
    assert any(own.values()), "the sample names some timeboxes"
    for step in steps_of(show(url)):
        (hid,) = step["requirements"]
        assert step["timebox_minutes"] == (own[hid] or 5), (step["hid"], hid)


def test_a_script_from_a_baseline_keeps_the_baselined_wording(url, db, tmp_path):
    assert reqtrace(url, "baseline", "create", "B1", "--project", "crm").exit_code == 0
    with db() as session:
        project = db.project(session)
        update_item(session=session, project=project, kind="requirement",
                    item=get_item(session, project, "requirement", "REQ-47"),
                    fields={"title": "Changed after the baseline"}, actor="owner")
        session.commit()
    built = reqtrace_json(url, "script", "build", "--project", "crm", "--baseline", "B1", "-o", tmp_path / "b1")
    assert built["baseline"] == "B1"
    step = next(s for s in steps_of(show(url)) if s["requirements"] == ["REQ-47"])
    assert "Changed after the baseline" not in step["instruction"]
    latest = reqtrace_json(url, "script", "build", "--project", "crm", "-o", tmp_path / "latest")
    assert latest["baseline"] == "B1"  # the default is the latest baseline
    assert "baseline B1" in (tmp_path / "b1" / "poc-script-v1.md").read_text(encoding="utf-8")
    assert reqtrace(url, "script", "build", "--project", "crm", "--baseline", "B9", "-o", tmp_path / "x").exit_code == 1


def test_build_writes_markdown_and_a_print_friendly_page(url, built, tmp_path):
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["poc-script-v1.html", "poc-script-v1.md"]
    assert sorted(Path(f).name for f in built["files"]) == ["poc-script-v1.html", "poc-script-v1.md"]
    content = show(url)
    markdown = (out / "poc-script-v1.md").read_text(encoding="utf-8")
    for step in steps_of(content):
        assert re.search(rf"^### {step['hid']} — ", markdown, re.M), step["hid"]
    for scenario in content["scenarios"]:
        heading = f"## {scenario['key']}: {scenario['title']} ({minutes_text(scenario['minutes'])})"
        assert heading in markdown
    assert minutes_text(content["minutes"]) in markdown
    assert "Millbrook Water Authority" in markdown  # the sample data the vendor loads beforehand
    html = (out / "poc-script-v1.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
    assert "@media print" in html
    assert "<script" not in html.lower()
    assert all(step["hid"] in html for step in steps_of(content))


def test_build_for_a_vendor_issues_it_into_the_vendors_folder(url, db, tmp_path):
    folder = tmp_path / "vendor_scripts" / "atlas"
    folder.parent.mkdir()  # -o creates the vendor's folder, in a folder that exists
    result = reqtrace_json(url, "script", "build", "--project", "crm", "--vendor", "atlas", "-o", folder)
    assert result["vendor"] == "atlas"
    assert (folder / "poc-script-v1.md").is_file() and (folder / "poc-script-v1.html").is_file()
    markdown = (folder / "poc-script-v1.md").read_text(encoding="utf-8")
    assert "issued to **Atlas Field Systems**" in markdown
    with db() as session:
        issued = session.exec(select(Vendor.slug, PocScript.version).join(ScriptIssue, ScriptIssue.vendor_id == Vendor.id)
                              .join(PocScript, PocScript.id == ScriptIssue.script_id)).all()
        assert [tuple(row) for row in issued] == [("atlas", 1)]
        assert db.project(session).status == "issued"


def test_script_issue_hands_an_existing_version_to_another_vendor(url, db, built, tmp_path):
    folder = tmp_path / "vendor_scripts" / "keystone"
    folder.parent.mkdir()  # -o creates the vendor's folder, in a folder that exists
    result = reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "keystone", "-o", folder)
    assert result["version"] == 1
    assert "issued to **Keystone Business Software**" in (folder / "poc-script-v1.md").read_text(encoding="utf-8")
    with db() as session:
        assert session.exec(select(ScriptIssue)).scalars().one().vendor_id == \
            session.exec(select(Vendor.id).where(Vendor.slug == "keystone")).scalar_one()


def test_a_vendor_that_does_not_exist_is_refused_and_nothing_is_built(url, db, tmp_path):
    result = reqtrace(url, "script", "build", "--project", "crm", "--vendor", "nobody", "-o", tmp_path / "x")
    assert result.exit_code == 1
    assert "nobody" in result.stderr
    with db() as session:
        assert session.exec(select(PocScript)).scalars().all() == []


def test_building_again_makes_the_next_version_whose_steps_continue_the_numbering(url, built, tmp_path):
    second = reqtrace_json(url, "script", "build", "--project", "crm", "-o", tmp_path / "out")
    assert second["version"] == 2
    assert (tmp_path / "out" / "poc-script-v2.md").is_file()
    assert (tmp_path / "out" / "poc-script-v1.md").is_file()  # the first version stays
    first, latest = show(url, 1), show(url)
    assert latest["version"] == 2
    highest = max(int(step["hid"].split("-")[1]) for step in steps_of(first))
    assert [step["hid"] for step in steps_of(latest)] == \
        [f"STEP-{n}" for n in range(highest + 1, highest + 1 + second["steps"])]
    assert [step["requirements"] for step in steps_of(latest)] == [step["requirements"] for step in steps_of(first)]
    same = lambda content: [(scenario["key"], scenario["title"], scenario["minutes"],  # noqa: E731
                             [{k: v for k, v in step.items() if k != "hid"} for step in scenario["steps"]])
                            for scenario in content["scenarios"]]
    assert same(latest) == same(first)  # the same scope gives the same script, in the same order


def test_script_show_without_a_script_says_how_to_build_one(url):
    result = reqtrace(url, "script", "show", "--project", "crm", "--json")
    assert result.exit_code == 1
    assert "script build" in result.stdout


# --- the lead's edits, saved as new versions ----------------------------------------------------

def load(db, version: int | None = None) -> tuple[dict, object]:
    with db() as session:
        project = db.project(session)
        return read_version(session, get_version(session, project, version)), project


def save(db, content: dict, note: str) -> int:
    with db() as session:
        project = db.project(session)
        script = save_version(session, project, content, actor="lead", baseline=content["baseline"], note=note)
        session.commit()
        return script.version


def comparable(content: dict) -> dict:
    return {key: value for key, value in content.items() if key not in ("version", "change_note", "created_at")}


def test_moving_a_step_saves_a_new_version_and_leaves_the_old_one_alone(db, built):
    v1, _ = load(db)
    first, second = v1["scenarios"][0]["steps"][:2]
    version = save(db, edits.move_step(v1, second["hid"], -1), f"moved {second['hid']} up")
    assert version == 2
    v2, _ = load(db, 2)
    assert [s["hid"] for s in v2["scenarios"][0]["steps"][:2]] == [second["hid"], first["hid"]]
    assert v2["change_note"] == f"moved {second['hid']} up"
    assert load(db, 1)[0] == v1  # the issued version is never changed
    assert sorted(s["hid"] for s in steps_of(v2)) == sorted(s["hid"] for s in steps_of(v1))  # IDs kept


def test_moving_the_first_step_of_a_scenario_up_takes_it_into_the_one_before(db, built):
    v1, _ = load(db)
    moved = v1["scenarios"][1]["steps"][0]["hid"]
    changed = edits.move_step(v1, moved, -1)
    assert changed["scenarios"][0]["steps"][-1]["hid"] == moved
    assert moved not in [s["hid"] for s in changed["scenarios"][1]["steps"]]


def test_moving_the_scripts_first_step_up_or_its_last_down_is_no_edit(db, built):
    v1, _ = load(db)
    very_first, very_last = steps_of(v1)[0]["hid"], steps_of(v1)[-1]["hid"]
    with pytest.raises(edits.Unchanged, match=f"{very_first} is already first"):
        edits.move_step(v1, very_first, -1)
    with pytest.raises(edits.Unchanged, match=f"{very_last} is already last"):
        edits.move_step(v1, very_last, 1)
    with pytest.raises(edits.Unchanged, match=f"{very_first} is unchanged"):
        edits.check_changed(v1, edits.edit_step(v1, very_first, instruction=steps_of(v1)[0]["instruction"]),
                            very_first)
    edits.check_changed(v1, edits.edit_step(v1, very_first, instruction="Show it differently."), very_first)


def test_version_0_is_no_version_rather_than_the_latest(db, built):
    save(db, load(db)[0] | {"title": "A second version"}, "retitled")
    with db() as session:
        project = db.project(session)
        assert get_version(session, project).version == 2  # no version given: the latest
        with pytest.raises(NotFound, match="no version 0 of the POC script"):
            get_version(session, project, 0)
        with pytest.raises(NotFound, match="no version 3 of the POC script"):
            get_version(session, project, 3)


@pytest.mark.parametrize("where, field, length", [
    ("step", "instruction", MAX_TEXT + 1), ("step", "expected", MAX_TEXT + 1), ("step", "action", 81),
    ("scenario", "narrative", MAX_TEXT + 1), ("scenario", "title", MAX_TITLE + 1),
    ("script", "introduction", MAX_TEXT + 1), ("script", "sample_data", MAX_TEXT + 1),
    ("script", "title", MAX_TITLE + 1),
])
def test_a_text_over_the_shared_limits_is_refused_naming_it_and_nothing_is_saved(db, built, where, field, length):
    v1, _ = load(db)
    content = copy.deepcopy(v1)
    part = {"script": content, "scenario": content["scenarios"][0],
            "step": content["scenarios"][0]["steps"][0]}[where]
    part[field] = "x" * length
    with pytest.raises(Invalid, match=f"the {field.replace('_', ' ')} has at most {length - 1:,} characters "
                                      f"\\(this one has {length:,}\\)"):
        save(db, content, "too long")
    part[field] = "x" * (length - 1)  # at the limit is fine
    assert save(db, content, "at the limit") == 2


def test_editing_a_step_changes_only_that_step(db, built):
    v1, _ = load(db)
    target = v1["scenarios"][2]["steps"][0]
    other = v1["scenarios"][0]["steps"][0]["requirements"][0]
    changed = edits.edit_step(v1, target["hid"], instruction="  Show the route planner.  ", expected="A route.",
                              timebox_minutes="12", requirements=f"{target['requirements'][0]}, {other}",
                              action="edit")
    save(db, changed, f"edited {target['hid']}")
    v2, _ = load(db)
    step = next(s for s in steps_of(v2) if s["hid"] == target["hid"])
    assert step == {"hid": target["hid"], "instruction": "Show the route planner.", "expected": "A route.",
                    "timebox_minutes": 12, "requirements": [target["requirements"][0], other], "action": "edit"}
    assert v2["scenarios"][2]["minutes"] == v1["scenarios"][2]["minutes"] - target["timebox_minutes"] + 12
    assert v2["minutes"] == v1["minutes"] - target["timebox_minutes"] + 12
    untouched = [s for s in steps_of(v2) if s["hid"] != target["hid"]]
    assert untouched == [s for s in steps_of(v1) if s["hid"] != target["hid"]]


def test_merging_two_steps_makes_one_that_cites_both_and_takes_both_timeboxes(db, built):
    v1, _ = load(db)
    first, second = v1["scenarios"][0]["steps"][:2]
    save(db, edits.merge_steps(v1, first["hid"], second["hid"]), "merged")
    v2, _ = load(db)
    hids = [s["hid"] for s in steps_of(v2)]
    assert second["hid"] not in hids and len(hids) == len(steps_of(v1)) - 1
    merged = v2["scenarios"][0]["steps"][0]
    assert merged["hid"] == first["hid"]
    assert merged["requirements"] == first["requirements"] + second["requirements"]
    assert merged["timebox_minutes"] == first["timebox_minutes"] + second["timebox_minutes"]
    assert first["instruction"] in merged["instruction"] and second["instruction"] in merged["instruction"]
    assert v2["minutes"] == v1["minutes"]
    with db() as session:
        assert script_coverage(session, db.project(session), v2) == {"unproved": [], "unproved_must": []}


def test_adding_a_step_gives_it_the_next_step_id(db, built):
    v1, _ = load(db)
    with db() as session:
        new = next_step_id(session, db.project(session))
    assert new == f"STEP-{len(steps_of(v1)) + 1}"
    key = v1["scenarios"][3]["key"]
    save(db, edits.add_step(v1, key, new, instruction="Show the audit trail.", expected="Who changed what.",
                            timebox_minutes="7", requirements="REQ-1"), f"added {new}")
    v2, _ = load(db)
    scenario = next(s for s in v2["scenarios"] if s["key"] == key)
    assert scenario["steps"][-1] == {"hid": new, "instruction": "Show the audit trail.",
                                     "expected": "Who changed what.", "timebox_minutes": 7,
                                     "requirements": ["REQ-1"], "action": ""}
    assert v2["minutes"] == v1["minutes"] + 7
    with db() as session:
        assert next_step_id(session, db.project(session)) == f"STEP-{len(steps_of(v1)) + 2}"


def test_removing_the_only_step_proving_a_must_have_makes_it_unproved(db, built):
    v1, _ = load(db)
    rows = requirement_rows(db)
    step = next(s for s in steps_of(v1) if rows[s["requirements"][0]]["priority"] == "must")
    must = step["requirements"][0]
    save(db, edits.remove_step(v1, step["hid"]), f"removed {step['hid']}")
    v2, _ = load(db)
    assert step["hid"] not in [s["hid"] for s in steps_of(v2)]
    with db() as session:
        gaps = script_coverage(session, db.project(session), v2)
    assert gaps == {"unproved": [must], "unproved_must": [must]}


def test_removing_a_should_have_step_lists_it_unproved_but_not_as_a_must(url, db, built):
    v1, _ = load(db)
    rows = requirement_rows(db)
    step = next(s for s in steps_of(v1) if rows[s["requirements"][0]]["priority"] == "should")
    save(db, edits.remove_step(v1, step["hid"]), "removed")
    content = show(url)
    assert content["unproved"] == step["requirements"] and content["unproved_must"] == []


def test_a_timebox_of_zero_is_refused(db, built):
    v1, _ = load(db)
    hid = steps_of(v1)[0]["hid"]
    for bad in ("0", "241", "-3", "ten", ""):
        with pytest.raises(Invalid, match="minutes"):
            edits.edit_step(v1, hid, timebox_minutes=bad)
    with pytest.raises(Invalid, match="minutes"):
        edits.add_step(v1, v1["scenarios"][0]["key"], "STEP-999", instruction="x", timebox_minutes=0)
    broken = edits.edit_step(v1, hid, instruction="still fine")
    broken["scenarios"][0]["steps"][0]["timebox_minutes"] = 0
    with pytest.raises(Invalid, match="timebox"):
        save(db, broken, "bad")
    with db() as session:
        assert [s.version for s in session.exec(select(PocScript)).scalars()] == [1]


def test_citing_a_requirement_that_does_not_exist_is_refused(db, built):
    v1, _ = load(db)
    hid = steps_of(v1)[0]["hid"]
    rows = requirement_rows(db)
    changed = edits.edit_step(v1, hid, requirements="REQ-1, REQ-999")
    with pytest.raises(Invalid, match="REQ-999"):
        edits.check_citations(changed, set(rows))
    edits.check_citations(edits.edit_step(v1, hid, requirements="REQ-1"), set(rows))  # a real one is fine


def test_other_invalid_edits_are_refused(db, built):
    v1, _ = load(db)
    first, second = steps_of(v1)[:2]
    with pytest.raises(Invalid, match="STEP-9999"):
        edits.edit_step(v1, "STEP-9999", instruction="x")
    with pytest.raises(Invalid):
        edits.merge_steps(v1, first["hid"], first["hid"])
    with pytest.raises(Invalid):
        edits.edit_step(v1, first["hid"], title="not a field of a step")
    with pytest.raises(Invalid, match="SC-999"):
        edits.add_step(v1, "SC-999", "STEP-999", instruction="x")
    with pytest.raises(Invalid, match="instruction"):
        save(db, edits.edit_step(v1, first["hid"], instruction="   "), "empty")
    duplicate = edits.add_step(v1, v1["scenarios"][0]["key"], second["hid"], instruction="again")
    with pytest.raises(Invalid, match="twice"):
        save(db, duplicate, "duplicate")


def test_html_of_an_edited_step_is_sanitised(url, db, built, tmp_path):
    v1, _ = load(db)
    hid = steps_of(v1)[0]["hid"]
    save(db, edits.edit_step(v1, hid, instruction='Show it. <script>alert("x")</script> <img src=x onerror=alert(1)>'),
         "edited")
    reqtrace_json(url, "script", "issue", "--project", "crm", "--vendor", "atlas", "-o", tmp_path / "issued")
    html = (tmp_path / "issued" / "poc-script-v2.html").read_text(encoding="utf-8").lower()
    assert "<script" not in html and "onerror" not in html
    assert "show it." in html


# --- the opening and the scenarios ----------------------------------------------------------------

def test_editing_the_opening_changes_the_title_introduction_and_sample_data_only(db, built):
    v1, _ = load(db)
    changed = edits.edit_opening(v1, title="  POC for the field sales team ", introduction="Each vendor has\r\n"
                                 "90 minutes.", sample_data="Load **50 accounts**.")
    version = save(db, changed, "edited the opening")
    v2, _ = load(db, version)
    assert (v2["title"], v2["introduction"], v2["sample_data"]) == \
        ("POC for the field sales team", "Each vendor has\n90 minutes.", "Load **50 accounts**.")
    assert v2["scenarios"] == v1["scenarios"]
    assert load(db, 1)[0]["title"] == v1["title"]  # the older version keeps its wording
    only_title = edits.edit_opening(v2, title="Another title")
    assert (only_title["introduction"], only_title["sample_data"]) == (v2["introduction"], v2["sample_data"])
    with pytest.raises(Invalid, match="not a field"):
        edits.edit_opening(v1, minutes=3)
    with pytest.raises(Invalid, match="needs a title"):
        save(db, edits.edit_opening(v1, title="  "), "no title")


def test_editing_a_scenario_keeps_its_steps_process_and_roles(db, built):
    v1, _ = load(db)
    target = v1["scenarios"][1]
    changed = edits.edit_scenario(v1, target["key"], title="Plan tomorrow's visits",
                                  narrative="Anna opens her week on the phone.")
    version = save(db, changed, "edited")
    v2, _ = load(db, version)
    edited = v2["scenarios"][1]
    assert (edited["key"], edited["title"], edited["narrative"]) == \
        (target["key"], "Plan tomorrow's visits", "Anna opens her week on the phone.")
    assert (edited["process"], edited["roles"], edited["steps"]) == (target["process"], target["roles"], target["steps"])
    with pytest.raises(Invalid, match="SC-999"):
        edits.edit_scenario(v1, "SC-999", title="x")
    with pytest.raises(Invalid, match=f"{target['key']}: a scenario needs a title"):
        save(db, edits.edit_scenario(v1, target["key"], title=""), "no title")
    with pytest.raises(Invalid, match=f"the title has at most {MAX_TITLE:,}"):
        save(db, edits.edit_scenario(v1, target["key"], title="x" * (MAX_TITLE + 1)), "long")


def test_moving_a_scenario_takes_its_steps_along(db, built):
    v1, _ = load(db)
    first, second = v1["scenarios"][:2]
    moved = edits.move_scenario(v1, first["key"], 1)
    assert [s["key"] for s in moved["scenarios"][:2]] == [second["key"], first["key"]]
    assert moved["scenarios"][1]["steps"] == first["steps"]
    version = save(db, moved, "moved")
    v2, _ = load(db, version)
    assert [s["key"] for s in v2["scenarios"]] == [s["key"] for s in moved["scenarios"]]
    assert [step["hid"] for step in steps_of(v2)][:len(second["steps"])] == [step["hid"] for step in second["steps"]]
    with pytest.raises(edits.Unchanged, match=f"{first['key']} is already first"):
        edits.move_scenario(v1, first["key"], -1)
    with pytest.raises(edits.Unchanged, match="is already last"):
        edits.move_scenario(v1, v1["scenarios"][-1]["key"], 1)


def test_a_new_scenario_comes_last_empty_and_takes_steps(db, built):
    v1, _ = load(db)
    count = len(v1["scenarios"])
    added = edits.add_scenario(v1, title="Month-end forecast review", narrative="The sales director asks why.")
    new = added["scenarios"][-1]
    assert (new["key"], new["title"], new["steps"]) == (f"SC-{count + 1}", "Month-end forecast review", [])
    version = save(db, added, "added")
    with db() as session:
        hid = next_step_id(session, db.project(session))
    v2, _ = load(db, version)
    with_step = edits.add_step(v2, new["key"], hid, instruction="Show the forecast by region.",
                               requirements=steps_of(v1)[0]["requirements"][0])
    v3, _ = load(db, save(db, with_step, "step"))
    assert [s["hid"] for s in v3["scenarios"][-1]["steps"]] == [hid]
    assert v3["minutes"] == v1["minutes"] + 5
    with pytest.raises(Invalid, match=f"{new['key']}: still has 1 step: move or remove it first"):
        edits.remove_scenario(v3, new["key"])
    assert edits.remove_scenario(v2, new["key"])["scenarios"] == v1["scenarios"]
    # Keys belong to a version: the next one is one past the highest this version holds.
    assert edits.add_scenario(edits.remove_scenario(v2, new["key"]), title="x")["scenarios"][-1]["key"] == \
        f"SC-{count + 1}"


def test_the_vendors_copy_leaves_out_a_scenario_with_no_steps(db, built):
    v1, _ = load(db)
    version = save(db, edits.add_scenario(v1, title="Not written yet"), "added")
    content, project = load(db, version)
    markdown = to_markdown(content, project_name=project.name, vendor_name="Atlas")
    assert "Not written yet" not in markdown
    assert f"in {len(v1['scenarios'])} scenarios." in markdown
    assert "Not written yet" not in to_html(content, project_name=project.name)
