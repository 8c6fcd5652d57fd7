"""The project's recent changes in words a person reads, not the audit trail's action names."""

from __future__ import annotations

import pytest

from reqtrace.model import AuditEvent
from reqtrace.services.projects import describe


def event(entity_type: str, entity_id: str, action: str, before=None, after=None) -> AuditEvent:
    return AuditEvent(actor="lead", project_id=1, entity_type=entity_type, entity_id=entity_id, action=action,
                      before=before, after=after)


@pytest.mark.parametrize("recorded, said", [
    (event("session", "2", "remove attendee", before={"username": "eve"}), "took eve off session 2"),
    (event("session", "2", "attend", after={"username": "eve"}), "added eve to session 2"),
    (event("session", "2", "submit", after={"evaluator": "eve"}), "submitted their scores in session 2"),
    (event("project", "acme", "strategy_weights", after={"STR-1": 0.5}), "applied strategy weights in project acme"),
    (event("project", "acme", "strategy_weights_clear"), "cleared the strategy weights of project acme"),
    (event("project", "acme", "scoring_settings"), "changed the scoring settings of project acme"),
    (event("script", "v3", "issue", after={"vendor": "atlas", "version": 3}), "issued script v3 to atlas"),
    (event("questionnaire", "atlas", "issue", after={"vendor": "atlas", "rows": 12}),
     "issued the questionnaire to atlas"),
    (event("probe", "atlas", "run", after={"probe": "offline", "passed": False}),
     "ran the offline probe on atlas: failed"),
    (event("consensus", "REQ-4", "record", after={"vendor": "atlas", "step": "STEP-4"}),
     "recorded a consensus score for REQ-4 (atlas)"),
    (event("project", "acme", "update", before={"name": "a"}, after={"name": "b"}), "changed project acme"),
    (event("requirement", "REQ-9", "link"), "linked REQ-9"),
    (event("session", "2", "attend"), "attend session 2"),  # recorded without its details: said plainly
    (event("project", "acme", "some_new_action"), "some new action project acme"),
])
def test_each_action_is_said_in_words(recorded, said):
    assert describe(recorded) == said
