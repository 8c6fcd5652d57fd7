"""Content fingerprints: a link is suspect while its upstream fingerprint has moved on."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reqtrace.schemas import CONTENT_FIELDS


def fingerprint(kind: str, fields: dict[str, Any]) -> str:
    """A short stable hash of the fields that carry an item's meaning."""
    content = {name: fields.get(name) for name in CONTENT_FIELDS[kind]}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
