"""Vendor scoring: the model of DESIGN.md as pure functions, and the loader of its evidence."""

from reqtrace.scoring.engine import (
    DemoEntry,
    Evidence,
    RequirementInput,
    Settings,
    VendorInput,
    VendorScore,
    score_vendors,
)

__all__ = ["DemoEntry", "Evidence", "RequirementInput", "Settings", "VendorInput", "VendorScore", "score_vendors"]
