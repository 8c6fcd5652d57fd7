"""The CRM lead's list of accounts: adding people, roles, password resets, logging out everywhere, and
deactivating the accounts of people who left. Every change is in the audit trail (web/account.py: your own)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from reqtrace.services.errors import Conflict, Invalid, NotFound
from reqtrace.services.users import (
    MIN_PASSWORD,
    UserUnchanged,
    add_user,
    get_user,
    list_users,
    log_out_everywhere,
    owned_items,
    set_password,
    update_user,
)
from reqtrace.vocab import USER_ROLE
from reqtrace.workflow import role_may
from web.account import account_data
from web.db import session
from web.pages import action, field_errors, page

blueprint = Blueprint("users", __name__)

LABELS = {"username": "Username", "display_name": "Display name", "role": "Role", "password": "Password",
          "active": "May log in"}

def _roles() -> list[tuple[str, str]]:
    return list(USER_ROLE.terms.items())


def _listing(*, values: dict | None = None, errors: dict | None = None, message: str = "") -> dict:
    return {"users": [account_data(user) for user in list_users(session())], "roles": _roles(), "labels": LABELS,
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
        return render_template("users.html", **_listing(values=values, errors=field_errors(error, LABELS),
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
    shown = account_data(user)
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
        return render_template("user_form.html", **_form(user, values=values, errors=field_errors(error, LABELS),
                                                         message="Nothing was changed.")), 422
    flash(f"Saved {username}: {USER_ROLE.label(updated.role)}{'' if updated.active else ', may not log in'}.", "info")
    if username == current_user.username and not role_may(updated.role, "users"):
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
        return render_template("user_form.html", **_form(user, errors=field_errors(error, LABELS),
                                                         message="The password was not changed.")), 422
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
