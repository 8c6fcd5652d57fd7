"""Strategies, roles, processes and requirements, one at a time (the web forms' services)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.fingerprint import fingerprint
from reqtrace.model import ITEM_MODELS, LEVELS, PREFIXES, Item, Project, utcnow
from reqtrace.schemas import EDITABLE_FIELDS, HID, Problem, validate_fields, validate_status
from reqtrace.services.errors import Conflict, Invalid, NotFound, VersionConflict

SQLITE_BUSY_SNAPSHOT = 517
_PREFIXED = re.compile(r"^(STR|ROL|PRC|REQ)-(\d+)$", re.IGNORECASE)
KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}


def kind_of_hid(hid: str) -> str | None:
    """The level an ID belongs to by its prefix (STR-, ROL-, PRC-, REQ-), else None."""
    match = _PREFIXED.match(hid.strip())
    return KIND_BY_PREFIX[match.group(1).upper()] if match else None


def seq_of_hid(kind: str, hid: str) -> int | None:
    """The number in `REQ-12` when the ID follows its level's pattern."""
    match = _PREFIXED.match(hid)
    if match and KIND_BY_PREFIX[match.group(1).upper()] == kind:
        return int(match.group(2))
    return None


def check_hid(kind: str, hid: str) -> str:
    """Refuse an ID that is malformed or carries another level's prefix."""
    hid = hid.strip()
    if not HID.match(hid):
        raise Invalid([Problem("id", f"{hid!r} is not a valid ID: start with a letter, then letters, "
                                     "digits, '-', '_' or '.', at most 40 characters")])
    other = kind_of_hid(hid)
    if other is not None and other != kind:
        raise Invalid([Problem("id", f"{hid} is a {other} ID and cannot name a {kind}")])
    if other == kind:
        hid = f"{PREFIXES[kind]}-{seq_of_hid(kind, hid.upper())}"
    return hid


def snapshot(kind: str, item: Item) -> dict[str, Any]:
    """The item's editable state, as stored in audit events and shown in diffs."""
    data = {"hid": item.hid}
    data.update({name: getattr(item, name) for name in EDITABLE_FIELDS[kind]})
    data["status"] = item.status
    data["version"] = item.version
    return data


def get_item(session: Session, project: Project, kind: str, hid: str) -> Item:
    model = ITEM_MODELS[kind]
    item = session.exec(select(model).where(model.project_id == project.id, model.hid == hid)).first()
    if item is None:
        raise NotFound(f"no {kind} {hid} in project {project.key}")
    return item


def find_item(session: Session, project: Project, hid: str) -> tuple[str, Item]:
    """Find an item of any level by its ID."""
    hid = hid.strip()
    kind = kind_of_hid(hid)
    if kind is not None:
        return kind, get_item(session, project, kind, check_hid(kind, hid))
    for kind in reversed(LEVELS):  # custom IDs come from imported requirements
        model = ITEM_MODELS[kind]
        item = session.exec(select(model).where(model.project_id == project.id, model.hid == hid)).first()
        if item is not None:
            return kind, item
    raise NotFound(f"no item {hid} in project {project.key}")


def list_items(session: Session, project: Project, kind: str, *, include_retired: bool = True) -> list[Item]:
    model = ITEM_MODELS[kind]
    statement = select(model).where(model.project_id == project.id)
    if not include_retired:
        statement = statement.where(model.status != "retired")
    return list(session.exec(statement.order_by(model.seq, model.hid)))


def next_seq(session: Session, project: Project, kind: str) -> int:
    """The next number for an automatic ID; custom IDs (e.g. from a foreign workbook) use up none."""
    model = ITEM_MODELS[kind]
    highest = session.exec(select(func.max(model.seq)).where(
        model.project_id == project.id, model.hid.like(f"{PREFIXES[kind]}-%"))).one()
    return (highest or 0) + 1


def _sort_after_all(session: Session, project: Project, kind: str) -> int:
    model = ITEM_MODELS[kind]
    highest = session.exec(select(func.max(model.seq)).where(model.project_id == project.id)).one()
    return (highest or 0) + 1


def create_item(*, session: Session, project: Project, kind: str, fields: dict[str, Any], actor: str,
                hid: str | None = None, status: str = "draft", upstream: list[str] | None = None) -> Item:
    """Validate and add one item, with its links up the chain when given."""
    clean, problems = validate_fields(kind, fields)
    if problems:
        raise Invalid(problems)
    status = _status(status)
    model = ITEM_MODELS[kind]
    if hid is None:
        seq = next_seq(session, project, kind)
        hid = f"{PREFIXES[kind]}-{seq}"
    else:
        hid = check_hid(kind, hid)
        seq = seq_of_hid(kind, hid) or _sort_after_all(session, project, kind)
    exists = session.exec(select(model.id).where(model.project_id == project.id, model.hid == hid)).first()
    if exists is not None:
        raise Conflict(f"{hid} already exists in project {project.key}")
    item = model(project_id=project.id, seq=seq, hid=hid, status=status, fingerprint=fingerprint(kind, clean),
                 **clean)
    session.add(item)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type=kind, entity_id=hid,
                 action="create", after=snapshot(kind, item))
    if upstream:
        from reqtrace.services.links import set_upstream

        set_upstream(session=session, project=project, kind=kind, item=item, hids=upstream, actor=actor)
    return item


def update_item(*, session: Session, project: Project, kind: str, item: Item, fields: dict[str, Any],
                actor: str, expected_version: int | None = None) -> bool:
    """Save new values for an item's fields; returns whether anything changed.

    `fields` may be partial: fields it does not name keep their values. With
    `expected_version`, a save on top of someone else's newer save is refused.
    """
    before = snapshot(kind, item)
    if expected_version is not None and item.version != expected_version:
        raise VersionConflict(hid=item.hid, expected=expected_version, current=before,
                              attempted={**before, **fields})
    merged = {name: before[name] for name in EDITABLE_FIELDS[kind]}
    merged.update(fields)
    clean, problems = validate_fields(kind, merged)
    if problems:
        raise Invalid(problems)
    changed = {name: value for name, value in clean.items() if before.get(name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(item, name, value)
    item.fingerprint = fingerprint(kind, clean)
    _bump(item)
    _flush_versioned(session, kind, item, before, attempted={**before, **fields})
    audit.record(session, actor=actor, project_id=project.id, entity_type=kind, entity_id=item.hid,
                 action="update", before=before, after=snapshot(kind, item))
    return True


def set_status(*, session: Session, project: Project, kind: str, item: Item, status: str, actor: str,
               expected_version: int | None = None) -> bool:
    """Move an item to another status (draft, proposed, approved, retired)."""
    status = _status(status)
    before = snapshot(kind, item)
    if expected_version is not None and item.version != expected_version:
        raise VersionConflict(hid=item.hid, expected=expected_version, current=before,
                              attempted={**before, "status": status})
    if item.status == status:
        return False
    item.status = status
    _bump(item)
    _flush_versioned(session, kind, item, before, attempted={**before, "status": status})
    audit.record(session, actor=actor, project_id=project.id, entity_type=kind, entity_id=item.hid,
                 action="status", before=before, after=snapshot(kind, item))
    return True


def bump_version(*, session: Session, kind: str, item: Item) -> None:
    """A new version for a change recorded elsewhere (its links); refused if someone saved meanwhile."""
    before = snapshot(kind, item)
    _bump(item)
    _flush_versioned(session, kind, item, before, attempted=before)


def _flush_versioned(session: Session, kind: str, item: Item, before: dict, *, attempted: dict) -> None:
    """Write the item; if another save got in first since it was read, refuse with VersionConflict."""
    item_id, hid = item.id, item.hid  # the failed flush expires the object; keep what we need
    session.add(item)
    try:
        session.flush()
    except StaleDataError:
        raise _conflict(session, kind, item_id, hid, before, attempted) from None
    except OperationalError as error:
        # SQLite: a transaction that read before another writer committed cannot write
        # (SQLITE_BUSY_SNAPSHOT); the row it read may be stale, so check it afresh.
        if getattr(error.orig, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT:
            raise _conflict(session, kind, item_id, hid, before, attempted) from None
        raise


def _conflict(session: Session, kind: str, item_id: int, hid: str, before: dict,
              attempted: dict) -> VersionConflict:
    """Read the saved version outside the failed transaction, for the user to compare with theirs."""
    model = ITEM_MODELS[kind]
    with Session(session.get_bind()) as fresh:
        current = fresh.exec(select(model).where(model.id == item_id)).first()
        saved = snapshot(kind, current) if current is not None else before
    return VersionConflict(hid=hid, expected=before["version"], current=saved, attempted=attempted)


def _bump(item: Item) -> None:
    item.version += 1
    item.updated_at = utcnow()


def _status(value: str) -> str:
    try:
        return validate_status(value)
    except ValueError as error:
        raise Invalid([Problem("status", str(error))]) from None
