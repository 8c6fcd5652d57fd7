"""Vendor adapters: the example loads; every mistake is named with the file and the line it is on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reqtrace.cli import main
from reqtrace.probes.adapters import AdapterError, AdapterStep, load_adapter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "vendor_scripts" / "example" / "adapter.toml"
MARK = "# <- here"

GOOD_HEAD = '''vendor = "atlas"
base_url = "http://127.0.0.1:8765/"
ready = "main h1"
pages = ["/", "/accounts/1"]

[[login]]
goto = "/login"

[[login]]
fill = "#username"
value = "demo"
'''


def write(tmp_path: Path, text: str, name: str = "adapter.toml") -> tuple[Path, int]:
    """Write an adapter; return its path and the line marked with MARK."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    marked = [number for number, line in enumerate(text.splitlines(), start=1) if MARK in line]
    return path, (marked[0] if marked else 0)


def refusal(path: Path) -> str:
    with pytest.raises(AdapterError) as caught:
        load_adapter(path)
    return str(caught.value)


def located(message: str, path: Path) -> list[int]:
    """The line numbers a message gives for `path` (as `FILE:LINE:`)."""
    return [int(number) for number in re.findall(re.escape(str(path)) + r":(\d+):", message)]


# --- the example --------------------------------------------------------------------------------

def test_the_example_adapter_loads():
    adapter = load_adapter(EXAMPLE)
    assert adapter.base_url == "http://127.0.0.1:8765/"
    assert adapter.ready == "main h1"
    assert adapter.pages == ["/", "/accounts/1"]
    assert [step.kind for step in adapter.login] == ["goto", "fill", "fill", "click", "expect_text"]
    assert adapter.login[1] == AdapterStep("fill", "#username", {"value": "demo"})
    assert sorted(adapter.actions) == ["edit", "sync", "verify"]
    assert [step.kind for step in adapter.action("edit")] == ["goto", "fill", "click", "expect_text"]
    assert adapter.action("edit")[3].options == {"within": "#notes"}
    assert adapter.action("sync") == [AdapterStep("wait", 2000, {})]
    assert adapter.action("edit")[1].describe("abc") == "fill #note = Visit abc"


def test_asking_for_an_action_the_adapter_lacks_names_the_ones_it_has():
    with pytest.raises(AdapterError, match="no action 'publish'.*edit, sync, verify"):
        load_adapter(EXAMPLE).action("publish")


def test_the_readme_example_loads(tmp_path):
    readme = (ROOT / "vendor_scripts" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    path, _ = write(tmp_path, block)
    adapter = load_adapter(path)
    assert sorted(adapter.actions) == ["edit", "verify"]
    assert [step.kind for step in adapter.action("verify")] == ["goto", "expect_text"]


# --- every problem with the file and the line -----------------------------------------------------

def test_bad_toml_names_the_file_and_line(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD.replace('ready = "main h1"', f'ready = main h1  {MARK}'))
    message = refusal(path)
    assert str(path) in message and "not valid TOML" in message
    assert f"line {line}," in message or located(message, path) == [line], message


def test_an_unknown_top_level_key(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD.replace('ready = "main h1"', f'ready = "main h1"\ncolour = "red"  {MARK}'))
    message = refusal(path)
    assert located(message, path) == [line]
    assert "unknown key 'colour'" in message


def test_a_step_with_two_actions(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ goto = "/accounts/1" }},
  {{ fill = "#note", value = "x", click = "#save" }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "actions.edit step 2" in message and "exactly one action" in message and "click, fill" in message


def test_an_unknown_action_kind(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ goto = "/accounts/1" }},
  {{ fill = "#note", value = "Visit {{token}}" }},
  {{ clik = "button[type=submit]" }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "actions.edit step 3" in message and "found clik" in message


def test_an_unknown_action_kind_in_a_one_line_steps_list(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [ {{ goto = "/accounts/1" }}, {{ clik = "#save" }} ]  {MARK}
''')
    message = refusal(path)
    assert "found clik" in message
    assert located(message, path) in ([line], [line - 1]), message  # the steps line (or its [actions.edit])


def test_a_fill_without_a_value(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ fill = "#note" }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "fill needs 'value'" in message


def test_a_wait_given_text(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.sync]
steps = [
  {{ wait = "2 seconds" }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "wait takes milliseconds" in message


def test_offline_false(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ goto = "/accounts/1" }},
  {{ offline = false }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "write offline = true" in message


def test_an_action_without_steps(tmp_path):
    path, _ = write(tmp_path, GOOD_HEAD + '''
[actions.edit]
description = "Add a note"
''')
    message = refusal(path)
    assert located(message, path) == [GOOD_HEAD.count("\n") + 2]  # the [actions.edit] line
    assert "action 'edit' needs a steps = [...] list" in message


def test_pages_not_a_list(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD.replace('pages = ["/", "/accounts/1"]', f'pages = "/accounts"  {MARK}'))
    message = refusal(path)
    assert located(message, path) == [line]
    assert "pages must be a list of paths" in message


def test_a_bad_login_step_points_at_its_table(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[[login]]
clik = "button[type=submit]"  {MARK}
''')
    message = refusal(path)
    assert located(message, path) in ([line - 1], [line]), message  # its [[login]] header, or the line itself
    assert "login step 3" in message and "found clik" in message


def test_lines_stay_right_when_table_headers_carry_comments(tmp_path):
    """The README's own format puts a comment after `[[login]]` and `[actions.edit]`."""
    readme = (ROOT / "vendor_scripts" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    assert "[actions.edit]   " in block and "# a named action" in block
    broken = block.replace('{ click = "text=Save note" },', f'{{ clik = "text=Save note" }},  {MARK}')
    broken = broken.replace('value = "evaluator"', f'valu = "evaluator"  {MARK}')
    path, _ = write(tmp_path, broken)
    lines = broken.splitlines()
    step_line = next(n for n, text in enumerate(lines, 1) if "clik" in text)
    login_line = next(n for n, text in enumerate(lines, 1) if "valu =" in text)
    message = refusal(path)
    by_problem = {("clik" if "clik" in problem else "login"): located(problem, path)
                  for problem in message.splitlines()}
    assert by_problem["clik"] == [step_line], message
    assert by_problem["login"] in ([login_line - 2], [login_line - 1], [login_line]), message


def test_a_step_option_the_action_does_not_take(tmp_path):
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ click = "#save", value = "x" }},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert "click does not take 'value'" in message


def test_every_problem_is_reported_at_once(tmp_path):
    path, _ = write(tmp_path, GOOD_HEAD.replace('pages = ["/", "/accounts/1"]', 'pages = 3') + '''colour = "red"
[actions.edit]
steps = [
  { clik = "#save" },
  { wait = "soon" },
]
''')
    lines = refusal(path).splitlines()
    assert len(lines) == 4, lines
    assert all(line.startswith(f"{path}:") for line in lines)


def test_a_missing_file(tmp_path):
    message = refusal(tmp_path / "missing.toml")
    assert "missing.toml" in message and "cannot be read" in message


# --- the command refuses a bad adapter before any browser starts -----------------------------------

def run_probe(tmp_path: Path, *args: str):
    """`reqtrace probe run ...` with no usable browser: a browser start would fail with another message."""
    env = {"REQTRACE_CHROMIUM": str(tmp_path / "no-chromium"), "REQTRACE_HOME": str(tmp_path / "home")}
    return CliRunner().invoke(main, ["probe", "run", *args], env=env)


def bad_adapter(tmp_path: Path) -> tuple[Path, int]:
    return write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {{ goto = "/accounts/1" }},
  {{ clik = "#save" }},  {MARK}
]
''', name="bad-adapter.toml")


def test_probe_run_refuses_a_bad_adapter_before_starting_a_browser(tmp_path):
    path, line = bad_adapter(tmp_path)
    result = run_probe(tmp_path, "offline-edit", "--url", "http://127.0.0.1:9/", "--adapter", str(path),
                       "--evidence-dir", str(tmp_path / "evidence"))
    assert result.exit_code == 1
    assert f"{path}:{line}: actions.edit step 2" in result.stderr
    assert "chromium" not in result.stderr.lower()
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "evidence").exists()


def test_probe_run_json_gives_an_error_document_for_a_bad_adapter(tmp_path):
    path, line = bad_adapter(tmp_path)
    result = run_probe(tmp_path, "offline-edit", "--url", "http://127.0.0.1:9/", "--adapter", str(path), "--json",
                       "--evidence-dir", str(tmp_path / "evidence"))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert f"{path}:{line}:" in document["error"] and "found clik" in document["error"]
    assert not (tmp_path / "evidence").exists()


@pytest.mark.parametrize("probe", ["offline-edit", "action"])
def test_a_probe_that_needs_an_adapter_says_so(tmp_path, probe):
    result = run_probe(tmp_path, probe, "--url", "http://127.0.0.1:9/", "--json", *(
        ["--action", "edit"] if probe == "action" else []))
    assert result.exit_code == 1
    assert "--adapter" in json.loads(result.stdout)["error"]


def test_an_adapter_without_the_actions_a_probe_needs_is_refused_before_starting_a_browser(tmp_path):
    """offline-edit needs `edit` and `verify`; a missing one is the adapter's fault, not a failed probe."""
    path, _ = write(tmp_path, GOOD_HEAD + '\n[actions.verify]\nsteps = [ { goto = "/" } ]\n')
    result = run_probe(tmp_path, "offline-edit", "--url", "http://127.0.0.1:9/", "--adapter", str(path), "--json",
                       "--evidence-dir", str(tmp_path / "evidence"))
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "edit" in error and "chromium" not in error.lower(), error


def test_an_action_the_adapter_lacks_is_refused_before_starting_a_browser(tmp_path):
    result = run_probe(tmp_path, "action", "--action", "publish", "--url", "http://127.0.0.1:9/", "--adapter",
                       str(EXAMPLE), "--json", "--evidence-dir", str(tmp_path / "evidence"))
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "publish" in error and "chromium" not in error.lower(), error


@pytest.mark.parametrize("step, says", [
    ('{ wait = true }', "wait takes milliseconds"),
    ('{ expect_text = "Saved", timeout_ms = "soon" }', "timeout_ms"),
    ('{ goto = "/", wait_until = "never" }', "wait_until"),
])
def test_a_step_value_of_the_wrong_kind_is_refused_at_load(tmp_path, step, says):
    """Caught when the file is read, not half-way through a probe in the vendor's sandbox."""
    path, line = write(tmp_path, GOOD_HEAD + f'''
[actions.edit]
steps = [
  {step},  {MARK}
]
''')
    message = refusal(path)
    assert located(message, path) == [line]
    assert says in message
