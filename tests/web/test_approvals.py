"""The approval queue: the CRM lead sees everything proposed for approval, parents first, and approves a
selection in one go — all of it, or none when any item changed since the page was loaded.

The sample's chain is all approved; each test has the lead reopen part of the owner's field-sales chain
(STR-4 -> ROL-6 -> PRC-8 -> REQ-47, REQ-48) and the owner propose it again, PRC-8 excepted (left a draft).
"""

from __future__ import annotations

import pytest

from tests.web.support import Visitor, form_values, parse_html

PROPOSED = ["STR-4", "ROL-6", "REQ-47", "REQ-48"]


def _move(visitor: Visitor, hid: str, status: str) -> None:
    response = visitor.post(f"/p/crm/items/{hid}/status", {"status": status, "version": visitor.item(hid)["version"]})
    assert response.status_code == 302, (hid, status, response.status_code)


@pytest.fixture
def lead(auth) -> Visitor:
    """The lead, with STR-4, ROL-6, REQ-47 and REQ-48 proposed by the owner and PRC-8 a draft."""
    lead, owner = auth("lead"), auth("owner")
    for hid in [*PROPOSED, "PRC-8"]:
        _move(lead, hid, "draft")
    for hid in PROPOSED:
        _move(owner, hid, "proposed")
    return lead


def _listed(data: dict) -> dict[str, list[str]]:
    return {entry["level"]: [item["id"] for item in entry["items"]] for entry in data["levels"]}


def _ticked(visitor: Visitor, *hids: str, url: str = "/p/crm/approvals") -> list[tuple[str, str]]:
    """The queue's form as a browser sends it with these items ticked."""
    form = visitor.page(url).one("form", cls="approval-queue")
    return form_values(form) + [("item", hid) for hid in hids]


def _flashes(page) -> list[str]:
    return [element.text for element in page.find_all("p", cls="flash")]


def _statuses(visitor: Visitor, *hids: str) -> dict[str, str]:
    return {hid: visitor.item(hid)["status"] for hid in hids}


def test_the_queue_lists_only_what_awaits_approval_parents_first(lead):
    data = lead.json("/p/crm/approvals.json")
    assert _listed(data) == {"strategy": ["STR-4"], "role": ["ROL-6"], "process": [],
                             "requirement": ["REQ-47", "REQ-48"]}
    assert data["total"] == 4
    items = {item["id"]: item for entry in data["levels"] for item in entry["items"]}
    assert (items["REQ-47"]["owner"], items["REQ-47"]["submitted_by"]) == ("owner", "owner")
    assert items["REQ-47"]["version"] == lead.item("REQ-47")["version"]
    assert items["REQ-47"]["warnings"] == ["PRC-8, above REQ-47, is not approved yet: a baseline leaves out what is "
                                           "not approved, so REQ-47 would arrive there without it."]
    assert items["ROL-6"]["warnings"][0].endswith("STR-4 is in this queue too.")

    page = lead.page("/p/crm/approvals")
    rows = page.find_all("tr", cls=None)
    assert [row.attrs["data-item"] for row in rows if "data-item" in row.attrs] == PROPOSED  # the twin's order
    row = next(row for row in rows if row.attrs.get("data-item") == "REQ-47")
    assert "by owner" in row.text and "PRC-8, above REQ-47, is not approved yet" in row.text
    assert [box.attrs["value"] for box in page.find_all("input", name="item")] == PROPOSED
    assert page.find("button", type="submit", cls="primary").text == "Approve selected"

    only = lead.json("/p/crm/approvals.json?level=requirements")
    assert _listed(only) == {"requirement": ["REQ-47", "REQ-48"]}
    assert lead.get("/p/crm/approvals?level=banana").status_code == 404


def test_the_lead_approves_the_ticked_items_at_once_each_as_if_approved_alone(lead):
    response = lead.post("/p/crm/approvals", _ticked(lead, "REQ-47", "STR-4", "ROL-6"))
    assert response.status_code == 302
    flashes = _flashes(lead.page(response.headers["Location"]))
    assert "Approved STR-4, ROL-6, REQ-47." in flashes
    # ROL-6 came with STR-4, so no warning for it; REQ-47's process is still a draft.
    assert [text for text in flashes if "is not approved yet" in text] == [
        "PRC-8, above REQ-47, is not approved yet: a baseline leaves out what is not approved, so REQ-47 would "
        "arrive there without it."]
    assert _statuses(lead, *PROPOSED) == {"STR-4": "approved", "ROL-6": "approved", "REQ-47": "approved",
                                          "REQ-48": "proposed"}
    assert _listed(lead.json("/p/crm/approvals.json"))["requirement"] == ["REQ-48"]
    # One audit event per item, the same as the item page's Approve button writes.
    for hid in ("STR-4", "ROL-6", "REQ-47"):
        moves = [event for event in lead.json(f"/p/crm/items/{hid}/history.json")["events"]
                 if event["action"] == "status"]
        assert [(event["actor"], [c["after"] for c in event["changes"] if c["field"] == "status"]) for event in
                moves[-1:]] == [("lead", ["approved"])]
        assert len([event for event in moves if {"field": "status", "before": "proposed", "after": "approved"}
                    in event["changes"]]) == 1


def test_one_item_changed_since_the_page_was_loaded_approves_none_and_says_which_and_why(lead, auth):
    owner = auth("owner")
    form = _ticked(lead, *PROPOSED)  # the lead ticks all four...
    before = {hid: lead.item(hid)["version"] for hid in PROPOSED}
    assert owner.save("REQ-47", {"title": "Territory accounts usable offline, all of them"}).status_code == 302
    _move(owner, "REQ-48", "draft")  # ...while the owner edits one and withdraws another
    response = lead.post("/p/crm/approvals", form)
    assert response.status_code == 409
    assert _statuses(lead, *PROPOSED) == {"STR-4": "proposed", "ROL-6": "proposed", "REQ-47": "proposed",
                                          "REQ-48": "draft"}
    page = parse_html(response.get_data(as_text=True))
    alert = page.one("div", cls="flash-error")
    assert alert.text.startswith("Nothing was approved")
    assert [item.text for item in alert.find_all("li")] == [
        f"REQ-47 changed since the page was loaded (version {before['REQ-47']} then, {before['REQ-47'] + 1} now, "
        "proposed): owner changed REQ-47",
        f"REQ-48 changed since the page was loaded (version {before['REQ-48']} then, {before['REQ-48'] + 1} now, "
        "draft): owner withdrew REQ-48"]
    # The queue again as it is now: the rest of the selection kept, the changed item to look at before ticking.
    ticked = [box.attrs["value"] for box in page.find_all("input", name="item") if "checked" in box.attrs]
    assert ticked == ["STR-4", "ROL-6"]
    assert "refused" in page.one("tr", **{"data-item": "REQ-47"}).attrs["class"]
    assert page.find("tr", **{"data-item": "REQ-48"}) is None  # withdrawn: no longer awaiting approval

    # Sent again as it stands, the kept selection goes through.
    again = lead.post("/p/crm/approvals", form_values(page.one("form", cls="approval-queue")))
    assert again.status_code == 302
    assert _statuses(lead, "STR-4", "ROL-6", "REQ-47") == {"STR-4": "approved", "ROL-6": "approved",
                                                           "REQ-47": "proposed"}


def test_approving_without_the_csrf_token_is_refused_and_approves_nothing(lead):
    form = [(name, value) for name, value in _ticked(lead, "STR-4", "ROL-6") if name != "csrf_token"]
    response = lead.post("/p/crm/approvals", form, csrf=False)
    assert response.status_code == 400
    assert _statuses(lead, "STR-4", "ROL-6") == {"STR-4": "proposed", "ROL-6": "proposed"}


@pytest.mark.parametrize("username", ["owner", "procurement"])
def test_only_the_crm_lead_approves_others_read_the_queue(lead, auth, username):
    form = [(name, value) for name, value in _ticked(lead, "STR-4") if name != "csrf_token"]
    other = auth(username)  # sends its own token with the form
    response = other.post("/p/crm/approvals", form)
    assert response.status_code == 403
    assert "may not approve items" in response.get_data(as_text=True)
    assert _statuses(lead, "STR-4") == {"STR-4": "proposed"}
    page = other.page("/p/crm/approvals")
    assert [row.attrs["data-item"] for row in page.find_all("tr") if "data-item" in row.attrs] == PROPOSED
    assert page.find_all("input", name="item") == [] and page.find("button", cls="primary") is None
    assert other.json("/p/crm/approvals.json")["may_approve"] is False
    # Only the lead has the queue among the project's sections; everyone sees on the overview what awaits.
    assert not [a for a in page.one("nav", cls="tabs").find_all("a") if a.text == "Approvals"]
    assert "4 items awaiting approval , by the CRM lead." in other.page("/p/crm").one("p", cls="awaiting").text
    assert [a for a in lead.page("/p/crm").one("nav", cls="tabs").find_all("a") if a.text == "Approvals"]


def test_nothing_ticked_approves_nothing_and_says_so(lead):
    response = lead.post("/p/crm/approvals", _ticked(lead))
    assert response.status_code == 302
    assert "Nothing was approved: select the items to approve." in _flashes(lead.page(response.headers["Location"]))
    assert _statuses(lead, *PROPOSED)["STR-4"] == "proposed"


def test_an_empty_queue_says_nothing_awaits(reader):
    page = reader("lead").page("/p/crm/approvals")
    assert page.one("p", cls="ok").text == "Nothing awaits approval."
    assert page.find("form", cls="approval-queue") is None


def test_a_large_selection_is_named_in_short(auth, project_of):
    """Twenty-two requirements approved at once: the message names twenty and counts the rest."""
    from reqtrace.services.items import get_item, set_status

    db, project = project_of()
    hids = [f"REQ-{n}" for n in range(47, 69)]
    for hid in hids:
        item = get_item(db, project, "requirement", hid)
        for status in ("draft", "proposed"):
            set_status(session=db, project=project, kind="requirement", item=item, status=status, actor="owner")
    db.commit()
    lead = auth("lead")
    response = lead.post("/p/crm/approvals", _ticked(lead, *hids))
    assert response.status_code == 302
    assert f"Approved {', '.join(hids[:20])} and 2 more." in _flashes(lead.page(response.headers["Location"]))
    assert set(_statuses(lead, *hids).values()) == {"approved"}


def test_the_level_filter_stays_chosen_and_survives_approving(lead):
    url = "/p/crm/approvals?level=requirements"
    page = lead.page(url)
    assert page.one("option", selected="").attrs["value"] == "requirements"
    response = lead.post(page.one("form", cls="approval-queue").attrs["action"], _ticked(lead, "REQ-47", url=url))
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert _statuses(lead, "REQ-47") == {"REQ-47": "approved"}
    assert lead.page("/p/crm/approvals?level=processes").one("p", cls="ok").text == \
        "Nothing awaits approval at this level."


def test_an_approval_posted_with_an_unknown_level_approves_nothing(lead):
    response = lead.post("/p/crm/approvals?level=banana", _ticked(lead, "REQ-47"))
    assert response.status_code == 404
    assert _statuses(lead, "REQ-47") == {"REQ-47": "proposed"}


def test_a_refusal_of_thousands_of_items_names_twenty_and_counts_the_rest(lead):
    unknown = [f"REQ-{9000 + n}" for n in range(300)]
    pairs = _ticked(lead, *unknown) + [(f"version:{hid}", "1") for hid in unknown]
    response = lead.post("/p/crm/approvals", pairs)
    assert response.status_code == 409
    refusals = parse_html(response.get_data(as_text=True)).one("ul", cls="refusals").find_all("li")
    assert len(refusals) == 21 and refusals[-1].text == "and 280 more"
    assert "REQ-9000 is not an item of project crm" in refusals[0].text
