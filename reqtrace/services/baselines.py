"""Baselines freeze the approved chain under a name; any two states can be compared.

A baseline holds every approved item of every level with its fields and the
IDs of the items directly above it. POC scripts and questionnaires are issued
from a baseline, so what vendors were asked to prove never shifts under them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from reqtrace import audit
from reqtrace.model import ITEM_MODELS, LEVELS, LINKS_UP, Baseline, BaselineItem, Project, utcnow
from reqtrace.schemas import EDITABLE_FIELDS, Problem
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.trace.graph import hid_key

MAX_BASELINE_NAME = 80  # as the model's column
BASELINE_NAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9 ._\-]{{0,{MAX_BASELINE_NAME - 1}}}$")
CURRENT = "current"  # the name that means "the project as it is now" in comparisons
JSON_SUFFIX = ".json"  # every page's JSON twin is its address + ".json", so no name may end in it

State = dict[tuple[str, str], dict[str, Any]]  # (level, ID) -> fields, status, version, links


def create_baseline(session: Session, project: Project, *, name: str, actor: str, note: str = "") -> Baseline:
    """Freeze the approved items of every level under `name`."""
    typed, name = (name or "").strip(), check_baseline_name(name)
    existing = session.exec(select(Baseline.name).where(Baseline.project_id == project.id)).scalars()
    taken = next((other for other in existing if same_name(other, name)), None)
    if taken is not None:
        alike = "" if taken == typed else " (names that differ only in capitals or spaces look the same)"
        raise Conflict(f"project {project.key} already has a baseline named {taken!r}{alike}")
    state = {key: data for key, data in project_state(session, project).items() if data["status"] == "approved"}
    counts = {kind: sum(1 for (level, _hid) in state if level == kind) for kind in LEVELS}
    if not counts["requirement"]:
        raise Invalid([Problem("name", "no approved requirement to freeze: approve requirements first")])
    baseline = Baseline(project_id=project.id, name=name, note=note.strip(), created_by=actor, counts=counts,
                        created_at=utcnow())
    session.add(baseline)
    session.flush()
    session.exec(insert(BaselineItem), params=[
        {"baseline_id": baseline.id, "kind": kind, "hid": hid, "data": data} for (kind, hid), data in state.items()])
    if project.status == "drafting":
        project.status = "baselined"
        session.add(project)
    audit.record(session, actor=actor, project_id=project.id, entity_type="baseline", entity_id=name,
                 action="create", after={"name": name, "note": baseline.note, "counts": counts})
    return baseline


def same_name(first: str, second: str) -> bool:
    """Whether two baseline names read the same to a person (capitals and runs of spaces aside)."""
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def check_baseline_name(name: str) -> str:
    """The name, trimmed, runs of spaces made one; Invalid, saying why, if no baseline may carry it."""
    # A page shows "QA  B1" as "QA B1", and a list of names could not tell the two apart.
    name = " ".join((name or "").split())
    if len(name) > MAX_BASELINE_NAME:
        raise Invalid([Problem("name", f"a baseline name has at most {MAX_BASELINE_NAME} characters "
                                       f"(this one has {len(name)})")])
    if not name:
        raise Invalid([Problem("name", "give the baseline a name, e.g. POC issue 1")])
    if not BASELINE_NAME.match(name) or name.lower() == CURRENT:
        # ASCII only: "é" written as one character or as "e" plus an accent looks the same but differs.
        odd = sorted({c for c in name if not ((c.isascii() and c.isalnum()) or c in " ._-")})
        which = f" ({name!r} holds {', '.join(repr(c) for c in odd)})" if odd else ""
        raise Invalid([Problem("name", "a baseline name has unaccented letters (A-Z, a-z), digits, spaces, '.', "
                                       "'_' or '-', starts with a letter or a digit, has at most "
                                       f"{MAX_BASELINE_NAME} characters, "
                                       f"and is not '{CURRENT}'{which}")])
    if name.endswith(JSON_SUFFIX):
        # /p/KEY/baselines/x.json is the JSON of baseline "x": a baseline named "x.json" could never be opened.
        raise Invalid([Problem("name", f"a baseline name may not end in '{JSON_SUFFIX}' ({name!r}): the address "
                                       f"of its page would be read as the JSON of a baseline named "
                                       f"{name[:-len(JSON_SUFFIX)]!r}; leave out '{JSON_SUFFIX}' or put it "
                                       "elsewhere in the name")])
    return name


def list_baselines(session: Session, project: Project) -> list[Baseline]:
    return list(session.exec(select(Baseline).where(Baseline.project_id == project.id)
                             .order_by(Baseline.created_at.desc(), Baseline.id.desc())).scalars())


def get_baseline(session: Session, project: Project, name: str) -> Baseline:
    baseline = session.exec(select(Baseline).where(Baseline.project_id == project.id,
                                                   Baseline.name == name)).scalars().first()
    if baseline is None:
        raise NotFound(f"no baseline named {name!r} in project {project.key}")
    return baseline


def latest_baseline(session: Session, project: Project) -> Baseline | None:
    baselines = list_baselines(session, project)
    return baselines[0] if baselines else None


def links_outside(state: State) -> list[dict[str, str]]:
    """The frozen items' links to items above them that the baseline does not hold (not approved when frozen).

    The baseline keeps such a link as it was; saying so matters, since vendors are then asked to prove a
    requirement whose process (or role, or strategy) was not yet agreed. Ordered by level, then ID.
    """
    frozen = {hid for (_kind, hid) in state}
    found = []
    for kind in LEVELS:
        for hid in sorted((hid for (level, hid) in state if level == kind), key=hid_key):
            found.extend({"kind": kind, "id": hid, "links_to": above}
                         for above in state[(kind, hid)].get("links", []) if above not in frozen)
    return found


def outside_note(outside: list[dict[str, str]], shown: int = 5) -> str:
    """One sentence on `links_outside`, naming the first few links."""
    items = len({row["id"] for row in outside})
    named = ", ".join(f"{row['id']} → {row['links_to']}" for row in outside[:shown])
    more = f" and {len(outside) - shown} more" if len(outside) > shown else ""
    return (f"{items} frozen item{'s' if items != 1 else ''} link{'' if items != 1 else 's'} to items above that "
            f"were not approved, so are not in this baseline: {named}{more}.")


def baseline_state(session: Session, baseline: Baseline) -> State:
    rows = session.exec(select(BaselineItem.kind, BaselineItem.hid, BaselineItem.data)
                        .where(BaselineItem.baseline_id == baseline.id))
    return {(kind, hid): data for kind, hid, data in rows}


def project_state(session: Session, project: Project, *, include_retired: bool = False) -> State:
    """Every item as a baseline would hold it, in a constant number of queries."""
    state: State = {}
    ids: dict[str, dict[int, str]] = {}
    for kind in LEVELS:
        model = ITEM_MODELS[kind]
        names = ["id", "hid", "status", "version", *EDITABLE_FIELDS[kind]]
        statement = select(*(getattr(model, name) for name in names)).where(model.project_id == project.id)
        ids[kind] = {}
        for row in session.exec(statement):
            data = dict(zip(names, row))
            ids[kind][data.pop("id")] = data["hid"]
            if data["status"] == "retired" and not include_retired:
                continue
            hid = data.pop("hid")
            data["links"] = []
            state[(kind, hid)] = data
    for kind, spec in LINKS_UP.items():
        table = spec.model.__table__
        statement = select(getattr(table.c, spec.upstream_column), getattr(table.c, spec.downstream_column)) \
            .where(table.c.project_id == project.id)
        for up, down in session.exec(statement):
            entry = state.get((kind, ids[kind][down]))
            if entry is not None:
                entry["links"].append(ids[spec.upstream][up])
    for data in state.values():
        data["links"].sort(key=hid_key)
    return state


def resolve_state(session: Session, project: Project, name: str) -> State:
    """A baseline's state by name, or the current state for "current"."""
    if name == CURRENT:
        return project_state(session, project)
    return baseline_state(session, get_baseline(session, project, name))


def compare(old: State, new: State) -> dict[str, Any]:
    """Items added, removed and changed (field by field) from `old` to `new`."""
    order = lambda key: (LEVELS.index(key[0]), hid_key(key[1]))  # noqa: E731
    added = sorted(set(new) - set(old), key=order)
    removed = sorted(set(old) - set(new), key=order)
    changed = []
    for key in sorted(set(old) & set(new), key=order):
        before, after = old[key], new[key]
        fields = [name for name in dict.fromkeys([*before, *after]) if name != "version"
                  and before.get(name) != after.get(name)]
        if fields:
            changed.append({"kind": key[0], "id": key[1], "title": after.get("title"),
                            "changes": [{"field": name, "before": before.get(name), "after": after.get(name)}
                                        for name in fields]})
    item = lambda key, state: {"kind": key[0], "id": key[1], "title": state[key].get("title")}  # noqa: E731
    return {"added": [item(key, new) for key in added], "removed": [item(key, old) for key in removed],
            "changed": changed, "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)}}


def count_items(session: Session, baseline: Baseline) -> int:
    return session.exec(select(func.count()).select_from(BaselineItem)
                        .where(BaselineItem.baseline_id == baseline.id)).scalar_one()
