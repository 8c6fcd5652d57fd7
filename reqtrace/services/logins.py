"""Signed-in browsers (login sessions): started at login, ended by logout, a new password or an admin.

The browser holds a random token; the database holds only its SHA-256, so reading the database (or a
backup of it) gives no one a way in. A token is live while its row is not ended, is younger than the
session lifetime, and its user is active.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from reqtrace.model import LoginSession, User, as_utc, utcnow


def start(session: Session, user: User) -> str:
    """A new login session for `user`; returns the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, token_hash=_hash(token)))
    session.flush()
    return token


def user_of(session: Session, token: str, *, lifetime: timedelta) -> User | None:
    """The active user whose live login session `token` names, else None."""
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(User, LoginSession.created_at).join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        return None
    user, created_at = row
    if as_utc(created_at) < utcnow() - lifetime:
        return None
    return user


def end(session: Session, token: str, *, why: str = "logout") -> bool:
    """End the login session `token` names; False when it was not live."""
    return bool(_end(session, LoginSession.token_hash == _hash(token), why=why))


def end_all(session: Session, user: User, *, why: str) -> int:
    """End every live login session of `user` (a new password, or an admin ending them); returns how many."""
    return _end(session, LoginSession.user_id == user.id, why=why)


def _end(session: Session, which, *, why: str) -> int:
    result = session.exec(update(LoginSession).where(which, LoginSession.ended_at.is_(None))
                          .values(ended_at=utcnow(), ended_why=why))
    return result.rowcount or 0


def prune(session: Session, *, lifetime: timedelta) -> int:
    """Forget login sessions that ended, or expired, more than one lifetime ago; returns how many."""
    cutoff = utcnow() - lifetime
    result = session.exec(delete(LoginSession).where(
        (LoginSession.created_at < cutoff - lifetime)
        | (LoginSession.ended_at.is_not(None) & (LoginSession.ended_at < cutoff))))
    return result.rowcount or 0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
