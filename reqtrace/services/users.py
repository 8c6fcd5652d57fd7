"""Accounts of the people who use reqtrace, each with one role."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.model import User, utcnow
from reqtrace.schemas import Problem
from reqtrace.security import hash_password, verify_password
from reqtrace.services import logins
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.vocab import USER_ROLE, UnknownValue
from reqtrace.workflow import OWNING_ROLES

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")
MIN_PASSWORD = 8


def add_user(session: Session, *, username: str, role: str, password: str, actor: str,
             display_name: str = "") -> User:
    problems = _check(username=username, password=password)
    try:
        role = USER_ROLE.parse(role)
    except UnknownValue as error:
        problems.append(Problem("role", str(error)))
    if problems:
        raise Invalid(problems)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"a user named {username!r} already exists")
    user = User(username=username, role=role, password_hash=hash_password(password),
                display_name=display_name or username)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, project_id=None, entity_type="user", entity_id=username, action="create",
                 after={"username": username, "role": role, "display_name": user.display_name})
    return user


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)))


def set_password(session: Session, *, username: str, password: str, actor: str) -> int:
    """Set a new password; returns how many of the user's browser sessions it ended."""
    problems = _check(username=username, password=password)
    if problems:
        raise Invalid(problems)
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    session.add(user)
    # Whoever knew the old password may be signed in with it: a new password ends every session.
    ended = logins.end_all(session, user, why="password")
    audit.record(session, actor=actor, project_id=None, entity_type="user", entity_id=username,
                 action="password", after={"username": username, "sessions_ended": ended})
    return ended


def log_out_everywhere(session: Session, *, username: str, actor: str) -> int:
    """End every browser session of `username` (a lost laptop, someone who left); returns how many."""
    user = get_user(session, username)
    ended = logins.end_all(session, user, why="admin")
    audit.record(session, actor=actor, project_id=None, entity_type="user", entity_id=username,
                 action="logout", after={"username": username, "sessions_ended": ended})
    return ended


def owner_problem(owner: str, account: tuple[str, bool] | None) -> str | None:
    """Why `owner` cannot own items, given its account's (role, active), or None when it may.

    One rule for the forms, the workbook import and the owner lists: an active requirement owner or the lead.
    """
    if account is None:
        return f"Owner {owner!r} is not a reqtrace user: an owner must be someone who logs in to reqtrace"
    role, active = account
    if not active:
        return f"Owner {owner!r} is a deactivated account and cannot own items"
    if role not in OWNING_ROLES:
        article = "an" if role[:1] in ("a", "e", "i", "o", "u") else "a"
        return (f"Owner {owner!r} is {article} {role} account and cannot own items: only requirement owners and "
                "the CRM lead own items")
    return None


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for both mistakes)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)  # spend the same time either way
        return None
    if not verify_password(password, user.password_hash):
        return None
    user.last_login_at = utcnow()
    session.add(user)
    return user


def _check(*, username: str, password: str) -> list[Problem]:
    problems = []
    if not USERNAME.match(username or ""):
        problems.append(Problem("username", "use letters, digits, '.', '_' or '-', at most 80 characters"))
    if len(password or "") < MIN_PASSWORD:
        problems.append(Problem("password", f"a password has at least {MIN_PASSWORD} characters"))
    return problems


_DUMMY_HASH = hash_password("not a real password")
