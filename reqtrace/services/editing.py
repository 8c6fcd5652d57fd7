"""Saving an item from a form: fields and links validated together, then written at once."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from reqtrace.model import LINKS_UP, Item, Project, User
from reqtrace.richtext import formatting_problem
from reqtrace.schemas import EDITABLE_FIELDS, MARKDOWN_FIELDS, Problem, validate_fields
from reqtrace.services.errors import Invalid, VersionConflict
from reqtrace.services.items import bump_version, create_item, get_item, set_status, snapshot, update_item
from reqtrace.services.links import resolve_upstream, set_upstream, upstream_hids
from reqtrace.services.users import owner_problem
from reqtrace.workflow import ADMIN, status_after_edit


def create_from_form(*, session: Session, project: Project, kind: str, fields: dict[str, Any],
                     upstream: list[str], actor: str, actor_role: str) -> Item:
    """A new draft; an owner always owns what they create, the lead whom they choose (or nobody)."""
    if actor_role != ADMIN or "owner" not in fields:
        fields = {**fields, "owner": actor}
    _validate(session, project, kind, fields, upstream, owner_was=None)
    return create_item(session=session, project=project, kind=kind, fields=fields, actor=actor,
                       status="draft", upstream=upstream)


def edit_from_form(*, session: Session, project: Project, kind: str, hid: str, fields: dict[str, Any],
                   upstream: list[str] | None, expected_version: int, actor: str, actor_role: str) -> Item:
    """Save an edit made on top of `expected_version`; a newer saved version refuses it.

    An owner cannot give an item away (only the lead assigns owners), and an
    approved item whose content an owner changes goes back to draft.
    """
    item = get_item(session, project, kind, hid)
    if item.version != expected_version:
        current = {**snapshot(kind, item), "links": upstream_hids(session, project, kind, item)}
        raise VersionConflict(hid=hid, expected=expected_version, current=current,
                              attempted={**current, **fields, "links": upstream})
    if actor_role != ADMIN:
        fields = {**fields, "owner": item.owner}
    merged = {name: getattr(item, name) for name in EDITABLE_FIELDS[kind]} | fields
    linked = upstream_hids(session, project, kind, item)
    _validate(session, project, kind, merged, upstream or [], owner_was=item.owner, linked=linked,
              retired=item.status == "retired", stored={name: getattr(item, name) for name in MARKDOWN_FIELDS[kind]})
    before_print = item.fingerprint
    saved = update_item(session=session, project=project, kind=kind, item=item, fields=fields, actor=actor)
    relinked = False
    if upstream is not None and kind in LINKS_UP:
        added, removed = set_upstream(session=session, project=project, kind=kind, item=item, hids=upstream,
                                      actor=actor)
        relinked = bool(added or removed)
        if relinked and not saved:
            # The links are part of the item's state: a stale form must not replace them unnoticed.
            bump_version(session=session, kind=kind, item=item)
    # Moving an item under other items changes what it serves: that needs approving again too.
    target = status_after_edit(actor_role, item.status, item.fingerprint != before_print or relinked)
    if target != item.status:
        set_status(session=session, project=project, kind=kind, item=item, status=target, actor=actor)
    return item


def _validate(session: Session, project: Project, kind: str, fields: dict[str, Any], upstream: list[str], *,
              owner_was: str | None, linked: list[str] = (), retired: bool = False,
              stored: dict[str, Any] | None = None) -> None:
    """Collect every field, owner and link problem before anything is written.

    A retired item takes no new links, neither to it nor from it: the links it has may stay or go.
    """
    _clean, problems = validate_fields(kind, fields)
    problems += _markdown_problems(kind, fields, stored or {})
    problems += _owner_problems(session, fields.get("owner"), owner_was)
    targets, link_problems = resolve_upstream(session, project, kind, upstream, linked=linked)
    added = [hid for hid in targets if hid not in set(linked)]
    if retired and added:
        link_problems.append(Problem(LINKS_UP[kind].label, f"this item is retired and takes no new links ({', '.join(added)}): "
                                              f"the links it has may stay or go; ask the CRM lead to restore it "
                                              f"first to link it further"))
    if problems or link_problems:
        raise Invalid(problems + link_problems)


def _markdown_problems(kind: str, fields: dict[str, Any], stored: dict[str, Any]) -> list[Problem]:
    """A text its page could only show unformatted (lists nested hundreds deep...) is refused as typed.

    Imports keep such text (the page shows it as written, saying so): a workbook row is not a form to fix.
    So a text `stored` as it is now passes: an edit of another field must not demand that it be fixed.
    """
    problems = []
    for name in MARKDOWN_FIELDS[kind]:
        text = fields.get(name)
        found = formatting_problem(text) if isinstance(text, str) and text != stored.get(name) else None
        if found:
            problems.append(Problem(name, f"this text cannot be formatted: {found}; simplify it"))
    return problems


def _owner_problems(session: Session, owner: str | None, owner_was: str | None) -> list[Problem]:
    """An owner is someone who may write items: an active owner or the CRM lead (an owner kept as it was
    stays, whoever it names: an import may have set it)."""
    if not owner or owner == owner_was:
        return []
    # Shared-locked (PostgreSQL) until the save commits: the account cannot lose the right to own items meanwhile.
    found = session.exec(select(User.role, User.active).where(User.username == owner)
                         .with_for_update(read=True)).first()
    problem = owner_problem(owner, tuple(found) if found is not None else None)
    return [Problem("owner", f"{problem}; choose a requirement owner or the CRM lead")] if problem else []

