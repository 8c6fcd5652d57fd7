"""Bring a project in line with a desired set of items, in bulk and all or nothing.

The catalogue loader and the workbook importers describe what they read as
`Desired` items; `plan_sync` compares them with the database (a constant
number of queries) and says what would be added, changed field by field,
left unchanged and retired; `apply_plan` writes exactly that with bulk
statements. A plan with errors is never applied.

An item the plan changes is written only if it is still the version the plan
was made from: `apply_plan` locks those rows (PostgreSQL; a SQLite writer holds
the database) and refuses the whole plan, before writing anything, when one was
saved since (`PlanOutdated`), so a save made between planning and applying is
never silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session

from reqtrace.bulk import bulk_insert
from reqtrace.fingerprint import fingerprint
from reqtrace.model import ITEM_MODELS, LEVELS, LINKS_UP, PREFIXES, AuditEvent, Project, utcnow
from reqtrace.schemas import EDITABLE_FIELDS, defaults
from reqtrace.services.errors import Conflict
from reqtrace.services.items import seq_of_hid
from reqtrace.trace.graph import hid_key, nogc
from reqtrace.words import first_named


class PlanOutdated(Conflict):
    """Items the plan changes or retires were saved by someone else after it was made: nothing was written."""

    def __init__(self, hids: list[str]):
        self.hids = hids
        listed = first_named(hids, 10)
        what = f"{listed} was" if len(hids) == 1 else f"{listed} were"
        super().__init__(f"{what} changed by someone else while this import was being saved: nothing was imported; "
                         "try again")


@dataclass(slots=True)
class Desired:
    """One item as a source wants it. `fields` holds only the fields the source gives."""

    kind: str
    hid: str | None
    fields: dict[str, Any]
    upstream: list[str] | None = None  # None: leave the item's links as they are
    status: str | None = None  # None: new items take the default, existing keep theirs
    where: dict[str, Any] = field(default_factory=dict)  # source position, for messages


@dataclass(slots=True)
class Change:
    field: str
    before: Any
    after: Any


# What each plan action did, as summaries say it: a plan never deletes, so "remove" retires.
ACTION_DONE = {"add": "added", "change": "changed", "remove": "retired"}


@dataclass(slots=True)
class ItemPlan:
    kind: str
    hid: str
    action: str  # add, change, unchanged, remove
    seq: int = 0
    version_before: int | None = None  # the stored version, for existing items
    changes: list[Change] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # full field values after the change
    status: str = "draft"
    links_add: list[str] = field(default_factory=list)
    links_remove: list[str] = field(default_factory=list)
    where: dict[str, Any] = field(default_factory=dict)


@dataclass
class SyncPlan:
    project_id: int | None
    items: list[ItemPlan]
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The IDs per level a link may name: the project's items and those the plan adds.
    known: dict[str, set[str]] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    def summary(self, *, applied: bool) -> dict[str, Any]:
        return {
            "applied": applied,
            "added": self.count("add"),
            "changed": self.count("change"),
            "unchanged": self.count("unchanged"),
            "removed": self.count("remove"),
            "errors": self.errors,
            "warnings": self.warnings,
            "items": [
                {"kind": item.kind, "id": item.hid, "action": item.action,
                 "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in item.changes]}
                for item in self.items if item.action != "unchanged"
            ],
        }


@dataclass
class StoredState:
    """The project's items (per level, by ID: fields, status, version, seq) and upward links."""

    items: dict[str, dict[str, dict]]
    links: dict[str, dict[str, set[str]]]


@nogc
def load_state(session: Session, project: Project | None) -> StoredState:
    """Every item and link of the project in seven queries."""
    return StoredState(_load_items(session, project), _load_links(session, project))


def missing_link(hid: str | None, upstream_kind: str, target: str) -> str:
    return f"{hid or 'this row'} links to {upstream_kind} {target}, which does not exist"


def plan_sync(session: Session, project: Project | None, desired: list[Desired], *,
              retire_missing_kinds: set[str] = frozenset(), default_status: str = "draft",
              state: StoredState | None = None, unchanged: set[tuple[str, str]] = frozenset()) -> SyncPlan:
    """Compare `desired` with the project's items; nothing is written.

    `unchanged` names items a caller already found identical to what is stored
    (without building `Desired` items for them); they count as present.
    """
    state = state or load_state(session, project)
    existing, links = state.items, state.links
    plan = SyncPlan(project_id=project.id if project else None, items=[])
    # Automatic IDs continue the numbered ones (REQ-n); custom IDs ("SRS-9") sort after all and use up none.
    numbers = {kind: max([seq for hid, row in existing[kind].items() if (seq := seq_of_hid(kind, hid))] + [0])
               for kind in LEVELS}
    sort_after = {kind: max([row["seq"] for row in existing[kind].values()] + [0]) for kind in LEVELS}
    for item in desired:
        if item.hid is not None and (seq := seq_of_hid(item.kind, item.hid)) is not None:
            numbers[item.kind] = max(numbers[item.kind], seq)
            sort_after[item.kind] = max(sort_after[item.kind], seq)
    known = plan.known = {kind: set(existing[kind]) for kind in LEVELS}
    seq_of: dict[tuple[str, str], int] = {}
    for item in desired:
        if item.hid is None:
            numbers[item.kind] += 1
            sort_after[item.kind] = max(sort_after[item.kind], numbers[item.kind])
            item.hid = f"{PREFIXES[item.kind]}-{numbers[item.kind]}"
        known[item.kind].add(item.hid)
        row = existing[item.kind].get(item.hid)
        seq = row["seq"] if row else seq_of_hid(item.kind, item.hid)
        if seq is None:  # a custom ID sorts after everything so far
            sort_after[item.kind] += 1
            seq = sort_after[item.kind]
        seq_of[(item.kind, item.hid)] = seq

    seen: set[tuple[str, str]] = set(unchanged)
    plan.items.extend(ItemPlan(kind=kind, hid=hid, action="unchanged") for kind, hid in unchanged)
    bases = {kind: defaults(kind) for kind in LEVELS}  # shared, never mutated
    for item in desired:
        if (item.kind, item.hid) in seen:
            plan.errors.append({**item.where, "message": f"{item.hid} appears more than once"})
            continue
        seen.add((item.kind, item.hid))
        planned = _plan_item(item, existing[item.kind].get(item.hid), links, known, plan, default_status,
                             bases[item.kind])
        planned.seq = seq_of[(item.kind, item.hid)]
        plan.items.append(planned)

    for kind in retire_missing_kinds:
        for hid, row in existing[kind].items():
            if (kind, hid) not in seen and row["status"] != "retired":
                plan.items.append(ItemPlan(kind=kind, hid=hid, action="remove", status="retired",
                                           version_before=row["version"],
                                           changes=[Change("status", row["status"], "retired")]))
    return plan


def apply_plan(session: Session, project: Project, plan: SyncPlan, *, actor: str) -> dict[str, Any]:
    """Write the plan with bulk statements; the caller's transaction makes it all or nothing.

    Each item gets one audit event holding its fields and the IDs it links up
    to, so a bulk load writes one event per item, not one per link too.
    """
    if plan.errors:
        return plan.summary(applied=False)
    versions = _lock_versions(session, project, plan)
    now = utcnow()
    connection = session.connection()
    events: list[dict[str, Any]] = []
    printed: dict[tuple[str, str], str] = {}  # fingerprints written by this plan
    for kind in LEVELS:
        model = ITEM_MODELS[kind]
        label = LINKS_UP[kind].label if kind in LINKS_UP else None
        adds = [item for item in plan.items if item.kind == kind and item.action == "add"]
        if adds:
            rows = []
            for item in adds:
                printed[(kind, item.hid)] = mark = fingerprint(kind, item.values)
                rows.append({"seq": item.seq, "hid": item.hid, "status": item.status, "fingerprint": mark,
                             **item.values})
            bulk_insert(connection, model.__table__, rows,
                        {"project_id": project.id, "version": 1, "created_at": now, "updated_at": now})
            for item in adds:
                after = {"hid": item.hid, **item.values, "status": item.status, "version": 1}
                if label:
                    after[label] = ", ".join(item.links_add)
                events.append(_event(kind, item.hid, "create", None, after))
        # Links are part of an item's state (its form edits them), so a change of links alone
        # also makes a new version: a stale edit of the old links is then refused.
        updates = [item for item in plan.items if item.kind == kind and item.action in ("change", "remove")]
        if updates:
            ids = _ids(session, project, kind)
            changes = [item for item in updates if item.action == "change"]
            for item in changes:
                printed[(kind, item.hid)] = fingerprint(kind, item.values)
            _update_rows(session, model, changes, ids, versions[kind], now, printed, with_values=True)
            _update_rows(session, model, [item for item in updates if item.action == "remove"], ids,
                         versions[kind], now, printed, with_values=False)
            for item in updates:
                version = versions[kind][item.hid]
                events.append(_event(
                    kind, item.hid, "retire" if item.action == "remove" else "update",
                    {"hid": item.hid, **{c.field: c.before for c in item.changes}, "version": version},
                    {"hid": item.hid, **{c.field: c.after for c in item.changes}, "version": version + 1}))
    _apply_links(session, project, plan, actor=actor, now=now, printed=printed)
    bulk_insert(connection, AuditEvent.__table__, events, {"at": now, "actor": actor, "project_id": project.id})
    return plan.summary(applied=True)


def _event(kind: str, hid: str, action: str, before, after) -> dict[str, Any]:
    return {"entity_type": kind, "entity_id": hid, "action": action, "before": before, "after": after}


def _lock_versions(session: Session, project: Project, plan: SyncPlan) -> dict[str, dict[str, int]]:
    """Per level, the version each item the plan changes or retires is written from; raises `PlanOutdated`.

    The rows are read and locked (FOR UPDATE on PostgreSQL, in ID order, so two imports never deadlock; a
    SQLite writer already holds the whole database) before anything is written: one saved since the plan was
    made (its version is not the plan's `version_before`) refuses the plan. One query per level with updates.
    """
    versions: dict[str, dict[str, int]] = {kind: {} for kind in LEVELS}
    stale: list[str] = []
    for kind in LEVELS:
        updates = [item for item in plan.items if item.kind == kind and item.action in ("change", "remove")]
        if not updates:
            continue
        model = ITEM_MODELS[kind]
        found = versions[kind] = dict(session.exec(
            select(model.hid, model.version).where(model.project_id == project.id,
                                                   model.hid.in_([item.hid for item in updates]))
            .order_by(model.id).with_for_update()).all())
        # An item planned without a stored version (not from stored state) is written from the version found.
        stale += [item.hid for item in updates if item.hid not in found
                  or item.version_before not in (None, found[item.hid])]
    if stale:
        raise PlanOutdated(stale)
    return versions


def _update_rows(session: Session, model, items: list[ItemPlan], ids: dict[str, int], versions: dict[str, int],
                 now, printed: dict[tuple[str, str], str], *, with_values: bool) -> None:
    """One executemany UPDATE per kind of change, matching the version the plan was made from (`versions`, read
    and locked by `_lock_versions`, which refused the plan had any row moved on)."""
    if not items:
        return
    table = model.__table__
    names = [*EDITABLE_FIELDS[items[0].kind], "fingerprint"] if with_values else []
    statement = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version")) \
        .values(status=bindparam("_status"), version=bindparam("_new_version"), updated_at=now,
                **{name: bindparam(f"_{name}") for name in names})
    rows = []
    for item in items:
        version = versions[item.hid]
        row = {"_id": ids[item.hid], "_version": version, "_new_version": version + 1, "_status": item.status}
        if with_values:
            values = {**item.values, "fingerprint": printed[(item.kind, item.hid)]}
            row.update({f"_{name}": values[name] for name in names})
        rows.append(row)
    session.exec(statement, params=rows)


def _plan_item(item: Desired, row: dict | None, links, known, plan: SyncPlan, default_status: str,
               base: dict[str, Any]) -> ItemPlan:
    kind = item.kind
    spec = LINKS_UP.get(kind)
    result = ItemPlan(kind=kind, hid=item.hid, action="unchanged", where=item.where)
    if row is None:
        result.values = {**base, **item.fields}
        result.status = item.status or default_status
        result.action = "add"
    else:
        result.version_before = row["version"]
        current = {name: row[name] for name in EDITABLE_FIELDS[kind]}
        result.values = {**current, **item.fields}
        result.status = item.status or row["status"]
        result.changes = [Change(name, current[name], result.values[name]) for name in EDITABLE_FIELDS[kind]
                          if current[name] != result.values[name]]
        if result.status != row["status"]:
            result.changes.append(Change("status", row["status"], result.status))
    if spec is not None and item.upstream is not None:
        missing = [hid for hid in item.upstream if hid not in known[spec.upstream]]
        for hid in missing:
            plan.errors.append({**item.where, "column": item.where.get("link_column", item.where.get("column")),
                                "message": missing_link(item.hid, spec.upstream, hid)})
        wanted = [hid for hid in dict.fromkeys(item.upstream) if hid not in missing]
        have = sorted(links[kind].get(item.hid, set()), key=hid_key) if row is not None else []
        result.links_add = [hid for hid in wanted if hid not in have]
        result.links_remove = [hid for hid in have if hid not in wanted]
        if row is not None and (result.links_add or result.links_remove):
            result.changes.append(Change(spec.label, ", ".join(have), ", ".join(wanted)))
    if row is not None and result.changes:
        result.action = "change"
    return result


def _apply_links(session: Session, project: Project, plan: SyncPlan, *, actor: str, now,
                 printed: dict[tuple[str, str], str]) -> None:
    """Add and remove links in bulk; a new link is reviewed against its upstream item as it now is."""
    wanted = [item for item in plan.items if item.links_add or item.links_remove]
    if not wanted:
        return
    connection = session.connection()
    ids = {kind: _ids(session, project, kind) for kind in LEVELS}
    for kind, spec in LINKS_UP.items():
        table = spec.model.__table__
        adds = [(hid, item.hid) for item in wanted if item.kind == kind for hid in item.links_add]
        removes = [(hid, item.hid) for item in wanted if item.kind == kind for hid in item.links_remove]
        if adds:
            stored = _fingerprints(session, project, spec.upstream)
            bulk_insert(connection, table, [{
                spec.upstream_column: ids[spec.upstream][up], spec.downstream_column: ids[kind][down],
                "reviewed_fingerprint": printed.get((spec.upstream, up)) or stored[up]} for up, down in adds],
                {"project_id": project.id, "reviewed_at": now, "reviewed_by": actor})
        if removes:
            connection.execute(delete(table).where(
                getattr(table.c, spec.upstream_column) == bindparam("up"),
                getattr(table.c, spec.downstream_column) == bindparam("down")),
                [{"up": ids[spec.upstream][up], "down": ids[kind][down]} for up, down in removes])


def _ids(session: Session, project: Project, kind: str) -> dict[str, int]:
    model = ITEM_MODELS[kind]
    return dict(session.connection().execute(select(model.hid, model.id).where(model.project_id == project.id)).all())


def _fingerprints(session: Session, project: Project, kind: str) -> dict[str, str]:
    model = ITEM_MODELS[kind]
    return dict(session.connection().execute(
        select(model.hid, model.fingerprint).where(model.project_id == project.id)).all())


def _load_items(session: Session, project: Project | None) -> dict[str, dict[str, dict]]:
    result: dict[str, dict[str, dict]] = {kind: {} for kind in LEVELS}
    if project is None:
        return result
    for kind in LEVELS:
        model = ITEM_MODELS[kind]
        names = ["hid", "seq", "status", "version", *EDITABLE_FIELDS[kind]]
        statement = select(*(getattr(model, name) for name in names)).where(model.project_id == project.id)
        items = result[kind]
        for row in session.connection().execute(statement).all():
            items[row[0]] = dict(zip(names, row))
    return result


def _load_links(session: Session, project: Project | None) -> dict[str, dict[str, set[str]]]:
    """Per level, each item's upstream IDs."""
    result: dict[str, dict[str, set[str]]] = {kind: {} for kind in LINKS_UP}
    if project is None:
        return result
    for kind, spec in LINKS_UP.items():
        table = spec.model.__table__
        upper, lower = ITEM_MODELS[spec.upstream], ITEM_MODELS[kind]
        statement = (select(upper.hid, lower.hid).select_from(table)
                     .join(upper, upper.id == getattr(table.c, spec.upstream_column))
                     .join(lower, lower.id == getattr(table.c, spec.downstream_column))
                     .where(table.c.project_id == project.id))
        above = result[kind]
        for up, down in session.connection().execute(statement):  # plain rows: tens of thousands of links
            ups = above.get(down)
            if ups is None:
                above[down] = {up}
            else:
                ups.add(up)
    return result


def new_links_to_retired_items(plan: SyncPlan, state: StoredState | None) -> list[tuple[ItemPlan, str]]:
    """(item, message) for each link `plan` adds to or from an item retired in `state` and left retired.

    "Retired" is the project's item as stored and left retired by the plan: a plan that restores an item may
    link to it and from it, and one that retires an item may keep or add links to it (in the forms: link
    first, then retire). Read from the project state already loaded: no query.
    """
    if state is None:
        return []
    retired = {kind: {hid for hid, row in items.items() if row["status"] == "retired"}
               for kind, items in state.items.items()}
    if not any(retired.values()):
        return []
    restored = {(item.kind, item.hid) for item in plan.items
                if item.action == "change" and item.status != "retired"}
    found = []
    for item in plan.items:
        if not item.links_add:
            continue
        upstream = LINKS_UP[item.kind].upstream
        if item.hid in retired[item.kind] and (item.kind, item.hid) not in restored:
            found.append((item, _retired_item_message(item)))
            continue
        found.extend((item, _retired_link_message(item, upstream, hid)) for hid in item.links_add
                     if hid in retired[upstream] and (upstream, hid) not in restored)
    return found


def _retired_link_message(item: ItemPlan, upstream: str, hid: str) -> str:
    subject = f"new {item.kind} {item.hid} links" if item.action == "add" else f"{item.hid} would get a new link"
    return (f"{subject} to {upstream} {hid}, which is retired: a retired item takes no new links (links it already "
            f"has stay). Link a {upstream} in use instead, or have the CRM lead restore {hid} first")


def _retired_item_message(item: ItemPlan) -> str:
    return (f"{item.hid} is retired and would get new links to {', '.join(item.links_add)}: a retired item takes no "
            f"new links (links it already has stay). Leave its links as they are, or have the CRM lead restore "
            f"{item.hid} first")
