"""The one sample project, used by `reqtrace demo`, the docs and the tests.

It is the shipped catalogue, approved, for Calder Pumps (the fictional
industrial-equipment maker the catalogue's acceptance criteria use), with a readiness assessment, three vendors whose
deployment models differ, and one user per role.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlmodel import Session

from reqtrace.catalog import default_directory
from reqtrace.catalog.loader import load_catalog
from reqtrace.catalog.reader import read_catalog
from reqtrace.model import Project
from reqtrace.sample_evidence import add_sample_evidence
from reqtrace.services.errors import Invalid
from reqtrace.services.projects import create_project, set_readiness
from reqtrace.services.users import add_user
from reqtrace.services.vendors import add_vendor

KEY = "crm"
NAME = "CRM selection at Calder Pumps"
DESCRIPTION = (
    "Calder Pumps makes and services industrial pumps, compressors and valves, selling through field reps, "
    "inside sales, distributors and a customer portal. Top management has set customer-centric strategies; "
    "this project chooses the CRM system that will support the roles and processes those strategies change.")
ACTOR = "sample"

# Stages 1 (product-focused) to 4 (customer-focused); technology has run ahead, as it tends to.
READINESS = {"business_focus": 3, "organisational_structure": 2, "business_metrics": 2,
             "marketing_focus": 3, "technology": 4}

VENDORS = [
    {"slug": "atlas", "name": "Atlas Field Systems", "product": "Atlas CRM 9", "deployment": "hybrid-offline",
     "cost_5y": 1_450_000, "notes": "Offline-capable client that synchronises with a central server."},
    {"slug": "keystone", "name": "Keystone Business Software", "product": "Keystone CRM Suite",
     "deployment": "on-premise", "cost_5y": 1_900_000,
     "notes": "Installed client on each laptop, server in our data centre."},
    {"slug": "nimbus", "name": "Nimbus Cloud", "product": "Nimbus Sales Cloud", "deployment": "thin-client",
     "cost_5y": 980_000, "notes": "Browser-only; the vendor hosts the application."},
]

# What vendors load into their product before the demo: the catalogue's acceptance criteria use these records.
SAMPLE_DATA = """Load these records of Calder Pumps into your product before the demonstration; every step is shown
on them, not on your own demonstration data. We send them as a workbook with the script.

| record | what it is |
|---|---|
| Millbrook Water Authority | key account (tier A): a water utility with 14 treatment sites, among them Eastfield |
| Gresley Chemicals | key account with a chemical plant (Hull works) and a Silver service contract |
| Tarnside Brewery | mid-market account (tier C) |
| Aldous Machine Builders | machine builder (OEM) with a credit limit of EUR 250,000 |
| Penrose Workshop | small workshop (tier D), served through the web and a distributor |
| Northgate Industrial Supply | the distributor for the North territory |
| CP-200, RX-45, VB-10, SK-200 | a centrifugal pump, a rotary screw compressor, a valve block and a seal kit |
| CP200-17-0412, RX45-19-0088, CP200-21-0977 | units installed at Gresley (the first two) and Tarnside |
| INV-20417, INV-20433, SO-55812 | two invoices and a sales order |
| Gold, Silver, Bronze; tiers A to D | service contract levels and profitability tiers |

Also load 250 accounts for one sales territory (the offline steps synchronise it) and a year of orders."""

# username -> (role, display name). `reqtrace demo` prints their password.
USERS = {
    "lead": ("admin", "Morgan Reyes (CRM lead)"),
    "owner": ("owner", "Sam Okafor (requirement owner)"),
    "procurement": ("procurement", "Priya Natarajan (procurement)"),
    "evaluator": ("evaluator", "Lee Brandt (evaluator)"),
}


# The sample requirement owner writes the field-sales chain (the other items have no owner
# yet: the CRM lead assigns them).
OWNER_USERNAME = "owner"
OWNED_FILES = {"field-sales.toml"}


def new_password() -> str:
    return secrets.token_urlsafe(12)


def build_sample(session: Session, *, password: str | None = None, catalog_dir: Path | None = None,
                 with_users: bool = True, with_evidence: bool = True) -> Project:
    """Create the sample project (and users, when `with_users`) in an empty database."""
    catalog = read_catalog(catalog_dir or default_directory())
    if not catalog.ok:
        raise Invalid([], "the shipped catalogue has problems: " + "; ".join(map(str, catalog.problems[:5])))
    if with_users:  # first: the catalogue names the requirement owner, and an owner must be an account
        for username, (role, display_name) in USERS.items():
            add_user(session, username=username, role=role, display_name=display_name,
                     password=password or new_password(), actor=ACTOR)
        for item in catalog.items:
            if item.file in OWNED_FILES:
                item.fields["owner"] = OWNER_USERNAME
    project = create_project(session, key=KEY, name=NAME, description=DESCRIPTION, actor=ACTOR)
    project.settings = {**(project.settings or {}), "poc_sample_data": SAMPLE_DATA}
    session.add(project)
    loaded = load_catalog(session, project, catalog, actor=ACTOR, status="approved")
    if loaded["errors"]:
        raise Invalid([], "the shipped catalogue cannot be loaded: " + "; ".join(
            error["message"] for error in loaded["errors"][:5]))
    set_readiness(session, project, READINESS, actor=ACTOR)
    for vendor in VENDORS:
        add_vendor(session, project, actor=ACTOR, **vendor)
    if with_evidence:
        add_sample_evidence(session, project, actor=ACTOR)
    return project
