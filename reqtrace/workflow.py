"""Who may do what, and how items move through their statuses.

Requirement owners write and propose the items they own; the CRM lead
(`admin`) approves, baselines and may change anything; procurement and
evaluators read. Items move draft -> proposed -> approved -> retired.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN, OWNER, PROCUREMENT, EVALUATOR = "admin", "owner", "procurement", "evaluator"
OWNING_ROLES = (OWNER, ADMIN)  # who may own items: requirement owners and the CRM lead
ROLES = (ADMIN, OWNER, PROCUREMENT, EVALUATOR)
APPROVED = "approved"
# The status that precedes approval: an owner proposes an item, and the lead's approval queue lists it.
AWAITING_APPROVAL = "proposed"

# The least a role must be to attempt an action; item-level rules come on top.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "create": frozenset({ADMIN, OWNER}),
    "edit": frozenset({ADMIN, OWNER}),
    "transition": frozenset({ADMIN, OWNER}),
    "review": frozenset({ADMIN, OWNER}),
    "preview": frozenset({ADMIN, OWNER}),
    "assign-owner": frozenset({ADMIN}),
    "approve": frozenset({ADMIN}),
    "baseline": frozenset({ADMIN}),
    "readiness": frozenset({ADMIN}),
    # Procurement lives in Excel: it imports requirement workbooks and handles vendor questionnaires.
    "import": frozenset({ADMIN, PROCUREMENT}),
    "questionnaire": frozenset({ADMIN, PROCUREMENT}),
    "vendors": frozenset({ADMIN, PROCUREMENT}),  # who competes, their deployment model, flags and cost
    "script": frozenset({ADMIN}),  # the CRM lead writes and issues the POC script
    "schedule": frozenset({ADMIN}),  # ... schedules the demo sessions and who attends
    "consensus": frozenset({ADMIN}),  # ... and records the consensus once everyone has submitted
    # The ranking and its evidence: not for evaluators (they must score unswayed) or requirement owners.
    "ranking": frozenset({ADMIN, PROCUREMENT}),
    # Vendors' questionnaire answers: the ranking's evidence shows each one, so the same readers see them all.
    "answers": frozenset({ADMIN, PROCUREMENT}),
    "weights": frozenset({ADMIN}),  # strategy weights and scoring settings: the lead, audited
    "users": frozenset({ADMIN}),  # accounts: who logs in, with which role
    "projects": frozenset({ADMIN}),  # new projects, and a project's name and description
}


# What each action is, in words, for a refusal: "Your role (Evaluator) may not <this>."
ACTION_PHRASES: dict[str, str] = {
    "read": "read this project", "create": "create items", "edit": "edit items",
    "transition": "change an item's status", "review": "review suspect links", "preview": "preview Markdown",
    "assign-owner": "assign owners", "approve": "approve items", "baseline": "create or compare baselines",
    "readiness": "assess readiness", "import": "import workbooks", "questionnaire": "issue or import questionnaires",
    "vendors": "add or edit vendors (the CRM lead and procurement do)",
    "script": "write or issue POC scripts", "schedule": "schedule demo sessions or change who attends",
    "consensus": "see or record the consensus of a demo session (the CRM lead does)",
    "ranking": "see the ranking, its evidence or the scoring record (the CRM lead and procurement do)",
    "answers": "read vendors' questionnaire answers (the CRM lead and procurement do)",
    "weights": "change strategy weights or scoring settings (the CRM lead does)",
    "users": "manage user accounts (the CRM lead does)",
    "projects": "create projects or rename them (the CRM lead does)",
}


def action_phrase(action: str) -> str:
    return ACTION_PHRASES.get(action, action.replace("-", " "))


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    lead_only: bool
    done: str = ""  # the move made, for the audit trail read aloud: "withdrew {item}" -> "lead withdrew REQ-4"


# (from, to) -> the transition. Anything not listed is not a move the workflow allows.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "proposed"): Transition("propose", "Propose for approval", False, "proposed {item}"),
    ("proposed", "draft"): Transition("withdraw", "Withdraw to draft", False, "withdrew {item}"),
    ("draft", "approved"): Transition("approve", "Approve", True, "approved {item}"),
    ("proposed", "approved"): Transition("approve", "Approve", True, "approved {item}"),
    ("approved", "draft"): Transition("reopen", "Reopen as draft", True, "reopened {item}"),
    ("draft", "retired"): Transition("retire", "Retire", False, "retired {item}"),
    ("proposed", "retired"): Transition("retire", "Retire", False, "retired {item}"),
    ("approved", "retired"): Transition("retire", "Retire", True, "retired {item}"),
    ("retired", "draft"): Transition("restore", "Restore as draft", True, "restored {item}"),
}
# Not a button: an approved item goes back to draft when anyone but the lead changes it (status_after_edit).
BACK_TO_DRAFT_AFTER_EDIT = Transition("edit", "", False, "sent {item} back to draft by editing it")


def role_may(role: str, action: str) -> bool:
    return role in ROLE_ACTIONS.get(action, frozenset())


def owns(username: str, owner: str | None) -> bool:
    return bool(owner) and owner == username


def may_edit(role: str, username: str, owner: str | None) -> bool:
    """The lead edits anything; an owner edits the items they own."""
    return role == ADMIN or (role == OWNER and owns(username, owner))


def may_review(role: str, username: str, downstream_owner: str | None) -> bool:
    """Reviewing a link is for the lead or the owner of the item the link leads to."""
    return role == ADMIN or (role == OWNER and owns(username, downstream_owner))


def transition(current: str, target: str) -> Transition | None:
    return TRANSITIONS.get((current, target))


def recorded_move(before: str | None, after: str | None, actor_role: str | None) -> Transition | None:
    """The move a recorded status change was, or None when the workflow has no such move.

    An approved item going back to draft is the lead's reopen; made by anyone
    else it is the return to draft that their edit brought.
    """
    move = TRANSITIONS.get((before or "", after or ""))
    if move is not None and move.action == "reopen" and actor_role != ADMIN:
        return BACK_TO_DRAFT_AFTER_EDIT
    return move


def may_transition(role: str, username: str, owner: str | None, current: str, target: str) -> bool:
    move = transition(current, target)
    if move is None:
        return False
    if move.lead_only:
        return role == ADMIN
    return may_edit(role, username, owner)


def available_transitions(role: str, username: str, owner: str | None, current: str) -> list[tuple[str, str]]:
    """(target status, button label) for each move this user may make now."""
    return [(target, move.label) for (source, target), move in TRANSITIONS.items()
            if source == current and may_transition(role, username, owner, current, target)]


def status_after_edit(role: str, current: str, content_changed: bool) -> str:
    """An approved item whose content an owner changes needs approving again."""
    if content_changed and current == "approved" and role != ADMIN:
        return "draft"
    return current
