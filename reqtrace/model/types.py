"""Column types and helpers shared by the table models."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Aware UTC, as every time is stored."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """`moment` aware: SQLite hands stored times back without their zone, and they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class SlugList(TypeDecorator):
    """A list of slugs stored as ",a,b," so `LIKE '%,a,%'` finds one on any database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not value:
            return ""
        return "," + ",".join(value) + ","

    def process_result_value(self, value, dialect):
        if not value:
            return []
        return [part for part in value.split(",") if part]


def like_literal(text: str) -> str:
    """`text` matched literally inside a LIKE pattern with ESCAPE '\\' (IDs and slugs may hold "_")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def slug_list_pattern(slug: str) -> str:
    """The LIKE pattern that matches rows whose SlugList column holds `slug`."""
    return f"%,{like_literal(slug)},%"
