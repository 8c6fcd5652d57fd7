"""Refusals say in words what a role may not do, for every action a view can guard."""

from reqtrace.workflow import ACTION_PHRASES, ROLE_ACTIONS, action_phrase


def test_every_guarded_action_has_a_phrase_a_user_understands():
    assert set(ROLE_ACTIONS) <= set(ACTION_PHRASES)
    for action in ROLE_ACTIONS:
        phrase = action_phrase(action)
        assert phrase != action and " " in phrase, (action, phrase)  # words, not the internal name


def test_whoever_sees_the_ranking_evidence_reads_the_vendors_answers_it_shows():
    """The evidence behind a score shows the vendor's answer: the answers pages have the same readers."""
    assert ROLE_ACTIONS["answers"] == ROLE_ACTIONS["ranking"] == ROLE_ACTIONS["vendors"]
