"""Bulk, seeded, realistic projects for the benchmarks.

Everything is written with SQLAlchemy Core `executemany` inserts (one statement
per table), not through the per-item services: those validate, audit and
version one item at a time, which is right for forms and far too slow to build
a 10,000-requirement project. The rows hold what the services would store:
canonical field values, the content fingerprint of each item, and links
reviewed against the upstream fingerprint (except a small, deliberate share of
stale links, so suspect detection has work to do).

    from bench._data import Shape, build_project, fresh_database
    with fresh_database(None) as (engine, label):
        project = build_project(engine, key="bench", shape=Shape.stress(10_000), seed=1)

The same seed and shape always give the same project.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from reqtrace.config import resolve_database_url
from reqtrace.db import make_engine, upgrade, writer
from reqtrace.fingerprint import fingerprint
from reqtrace.model import ITEM_MODELS, LINKS_UP, PREFIXES, Project
from reqtrace.vocab import CAPABILITY, DEPLOYMENT, KIND, MANAGEMENT, PERSPECTIVE, PRIORITY

ACTOR = "bench"
# Fixed, aware UTC: the data does not depend on when the bench runs.
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

TAGS = ("offline", "no-telephony", "mobile", "gdpr", "reporting", "integration", "field-sales",
        "call-centre", "self-service", "analytics", "workflow", "email", "sso", "audit", "pricing")
DEPARTMENTS = ("Sales", "Service", "Marketing", "Operations", "Finance", "IT", "Field service")
VERBS = ("record", "route", "escalate", "approve", "forecast", "segment", "schedule", "reconcile",
         "notify", "qualify", "merge", "archive", "quote", "survey", "assign")
OBJECTS = ("contact", "account", "lead", "opportunity", "case", "order", "quote", "visit", "campaign",
           "complaint", "contract", "invoice", "renewal", "survey response", "service request")
# Weighted so the plan is technology-heavy but every capability is present.
CAPABILITY_WEIGHTS = {"technology": 55, "process": 20, "people": 15, "knowledge-insight": 10}
PRIORITY_WEIGHTS = {"must": 35, "should": 40, "could": 20, "wont": 5}


@dataclass(frozen=True)
class Shape:
    """How many items per level, and how they link and age."""

    strategies: int
    roles: int
    processes: int
    requirements: int
    strategies_per_role: tuple[int, int] = (1, 2)
    roles_per_process: tuple[int, int] = (1, 3)
    processes_per_requirement: tuple[int, int] = (1, 2)
    stale_share: float = 0.01  # links reviewed against an older upstream fingerprint
    retired_share: float = 0.01  # items retired (they and their links take no part in tracing)
    orphan_share: float = 0.005  # requirements linked to no process (technology-driven)

    @classmethod
    def stress(cls, requirements: int = 10_000) -> "Shape":
        """DESIGN.md stress size (10,000 requirements over 400 processes), scaled with `requirements`."""
        scale = requirements / 10_000
        return cls(strategies=max(1, round(40 * scale)), roles=max(1, round(150 * scale)),
                   processes=max(1, round(400 * scale)), requirements=requirements)

    def counts(self) -> dict[str, int]:
        return {"strategy": self.strategies, "role": self.roles, "process": self.processes,
                "requirement": self.requirements}


@dataclass
class BuiltProject:
    id: int
    key: str
    shape: Shape
    items: dict[str, int] = field(default_factory=dict)  # rows per level
    links: dict[str, int] = field(default_factory=dict)  # rows per link table, keyed by downstream level
    stale_links: int = 0
    retired: dict[str, int] = field(default_factory=dict)

    @property
    def total_links(self) -> int:
        return sum(self.links.values())


# --- databases ---------------------------------------------------------------------------------

@contextmanager
def fresh_database(url: str | None, *, keep: bool = False) -> Iterator[tuple[Engine, str]]:
    """A brand-new, migrated database; yields (engine, description) and cleans up afterwards.

    `url` None: a SQLite file in a temporary directory. A PostgreSQL URL names a
    *server*: a throwaway database is created on it and dropped at the end, so
    no existing database is ever written to. A SQLite URL must name a file that
    does not exist yet (kept afterwards).
    """
    if url is None:
        with tempfile.TemporaryDirectory(prefix="reqtrace-bench-") as directory:
            sqlite_url = f"sqlite:///{Path(directory) / 'bench.db'}"
            engine = _migrated(sqlite_url)
            try:
                yield engine, "sqlite (temporary file)"
            finally:
                engine.dispose()
        return
    url = resolve_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and Path(parsed.database).exists():
            raise SystemExit(f"{parsed.database} exists; the bench needs a fresh database file")
        engine = _migrated(url)
        try:
            yield engine, f"sqlite ({parsed.database})"
        finally:
            engine.dispose()
        return
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    name = f"reqtrace_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    bench_url = parsed.set(database=name).render_as_string(hide_password=False)
    engine = _migrated(bench_url)
    try:
        server = parsed.set(database=name).render_as_string(hide_password=True)
        yield engine, f"postgresql ({server}{', kept' if keep else ', dropped afterwards'})"
    finally:
        engine.dispose()
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)  # the real Alembic migrations, as `reqtrace db upgrade` runs them
    return engine


# --- projects ----------------------------------------------------------------------------------

def build_project(engine: Engine, *, key: str, shape: Shape, seed: int = 1) -> BuiltProject:
    """Write one project of `shape` in a single transaction; deterministic for a given seed."""
    rng = random.Random(f"{seed}:{key}:{shape}")
    with writer(engine).begin() as connection:
        connection.execute(insert(Project.__table__), [{
            "key": key, "name": f"Benchmark {key}", "description": "Generated by bench/_data.py",
            "status": "drafting", "readiness": {}, "settings": {}, "created_at": EPOCH}])
        project_id = connection.execute(select(Project.__table__.c.id).where(
            Project.__table__.c.key == key)).scalar_one()
        built = BuiltProject(project_id, key, shape)

        ids: dict[str, list[int]] = {}  # database id per seq - 1
        prints: dict[str, list[str]] = {}
        active: dict[str, list[bool]] = {}
        for kind, count in shape.counts().items():
            rows = [_item_row(kind, seq, rng, project_id, shape) for seq in range(1, count + 1)]
            model = ITEM_MODELS[kind]
            connection.execute(insert(model.__table__), rows)
            by_seq = dict(connection.execute(select(model.seq, model.id).where(model.project_id == project_id)).all())
            ids[kind] = [by_seq[seq] for seq in range(1, count + 1)]
            prints[kind] = [row["fingerprint"] for row in rows]
            active[kind] = [row["status"] != "retired" for row in rows]
            built.items[kind] = count
            built.retired[kind] = count - sum(active[kind])

        for kind, spec in LINKS_UP.items():
            upstream_count = shape.counts()[spec.upstream]
            low, high = {"role": shape.strategies_per_role, "process": shape.roles_per_process,
                         "requirement": shape.processes_per_requirement}[kind]
            rows = []
            for index, down_id in enumerate(ids[kind]):
                if kind == "requirement" and rng.random() < shape.orphan_share:
                    continue
                for up_index in rng.sample(range(upstream_count), min(upstream_count, rng.randint(low, high))):
                    reviewed = prints[spec.upstream][up_index]
                    if rng.random() < shape.stale_share:
                        reviewed = _stale(reviewed)
                        built.stale_links += 1
                    rows.append({spec.upstream_column: ids[spec.upstream][up_index],
                                 spec.downstream_column: down_id, "project_id": project_id,
                                 "reviewed_fingerprint": reviewed,
                                 "reviewed_at": EPOCH + timedelta(minutes=index % 10_000),
                                 "reviewed_by": ACTOR})
            connection.execute(insert(spec.model.__table__), rows)
            built.links[kind] = len(rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:  # the statistics autovacuum would soon gather on a real server
            connection.execute(text("ANALYZE"))
            connection.commit()
    return built


def _stale(current: str) -> str:
    """A fingerprint the upstream had before its last edit."""
    return fingerprint("strategy", {"title": "earlier wording of " + current})


def _status(rng: random.Random, shape: Shape) -> str:
    draw = rng.random()
    if draw < shape.retired_share:
        return "retired"
    return "approved" if draw < 0.85 else rng.choice(("draft", "proposed"))


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _item_row(kind: str, seq: int, rng: random.Random, project_id: int, shape: Shape) -> dict[str, Any]:
    """The stored row of one item: canonical fields, its fingerprint and the common columns."""
    verb, thing = rng.choice(VERBS), rng.choice(OBJECTS)
    if kind == "strategy":
        fields = {"title": f"Grow {thing} value in segment {seq}",
                  "statement": f"Win and keep customers who buy {thing}s through every channel.",
                  "sponsor": "" if rng.random() < 0.05 else f"Director of {rng.choice(DEPARTMENTS)}",
                  "perspective": rng.choice(PERSPECTIVE.slugs), "segment": f"Segment {seq % 12 + 1}",
                  "kpi": "" if rng.random() < 0.05 else f"{thing.title()} retention rate",
                  "target": f"+{rng.randint(2, 20)}% in two years"}
    elif kind == "role":
        department = rng.choice(DEPARTMENTS)
        fields = {"title": f"{department} {thing} owner {seq}",
                  "from_state": f"Keys {thing} data into three systems", "to_state": f"Owns the {thing} end to end",
                  "department": department, "description": f"Accountable for every {thing} in the region."}
    elif kind == "process":
        steps = [f"{rng.choice(VERBS).title()} the {rng.choice(OBJECTS)}" for _ in range(rng.randint(3, 6))]
        fields = {"title": f"{verb.title()} {thing} ({seq})", "description": f"How we {verb} a {thing}.",
                  "steps": steps, "management": rng.choice(MANAGEMENT.slugs),
                  "bottleneck": "" if rng.random() < 0.5 else f"{thing.title()} approval",
                  "peak_demand": "" if rng.random() < 0.5 else "Month end"}
    else:
        fields = {"title": f"The system shall {verb} each {thing} ({seq})",
                  "statement": f"Users can {verb} a {thing} from the {thing} page in one step.",
                  "acceptance": f"Given a {thing}, when a user chooses {verb}, then the {thing} is {verb}ed.",
                  "kind": rng.choice(KIND.slugs), "capability": _pick(rng, CAPABILITY_WEIGHTS),
                  "priority": _pick(rng, PRIORITY_WEIGHTS),
                  "weight": None if rng.random() < 0.9 else float(rng.randint(1, 10)),
                  "tags": rng.sample(TAGS, rng.randint(0, 3)),
                  "excluded_deployments": rng.sample(DEPLOYMENT.slugs, rng.choice((0, 0, 0, 1, 2))),
                  "timebox_minutes": None if rng.random() < 0.7 else rng.choice((5, 10, 15, 30)),
                  "custom_fields": {}}
        assert fields["capability"] in CAPABILITY.slugs and fields["priority"] in PRIORITY.slugs
    at = EPOCH + timedelta(minutes=seq)
    return {"project_id": project_id, "seq": seq, "hid": f"{PREFIXES[kind]}-{seq}", "status": _status(rng, shape),
            "owner": None, "version": 1, "fingerprint": fingerprint(kind, fields), "created_at": at,
            "updated_at": at, **fields}
