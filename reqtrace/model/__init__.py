"""The table models. Importing this package registers every table on the metadata."""

from dataclasses import dataclass

from reqtrace.model.audit import AuditEvent
from reqtrace.model.baseline import Baseline, BaselineItem
from reqtrace.model.chain import (
    Item,
    Link,
    Process,
    ProcessRequirement,
    Project,
    Requirement,
    Role,
    RoleProcess,
    Strategy,
    StrategyRole,
)
from reqtrace.model.people import LoginGuess, LoginSession, User, Vendor
from reqtrace.model.poc import (
    Attachment,
    ChecklistResult,
    ConsensusScore,
    DemoSession,
    PocScript,
    ProbeResult,
    Scenario,
    ScriptIssue,
    SessionAttendee,
    Step,
)
from reqtrace.model.responses import QuestionnaireIssue, VendorResponse
from reqtrace.model.types import as_utc, utcnow

ITEM_MODELS = {"strategy": Strategy, "role": Role, "process": Process, "requirement": Requirement}
PREFIXES = {"strategy": "STR", "role": "ROL", "process": "PRC", "requirement": "REQ"}
LEVELS = list(ITEM_MODELS)  # top to bottom


@dataclass(frozen=True)
class LinkSpec:
    """The link table into one level from the level above it."""

    model: type
    upstream: str  # level above
    downstream: str  # this level
    upstream_column: str
    downstream_column: str
    label: str  # what a list of upstream IDs is called: "strategies", "roles", "processes"


# Keyed by the downstream level: the links pointing up from it.
LINKS_UP = {
    "role": LinkSpec(StrategyRole, "strategy", "role", "strategy_id", "role_id", "strategies"),
    "process": LinkSpec(RoleProcess, "role", "process", "role_id", "process_id", "roles"),
    "requirement": LinkSpec(ProcessRequirement, "process", "requirement", "process_id", "requirement_id",
                            "processes"),
}
# Keyed by the upstream level: the links pointing down from it.
LINKS_DOWN = {spec.upstream: spec for spec in LINKS_UP.values()}
PLURALS = {"strategy": "strategies", "role": "roles", "process": "processes", "requirement": "requirements"}

__all__ = [
    "AuditEvent", "Baseline", "BaselineItem", "Item", "Link", "Process", "ProcessRequirement", "Project", "Requirement", "Role",
    "RoleProcess", "Strategy", "StrategyRole", "LoginGuess", "LoginSession", "User", "Vendor", "QuestionnaireIssue", "VendorResponse",
    "Attachment", "ChecklistResult", "ConsensusScore", "DemoSession", "PocScript", "ProbeResult", "Scenario", "ScriptIssue",
    "SessionAttendee", "Step", "as_utc", "utcnow", "ITEM_MODELS", "PREFIXES",
    "LEVELS", "LINKS_UP", "LINKS_DOWN", "LinkSpec", "PLURALS",
]
