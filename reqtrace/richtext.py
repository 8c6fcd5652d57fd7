"""Markdown to safe HTML: rendered first, then sanitised with an allow-list.

Everything that shows user-written Markdown (pages, previews, reports) goes
through `render_markdown`; no script, event handler, style or `javascript:`
URL survives it.

Rendering is safe and bounded for any stored text, however it was written:

- Nothing raises. Text the Markdown library cannot render (say, lists nested
  250 deep exhaust Python's recursion limit) is shown as written, escaped, in
  plain paragraphs under `FALLBACK_NOTICE`.
- No text takes long. python-markdown finds where a link's `[text]` and
  `(destination)` close by scanning forward from each `[`, to the end of the
  paragraph when nothing closes it (upstream issue #798), so `[a](` typed 8,000
  times took half a minute. Here those scans are answered from one pass over
  the paragraph's brackets, with exactly the library's answers. The scans that
  pass cannot answer (a destination with a quote in it, which may be a title),
  and the HTML parser's search for the end of each `<tag`, spend a work budget;
  a text that uses it up is shown as written, like one that cannot be rendered.
  So is a paragraph longer than any text field holds: the library copies a
  paragraph once per link or emphasis in it.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import threading
import xml.etree.ElementTree as etree
from bisect import bisect_right
from functools import cache
from typing import Any

import markdown as markdown_lib
import nh3
from markdown import inlinepatterns, preprocessors
from markdown.extensions import Extension
from markdown.htmlparser import HTMLExtractor
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

FALLBACK_NOTICE = "Shown as plain text: this text is too complex to format."
# Characters the library may scan on its own per text before it is shown as written instead (about 0.2 s).
WORK_BUDGET = 2_000_000
# The longest paragraph formatted (a text field holds at most 32,767 characters, reqtrace.schemas.MAX_TEXT):
# the library copies a paragraph once per link or emphasis in it, which for a 180,000-character one takes seconds.
PARAGRAPH_LIMIT = 40_000
# Scans that start this close to the end of a paragraph are short anyway: left to the library.
SHORT_SCAN = 500

logger = logging.getLogger(__name__)


def render_markdown(text: str | None) -> str:
    """Sanitised HTML for a Markdown text (empty string for empty input); never raises, never takes long."""
    if not text:
        return ""
    rendered = unsanitised_html(text)
    return sanitise(rendered if rendered is not None else _as_plain_text(text))


def unsanitised_html(text: str) -> str | None:
    """python-markdown's HTML for `text` (page extensions, bounded work), or None when it cannot be formatted.

    Not safe to show: pass it through `sanitise` (or a stricter allow-list) first. For renderers of other
    forms of the same text (reqtrace.plaintext), so every form is formatted, and bounded, alike.
    """
    try:
        return _to_html(text, "page")
    except Exception as error:  # noqa: BLE001 — any failure of the library shows the text, never an error page
        logger.warning("Markdown text of %d characters shown as plain text: %s", len(text), type(error).__name__)
        return None


def formatting_problem(text: str | None) -> str | None:
    """Why `render_markdown` would show `text` as plain text rather than format it, or None: for validation."""
    if not text:
        return None
    try:
        _to_html(text, "page")
    except RecursionError:
        return "its lists or quotes nest too deeply to format (Markdown nests about 200 levels at most)"
    except _TooComplex as error:
        return f"it is too complex to format ({error})"
    except Exception:  # noqa: BLE001
        return "it cannot be formatted as Markdown"
    return None


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_summary(text: str | None, limit: int = 160) -> str:
    """The first words of a Markdown text as plain text, for lists and tooltips."""
    if not text:
        return ""
    try:
        # Tags stripped, the entities they leave decoded: a workbook cell shows "R&D", and a page escapes it anew.
        plain = html_lib.unescape(nh3.clean(_to_html(text, "summary"), tags=set()))
    except Exception:  # noqa: BLE001 — as render_markdown: the words as written
        plain = text
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


_EXTENSIONS = {"page": ["tables", "sane_lists"], "summary": []}
_converters = threading.local()  # a converter is not thread-safe; building one costs more than a short text


def _to_html(text: str, use: str) -> str:
    """Markdown's HTML, not yet sanitised, from this thread's converter for `use` (a key of _EXTENSIONS)."""
    converter = getattr(_converters, use, None)
    if converter is None:
        bounded = _BoundedWork()
        converter = markdown_lib.Markdown(extensions=[*_EXTENSIONS[use], bounded], output_format="html")
        setattr(_converters, use, converter)
    converter.reset()
    converter.reqtrace_budget.refill()
    try:
        return converter.convert(text)
    except BaseException:
        setattr(_converters, use, None)  # whatever state the failure left is not carried to the next text
        raise


def _as_plain_text(text: str) -> str:
    """The text as written: escaped, a paragraph per block of lines, under the notice."""
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            paragraphs[-1].append(html_lib.escape(line.strip()))
        elif paragraphs[-1]:
            paragraphs.append([])
    body = "\n".join(f"<p>{'<br>'.join(lines)}</p>" for lines in paragraphs if lines)
    return f"<p><em>{FALLBACK_NOTICE}</em></p>\n{body}"


class _TooComplex(Exception):
    """The text needs more work than `WORK_BUDGET` or `PARAGRAPH_LIMIT` allows."""


class _Budget:
    def __init__(self):
        self.left = WORK_BUDGET

    def refill(self) -> None:
        self.left = WORK_BUDGET

    def spend(self, characters: int) -> None:
        self.left -= characters
        if self.left < 0:
            raise _TooComplex("tags or link brackets that never close, thousands of them")


class _BoundedWork(Extension):
    """Swap python-markdown's link processors and raw-HTML preprocessor for bounded ones (same results)."""

    # python-markdown's own names and priorities for them (markdown.inlinepatterns.build_inlinepatterns).
    LINK_PATTERNS = {"reference": 170, "link": 160, "image_link": 150, "image_reference": 140,
                     "short_reference": 130, "short_image_ref": 125}

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:  # noqa: N802 — the library's name
        budget = md.reqtrace_budget = _Budget()  # type: ignore[attr-defined]  # refilled for each text
        for name, priority in self.LINK_PATTERNS.items():
            library = md.inlinePatterns[name] if name in md.inlinePatterns else None
            if isinstance(library, inlinepatterns.LinkInlineProcessor):
                md.inlinePatterns.register(_indexed(type(library))(library.pattern, md, budget), name, priority)
        if "html_block" in md.preprocessors:
            md.preprocessors.register(_BudgetedHtmlBlocks(md, budget), "html_block", 20)
        md.treeprocessors.register(_ParagraphLimit(md), "reqtrace_paragraph_limit", 25)  # before "inline" (20)


@cache
def _indexed(library: type) -> type:
    """The library's processor class with `_IndexedScans` mixed in."""
    return type(f"Indexed{library.__name__}", (_IndexedScans, library), {})


class _BracketIndex:
    """Where each `[` and `(` of one text closes, and where its quotes are, all counted from the end.

    Counting from the end keeps the index right for the rest of the paragraph after the library replaces a
    link before it with a placeholder (which holds no bracket or quote).
    """

    _SCANNED = re.compile(r"[\[\]()'\"]")

    def __init__(self, text: str):
        self.text = text
        size = len(text)
        self.closes: dict[int, int] = {}  # opener's distance from the end -> its closer's
        self.quotes: list[int] = []  # distances from the end, smallest first once reversed
        openers: dict[str, list[int]] = {"[": [], "(": []}
        for match in self._SCANNED.finditer(text):
            char, distance = match.group(), size - match.start()
            if char in openers:
                openers[char].append(distance)
            elif char in "])":
                waiting = openers["[" if char == "]" else "("]
                if waiting:
                    self.closes[waiting.pop()] = distance
            else:
                self.quotes.append(distance)
        self.quotes.reverse()

    def close_of(self, data: str, opener: int) -> int | None:
        """Index in `data` of what closes the bracket at `opener`, or None if nothing does."""
        distance = self.closes.get(len(data) - opener)
        return None if distance is None else len(data) - distance

    def quote_between(self, data: str, start: int, stop: int) -> bool:
        """Whether data[start:stop] holds a quote."""
        first = bisect_right(self.quotes, len(data) - stop)
        return first < len(self.quotes) and self.quotes[first] <= len(data) - start


class _IndexedScans:
    """Mixed into python-markdown's link processors: `getText` and `getLink` answer from a `_BracketIndex`.

    The library scans from the `[` (or the `(`) to its closer or, if none, to the end of the paragraph, once per
    `[`; a paragraph of 8,000 unclosed links cost 8,000 scans of the whole paragraph. The index answers each in
    constant time. What it cannot answer (a quote in the destination: the library's title handling) is left
    to the library and spends the budget.
    """

    def __init__(self, pattern: str, md: markdown_lib.Markdown, budget: _Budget):
        super().__init__(pattern, md)
        self.budget = budget
        self._index: _BracketIndex | None = None
        self._checked: tuple[str, int] | None = None  # (text, i): the index is right for text[i:]

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802 — the library's name
        if len(data) - index < SHORT_SCAN or data[index - 1:index] != "[":
            return super().getText(data, index)
        close = self._index_for(data, index - 1).close_of(data, index - 1)
        if close is None:
            return "", len(data), False  # the library returns the rest of the text too, which no caller reads
        return data[index:close], close + 1, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:  # noqa: N802
        if len(data) - index < SHORT_SCAN:
            return super().getLink(data, index)
        match = self.RE_LINK.match(data, pos=index)
        if match is None or match.group(1):  # no "(" here, or "(<destination> 'title')": quick for the library
            return super().getLink(data, index)
        start = match.end()
        found = self._index_for(data, index)
        close = found.close_of(data, index)
        if found.quote_between(data, start, len(data) if close is None else close):
            result = super().getLink(data, index)  # a title, perhaps: the library's own rules
            self.budget.spend(result[2] - index if result[3] and result[2] > index else len(data) - index)
            return result
        if close is None:  # the parentheses never balance: the library scans to the end and gives up
            return "", None, len(data), False
        return self.unescape(data[start:close]).strip(), None, close + 1, True

    def _index_for(self, data: str, start: int) -> _BracketIndex:
        """An index right for data[start:]: the last one if the text from `start` on is a tail of its text."""
        if self._checked is not None and self._checked[0] is data and start >= self._checked[1]:
            return self._index  # type: ignore[return-value]
        if self._index is None or not self._index.text.endswith(data[start:]):
            self._index = _BracketIndex(data)
            start = 0
        self._checked = (data, start)
        return self._index


class _ParagraphLimit(Treeprocessor):
    """Refuse (to the plain-text fallback) a paragraph longer than `PARAGRAPH_LIMIT` before its inline pass."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if max(len(element.text or ""), len(element.tail or "")) > PARAGRAPH_LIMIT:
                raise _TooComplex(f"a paragraph of more than {PARAGRAPH_LIMIT:,} characters")


class _BudgetedHtmlBlocks(preprocessors.HtmlBlockPreprocessor):
    """The library's raw-HTML pass, with each search for the end of a `<tag` spending the budget.

    The standard library's HTML parser looks for the end of a start tag from each `<` followed by a letter,
    across the rest of the text when nothing ends it: `<a ` typed 10,000 times took seconds.
    """

    def __init__(self, md: markdown_lib.Markdown, budget: _Budget):
        super().__init__(md)
        self.budget = budget

    def run(self, lines: list[str]) -> list[str]:
        parser = _BudgetedExtractor(self.md, budget=self.budget)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class _BudgetedExtractor(HTMLExtractor):
    def __init__(self, md: markdown_lib.Markdown, *args: Any, budget: _Budget, **kwargs: Any):
        self.budget = budget
        super().__init__(md, *args, **kwargs)

    def check_for_whole_start_tag(self, i: int) -> int:
        end = super().check_for_whole_start_tag(i)
        self.budget.spend((end if end > i else len(self.rawdata)) - i)
        return end
