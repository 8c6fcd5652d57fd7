"""Content fingerprints: a link is suspect while its upstream fingerprint has moved on."""

from __future__ import annotations

import hashlib
from typing import Any

from reqtrace.schemas import CONTENT_FIELDS


def fingerprint(kind: str, fields: dict[str, Any]) -> str:
    """A short stable hash of the fields that carry an item's meaning.

    The fields are the canonical values the schemas produce (text, numbers,
    lists of text), whose repr is canonical; hashing it costs a fraction of
    sorted JSON, which matters when an import fingerprints 10,000 items.
    """
    content = repr(tuple(_canonical(fields.get(name)) for name in CONTENT_FIELDS[kind]))
    return hashlib.blake2b(content.encode("utf-8"), digest_size=8).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 5.0 from a database and 5 from a file mean the same weight
    if isinstance(value, list):
        return tuple(value)
    return value
