"""Accounts: everyone changes their own password; the CRM lead adds people, sets roles, resets passwords and
deactivates accounts of people who left. Every change is in the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from reqtrace.services import logins
from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.services.users import (
    MIN_PASSWORD,
    UserUnchanged,
    add_user,
    change_own_password,
    get_user,
    list_users,
    log_out_everywhere,
    owned_items,
    set_password,
    update_user,
)
from reqtrace.vocab import USER_ROLE
from web.auth import LoginFailures, WebUser
from web.db import session
from web.pages import action, page

blueprint = Blueprint("users", __name__)

LABELS = {"username": "Username", "display_name": "Display name", "role": "Role", "password": "Password",
          "current": "Current password", "confirm": "New password again", "active": "May log in"}


def _errors(error: Invalid) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        errors.setdefault(problem.field if problem.field in LABELS else "", []).append(problem.message)
    return errors


def _account(user) -> dict:
    return {"username": user.username, "display_name": user.display_name or user.username, "role": user.role,
            "role_label": USER_ROLE.label(user.role), "active": user.active, "last_login_at": user.last_login_at,
            "created_at": user.created_at}


# --- my account ------------------------------------------------------------------------------------------

def _account_page(*, errors: dict | None = None, message: str = "") -> dict:
    return {"account": _account(get_user(session(), current_user.username)), "errors": errors or {},
            "message": message, "min_password": MIN_PASSWORD, "labels": LABELS, "values": {}}


@page(blueprint, "/account", "account.html")
def account():
    """Your account: who you are here, and a form to change your password."""
    return _account_page()


@action(blueprint, "/account/password", permission="read")
def change_password():
    """Change your own password: every other browser you are logged in on is logged out; this one stays in."""
    db = session()
    current, new, confirm = (request.form.get(name) or "" for name in ("current", "password", "confirm"))
    if new != confirm:
        return render_template("account.html", **_account_page(
            errors={"confirm": ["the two new passwords differ: type the same one twice"]},
            message="Your password was not changed.")), 422
    failures: LoginFailures = current_app.extensions["reqtrace_login_failures"]
    key = (request.remote_addr or "", current_user.username.lower())
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    if not failures.attempt(key, current_app.config["LOGIN_ATTEMPTS"], window):  # guessing the current password
        abort(429, description=f"Too many wrong passwords. Wait {window // 60} minutes and try again.")
    try:
        ended = change_own_password(db, username=current_user.username, current=current, new=new)
    except Invalid as error:
        db.rollback()
        if not any(problem.field == "current" for problem in error.problems):
            failures.clear(key)  # the current password was right: only wrong ones count as guesses
        return render_template("account.html", **_account_page(
            errors=_errors(error), message="Your password was not changed.")), 422
    failures.clear(key)
    user = get_user(db, current_user.username)
    token = logins.start(db, user)  # the new password ended every session, this one too: this browser stays in
    db.commit()
    login_user(WebUser.of(user, token))
    others = max(ended - 1, 0)
    flash("Your password is changed." + (f" {others} other browser{'s' if others != 1 else ''} "
                                          f"{'were' if others != 1 else 'was'} logged out." if others else ""), "info")
    return redirect(url_for("users.account"))


# --- the CRM lead's list of accounts ----------------------------------------------------------------------

def _roles() -> list[tuple[str, str]]:
    return list(USER_ROLE.terms.items())


def _listing(*, values: dict | None = None, errors: dict | None = None, message: str = "") -> dict:
    return {"users": [_account(user) for user in list_users(session())], "roles": _roles(), "labels": LABELS,
            "values": values or {"role": "evaluator"}, "errors": errors or {}, "message": message,
            "min_password": MIN_PASSWORD}


@page(blueprint, "/users", "users.html", permission="users")
def index():
    """Everyone who may log in, with their role; the form to add someone."""
    return _listing()


@action(blueprint, "/users", permission="users")
def create():
    """Add an account; refused with the reason beside each field, nothing saved."""
    db = session()
    values = {name: (request.form.get(name) or "") for name in ("username", "display_name", "role")}
    values["username"] = values["username"].strip()
    try:
        user = add_user(db, username=values["username"], role=values["role"], display_name=values["display_name"],
                        password=request.form.get("password") or "", actor=current_user.username)
        db.commit()
    except Invalid as error:
        db.rollback()
        return render_template("users.html", **_listing(values=values, errors=_errors(error),
                                                        message="Nobody was added: correct the fields marked.")), 422
    except Conflict as error:
        db.rollback()
        return render_template("users.html", **_listing(values=values, errors={"username": [str(error)]},
                                                        message="Nobody was added: correct the fields marked.")), 409
    flash(f"Added {user.username} ({USER_ROLE.label(user.role)}). Give them their password in person; they can "
          "change it under Account.", "info")
    return redirect(url_for("users.index") + f"#user-{user.username}")


def _user_or_404(username: str):
    try:
        return get_user(session(), username)
    except NotFound:
        abort(404, description=f"There is no user {username!r}.")


def _form(user, *, values: dict | None = None, errors: dict | None = None, message: str = "") -> dict:
    shown = _account(user)
    return {"account": shown, "values": values or {"role": shown["role"], "display_name": shown["display_name"],
                                                   "active": shown["active"]},
            "owned": owned_items(session(), user.username), "roles": _roles(), "labels": LABELS,
            "errors": errors or {}, "message": message, "min_password": MIN_PASSWORD,
            "yourself": user.username == current_user.username}


@page(blueprint, "/users/<username>/edit", "user_form.html", permission="users")
def edit_form(username: str):
    """One account: its role, display name and whether it may log in; reset its password; log it out."""
    return _form(_user_or_404(username))


@action(blueprint, "/users/<username>", permission="users")
def save(username: str):
    """Change an account's role, display name or whether it may log in."""
    db = session()
    user = _user_or_404(username)
    values = {"role": request.form.get("role") or "", "display_name": request.form.get("display_name") or "",
              "active": request.form.get("active") == "yes"}
    try:
        updated = update_user(db, username=username, role=values["role"], display_name=values["display_name"],
                              active=values["active"], actor=current_user.username)
        db.commit()
    except UserUnchanged:
        db.rollback()
        flash(f"{username} already had these values: nothing changed.", "info")
        return redirect(url_for("users.index") + f"#user-{username}")
    except Invalid as error:
        db.rollback()
        return render_template("user_form.html", **_form(user, values=values, errors=_errors(error),
                                                         message="Nothing was changed.")), 422
    flash(f"Saved {username}: {USER_ROLE.label(updated.role)}{'' if updated.active else ', may not log in'}.", "info")
    if username == current_user.username and updated.role != "admin":
        return redirect(url_for("home.index"))  # no longer the lead: the list of accounts is not theirs to see
    return redirect(url_for("users.index") + f"#user-{username}")


@action(blueprint, "/users/<username>/password", permission="users")
def reset_password(username: str):
    """Set a new password for someone who forgot theirs; it logs them out everywhere."""
    db = session()
    user = _user_or_404(username)
    if username == current_user.username:
        return render_template("user_form.html", **_form(user, errors={"": [
            "change your own password under Account, with your current one"]})), 422
    try:
        ended = set_password(db, username=username, password=request.form.get("password") or "",
                             actor=current_user.username)
        db.commit()
    except Invalid as error:
        db.rollback()
        return render_template("user_form.html", **_form(user, errors=_errors(error),
                                                         message="The password was not changed.")), 422
    # Someone locked out by wrong guesses logs in with the new password at once (in this server process).
    current_app.extensions["reqtrace_login_failures"].clear_user(username)
    flash(f"New password set for {username}" + (f"; {ended} browser session{'s' if ended != 1 else ''} ended."
                                                 if ended else "."), "info")
    return redirect(url_for("users.edit_form", username=username))


@action(blueprint, "/users/<username>/logout", permission="users")
def logout_everywhere(username: str):
    """End every browser session of an account (a lost laptop); its password stays."""
    db = session()
    _user_or_404(username)
    ended = log_out_everywhere(db, username=username, actor=current_user.username)
    db.commit()
    flash(f"Logged {username} out" + (f" of {ended} browser session{'s' if ended != 1 else ''}." if ended
                                      else ": no browser was signed in."), "info")
    return redirect(url_for("users.edit_form", username=username))
