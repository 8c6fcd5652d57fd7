"""Two people editing the same item: the second save is refused, both versions are shown, nothing is lost."""

from __future__ import annotations

from tests.web.support import Element, form_values, parse_html

SAVED_TITLE = "Territory accounts usable offline after a restart"
SECOND_TITLE = "All territory data on the device, no network needed"


def _open_both(auth):
    lead, owner = auth("lead"), auth("owner")
    lead_form, owner_form = lead.edit_form("REQ-47"), owner.edit_form("REQ-47")
    assert dict(lead_form)["version"] == dict(owner_form)["version"] == "1"
    return lead, owner, lead_form, owner_form


def _conflict_rows(page: Element) -> dict[str, tuple[str, str]]:
    table = page.one("section", cls="conflict").one("table")
    return {tr.find_all("td")[0].text: (tr.one("td", cls="yours").text, tr.one("td", cls="saved").text)
            for tr in table.one("tbody").find_all("tr")}


def test_the_second_save_is_refused_and_shows_both_versions(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302

    response = owner.save("REQ-47", {"title": SECOND_TITLE}, form=owner_form)
    assert response.status_code == 409
    page = parse_html(response.get_data(as_text=True))
    alert = page.one("p", cls="flash-error").text
    assert "REQ-47 was changed by someone else" in alert and "not saved" in alert, alert
    rows = _conflict_rows(page)
    assert rows["Title"] == (SECOND_TITLE, SAVED_TITLE)
    assert page.one("input", id="title").attrs["value"] == SECOND_TITLE  # the owner's text is kept in the form
    assert page.one("input", name="version").attrs["value"] == "2"  # ...now on top of the saved version

    item = lead.item("REQ-47")
    assert (item["title"], item["version"]) == (SAVED_TITLE, 2)  # the saved value is not overwritten

    again = owner.post("/p/crm/items/REQ-47/edit", form_values(page.one("form", cls="item-form")))
    assert again.status_code == 302
    item = lead.item("REQ-47")
    assert item["title"] == SECOND_TITLE and item["version"] > 2
    assert item["status"] == "draft"  # the owner changed an approved item


def test_the_conflict_table_lists_only_fields_that_differ(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302
    response = owner.save("REQ-47", {"title": SECOND_TITLE}, form=owner_form)
    assert response.status_code == 409
    rows = _conflict_rows(parse_html(response.get_data(as_text=True)))
    assert list(rows) == ["Title"], rows  # the owner did not touch (and cannot see) the owner field


def test_multi_line_text_sent_with_a_browsers_line_breaks_is_no_difference(auth):
    """A browser sends a textarea's lines joined by CRLF; the same text saved with LF must not be listed."""
    lead, owner, lead_form, _ = _open_both(auth)
    criteria = "Given a rep offline\nWhen they open an account\nThen they see its orders"
    assert lead.save("REQ-47", {"acceptance": criteria}, form=lead_form).status_code == 302
    fresh = owner.edit_form("REQ-47")
    assert lead.save("REQ-47", {"title": SAVED_TITLE}).status_code == 302
    response = owner.save("REQ-47", {"title": SECOND_TITLE, "acceptance": criteria.replace("\n", "\r\n")},
                          form=fresh)
    assert response.status_code == 409
    rows = _conflict_rows(parse_html(response.get_data(as_text=True)))
    assert list(rows) == ["Title"], rows


def test_a_field_only_the_other_person_changed_keeps_their_value_and_saving_again_keeps_both_changes(auth):
    """QA: tab A changed the title; tab B, opened before, changed only the statement: saving B again put the old
    title back. Now the form merges: their title, your statement; only a field you both changed is yours."""
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302
    response = owner.save("REQ-47", {"statement": "Reps see the whole account offline."}, form=owner_form)
    assert response.status_code == 409
    page = parse_html(response.get_data(as_text=True))
    rows = {tr.find_all("td")[0].text: tr.one("td", cls="by").text
            for tr in page.one("section", cls="conflict").one("tbody").find_all("tr")}
    assert rows == {"Title": "them: theirs is in the form", "Statement": "you: yours is in the form"}
    assert page.one("input", id="title").attrs["value"] == SAVED_TITLE
    assert page.one("textarea", id="statement").text == "Reps see the whole account offline."

    assert owner.post("/p/crm/items/REQ-47/edit", form_values(page.one("form", cls="item-form"))).status_code == 302
    item = lead.item("REQ-47")
    assert (item["title"], item["statement"]) == (SAVED_TITLE, "Reps see the whole account offline.")


def test_links_sent_in_another_order_are_no_change_of_yours(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"links": ["PRC-8", "PRC-9"]}, form=lead_form).status_code == 302
    fresh = owner.edit_form("REQ-47")  # opened on PRC-8, PRC-9
    assert lead.save("REQ-47", {"title": SAVED_TITLE}).status_code == 302
    response = owner.save("REQ-47", {"links": ["PRC-9", "PRC-8"], "statement": "Reps see it all offline."},
                          form=fresh)
    assert response.status_code == 409
    page = parse_html(response.get_data(as_text=True))
    rows = {tr.find_all("td")[0].text: tr.one("td", cls="by").text
            for tr in page.one("section", cls="conflict").one("tbody").find_all("tr")}
    assert rows == {"Title": "them: theirs is in the form", "Statement": "you: yours is in the form"}


def test_a_field_both_changed_keeps_yours_marked_for_you_to_decide(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302
    page = parse_html(owner.save("REQ-47", {"title": SECOND_TITLE}, form=owner_form).get_data(as_text=True))
    (row,) = page.one("section", cls="conflict").one("tbody").find_all("tr")
    assert row.one("td", cls="by").text.startswith("both")
    assert page.one("input", id="title").attrs["value"] == SECOND_TITLE


def test_a_conflict_on_links_shows_both_link_sets(auth):
    """A save that only relinks is a change too: a stale form must not silently undo it."""
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"links": ["PRC-8", "PRC-9"]}, form=lead_form).status_code == 302
    response = owner.save("REQ-47", {"links": ["PRC-10"]}, form=owner_form)
    assert response.status_code == 409
    rows = _conflict_rows(parse_html(response.get_data(as_text=True)))
    yours, saved = next(value for label, value in rows.items() if label.startswith("Processes"))
    assert (yours, saved) == ("PRC-10", "PRC-8, PRC-9")
    assert [link["id"] for link in lead.json("/p/crm/items/REQ-47.json")["up"]] == ["PRC-8", "PRC-9"]


def test_the_same_person_saving_a_stale_tab_is_refused_too(auth):
    lead = auth("lead")
    stale = lead.edit_form("REQ-1")
    assert lead.save("REQ-1", {"statement": "First tab"}).status_code == 302
    response = lead.save("REQ-1", {"statement": "Second tab"}, form=stale)
    assert response.status_code == 409
    assert lead.item("REQ-1")["statement"] == "First tab"


def test_a_refused_save_keeps_every_field_the_user_typed(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302
    typed = {"title": SECOND_TITLE, "statement": "Typed statement", "acceptance": "- typed criterion",
             "weight": "7", "tags": "offline, typed"}
    response = owner.save("REQ-47", typed, form=owner_form)
    assert response.status_code == 409
    values = dict(form_values(parse_html(response.get_data(as_text=True)).one("form", cls="item-form")))
    assert {name: values[name] for name in typed} == typed
    assert lead.item("REQ-47")["statement"] != "Typed statement"


# --- a status moved while the form was open --------------------------------------------------

def _retired_meanwhile(auth, changes: dict):
    lead, owner = auth("lead"), auth("owner")
    owner_form = owner.edit_form("REQ-47")
    assert lead.post("/p/crm/items/REQ-47/status", {"status": "retired", "version": 1}).status_code == 302
    response = owner.save("REQ-47", changes, form=owner_form)
    assert response.status_code == 409
    return lead, parse_html(response.get_data(as_text=True))


def test_a_conflict_says_the_item_was_retired_meanwhile(auth):
    lead, page = _retired_meanwhile(auth, {"title": SECOND_TITLE})
    notice = page.one("section", cls="conflict").one("p", cls="status-changed").text
    assert notice == "Since you opened the form, lead retired REQ-47: REQ-47 is now retired, not approved."
    rows = _conflict_rows(page)
    assert rows["Status"] == ("approved", "retired") and rows["Title"][0] == SECOND_TITLE
    assert lead.item("REQ-47")["title"] != SECOND_TITLE


def test_a_conflict_where_only_the_status_changed_still_shows_a_row(auth):
    _lead, page = _retired_meanwhile(auth, {})
    assert _conflict_rows(page) == {"Status": ("approved", "retired")}
    assert "lead retired REQ-47" in page.one("p", cls="status-changed").text


def test_a_conflict_without_a_status_move_has_no_status_notice(auth):
    lead, owner, lead_form, owner_form = _open_both(auth)
    assert lead.save("REQ-47", {"title": SAVED_TITLE}, form=lead_form).status_code == 302
    page = parse_html(owner.save("REQ-47", {"title": SECOND_TITLE}, form=owner_form).get_data(as_text=True))
    assert page.find("p", cls="status-changed") is None and "Status" not in _conflict_rows(page)


def test_approving_an_item_that_changed_meanwhile_says_to_look_again(auth):
    lead, owner = auth("lead"), auth("owner")
    assert lead.item("REQ-47")["version"] == 1  # the lead has the page open at version 1
    assert owner.save("REQ-47", {"title": SECOND_TITLE}).status_code == 302  # back to draft, a newer version
    now = lead.item("REQ-47")
    response = lead.post("/p/crm/items/REQ-47/status", {"status": "approved", "version": 1})
    assert response.status_code == 409
    text = parse_html(response.get_data(as_text=True)).one("main").text
    assert (f"REQ-47 changed since you opened it (now version {now['version']}, status draft): look at it again "
            "and then approve.") in text
    assert "compare both versions" not in text and "not saved" not in text
    assert lead.item("REQ-47")["status"] == "draft"


def test_a_conflict_says_so_when_a_workbook_import_retired_the_item_meanwhile(auth, db, tmp_path):
    import openpyxl

    from reqtrace.formats.requirements_import import ImportOptions, import_requirements

    owner = auth("owner")
    owner_form = owner.edit_form("REQ-47")
    statement = owner.item("REQ-47")["statement"]
    workbook = openpyxl.Workbook()
    workbook.active.append(["ID", "Requirement", "Status"])
    workbook.active.append(["REQ-47", statement, "retired"])
    workbook.save(tmp_path / "retire.xlsx")
    session = db()
    summary = import_requirements(session, "crm", tmp_path / "retire.xlsx", actor="lead",
                                  options=ImportOptions(role="admin"))
    assert summary["applied"] and summary["changed"] == 1, summary
    session.commit()

    response = owner.save("REQ-47", {"title": SECOND_TITLE}, form=owner_form)
    assert response.status_code == 409
    page = parse_html(response.get_data(as_text=True))
    notice = page.one("p", cls="status-changed").text
    assert "Since you opened the form, lead" in notice and "REQ-47 is now retired, not approved." in notice
    assert _conflict_rows(page)["Status"] == ("approved", "retired")
