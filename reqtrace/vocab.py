"""The enumerated values of the domain, with their labels and accepted synonyms.

Every reader of user input (forms, workbooks, the catalogue) parses through
`Vocabulary.parse`, so a value like "Must have" or "M" means the same thing
everywhere and a value outside the list is always an error, never a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


DISPLAY = {"wont": "won't"}  # slugs written differently in messages and workbooks


class UnknownValue(ValueError):
    """A value that is not one of a vocabulary's terms or synonyms."""


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-'’&/]+", " ", text.strip().lower()).strip()


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: dict[str, str]  # slug -> label
    synonyms: dict[str, str] = field(default_factory=dict)  # synonym -> slug

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for slug, label in self.terms.items():
            lookup[_normalise(slug)] = slug
            lookup[_normalise(label)] = slug
        for synonym, slug in self.synonyms.items():
            assert slug in self.terms, (self.name, synonym, slug)
            lookup[_normalise(synonym)] = slug
        object.__setattr__(self, "_lookup", lookup)
        # Values repeat (a workbook says "Must" thousands of times): remember raw -> slug.
        object.__setattr__(self, "_seen", {slug: slug for slug in self.terms})

    @property
    def slugs(self) -> list[str]:
        return list(self.terms)

    def parse(self, value: object) -> str:
        """Return the slug for `value`, matching case-insensitively with synonyms."""
        seen = self._seen.get(value) if isinstance(value, str) else None  # type: ignore[attr-defined]
        if seen is not None:
            return seen
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = f"{value:g}"  # a cell that holds 1 for "must"
        if not isinstance(value, str) or not value.strip():
            raise UnknownValue(f"{self.name} is empty; expected one of: {self.choices()}")
        slug = self._lookup.get(_normalise(value))  # type: ignore[attr-defined]
        if slug is None:
            raise UnknownValue(f"{value!r} is not a {self.name}; expected one of: {self.choices()}")
        if len(self._seen) < 4096:  # type: ignore[attr-defined]
            self._seen[value] = slug  # type: ignore[attr-defined]
        return slug

    def label(self, slug: str) -> str:
        return self.terms.get(slug, slug)

    def choices(self) -> str:
        return ", ".join(DISPLAY.get(slug, slug) for slug in self.terms)


PRIORITY = Vocabulary(
    "priority",
    {"must": "Must", "should": "Should", "could": "Could", "wont": "Won't"},
    {
        "must have": "must", "m": "must", "mandatory": "must", "essential": "must",
        "critical": "must", "high": "must", "1": "must", "shall": "must",
        "should have": "should", "s": "should", "important": "should", "medium": "should",
        "2": "should",
        "could have": "could", "c": "could", "nice to have": "could", "desirable": "could",
        "optional": "could", "low": "could", "3": "could", "may": "could",
        "won't": "wont", "wont have": "wont", "won't have": "wont", "w": "wont",
        "will not": "wont", "out of scope": "wont", "not required": "wont", "4": "wont",
    },
)

# Weight of a requirement when none is stored (DESIGN.md, scoring model).
PRIORITY_WEIGHT = {"must": 5.0, "should": 3.0, "could": 1.0, "wont": 0.0}

STATUS = Vocabulary(
    "status",
    {"draft": "Draft", "proposed": "Proposed", "approved": "Approved", "retired": "Retired"},
    {"new": "draft", "in review": "proposed", "review": "proposed", "submitted": "proposed",
     "accepted": "approved", "agreed": "approved", "baselined": "approved",
     "deleted": "retired", "obsolete": "retired", "withdrawn": "retired"},
)

KIND = Vocabulary(
    "requirement kind",
    {"process-control": "Process control support",
     "information-management": "Information management support"},
    {"process control": "process-control", "process": "process-control", "control": "process-control",
     "pc": "process-control", "functional": "process-control",
     "information management": "information-management", "information": "information-management",
     "data": "information-management", "im": "information-management"},
)

CAPABILITY = Vocabulary(
    "capability",
    {"technology": "Technology", "people": "People", "process": "Process",
     "knowledge-insight": "Knowledge & insight"},
    {"tech": "technology", "it": "technology", "knowledge": "knowledge-insight",
     "insight": "knowledge-insight", "knowledge and insight": "knowledge-insight",
     "skills": "people"},
)

PERSPECTIVE = Vocabulary(
    "scorecard perspective",
    {"customer": "Customer", "financial": "Financial", "operations": "Operations", "people": "People"},
    {"finance": "financial", "internal": "operations", "internal process": "operations",
     "operational": "operations", "learning and growth": "people", "learning": "people"},
)

MANAGEMENT = Vocabulary(
    "management approach",
    {"balanced-flow": "Balanced flow", "constraint": "Constraint management"},
    {"balanced": "balanced-flow", "spc": "balanced-flow", "flow": "balanced-flow",
     "constraints": "constraint", "toc": "constraint", "constraint management": "constraint",
     "restraints management": "constraint", "theory of constraints": "constraint"},
)

DEPLOYMENT = Vocabulary(
    "deployment model",
    {"on-premise": "On-premise client", "hybrid-offline": "Hybrid, offline-capable",
     "thin-client": "Thin-client web", "hosted-only": "Hosted only"},
    {"on premises": "on-premise", "onprem": "on-premise", "on prem": "on-premise",
     "hybrid": "hybrid-offline", "offline": "hybrid-offline", "thin": "thin-client",
     "web": "thin-client", "browser": "thin-client", "asp": "hosted-only", "saas": "hosted-only",
     "hosted": "hosted-only", "cloud": "hosted-only"},
)

PROJECT_STATUS = Vocabulary(
    "project status",
    {"drafting": "Drafting", "baselined": "Baselined", "issued": "Issued", "demos": "Demos",
     "decided": "Decided"},
)

USER_ROLE = Vocabulary(
    "user role",
    {"admin": "CRM lead", "owner": "Requirement owner", "procurement": "Procurement",
     "evaluator": "Evaluator"},
    {"lead": "admin", "crm lead": "admin", "administrator": "admin"},
)

VENDOR_FLAG = Vocabulary(
    "vendor flag",
    {"contract-before-poc": "Asked for a contract before the proof of concept"},
    {"contract first": "contract-before-poc", "contract": "contract-before-poc"},
)

# A vendor's questionnaire answer, spelled as in the scoring model, and what each claims.
ANSWER = Vocabulary(
    "answer",
    {"fully supported": "Fully supported", "configuration": "Configuration", "customisation": "Customisation",
     "third party": "Third party", "roadmap": "Roadmap", "not supported": "Not supported"},
    {"full": "fully supported", "fully": "fully supported", "supported": "fully supported",
     "standard": "fully supported", "out of the box": "fully supported", "ootb": "fully supported",
     "yes": "fully supported", "config": "configuration", "configurable": "configuration",
     "customization": "customisation", "custom": "customisation", "custom development": "customisation",
     "customised": "customisation", "customized": "customisation", "3rd party": "third party",
     "partner": "third party", "third-party product": "third party", "road map": "roadmap",
     "future": "roadmap", "planned": "roadmap", "no": "not supported", "unsupported": "not supported",
     "none": "not supported"},
)
CLAIM_VALUE = {"fully supported": 1.0, "configuration": 0.8, "customisation": 0.5, "third party": 0.5,
               "roadmap": 0.2, "not supported": 0.0}

VERDICT = Vocabulary(
    "verdict",
    {"demonstrated": "Demonstrated", "partly": "Partly", "not shown": "Not shown"},
    {"yes": "demonstrated", "shown": "demonstrated", "done": "demonstrated", "demonstrated fully": "demonstrated",
     "partial": "partly", "partially": "partly", "in part": "partly", "no": "not shown",
     "not demonstrated": "not shown", "missing": "not shown", "not seen": "not shown"},
)
