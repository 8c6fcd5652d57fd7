"""Markdown rendering: the library's own HTML for ordinary text, and any text at all shown safely and quickly."""

from __future__ import annotations

import random
from pathlib import Path

import markdown
import pytest

from bench.markdown_bench import HOSTILE
from reqtrace import richtext
from reqtrace.richtext import FALLBACK_NOTICE, formatting_problem, plain_summary, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"

# Each about 32,000 characters, the most a text field holds; each took from seconds to minutes before. How long
# they take now, against ordinary text, is bench/markdown_bench.py's to measure (tests/bench runs it).
PATHOLOGICAL = HOSTILE


def library(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")


def test_ordinary_markdown_renders_exactly_as_the_library_renders_it(monkeypatch):
    """The bounded scans give the library's answers: the docs, and random Markdown-ish text, byte for byte."""
    monkeypatch.setattr(richtext, "SHORT_SCAN", 0)  # answer every scan from the index, even short ones
    pieces = list("[]()'\"<>`*_!\\ \n:/ax&#;-=|") + [
        "http://e.x", "[a](b)", "[a](<b> 'c')", '[x]: http://y "t"', "![i](s)", "<b>", "</b>", "\n\n", "    ",
        "> ", "- ", "1. ", "``", "[a](b 'c')", "[a](b(c))", "[a][x]", "[x]"]
    rng = random.Random(20260601)
    texts = [path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md"))]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.choice([10, 80, 400, 1_500]))) for _ in range(600)]
    for text in texts:
        assert richtext._to_html(text, "page") == library(text), text[:200]


def test_links_titles_and_references_still_render():
    html = render_markdown('A [link](https://example.com/a_(b) "The title") and [ref][x].\n\n'
                           '[x]: https://example.com/ref\n\n' + "padding " * 100 + "[late](https://example.com/late)")
    assert 'href="https://example.com/a_(b)"' in html and 'title="The title"' in html
    assert 'href="https://example.com/ref"' in html and 'href="https://example.com/late"' in html


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_text_renders_safely(name):
    html = render_markdown(PATHOLOGICAL[name])
    assert html.startswith("<p>")
    assert "<script" not in html


def test_unclosed_links_still_render_as_markdown_showing_what_was_typed():
    html = render_markdown("Intro *text*. " + "[a](" * 8_000)
    assert FALLBACK_NOTICE not in html
    assert "<em>text</em>" in html and html.count("[a](") == 8_000


def test_lists_nested_too_deep_show_the_text_as_written_with_a_notice():
    """250 levels is past Python's recursion limit inside the library: no exception, the text instead."""
    text = "\n".join("\t" * depth + f"- level {depth}" for depth in range(250)) + "\n\n<script>alert(1)</script>"
    with pytest.raises(RecursionError):
        library(text)
    html = render_markdown(text)
    assert FALLBACK_NOTICE in html
    assert "- level 0<br>- level 1<br>" in html and "- level 249" in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # escaped, shown, inert
    assert plain_summary(text).startswith("- level 0 - level 1")


def test_any_failure_of_the_library_shows_the_text(monkeypatch):
    def broken(text, use):
        raise ValueError("a bug in the library")
    monkeypatch.setattr(richtext, "_to_html", broken)
    html = render_markdown("First **line**\nsecond line\n\n\nNext paragraph <b onclick=x>")
    assert html == (f"<p><em>{FALLBACK_NOTICE}</em></p>\n"
                    "<p>First **line**<br>second line</p>\n<p>Next paragraph &lt;b onclick=x&gt;</p>")
    assert plain_summary("First **line**") == "First **line**"


def test_a_paragraph_longer_than_any_field_is_shown_as_written():
    text = "word " * 10_000  # 50,000 characters in one paragraph: more than a field holds
    html = render_markdown(text)
    assert FALLBACK_NOTICE in html and html.count("word") == 10_000


def test_the_sanitiser_is_as_strict_as_before():
    html = render_markdown('<script>x</script><img src=x onerror=alert(1)> [a](javascript:alert(1)) '
                           '<a href="https://e.x" style="color:red" onclick="y">b</a> <iframe></iframe>')
    for forbidden in ("<script", "<img", "onerror", "javascript:", "style=", "onclick", "<iframe"):
        assert forbidden not in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_validation_can_ask_why_a_text_would_not_be_formatted():
    nested = "\n".join("\t" * depth + "- x" for depth in range(250))
    assert "nest too deeply" in formatting_problem(nested)
    assert "never close" in formatting_problem("<a " * 10_666)
    assert formatting_problem("[a](" * 8_000) is None  # formatted (as the text it is), quickly
    assert formatting_problem("Plain **text**") is None and formatting_problem("") is None


def test_a_summary_is_plain_text_with_entities_decoded():
    """The checklist workbook's cells show it as it reads: "R&D", not "R&amp;D"."""
    assert plain_summary("R&D **and** ops & [sales](https://example.com) &amp; 2 < 3 <b>more</b>") == \
        "R&D and ops & sales & 2 < 3 more"
