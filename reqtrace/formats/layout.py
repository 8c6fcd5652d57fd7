"""The reqtrace requirements workbook: its sheets and columns (DESIGN.md, workbook contract).

One sheet per level, first column ID, links pointing upward as comma-separated
ID lists. The importer reads these columns back by name, and also recognises
the synonyms other tools use, so the same table drives export, import and the
column mapping of foreign workbooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from reqtrace.vocab import CAPABILITY, DEPLOYMENT, KIND, MANAGEMENT, PERSPECTIVE, PRIORITY, STATUS, Vocabulary

FORMAT_NAME = "reqtrace-requirements"
FORMAT_VERSION = 1
META_SHEET = "_reqtrace"
INSTRUCTIONS_SHEET = "Instructions"


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # a field of the level, or "id", "links", "status", "version"
    width: int = 16
    vocabulary: Vocabulary | None = None  # a dropdown of these values
    choices: tuple[str, ...] = ()  # dropdown values as written (default: the vocabulary's slugs)
    locked: bool = False  # reqtrace owns it: sheet protection keeps people from editing it
    wrap: bool = False
    help: str = ""

    @property
    def dropdown(self) -> tuple[str, ...]:
        return self.choices or (tuple(self.vocabulary.slugs) if self.vocabulary else ())


ID = Column("ID", "id", 10, locked=True,
            help="Assigned by reqtrace. Leave it blank on a new row; reqtrace gives the row an ID on import.")
TITLE = Column("Title", "title", 42, help="One line. Required.")
OWNER = Column("Owner", "owner", 14, help="The username of the requirement owner.")
STATUS_COLUMN = Column("Status", "status", 12, STATUS,
                       help="draft, proposed, approved or retired. Blank: new rows are drafts, others keep theirs.")
VERSION = Column("Version", "version", 9, locked=True,
                 help="The version you exported; reqtrace warns when an item changed since.")
PRIORITY_CHOICES = ("must", "should", "could", "won't")

SHEETS: dict[str, tuple[str, list[Column]]] = {
    "strategy": ("Strategies", [
        ID, TITLE,
        Column("Statement", "statement", 60, wrap=True, help="The customer-centric strategy (Markdown)."),
        Column("Executive sponsor", "sponsor", 24),
        Column("Perspective", "perspective", 14, PERSPECTIVE, help="Balanced-scorecard perspective."),
        Column("Customer segment", "segment", 24),
        Column("KPI", "kpi", 30), Column("Target", "target", 26),
        OWNER, STATUS_COLUMN, VERSION,
    ]),
    "role": ("Roles", [
        ID, TITLE,
        Column("Strategies", "links", 16, help="IDs of the strategies this role serves, comma-separated."),
        Column("From", "from_state", 40, wrap=True, help="What the function does today."),
        Column("To", "to_state", 40, wrap=True, help="What it does once the strategies are in place."),
        Column("Department", "department", 18),
        Column("Description", "description", 40, wrap=True),
        OWNER, STATUS_COLUMN, VERSION,
    ]),
    "process": ("Processes", [
        ID, TITLE,
        Column("Roles", "links", 16, help="IDs of the roles that run this process, comma-separated."),
        Column("Description", "description", 50, wrap=True),
        Column("Steps", "steps", 40, wrap=True, help="One step per line, in order."),
        Column("Management", "management", 16, MANAGEMENT, help="balanced-flow or constraint."),
        Column("Bottleneck", "bottleneck", 30, wrap=True),
        Column("Peak demand", "peak_demand", 30, wrap=True),
        OWNER, STATUS_COLUMN, VERSION,
    ]),
    "requirement": ("Requirements", [
        ID, TITLE,
        Column("Processes", "links", 16, help="IDs of the processes it supports, comma-separated."),
        Column("Statement", "statement", 60, wrap=True, help="What the system must do (Markdown)."),
        Column("Acceptance criteria", "acceptance", 50, wrap=True, help="What an evaluator checks in the demo."),
        Column("Kind", "kind", 22, KIND),
        Column("Capability", "capability", 18, CAPABILITY),
        Column("Priority", "priority", 10, PRIORITY, PRIORITY_CHOICES),
        Column("Weight", "weight", 9, help="Blank: the priority's default (must 5, should 3, could 1, won't 0)."),
        Column("Tags", "tags", 20, help="Comma-separated, e.g. offline, no-telephony."),
        Column("Excluded deployments", "excluded_deployments", 22,
               help="Deployment models this requirement rules out, comma-separated: "
                    + ", ".join(DEPLOYMENT.slugs) + "."),
        Column("Timebox (minutes)", "timebox_minutes", 10, help="Minutes the demo step may take; blank: default."),
        OWNER, STATUS_COLUMN, VERSION,
    ]),
}
LEVEL_BY_SHEET = {sheet.lower(): kind for kind, (sheet, _columns) in SHEETS.items()}


def is_reqtrace_workbook(sheet_names: list[str]) -> bool:
    """A reqtrace requirements workbook is recognised by its four level sheets."""
    names = {name.strip().lower() for name in sheet_names}
    return all(sheet.lower() in names for sheet, _columns in SHEETS.values())
