"""The decision report of the demo project (`reqtrace report`) and the decision checks' seeds and samples.

The report is what the steering committee reads: it must carry the ranking in
rank order, every knock-out reason of every knocked-out vendor and every
strategy, and the HTML must open from an e-mail attachment — one file, no
script, nothing fetched from elsewhere.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.scoring.test_demo_ranking import (  # noqa: F401  (fixtures)
    demo_db_url,
    demo_postgres_template,
    reqtrace,
    score_json,
)
from tests.web.support import Element, parse_html

# Attributes through which a document fetches or links to something.
URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "data", "poster", "srcset", "background",
                  "cite", "longdesc", "manifest", "ping"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


def write_report(url: str, path: Path, *args) -> dict:
    result = reqtrace(url, "report", "--project", "crm", "-o", path, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_self_contained(document: str) -> None:
    tree = parse_html(document)
    assert "<script" not in document.lower()
    for element in tree.iter():
        assert element.tag not in ("script", "iframe", "object", "embed", "link", "base", "frame"), element.tag
        for name, value in element.attrs.items():
            assert not name.startswith("on"), f"<{element.tag} {name}> runs script"
            if name in URL_ATTRIBUTES:
                assert not EXTERNAL.match(value or ""), f"<{element.tag} {name}={value!r}> fetches from elsewhere"
                assert not (value or "").strip().lower().startswith("javascript:"), (element.tag, name, value)
    for style in tree.find_all("style"):
        css = style.text.lower()
        assert "@import" not in css
        assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", css), css


def section_after(tree: Element, heading: str, tag: str) -> Element:
    """The first <tag> after the <h2> whose text is `heading` (document order)."""
    seen = False
    for element in tree.iter():
        if element.tag == "h2" and element.text == heading:
            seen = True
        elif seen and element.tag == tag:
            return element
    raise AssertionError(f"no <{tag}> after <h2>{heading}</h2>")


def mark_keystone_as_asking_for_a_contract(url: str) -> None:
    """A second knocked-out vendor, for a reason of another kind."""
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("UPDATE vendor SET flags = ',contract-before-poc,' WHERE slug = 'keystone'"))
    engine.dispose()


# --- HTML ----------------------------------------------------------------------------------------

def test_html_report_is_self_contained_and_carries_ranking_knock_outs_and_strategies(demo_db_url, tmp_path):
    mark_keystone_as_asking_for_a_contract(demo_db_url)
    scored = score_json(demo_db_url, "--samples", 50)
    vendors = scored["vendors"]
    knocked = [v for v in vendors if v["knocked_out"]]
    assert {v["vendor"] for v in knocked} == {"keystone", "nimbus"}

    path = tmp_path / "decision.html"
    summary = write_report(demo_db_url, path, "--samples", 50)
    assert summary["format"] == "html" and Path(summary["file"]) == path
    document = path.read_text(encoding="utf-8")
    assert document.lstrip().lower().startswith("<!doctype html>")
    assert_self_contained(document)

    tree = parse_html(document)
    plain = unescape(document)
    # every knock-out reason of every knocked-out vendor, as a list item under "Knock-outs"
    items = [li.text for li in tree.find_all("li")]
    for vendor in knocked:
        assert vendor["knockout_reasons"]
        for reason in vendor["knockout_reasons"]:
            assert " ".join(reason.split()) in items, (vendor["vendor"], reason)
    assert any("contract" in reason for reason in next(v for v in knocked if v["vendor"] == "keystone")
               ["knockout_reasons"])

    # the ranking table, in rank order, with rank, name and status
    ranking = section_after(tree, "Ranking", "table")
    rows = [[cell.text for cell in tr.find_all("td")] for tr in ranking.find("tbody").find_all("tr")]
    assert [row[0] for row in rows] == [str(v["rank"]) for v in vendors] == ["1", "2", "3"]
    assert [row[1] for row in rows] == [v["name"] for v in vendors]
    assert [row[2] for row in rows] == [f"{v['total']:.1f}" for v in vendors]
    assert [row[-1] for row in rows] == ["knocked out" if v["knocked_out"] else "in" for v in vendors]

    # every strategy with scored requirements beneath it, with each vendor's score
    strategies = set().union(*(v["by_strategy"] for v in vendors))
    assert len(strategies) >= 2
    chain = section_after(tree, "The chain", "table")
    shown = {}
    for tr in chain.find("tbody").find_all("tr"):
        cells = [cell.text for cell in tr.find_all("td")]
        shown[cells[0].split()[0]] = cells
    assert set(shown) == strategies
    for strategy, cells in shown.items():
        assert cells[-len(vendors):] == [f"{v['by_strategy'][strategy]:.1f}" for v in vendors], strategy
    assert "Scores per strategy" in plain and "<svg" in document


def test_html_report_escapes_what_people_typed(demo_db_url, tmp_path):
    """A vendor name is data, not markup: it cannot put a script into the report."""
    engine = create_engine(demo_db_url)
    with engine.begin() as db:
        db.execute(text("UPDATE vendor SET name = :n WHERE slug = 'atlas'"),
                   {"n": '<script>alert(1)</script><img src="https://evil.example/x.png">'})
    engine.dispose()
    path = tmp_path / "decision.html"
    write_report(demo_db_url, path, "--samples", 10)
    document = path.read_text(encoding="utf-8")
    assert_self_contained(document)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document


# --- Markdown ------------------------------------------------------------------------------------

def test_markdown_report_carries_ranking_knock_outs_and_strategies(demo_db_url, tmp_path):
    mark_keystone_as_asking_for_a_contract(demo_db_url)
    vendors = score_json(demo_db_url, "--samples", 50)["vendors"]
    path = tmp_path / "decision.md"
    summary = write_report(demo_db_url, path, "--samples", 50)
    assert summary["format"] == "markdown" and Path(summary["file"]) == path
    document = path.read_text(encoding="utf-8")
    lines = document.splitlines()
    assert lines[0].startswith("# Decision report")

    for vendor in vendors:
        for reason in vendor["knockout_reasons"]:
            assert f"- {reason.replace('|', chr(92) + '|')}" in lines, (vendor["vendor"], reason)

    start = lines.index("## Ranking")
    table = [line for line in lines[start:] if line.startswith("| ")][1:]  # past the header row
    table = table[:len(vendors)]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    assert [row[0] for row in cells] == [str(v["rank"]) for v in vendors]
    assert [row[1] for row in cells] == [v["name"] for v in vendors]
    assert [row[-1] for row in cells] == ["knocked out" if v["knocked_out"] else "in" for v in vendors]

    start = lines.index("## Scores per strategy")
    header = next(line for line in lines[start:] if line.startswith("| "))
    assert [c.strip() for c in header.strip("|").split("|")][1:] == [v["vendor"] for v in vendors]
    rows = {}
    for line in lines[lines.index(header) + 2:]:
        if not line.startswith("| "):
            break
        parts = [c.strip() for c in line.strip("|").split("|")]
        rows[parts[0].split()[0]] = parts[1:]
    strategies = set().union(*(v["by_strategy"] for v in vendors))
    assert set(rows) == strategies
    for strategy, values in rows.items():
        assert values == [f"{v['by_strategy'][strategy]:.1f}" for v in vendors], strategy


def test_report_json_summary_shape(demo_db_url, tmp_path):
    vendors = score_json(demo_db_url, "--samples", 10)["vendors"]
    for name in ("decision.html", "decision.md"):
        summary = write_report(demo_db_url, tmp_path / name, "--samples", 10)
        assert set(summary) >= {"project", "file", "format", "ranking"}
        assert summary["project"] == "crm"
        assert Path(summary["file"]).is_file()
        assert [set(entry) >= {"vendor", "rank", "total", "knocked_out"} for entry in summary["ranking"]] == \
            [True] * len(vendors)
        assert [(e["vendor"], e["rank"], e["knocked_out"]) for e in summary["ranking"]] == \
            [(v["vendor"], v["rank"], v["knocked_out"]) for v in vendors]
        assert [e["total"] for e in summary["ranking"]] == pytest.approx([v["total"] for v in vendors], abs=1e-9)


def test_report_without_json_writes_the_file_and_says_where(demo_db_url, tmp_path):
    path = tmp_path / "out.html"
    result = reqtrace(demo_db_url, "report", "--project", "crm", "-o", path, "--samples", 5)
    assert result.exit_code == 0, result.output
    assert str(path) in result.output and path.is_file()


def test_report_states_the_samples_and_seed_it_used(demo_db_url, tmp_path):
    for suffix in ("html", "md"):
        path = tmp_path / f"decision.{suffix}"
        write_report(demo_db_url, path, "--samples", 37, "--seed", 4242)
        document = path.read_text(encoding="utf-8")
        assert "37 runs" in document and "seed 4242" in document, suffix


# --- rank stability: seeded, sampled as asked ---------------------------------------------------

def _stability(url: str, *args) -> dict:
    return score_json(url, *args)["checks"]["rank_stability"]


def test_same_seed_gives_the_same_rank_stability(demo_db_url):
    first = _stability(demo_db_url, "--samples", 200, "--seed", 7)
    second = _stability(demo_db_url, "--samples", 200, "--seed", 7)
    assert first == second
    assert first["samples"] == 200 and first["seed"] == 7
    assert first["jitter"] == [0.8, 1.2]
    shares = first["first_place_share"]
    assert set(shares) == {"atlas", "keystone", "nimbus"}
    assert sum(shares.values()) == pytest.approx(1.0)
    for share in shares.values():  # a share of 200 runs
        assert share * 200 == pytest.approx(round(share * 200))
    assert shares["nimbus"] == 0.0  # knock-outs do not depend on weights: never first


def test_samples_and_seed_are_reflected(demo_db_url):
    small = _stability(demo_db_url, "--samples", 3, "--seed", 1)
    large = _stability(demo_db_url, "--samples", 400, "--seed", 2)
    assert (small["samples"], small["seed"]) == (3, 1)
    assert (large["samples"], large["seed"]) == (400, 2)
    for share in small["first_place_share"].values():
        assert share in (0.0, 1 / 3, 2 / 3, 1.0)
    default = _stability(demo_db_url)
    assert default["samples"] == 1000


@pytest.mark.parametrize("samples", ["0", "-5", "abc"])
def test_bad_samples_are_refused(demo_db_url, samples):
    result = reqtrace(demo_db_url, "score", "--project", "crm", "--json", "--samples", samples)
    assert result.exit_code != 0
    assert "samples" in result.output.lower()


def test_the_markdown_report_shows_names_literally_never_as_html(demo_db_url, tmp_path):
    """A Markdown viewer that renders raw HTML must not run what a vendor or project name holds."""
    engine = create_engine(demo_db_url)
    with engine.begin() as db:
        db.execute(text("UPDATE vendor SET name = '<img src=x onerror=alert(1)> [x](javascript:alert(2))' "
                        "WHERE slug = 'nimbus'"))
        db.execute(text("UPDATE project SET name = 'CRM <script>alert(3)</script>' WHERE key = 'crm'"))
    engine.dispose()
    path = tmp_path / "decision.md"
    write_report(demo_db_url, path)
    document = path.read_text()
    assert "<img" not in document, [line for line in document.splitlines() if "<img" in line]
    assert "<script" not in document
    assert re.search(r"(?<!\\)\]\(javascript:", document) is None  # the brackets are escaped: no link
    assert "&lt;img src=x onerror=alert(1)&gt;" in document  # shown as text, not dropped


def test_a_report_made_while_someone_is_still_scoring_says_it_is_not_final(demo_db_url, tmp_path):
    """The demo's Atlas session is under way: the evaluator has not submitted, so their entries do not count yet
    and the numbers can still change. The committee must read that in the report, as the ranking page says it."""
    html, markdown = tmp_path / "decision.html", tmp_path / "decision.md"
    write_report(demo_db_url, html, "--samples", 10)
    write_report(demo_db_url, markdown, "--samples", 10)
    warning = "Not final: still scoring — atlas (evaluator). Their entries count once they submit"
    assert warning in " ".join(parse_html(html.read_text(encoding="utf-8")).one("p", cls="out").text.split())
    assert "**Not final: still scoring** — atlas (evaluator)." in markdown.read_text(encoding="utf-8")

    engine = create_engine(demo_db_url)
    with engine.begin() as connection:  # everyone hands in: the report no longer says so
        connection.execute(text("UPDATE demo_session_attendee SET submitted_at = CURRENT_TIMESTAMP "
                                "WHERE submitted_at IS NULL"))
    engine.dispose()
    write_report(demo_db_url, html, "--samples", 10)
    assert "still scoring" not in html.read_text(encoding="utf-8")
