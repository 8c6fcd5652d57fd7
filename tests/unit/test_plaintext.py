"""Markdown as plain text, as a vendor reads it in an Excel cell: each construct, written out in full."""

from __future__ import annotations

import pytest

from bench.markdown_bench import HOSTILE
from reqtrace.plaintext import markdown_to_plain_text as plain


def test_emphasis_markers_are_dropped_and_the_words_kept():
    assert plain("Reps **must** work *offline*, __always__ and _quickly_; ***both***.") == \
        "Reps must work offline, always and quickly; both."


def test_a_link_shows_its_text_then_its_address():
    assert plain('See [the price list](https://example.com/prices "Prices") and [ref][p].\n\n'
                 "[p]: https://example.com/ref") == \
        "See the price list (https://example.com/prices) and ref (https://example.com/ref)."


def test_a_bare_address_is_written_once():
    assert plain("Mail <sales@example.com> or open <https://example.com/portal>.") == \
        "Mail sales@example.com or open https://example.com/portal."


def test_a_link_that_pages_would_not_follow_keeps_only_its_text():
    assert plain("[Click](javascript:alert(1)) here") == "Click here"


def test_a_link_within_the_app_keeps_only_its_text_a_vendor_could_not_follow_it():
    assert plain("As [REQ-2](/p/crm/items/REQ-2) and [the scope](#scope) say; see [site](www.example.com).") == \
        "As REQ-2 and the scope say; see site (www.example.com)."


def test_an_image_shows_its_description_and_address():
    assert plain("The mock-up: ![order screen](https://example.com/order.png)") == \
        "The mock-up: order screen (https://example.com/order.png)"


def test_lists_are_bullets_or_numbers_with_nested_lists_indented():
    text = ("- Accounts\n"
            "    - contacts with *roles*\n"
            "        1. primary\n"
            "        2. others\n"
            "    - open quotes\n"
            "- Orders\n\n"
            "3. third\n"
            "4. fourth\n")
    assert plain(text) == ("• Accounts\n"
                           "  • contacts with roles\n"
                           "    1. primary\n"
                           "    2. others\n"
                           "  • open quotes\n"
                           "• Orders\n"
                           "\n"
                           "3. third\n"
                           "4. fourth")


def test_a_list_item_of_several_paragraphs_keeps_them_under_its_marker():
    assert plain("1. Sync the territory.\n\n    Then go offline.\n\n2. Reopen the app.") == \
        "1. Sync the territory.\n   Then go offline.\n2. Reopen the app."


def test_headings_are_their_text_on_their_own_line():
    assert plain("# Offline work\nReps visit plants.\n\n## Sync\n\nWhen back online.") == \
        "Offline work\n\nReps visit plants.\n\nSync\n\nWhen back online."


def test_paragraphs_flow_as_on_the_page_and_hard_breaks_stay():
    text = "A statement wrapped\nat eighty columns.\n\nLine one  \nline two  \nline three"
    assert plain(text) == "A statement wrapped at eighty columns.\n\nLine one\nline two\nline three"


def test_code_is_kept_as_written():
    text = "Run `export  --all` then:\n\n    curl -s https://x/api?a=1&b=<2>\n      | jq '.items[]'\n"
    assert plain(text) == "Run export  --all then:\n\ncurl -s https://x/api?a=1&b=<2>\n  | jq '.items[]'"


def test_a_table_is_a_line_per_row_with_cells_between_bars():
    text = ("| Field | Required | Note |\n"
            "|:------|:--------:|------|\n"
            "| VAT number | **yes** | checked |\n"
            "| Website | no | |\n")
    assert plain(text) == "Field | Required | Note\nVAT number | yes | checked\nWebsite | no |"


def test_a_block_quote_is_marked_as_in_a_plain_text_mail():
    assert plain("As the sales lead said:\n\n> Reps must *never*\n> lose a visit.\n>\n> Not one.") == \
        "As the sales lead said:\n\n> Reps must never lose a visit.\n>\n> Not one."


def test_a_rule_is_a_line_of_its_own():
    assert plain("Before\n\n---\n\nAfter") == "Before\n\n———\n\nAfter"


def test_entities_and_escapes_are_decoded():
    assert plain(r"Tom &amp; Jerry &copy; 2026 &lt;b&gt; \*not emphasis\* a < b, 5 &gt; 3, A&nbsp;B") == \
        "Tom & Jerry © 2026 <b> *not emphasis* a < b, 5 > 3, A\u00a0B"


def test_raw_html_is_stripped_to_its_words_and_scripts_dropped():
    text = ('Pick <span style="color:red">one</span> <b>option</b>.<script>alert("x")</script>\n\n'
            "<div onclick=\"steal()\">\nA block of <i>HTML</i>\n</div>\n\n<!-- internal: ask legal -->\n"
            "<style>p {}</style>")
    result = plain(text)
    assert result == "Pick one option.\n\nA block of HTML"
    assert "<" not in result and "alert" not in result and "legal" not in result


def test_text_that_looks_like_a_formula_is_kept_as_text():
    """The workbook writer keeps it a string; the renderer must not drop or alter the sign."""
    assert plain('=HYPERLINK("http://x","y")') == '=HYPERLINK("http://x","y")'


def test_empty_text_and_text_without_markdown():
    assert plain(None) == plain("") == plain("  \n ") == ""
    assert plain("Plain words, nothing else.") == "Plain words, nothing else."


@pytest.mark.parametrize("name", ["lists nested 250 deep", "unclosed links", "unclosed tags"])
def test_text_too_complex_to_format_is_given_as_written(name):
    assert plain(HOSTILE[name]) == HOSTILE[name].strip()
