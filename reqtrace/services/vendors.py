"""Vendors competing in a project's selection."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.db import add_unique
from reqtrace.model import Project, Vendor
from reqtrace.schemas import Problem, clean_line, clean_text, split_list
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.vocab import DEPLOYMENT, VENDOR_FLAG, UnknownValue

VENDOR_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")
FIELDS = ("name", "product", "deployment", "sandbox_url", "flags", "cost_5y", "notes")
# Bounds of the texts: what the columns hold (PostgreSQL refuses more), and for the notes (a TEXT column) enough
# for a vendor's particulars while keeping the list and its exports readable.
MAX_LENGTHS = {"name": 200, "product": 200, "sandbox_url": 500, "notes": 4_000}


class VendorUnchanged(Exception):
    """An edit that changes nothing: no new version and no audit event."""


class VendorChanged(Conflict):
    """Someone saved the vendor since this edit began."""

    def __init__(self, slug: str, expected: int, current: int):
        self.slug, self.expected, self.current = slug, expected, current
        super().__init__(f"vendor {slug!r} was changed by someone else (you edited version {expected}, it is now "
                         f"version {current}). Your changes were not saved: open the vendor again and redo them.")


def snapshot(vendor: Vendor) -> dict[str, Any]:
    return {"slug": vendor.slug, **{name: getattr(vendor, name) for name in FIELDS}, "version": vendor.version}


def add_vendor(session: Session, project: Project, *, slug: str, name: str, deployment: str, actor: str,
               product: str = "", sandbox_url: str = "", flags: Any = (), cost_5y: Any = None,
               notes: str = "") -> Vendor:
    values = clean_vendor(slug=slug, name=name, deployment=deployment, product=product, sandbox_url=sandbox_url,
                          flags=flags, cost_5y=cost_5y, notes=notes)
    slug = values["slug"]  # as stored: " atlas " is atlas
    taken = f"vendor {slug!r} already exists in project {project.key}"
    if session.exec(select(Vendor).where(Vendor.project_id == project.id, Vendor.slug == slug)).first() is not None:
        raise Conflict(taken)
    vendor = Vendor(project_id=project.id, **values)
    add_unique(session, vendor, taken)
    audit.record(session, actor=actor, project_id=project.id, entity_type="vendor", entity_id=slug,
                 action="create", after=snapshot(vendor))
    return vendor


def get_vendor(session: Session, project: Project, slug: str) -> Vendor:
    vendor = session.exec(select(Vendor).where(Vendor.project_id == project.id, Vendor.slug == slug)).first()
    if vendor is None:
        raise NotFound(f"no vendor {slug!r} in project {project.key}")
    return vendor


def update_vendor(session: Session, project: Project, slug: str, changes: dict[str, Any], *, actor: str,
                  expected_version: int | None = None) -> tuple[Vendor, list[str]]:
    """Change some of a vendor's fields (not its slug); audited with before and after, version + 1.

    Returns the vendor and the fields this edit changed.

    `changes` holds only the fields to change; the others keep their values. With `expected_version`, an
    edit begun on an older version is refused (VendorChanged), so nobody overwrites a change unseen.
    Raises VendorUnchanged when every value given is the one stored.
    """
    # Locked (PostgreSQL) and read afresh, so two saves of the same version cannot both pass the check below.
    vendor = session.exec(select(Vendor).where(Vendor.project_id == project.id, Vendor.slug == slug)
                          .with_for_update().execution_options(populate_existing=True)).first()
    if vendor is None:
        raise NotFound(f"no vendor {slug!r} in project {project.key}")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise Invalid([Problem(name, "a vendor's slug never changes: workbooks, scripts and commands name the "
                                     "vendor by it" if name == "slug" else
                               f"a vendor has no field {name!r}; the fields are {', '.join(FIELDS)}")
                       for name in unknown])
    if expected_version is not None and expected_version != vendor.version:
        raise VendorChanged(slug, expected_version, vendor.version)
    before = snapshot(vendor)
    values = clean_vendor(**{**before, **changes, "slug": slug})
    changed = {name: values[name] for name in FIELDS if values[name] != before[name]}
    if not changed:
        raise VendorUnchanged(f"nothing to change: vendor {slug!r} already has these values")
    for name, value in changed.items():
        setattr(vendor, name, value)
    vendor.version += 1
    session.add(vendor)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="vendor", entity_id=slug,
                 action="update", before={name: before[name] for name in changed} | {"version": before["version"]},
                 after={name: changed[name] for name in changed} | {"version": vendor.version})
    return vendor, list(changed)


def list_vendors(session: Session, project: Project) -> list[Vendor]:
    return list(session.exec(select(Vendor).where(Vendor.project_id == project.id).order_by(Vendor.slug)))


# Zero-width characters, dropped to see whether a name shows anything at all.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
COST = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?$")  # ASCII digits: "1_000" and other scripts' digits are no amount here
MAX_COST = 1e15


def _cost(value: Any, problems: list[Problem]) -> float | None:
    """The five-year cost: None when not known (blank), else 0 or an amount of at least 1.

    A positive amount below 1 is no five-year cost in any currency, and value for money (T per million of
    cost) would overflow on it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        amount = math.nan
    elif isinstance(value, str):
        text = value.strip()
        amount = float(text) if COST.match(text) else math.nan
    else:
        amount = float(value)
    if not math.isfinite(amount) or amount < 0:
        hint = " (write it without thousands separators, e.g. 1450000)" if isinstance(value, str) and "," in value \
            else ""
        problems.append(Problem("cost_5y", f"{value!r} is not a cost (a number, 0 or more){hint}"))
        return None
    if 0 < amount < 1 or amount > MAX_COST:
        problems.append(Problem("cost_5y", f"{value!r} is not a five-year cost: give 0 or an amount from 1 to "
                                           f"{MAX_COST:,.0f}"))
        return None
    return amount + 0.0  # -0.0 is 0


def clean_vendor(**raw: Any) -> dict[str, Any]:
    """Validate a vendor's fields; raise Invalid naming each bad field."""
    problems: list[Problem] = []
    slug = (raw.get("slug") or "").strip()
    if not VENDOR_SLUG.match(slug):
        problems.append(Problem("slug", f"{slug!r} is not a vendor slug: lowercase letters, digits and dashes"))
    deployment = ""
    try:
        deployment = DEPLOYMENT.parse(raw.get("deployment"))
    except UnknownValue as error:
        problems.append(Problem("deployment", str(error)))
    flags: list[str] = []
    for flag in split_list(raw.get("flags")):
        try:
            flags.append(VENDOR_FLAG.parse(flag))
        except UnknownValue as error:
            problems.append(Problem("flags", str(error)))
    cost = _cost(raw.get("cost_5y"), problems)
    texts = {}
    for field in ("name", "product", "sandbox_url", "notes"):
        label = {"sandbox_url": "sandbox URL"}.get(field, field)
        value = raw.get(field)
        try:
            text = clean_text(value if value is not None else "") if field == "notes" else \
                clean_line(value if value is not None else "", f"a vendor's {label}")
        except ValueError as error:
            problems.append(Problem(field, str(error)))
            continue
        texts[field] = text
        limit = MAX_LENGTHS[field]
        if len(text) > limit:
            problems.append(Problem(field, f"a vendor's {label} has at most {limit:,} characters "
                                           f"(this one has {len(text):,})"))
    if "name" in texts and not texts["name"].translate(INVISIBLE).strip():
        problems.append(Problem("name", "a vendor needs a name"))
    url = texts.get("sandbox_url", "")
    if url and not re.match(r"^https?://", url, re.IGNORECASE):
        problems.append(Problem("sandbox_url", "a sandbox URL starts with http:// or https://"))
    if problems:
        raise Invalid(problems)
    return {"slug": slug, "name": texts["name"], "product": texts["product"], "deployment": deployment,
            "sandbox_url": texts["sandbox_url"], "flags": list(dict.fromkeys(flags)), "cost_5y": cost,
            "notes": texts["notes"]}
