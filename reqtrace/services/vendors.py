"""Vendors competing in a project's selection."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.model import Project, Vendor
from reqtrace.schemas import Problem, split_list
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.vocab import DEPLOYMENT, VENDOR_FLAG, UnknownValue

VENDOR_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")
FIELDS = ("name", "product", "deployment", "sandbox_url", "flags", "cost_5y", "notes")


def snapshot(vendor: Vendor) -> dict[str, Any]:
    return {"slug": vendor.slug, **{name: getattr(vendor, name) for name in FIELDS}, "version": vendor.version}


def add_vendor(session: Session, project: Project, *, slug: str, name: str, deployment: str, actor: str,
               product: str = "", sandbox_url: str = "", flags: Any = (), cost_5y: Any = None,
               notes: str = "") -> Vendor:
    values = clean_vendor(slug=slug, name=name, deployment=deployment, product=product, sandbox_url=sandbox_url,
                          flags=flags, cost_5y=cost_5y, notes=notes)
    exists = session.exec(select(Vendor).where(Vendor.project_id == project.id, Vendor.slug == slug)).first()
    if exists is not None:
        raise Conflict(f"vendor {slug!r} already exists in project {project.key}")
    vendor = Vendor(project_id=project.id, **values)
    session.add(vendor)
    session.flush()
    audit.record(session, actor=actor, project_id=project.id, entity_type="vendor", entity_id=slug,
                 action="create", after=snapshot(vendor))
    return vendor


def get_vendor(session: Session, project: Project, slug: str) -> Vendor:
    vendor = session.exec(select(Vendor).where(Vendor.project_id == project.id, Vendor.slug == slug)).first()
    if vendor is None:
        raise NotFound(f"no vendor {slug!r} in project {project.key}")
    return vendor


def list_vendors(session: Session, project: Project) -> list[Vendor]:
    return list(session.exec(select(Vendor).where(Vendor.project_id == project.id).order_by(Vendor.slug)))


def clean_vendor(**raw: Any) -> dict[str, Any]:
    """Validate a vendor's fields; raise Invalid naming each bad field."""
    problems: list[Problem] = []
    slug = (raw.get("slug") or "").strip()
    if not VENDOR_SLUG.match(slug):
        problems.append(Problem("slug", f"{slug!r} is not a vendor slug: lowercase letters, digits and dashes"))
    name = (raw.get("name") or "").strip()
    if not name:
        problems.append(Problem("name", "a vendor needs a name"))
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
    cost = raw.get("cost_5y")
    if cost in (None, ""):
        cost = None
    else:
        try:
            cost = float(cost)
            if not math.isfinite(cost) or cost < 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem("cost_5y", f"{raw.get('cost_5y')!r} is not a cost (a number, 0 or more)"))
    url = (raw.get("sandbox_url") or "").strip()
    if url and not re.match(r"^https?://", url):
        problems.append(Problem("sandbox_url", "a sandbox URL starts with http:// or https://"))
    if problems:
        raise Invalid(problems)
    return {"slug": slug, "name": name, "product": (raw.get("product") or "").strip(), "deployment": deployment,
            "sandbox_url": url, "flags": flags, "cost_5y": cost, "notes": (raw.get("notes") or "").strip()}
