"""Passwords guessed: each one checked is counted first, and too many wrong ones in a window are refused.

The count lives in the database, so every process of a server (gunicorn's workers) sees the same guesses,
and it is counted before the password is checked, under a lock on its (address, username): guesses sent at
once cannot all slip in before the first wrong one is counted. A right password clears its key.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from reqtrace.model import LoginGuess, utcnow

MAX_ADDRESS = 100
MAX_USERNAME = 200
PRUNE_BATCH = 1000


def key_of(address: str, username: str) -> tuple[str, str]:
    """The key guesses are counted under: the client's address and the username as typed, in lower case."""
    return (address or "")[:MAX_ADDRESS], username.lower()[:MAX_USERNAME]


def attempt(session: Session, key: tuple[str, str], *, limit: int, window: timedelta) -> bool:
    """Count a password about to be checked under `key`, and commit the count; False (nothing counted) when
    `limit` guesses under `key` are already in the window.

    Commits, so that the count stands whatever the check then does, and so this key's lock is held only while
    counting, not during the (deliberately slow) password check. (On SQLite a web request that goes on to
    write takes the database's write lock again for the rest of its work, the check included.)
    """
    address, username = key
    _lock(session, key)
    now = utcnow()
    _prune(session, now - window)
    recent = session.exec(select(func.count()).select_from(LoginGuess).where(
        LoginGuess.address == address, LoginGuess.username == username, LoginGuess.at >= now - window)).one()
    allowed = recent < limit
    if allowed:
        session.add(LoginGuess(address=address, username=username, at=now))
    session.commit()
    return allowed


def forget(session: Session, key: tuple[str, str]) -> None:
    """The password under `key` proved right: its guesses no longer count (committed with the caller's work)."""
    address, username = key
    session.exec(delete(LoginGuess).where(LoginGuess.address == address, LoginGuess.username == username))


def forget_user(session: Session, username: str) -> int:
    """Every address's guesses for `username` (the lead has just set them a new password); returns how many."""
    result = session.exec(delete(LoginGuess).where(LoginGuess.username == username.lower()[:MAX_USERNAME]))
    return result.rowcount or 0


def _prune(session: Session, cutoff) -> None:
    """Forget guesses older than the window, any key's, a batch at a time.

    Rows another transaction is deleting are skipped, not waited for: two prunes meeting the same rows in a
    different order must not deadlock (SQLite, which has no row locks, serialises writers anyway).
    """
    old = (select(LoginGuess.id).where(LoginGuess.at < cutoff).order_by(LoginGuess.id).limit(PRUNE_BATCH)
           .with_for_update(skip_locked=True))
    session.exec(delete(LoginGuess).where(LoginGuess.id.in_(old)))


def _lock(session: Session, key: tuple[str, str]) -> None:
    """Serialise counting for one key until commit.

    SQLite needs nothing more: the prune that starts the count takes the database's write lock (a writer
    session has it from its first statement). PostgreSQL: a transaction-scoped advisory lock on a number
    derived from the key, so other keys are not held up.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256("\0".join(key).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big", signed=True)
    session.connection().execute(text("SELECT pg_advisory_xact_lock(:number)"), {"number": number})
