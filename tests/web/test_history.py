"""An item's history: who changed what and when, field by field, with its link events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.web.support import Element

NEW_TITLE = "Territory accounts usable offline after a restart"


def _entries(page) -> list[Element]:
    return [li for li in page.one("ol", cls="history").children if isinstance(li, Element)]


def test_history_shows_who_when_and_each_field_before_and_after(auth):
    lead = auth("lead")
    old = lead.item("REQ-47")
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    response = lead.save("REQ-47", {"title": NEW_TITLE, "weight": "4", "links": ["PRC-9"]})
    assert response.status_code == 302

    events = lead.json("/p/crm/items/REQ-47/history.json")["events"]
    assert events[0]["action"] == "create" and events[0]["actor"] == "sample"
    update = next(event for event in events if event["action"] == "update")
    assert update["actor"] == "lead" and update["actor_name"] == "Morgan Reyes (CRM lead)"
    assert datetime.fromisoformat(update["at"]).replace(tzinfo=timezone.utc) >= started
    changes = {change["field"]: (change["before"], change["after"]) for change in update["changes"]}
    assert changes == {"title": (old["title"], NEW_TITLE), "weight": (None, 4.0)}

    # Loading the catalogue recorded the item's links in its create event; a form records each link.
    assert events[0]["changes"] and {"field": "processes", "before": None, "after": "PRC-8"} in events[0]["changes"]
    links = [(event["actor"], event["action"], event["entity_id"]) for event in events
             if event["entity_type"] == "link"]
    assert links == [("lead", "link", "PRC-9->REQ-47"), ("lead", "unlink", "PRC-8->REQ-47")]

    page = lead.page("/p/crm/items/REQ-47/history")
    entries = _entries(page)
    assert len(entries) == len(events)
    newest_update = next(li for li in entries if "changed it" in li.text)
    assert "Morgan Reyes (CRM lead)" in newest_update.one("strong").text
    assert newest_update.one("time").text.endswith("UTC")
    rows = {tr.find_all("td")[0].text: (tr.one("td", cls="before").text, tr.one("td", cls="after").text)
            for tr in newest_update.one("tbody").find_all("tr")}
    assert rows["title"] == (old["title"], NEW_TITLE)
    assert rows["weight"] == ("—", "4.0")
    texts = [li.text for li in entries]
    assert any("linked PRC-9->REQ-47" in text for text in texts)
    assert any("unlinked PRC-8->REQ-47" in text for text in texts)


def test_history_records_the_status_moves_and_who_made_them(auth):
    owner, lead = auth("owner"), auth("lead")
    assert owner.save("REQ-48", {"statement": "Rewritten by its owner."}).status_code == 302
    assert owner.post("/p/crm/items/REQ-48/status", {"status": "proposed",
                                                      "version": owner.item("REQ-48")["version"]}).status_code == 302
    assert lead.post("/p/crm/items/REQ-48/status", {"status": "approved",
                                                     "version": lead.item("REQ-48")["version"]}).status_code == 302
    events = lead.json("/p/crm/items/REQ-48/history.json")["events"]
    moves = [(event["actor"], change["before"], change["after"]) for event in events if event["action"] == "status"
             for change in event["changes"] if change["field"] == "status"]
    assert moves == [("owner", "approved", "draft"), ("owner", "draft", "proposed"), ("lead", "proposed", "approved")]
    text = lead.page("/p/crm/items/REQ-48/history").text
    assert "Sam Okafor (requirement owner)" in text and "changed its status" in text


def test_history_of_a_strategy_lists_the_reviews_of_its_links(auth):
    lead = auth("lead")
    assert lead.save("STR-4", {"statement": "Reworded."}).status_code == 302
    assert lead.post("/p/crm/suspect/review", {"link": "STR-4->ROL-6"}).status_code == 302
    events = lead.json("/p/crm/items/STR-4/history.json")["events"]
    assert [(e["action"], e["entity_id"], e["actor"]) for e in events[-2:]] == [
        ("update", "STR-4", "lead"), ("review", "STR-4->ROL-6", "lead")]
    assert "reviewed STR-4->ROL-6" in lead.page("/p/crm/items/STR-4/history").text


def test_history_of_one_item_does_not_show_anothers(auth):
    lead = auth("lead")
    assert lead.save("REQ-4", {"title": "Only REQ-4 changed"}).status_code == 302
    assert lead.save("REQ-47", {"title": "Only REQ-47 changed"}).status_code == 302
    events = lead.json("/p/crm/items/REQ-4/history.json")["events"]
    assert all(event["entity_id"] == "REQ-4" or event["entity_id"].endswith("->REQ-4")
               for event in events), [event["entity_id"] for event in events]
    titles = [change["after"] for event in events for change in event["changes"] if change["field"] == "title"]
    assert titles[-1] == "Only REQ-4 changed" and "Only REQ-47 changed" not in titles


def test_a_baseline_named_like_an_item_is_not_part_of_its_history(auth):
    lead = auth("lead")
    assert lead.post("/p/crm/baselines", {"name": "REQ-47"}).status_code == 302
    events = lead.json("/p/crm/items/REQ-47/history.json")["events"]
    assert [event["entity_type"] for event in events] == ["requirement"], events


def test_the_overview_names_each_status_move_by_what_it_was(auth):
    owner, lead = auth("owner"), auth("lead")

    def move(visitor, status: str) -> None:
        version = visitor.item("REQ-48")["version"]
        assert visitor.post("/p/crm/items/REQ-48/status", {"status": status, "version": version}).status_code == 302

    assert owner.save("REQ-48", {"statement": "Rewritten by its owner."}).status_code == 302  # approved -> draft
    move(owner, "proposed")
    move(owner, "draft")  # withdrawn
    move(lead, "approved")
    move(lead, "draft")  # reopened
    move(lead, "retired")
    move(lead, "draft")  # restored
    recent = lead.json("/p/crm.json")["recent"]
    moves = [(event["actor"], event["summary"]) for event in reversed(recent) if event["action"] == "status"]
    assert moves == [("owner", "sent REQ-48 back to draft by editing it"), ("owner", "proposed REQ-48"),
                     ("owner", "withdrew REQ-48"), ("lead", "approved REQ-48"), ("lead", "reopened REQ-48"),
                     ("lead", "retired REQ-48"), ("lead", "restored REQ-48")]

    lines = [li.text for li in lead.page("/p/crm").find_all("li") if li.find("time") is not None]
    assert any(line.endswith("owner sent REQ-48 back to draft by editing it") for line in lines), lines
    assert any(line.endswith("lead restored REQ-48") for line in lines), lines
    assert sum("reopened" in line for line in lines) == 1
    link = next(li for li in lead.page("/p/crm").find_all("li") if "by editing it" in li.text).one("a")
    assert link.attrs["href"] == "/p/crm/items/REQ-48"
