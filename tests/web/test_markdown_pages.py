"""An item page shows whatever Markdown was saved, quickly and never as a 500; so does the live preview."""

from __future__ import annotations

from reqtrace.richtext import FALLBACK_NOTICE

from tests.web.support import Visitor

# 250 list levels in 32,514 characters: a text the form accepts, and past the Markdown library's recursion limit.
NESTED = "\n".join("\t" * depth + f"- {depth}" for depth in range(250))
# 32,000 characters of links that never close: 28 s per page view before.
UNCLOSED = "[a](" * 8_000


def test_an_item_whose_text_nests_too_deep_to_format_shows_it_as_written(auth, db):
    """The form refuses such a text now (tests/web/test_forms.py); stored before, or imported, it still shows."""
    from sqlalchemy import update

    from reqtrace.model import Requirement

    session = db()
    session.exec(update(Requirement).where(Requirement.hid == "REQ-47").values(statement=NESTED))
    session.commit()
    owner: Visitor = auth("owner")
    page = owner.get("/p/crm/items/REQ-47")
    assert page.status_code == 200
    assert FALLBACK_NOTICE in page.text and "- 0<br>- 1<br>- 2<br>" in page.text and "- 249" in page.text
    data = owner.json("/p/crm/items/REQ-47.json")
    assert data["item"]["statement"] == NESTED and FALLBACK_NOTICE in data["rendered"]["statement"]
    preview = owner.post("/preview", {"text": NESTED})
    assert preview.status_code == 200 and FALLBACK_NOTICE in preview.get_json()["html"]


def test_an_item_with_thousands_of_unclosed_links_opens_in_moments(auth):
    owner: Visitor = auth("owner")
    assert owner.save("REQ-47", {"statement": "Offline **first**. " + UNCLOSED}).status_code == 302
    page = owner.get("/p/crm/items/REQ-47")  # each render took about 28 s before (tests/unit/test_richtext.py)
    json_twin = owner.get("/p/crm/items/REQ-47.json")
    preview = owner.post("/preview", {"text": UNCLOSED})
    assert page.status_code == json_twin.status_code == preview.status_code == 200
    assert "Offline <strong>first</strong>." in page.text and page.text.count("[a](") == 8_000
    assert FALLBACK_NOTICE not in page.text  # still formatted as Markdown, exactly as typed
