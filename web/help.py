"""The product's own documentation, rendered from docs/ so the page and the repository never disagree."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort
from markupsafe import Markup

from reqtrace.richtext import render_markdown
from web.pages import page

blueprint = Blueprint("help", __name__)
DOCS = Path(__file__).resolve().parents[1] / "docs"
TOPICS = {"scoring": "scoring.md", "workbooks": "workbooks.md", "cli": "cli.md"}


@page(blueprint, "/help/<topic>", "help.html")
def show(topic: str):
    """A documentation page: the scoring model, the workbooks, the command line."""
    if topic not in TOPICS:
        abort(404, description=f"no help page {topic!r}; there are: {', '.join(TOPICS)}")
    path = DOCS / TOPICS[topic]
    if not path.is_file():
        abort(404, description=f"{path} is not installed with this copy of reqtrace")
    text = path.read_text(encoding="utf-8")
    return {"topic": topic, "markdown": text, "html": Markup(render_markdown(text))}
