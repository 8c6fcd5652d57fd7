"""Each role against each write action: allowed ones take effect, refused ones answer 403 and change nothing.

The sample's `owner` owns the field-sales chain (STR-4, ROL-6..8, PRC-8..10,
REQ-47..71); REQ-1 and ROL-5 belong to nobody; only the lead (`admin`) approves,
baselines and assesses readiness.
"""

from __future__ import annotations

import pytest

from tests.web.support import Visitor, replace

USERS = ("lead", "owner", "procurement", "evaluator")


def expect(allowed: set[str]):
    """Parametrise over every user with whether the action is allowed for them."""
    return pytest.mark.parametrize("user, allowed", [(user, user in allowed) for user in USERS])


def _snapshot(lead: Visitor, hid: str) -> dict:
    data = lead.json(f"/p/crm/items/{hid}.json")
    return {"item": data["item"], "up": [link["id"] for link in data["up"]],
            "down": [(link["id"], link["suspect"]) for link in data["down"]]}


def _refused(response, what: str) -> None:
    assert response.status_code == 403, f"{what}: {response.status_code}"
    assert "Not allowed" in response.get_data(as_text=True)


# --- creating and editing --------------------------------------------------------------------

@expect({"lead", "owner"})
def test_create_a_requirement(auth, user, allowed):
    lead, actor = auth("lead"), auth(user)
    form = replace([(name, value) for name, value in lead.new_form("requirements") if name != "csrf_token"],
                   title=f"Created by {user}", statement="Works offline.", priority="must", capability="technology",
                   links=["PRC-8"])
    assert (actor.get("/p/crm/requirements/new").status_code == 200) is allowed
    response = actor.post("/p/crm/requirements/new", form)
    listing = lead.json("/p/crm/requirements.json?q=Created+by")
    if allowed:
        assert response.status_code == 302 and response.headers["Location"].endswith("/p/crm/items/REQ-173")
        created = lead.item("REQ-173")
        assert (created["title"], created["status"], created["owner"]) == (f"Created by {user}", "draft", user)
    else:
        _refused(response, "create")
        assert listing["total"] == 0
        assert lead.json("/p/crm/requirements.json")["total"] == 172
        assert lead.get("/p/crm/items/REQ-173.json").status_code == 404


@pytest.mark.parametrize("hid, allowed_users", [("REQ-47", {"lead", "owner"}), ("PRC-8", {"lead", "owner"}),
                                                ("REQ-1", {"lead"})])
@pytest.mark.parametrize("user", USERS)
def test_edit_an_item(auth, user, hid, allowed_users):
    allowed = user in allowed_users
    lead, actor = auth("lead"), auth(user)
    before = _snapshot(lead, hid)
    form = replace([(name, value) for name, value in lead.edit_form(hid) if name != "csrf_token"],
                   title=f"Edited by {user}")
    assert (actor.get(f"/p/crm/items/{hid}/edit").status_code == 200) is allowed
    assert (actor.get(f"/p/crm/items/{hid}/edit.json").status_code == 200) is allowed
    assert lead.json(f"/p/crm/items/{hid}.json")["can_edit"] is True
    assert actor.json(f"/p/crm/items/{hid}.json")["can_edit"] is allowed
    response = actor.post(f"/p/crm/items/{hid}/edit", form)
    after = _snapshot(lead, hid)
    if allowed:
        assert response.status_code == 302
        assert after["item"]["title"] == f"Edited by {user}"
        assert after["item"]["version"] > before["item"]["version"]
    else:
        _refused(response, f"{user} edits {hid}")
        assert after == before


# --- status moves ----------------------------------------------------------------------------

def _move(visitor: Visitor, hid: str, status: str):
    version = visitor.item(hid)["version"]  # every role may read it
    return visitor.post(f"/p/crm/items/{hid}/status", {"status": status, "version": version})


def _setup_status(lead: Visitor, hid: str, path: list[str]) -> None:
    for status in path:
        assert _move(lead, hid, status).status_code == 302, (hid, status)
    assert lead.item(hid)["status"] == (path[-1] if path else "approved")


STATUS_CASES = [
    # (item, how the lead prepares it, the move, who of lead/owner may make it)
    ("REQ-47", ["draft"], "proposed", {"lead", "owner"}),  # propose one's own draft
    ("REQ-47", ["draft", "proposed"], "draft", {"lead", "owner"}),  # withdraw one's own proposal
    ("REQ-47", ["draft"], "retired", {"lead", "owner"}),  # retire one's own draft
    ("REQ-47", ["draft", "proposed"], "approved", {"lead"}),  # approving is the lead's
    ("REQ-47", [], "draft", {"lead"}),  # reopening an approved item
    ("REQ-47", [], "retired", {"lead"}),  # retiring an approved item
    ("REQ-47", ["retired"], "draft", {"lead"}),  # restoring
    ("REQ-1", ["draft"], "proposed", {"lead"}),  # nobody's draft: the owner may not propose it
]


@pytest.mark.parametrize("hid, path, target, allowed_users", STATUS_CASES,
                         ids=[f"{hid}-{'-'.join(path) or 'approved'}-to-{target}" for hid, path, target, _ in
                              STATUS_CASES])
@pytest.mark.parametrize("user", ["lead", "owner"])
def test_status_moves(auth, user, hid, path, target, allowed_users):
    allowed = user in allowed_users
    lead, actor = auth("lead"), auth(user)
    _setup_status(lead, hid, path)
    before = _snapshot(lead, hid)
    offered = [move["status"] for move in actor.json(f"/p/crm/items/{hid}.json")["transitions"]]
    assert (target in offered) is allowed, offered
    response = _move(actor, hid, target)
    after = _snapshot(lead, hid)
    if allowed:
        assert response.status_code == 302
        assert after["item"]["status"] == target
    else:
        _refused(response, f"{user}: {hid} to {target}")
        assert after == before


@pytest.mark.parametrize("user", ["procurement", "evaluator"])
def test_readers_make_no_status_move(auth, user):
    lead, actor = auth("lead"), auth(user)
    for hid, path, target, _allowed in STATUS_CASES:
        _setup_status(lead, hid, path)
        before = _snapshot(lead, hid)
        assert actor.json(f"/p/crm/items/{hid}.json")["transitions"] == []
        _refused(_move(actor, hid, target), f"{user}: {hid} to {target}")
        assert _snapshot(lead, hid) == before
        back = {"draft": [], "proposed": ["draft"], "retired": ["draft"]}
        for status in (back.get(path[-1], []) + ["approved"]) if path else []:
            assert _move(lead, hid, status).status_code == 302  # back to approved for the next case


def test_a_move_the_workflow_does_not_know_is_refused(auth):
    lead = auth("lead")
    _setup_status(lead, "REQ-47", ["draft", "proposed"])
    response = _move(lead, "REQ-47", "banana")
    assert response.status_code == 403
    assert lead.item("REQ-47")["status"] == "proposed"


def test_a_stale_status_move_is_refused_with_409(auth):
    lead, owner = auth("lead"), auth("owner")
    _setup_status(lead, "REQ-47", ["draft"])
    stale = lead.item("REQ-47")["version"]
    assert owner.save("REQ-47", {"title": "Changed meanwhile"}).status_code == 302
    response = lead.post("/p/crm/items/REQ-47/status", {"status": "approved", "version": stale})
    assert response.status_code == 409
    assert lead.item("REQ-47")["status"] == "draft"


# --- reviewing suspect links -----------------------------------------------------------------

def _make_str4_suspect(lead: Visitor) -> None:
    assert lead.save("STR-4", {"statement": "Be there the moment a need arises."}).status_code == 302
    suspect = [link["id"] for link in lead.json("/p/crm/suspect.json")["links"]]
    assert suspect == ["STR-4->ROL-5", "STR-4->ROL-6", "STR-4->ROL-7", "STR-4->ROL-8"]


@pytest.mark.parametrize("link, allowed_users", [("STR-4->ROL-6", {"lead", "owner"}),  # the owner owns ROL-6
                                                 ("STR-4->ROL-5", {"lead"})])  # nobody owns ROL-5
@pytest.mark.parametrize("user", USERS)
def test_review_a_suspect_link(auth, user, link, allowed_users):
    allowed = user in allowed_users
    lead, actor = auth("lead"), auth(user)
    _make_str4_suspect(lead)
    shown = {entry["id"]: entry["may_review"] for entry in actor.json("/p/crm/suspect.json")["links"]}
    assert shown[link] is allowed
    response = actor.post("/p/crm/suspect/review", {"link": link})
    remaining = [entry["id"] for entry in lead.json("/p/crm/suspect.json")["links"]]
    if allowed:
        assert response.status_code == 302
        assert link not in remaining and len(remaining) == 3
    else:
        _refused(response, f"{user} reviews {link}")
        assert link in remaining and len(remaining) == 4


@pytest.mark.parametrize("item, allowed_users", [("ROL-6", {"lead", "owner"}), ("ROL-5", {"lead"})])
@pytest.mark.parametrize("user", USERS)
def test_review_every_link_of_an_item(auth, user, item, allowed_users):
    allowed = user in allowed_users
    lead, actor = auth("lead"), auth(user)
    _make_str4_suspect(lead)
    # The item page offers the button to exactly those it works for.
    assert (actor.page(f"/p/crm/items/{item}").find("form", action="/p/crm/suspect/review") is not None) is allowed
    response = actor.post("/p/crm/suspect/review", {"item": item})
    remaining = [entry["id"] for entry in lead.json("/p/crm/suspect.json")["links"]]
    if allowed:
        assert response.status_code == 302 and f"STR-4->{item}" not in remaining and len(remaining) == 3
    else:
        _refused(response, f"{user} reviews {item}")
        assert len(remaining) == 4


# --- the lead's actions ----------------------------------------------------------------------

@expect({"lead"})
def test_create_a_baseline(auth, user, allowed):
    lead, actor = auth("lead"), auth(user)
    assert actor.json("/p/crm/baselines.json")["may_create"] is allowed
    response = actor.post("/p/crm/baselines", {"name": "B1", "note": f"by {user}"})
    baselines = lead.json("/p/crm/baselines.json")["baselines"]
    if allowed:
        assert response.status_code == 302
        assert [(b["name"], b["created_by"]) for b in baselines] == [("B1", "lead")]
    else:
        _refused(response, f"{user} baselines")
        assert baselines == []
        assert lead.json("/p/crm.json")["project"]["status"] == "drafting"


@expect({"lead"})
def test_record_readiness(auth, user, allowed):
    lead, actor = auth("lead"), auth(user)
    before = lead.json("/p/crm/gaps.json")["readiness"]
    assert actor.json("/p/crm/gaps.json")["may_edit_readiness"] is allowed
    stages = {area["area"]: 4 for area in before["areas"]}
    response = actor.post("/p/crm/readiness", stages)
    after = lead.json("/p/crm/gaps.json")["readiness"]
    if allowed:
        assert response.status_code == 302
        assert {area["area"]: area["stage"] for area in after["areas"]} == stages
    else:
        _refused(response, f"{user} assesses readiness")
        assert after == before


@expect({"lead", "owner"})
def test_preview(auth, user, allowed):
    response = auth(user).post("/preview", {"text": "**bold** <script>x()</script>"})
    if allowed:
        assert response.status_code == 200
        html = response.get_json()["html"]
        assert "<strong>bold</strong>" in html and "<script" not in html
    else:
        assert response.status_code == 403
        assert "html" not in (response.get_json(silent=True) or {})
