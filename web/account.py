"""Your own account: who you are here, and changing your password (with the current one)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from reqtrace.services import logins
from reqtrace.services.errors import Invalid
from reqtrace.services.users import MIN_PASSWORD, change_own_password, get_user
from reqtrace.vocab import USER_ROLE
from web.auth import WebUser, count_guess, forget_guesses
from web.db import session
from web.pages import action, field_errors, page

blueprint = Blueprint("account", __name__)

LABELS = {"current": "Current password", "password": "Password", "confirm": "New password again"}


def account_data(user) -> dict:
    """An account as the pages show it (never its password hash)."""
    return {"username": user.username, "display_name": user.display_name or user.username, "role": user.role,
            "role_label": USER_ROLE.label(user.role), "active": user.active, "last_login_at": user.last_login_at,
            "created_at": user.created_at}


def _page(*, errors: dict | None = None, message: str = "") -> dict:
    return {"account": account_data(get_user(session(), current_user.username)), "errors": errors or {},
            "message": message, "min_password": MIN_PASSWORD, "labels": LABELS, "values": {}}


@page(blueprint, "/account", "account.html")
def show():
    """Your account: who you are here, and a form to change your password."""
    return _page()


@action(blueprint, "/account/password", permission="read")
def change_password():
    """Change your own password: every other browser you are logged in on is logged out; this one stays in."""
    db = session()
    current, new, confirm = (request.form.get(name) or "" for name in ("current", "password", "confirm"))
    if new != confirm:
        return render_template("account.html", **_page(
            errors={"confirm": ["the two new passwords differ: type the same one twice"]},
            message="Your password was not changed.")), 422
    key = count_guess(current_user.username, lambda minutes: f"Too many wrong passwords. Wait {minutes} minutes "
                                                             "and try again.")
    try:
        ended = change_own_password(db, username=current_user.username, current=current, new=new)
    except Invalid as error:
        db.rollback()
        if not any(problem.field == "current" for problem in error.problems):
            forget_guesses(key)  # the current password was right: only wrong ones count as guesses
            db.commit()
        return render_template("account.html", **_page(errors=field_errors(error, LABELS),
                                                        message="Your password was not changed.")), 422
    user = get_user(db, current_user.username)  # the new password cleared the guesses of every address
    token = logins.start(db, user)  # the new password ended every session, this one too: this browser stays in
    db.commit()
    login_user(WebUser.of(user, token))
    others = max(ended - 1, 0)
    flash("Your password is changed." + (f" {others} other browser{'s' if others != 1 else ''} "
                                          f"{'were' if others != 1 else 'was'} logged out." if others else ""), "info")
    return redirect(url_for("account.show"))
