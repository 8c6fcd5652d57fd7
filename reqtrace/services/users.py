"""Accounts of the people who use reqtrace, each with one role."""

from __future__ import annotations

import re

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from reqtrace import audit
from reqtrace.db import add_unique
from reqtrace.model import ITEM_MODELS, User, utcnow
from reqtrace.schemas import Problem, clean_line
from reqtrace.security import hash_password, verify_password
from reqtrace.services import guesses, logins
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.vocab import USER_ROLE, UnknownValue
from reqtrace.workflow import ADMIN, OWNING_ROLES
from reqtrace.words import first_named

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1_000  # hashing is slow by design: a megabyte "password" would tie up a worker
MAX_DISPLAY_NAME = 200


class UserUnchanged(Exception):
    """An account change that changes nothing: no audit event."""


def add_user(session: Session, *, username: str, role: str, password: str, actor: str,
             display_name: str = "") -> User:
    problems = _check(username=username, password=password)
    try:
        role = USER_ROLE.parse(role)
    except UnknownValue as error:
        problems.append(Problem("role", str(error)))
    display_name = _display_name(display_name, problems)
    if problems:
        raise Invalid(problems)
    taken = session.exec(select(User.username).where(func.lower(User.username) == username.lower())).first()
    if taken is not None:
        alike = "" if taken == username else " (names that differ only in capitals look the same in the audit trail)"
        raise Conflict(f"a user named {taken!r} already exists{alike}")
    user = User(username=username, role=role, password_hash=hash_password(password),
                display_name=display_name or username)
    add_unique(session, user, f"a user named {username!r} already exists")
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
    # Locked out by wrong guesses (theirs or an attacker's): the new password works at once, from anywhere.
    guesses.forget_user(session, user.username)
    audit.record(session, actor=actor, project_id=None, entity_type="user", entity_id=username,
                 action="password", after={"username": username, "sessions_ended": ended})
    return ended


def change_own_password(session: Session, *, username: str, current: str, new: str) -> int:
    """A user changing their own password: the current one proves it is them. Returns the sessions ended."""
    user = get_user(session, username)
    if not verify_password(current or "", user.password_hash):
        raise Invalid([Problem("current", "that is not your current password")])
    if new == current:
        raise Invalid([Problem("password", "the new password is the one you have: choose another")])
    return set_password(session, username=username, password=new, actor=username)


def update_user(session: Session, *, username: str, actor: str, role: str | None = None,
                display_name: str | None = None, active: bool | None = None) -> User:
    """Change an account's role, display name or whether it may log in; audited with before and after.

    Refused (Invalid, naming the field): taking the last active CRM lead's role or account away (nobody could
    approve, baseline or manage users any more); deactivating your own account; leaving items with an owner
    who may no longer own them. Deactivating ends every browser session of the account.
    """
    # The account and every active CRM lead, locked in one order (PostgreSQL): two leads demoting each other
    # at once must not both see the other as the lead who remains.
    locked = session.exec(select(User).where(or_(User.username == username,
                                                 and_(User.role == ADMIN, User.active.is_(True))))
                          .order_by(User.id).with_for_update().execution_options(populate_existing=True)).all()
    user = next((account for account in locked if account.username == username), None)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    before = {"role": user.role, "display_name": user.display_name, "active": user.active}
    after = dict(before)
    problems: list[Problem] = []
    if role is not None:
        try:
            after["role"] = USER_ROLE.parse(role)
        except UnknownValue as error:
            problems.append(Problem("role", str(error)))
    if display_name is not None:
        after["display_name"] = _display_name(display_name, problems) or username
    if active is not None:
        after["active"] = bool(active)
    if problems:
        raise Invalid(problems)
    changed = [name for name in before if after[name] != before[name]]
    if not changed:
        raise UserUnchanged(f"nothing to change: {username} already has these values")
    field = "active" if "active" in changed else "role"
    if not after["active"] and username == actor:
        raise Invalid([Problem("active", "you cannot deactivate your own account: another CRM lead can")])
    if before["role"] == ADMIN and before["active"] and (after["role"] != ADMIN or not after["active"]):
        others = [account for account in locked if account.username != username and account.role == ADMIN
                  and account.active]
        if not others:
            raise Invalid([Problem(field, f"{username} is the only active CRM lead: make someone else CRM lead "
                                          "first, or nobody could approve, baseline or manage users")])
    if before["role"] in OWNING_ROLES and before["active"] and \
            (after["role"] not in OWNING_ROLES or not after["active"]):
        owned = owned_items(session, username)
        if owned:
            shown = first_named(owned, 5)
            what = "a deactivated account" if not after["active"] else f"the {USER_ROLE.label(after['role'])} role"
            raise Invalid([Problem(field, f"{username} owns {len(owned)} item{'s' if len(owned) != 1 else ''} "
                                          f"({shown}), which {what} cannot own: give them another owner first")])
    for name in changed:
        setattr(user, name, after[name])
    session.add(user)
    session.flush()
    ended = logins.end_all(session, user, why="deactivated") if not after["active"] else 0
    audit.record(session, actor=actor, project_id=None, entity_type="user", entity_id=username, action="update",
                 before={name: before[name] for name in changed},
                 after={**{name: after[name] for name in changed}, **({"sessions_ended": ended} if ended else {})})
    return user


def owned_items(session: Session, username: str) -> list[str]:
    """The IDs of the items `username` owns that are not retired, in every project (level by level)."""
    owned: list[str] = []
    for model in ITEM_MODELS.values():
        owned.extend(session.exec(select(model.hid).where(model.owner == username, model.status != "retired")
                                  .order_by(model.seq)).all())
    return owned


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


def _display_name(value: str | None, problems: list[Problem]) -> str:
    """The name shown in the app and the audit trail: one line of at most MAX_DISPLAY_NAME characters."""
    try:
        name = clean_line(value or "", "a display name")
    except ValueError as error:
        problems.append(Problem("display_name", str(error)))
        return ""
    if len(name) > MAX_DISPLAY_NAME:
        problems.append(Problem("display_name", f"a display name has at most {MAX_DISPLAY_NAME} characters "
                                                f"(this one has {len(name)})"))
    return name


def _check(*, username: str, password: str) -> list[Problem]:
    problems = []
    if not USERNAME.match(username or ""):
        problems.append(Problem("username", "use letters, digits, '.', '_' or '-', at most 80 characters"))
    if len(password or "") < MIN_PASSWORD:
        problems.append(Problem("password", f"a password has at least {MIN_PASSWORD} characters"))
    elif len(password) > MAX_PASSWORD:
        problems.append(Problem("password", f"a password has at most {MAX_PASSWORD:,} characters"))
    return problems


_DUMMY_HASH = hash_password("not a real password")
