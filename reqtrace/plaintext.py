"""Markdown as plain text that reads well where nothing is formatted: a cell of a vendor's Excel workbook.

The text is formatted by the same python-markdown set-up as web pages (reqtrace.richtext: the same reading
of the syntax, the same bounds on work) and sanitised by the same allow-list, images added; the element tree
of that HTML is then written out as text:

- emphasis and other inline markup: the words alone;
- a link: "text (url)"; a bare address (autolink) once; a relative one (within the app) its text alone;
  an image: "alt text (url)";
- a heading: its text, as a paragraph of its own;
- a list: "• item" or "1. item" lines (numbered from the list's start), nested lists and further
  paragraphs of an item indented under its text;
- a table: one line per row, cells separated by " | ", no separator line;
- a block quote: each line starts with "> ", as in a plain-text e-mail;
- a code block: as written; inline code: its text;
- a line break inside a paragraph is a space, as on the page (authors wrap long lines); a hard line break
  (two spaces at the end of the line) stays a line break;
- blocks are separated by a blank line; entities are decoded; no HTML tag survives (the content of
  script and style elements is dropped with them).

A text python-markdown cannot format is given as written, like on web pages but without the notice.

Why the HTML and not python-markdown's own element tree: that tree still holds placeholders for raw HTML
and entities, filled in only when it is serialised; read back from the sanitised HTML, the same tree has
them filled in, and whatever the allow-list removes from pages is gone from this text too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

from reqtrace.richtext import ALLOWED_ATTRIBUTES, ALLOWED_SCHEMES, ALLOWED_TAGS, unsanitised_html

BULLET = "• "
QUOTE = "> "
RULE = "———"

# Images are left out of web pages, but their description is part of what the author wrote.
_TAGS = ALLOWED_TAGS | {"img"}
_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "img": {"src", "alt"}}
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table", "hr"}
_VOID = {"br", "hr", "img"}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # what HTML collapses; a no-break space (&nbsp;) stays


def markdown_to_plain_text(text: str | None) -> str:
    """`text` (Markdown) as plain text, with no white space at either end; never raises."""
    if not text:
        return ""
    html = unsanitised_html(text)
    if html is None:
        return _as_written(text)
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES, link_rel=None,
                      strip_comments=True)
    builder = _TreeBuilder()
    builder.feed(clean)
    builder.close()
    try:
        lines = _blocks(builder.root.children, gap=True)
    except RecursionError:  # nesting python-markdown managed but this walk cannot: the words as written
        return _as_written(text)
    return "\n".join(line.rstrip() for line in lines).strip()


@dataclass
class _Element:
    tag: str
    attributes: dict[str, str]
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """The element tree of sanitised HTML (well formed: nh3 writes every end tag), entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Element("", {})
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def _blocks(nodes: list[_Element | str], *, gap: bool) -> list[str]:
    """The lines of a run of blocks; loose inline content between them is a paragraph. `gap`: a blank line
    between blocks (not inside a list item, where the indentation already sets them apart)."""
    blocks: list[list[str]] = []
    inline: list[_Element | str] = []
    for node in [*nodes, None]:
        if node is None or (isinstance(node, _Element) and node.tag in _BLOCKS):
            if inline:
                blocks.append(_inline_lines(inline))
                inline = []
            if node is not None:
                blocks.append(_block(node))
        else:
            inline.append(node)
    lines: list[str] = []
    for block in filter(None, blocks):
        if lines and gap:
            lines.append("")
        lines += block
    return lines


def _block(element: _Element) -> list[str]:
    if element.tag in ("ul", "ol"):
        return _list(element)
    if element.tag == "blockquote":
        return [(QUOTE + line).rstrip() for line in _blocks(element.children, gap=True)]
    if element.tag == "pre":
        code = _text(element).strip("\n")
        return code.split("\n") if code.strip() else []
    if element.tag == "table":
        return _table(element)
    if element.tag == "hr":
        return [RULE]
    return _inline_lines(element.children)  # a paragraph or a heading


def _list(element: _Element) -> list[str]:
    ordered = element.tag == "ol"
    number = _start(element)
    lines: list[str] = []
    for item in element.children:
        if isinstance(item, str) and not item.strip():
            continue
        if not isinstance(item, _Element) or item.tag != "li":
            lines += _blocks([item], gap=False)  # not produced by Markdown; kept, unmarked
            continue
        marker = f"{number}. " if ordered else BULLET
        body = _blocks(item.children, gap=False) or [""]
        lines.append(marker + body[0])
        lines += [" " * len(marker) + line if line else "" for line in body[1:]]
        number += 1
    return lines


def _start(element: _Element) -> int:
    try:
        return int(element.attributes.get("start") or 1)
    except ValueError:
        return 1


def _table(element: _Element) -> list[str]:
    lines = []
    for row in _descendants(element, "tr"):
        cells = [" ".join(_inline_lines(cell.children)) for cell in row.children
                 if isinstance(cell, _Element) and cell.tag in ("th", "td")]
        lines.append(" | ".join(cells))
    return lines


def _descendants(element: _Element, tag: str):
    for child in element.children:
        if isinstance(child, _Element):
            if child.tag == tag:
                yield child
            else:
                yield from _descendants(child, tag)


def _inline_lines(nodes: list[_Element | str]) -> list[str]:
    """Inline content as lines: white space collapsed as a browser does, a line per hard line break."""
    text = _joined(_inline(node) for node in nodes)
    lines = [line.strip(" ") for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _inline(node: _Element | str) -> str:
    if isinstance(node, str):
        return _HTML_SPACE.sub(" ", node)
    if node.tag == "br":
        return "\n"
    if node.tag == "img":
        return _labelled(node.attributes.get("alt", ""), node.attributes.get("src", ""))
    if node.tag == "a":
        return _labelled(_joined(_inline(child) for child in node.children), node.attributes.get("href", ""))
    if node.tag == "code":
        return _text(node).replace("\n", " ")  # as written: its spaces may matter (a command, a format)
    if node.tag in _BLOCKS:  # a block where only inline content is expected (raw HTML in a table cell)
        return " ".join(_block(node))
    return _joined(_inline(child) for child in node.children)


def _joined(parts) -> str:
    """Inline pieces run together with one space where two meet ("a " + " b"), as a browser shows them."""
    pieces: list[str] = []
    for part in parts:
        if pieces and pieces[-1].endswith((" ", "\n")) and part.startswith(" "):
            part = part.lstrip(" ")
        if part:
            pieces.append(part)
    return "".join(pieces)


def _labelled(text: str, url: str) -> str:
    """A link's text with its address after it, once: "text (url)"; a bare address is not repeated."""
    text, url = text.strip(), url.strip()
    # An address within the app or the page ("/p/crm/items/REQ-2", "#scope") leads nowhere outside it.
    if not url or text in (url, url.removeprefix("mailto:")) or (url.startswith(("/", "#", "?", "./", "../")) and text):
        return text
    return f"{text} ({url})" if text else url


def _text(element: _Element) -> str:
    """Every character of the element's text, as written (for code)."""
    return "".join(child if isinstance(child, str) else _text(child) for child in element.children)


def _as_written(text: str) -> str:
    return text.replace("\r\n", "\n").strip()
