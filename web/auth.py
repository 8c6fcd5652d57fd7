"""Logging in and out; who the current user is; too many failed logins slow an attacker down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, Response, abort, after_this_request, current_app, flash, redirect,
                   render_template, request, url_for)
from flask import session as browser_session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from reqtrace.model import User
from reqtrace.services import guesses, logins
from reqtrace.services.users import authenticate
from reqtrace.vocab import USER_ROLE
from web import db
from web.pages import action

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
# Who is logged in on this browser, readable by the checklist's script (not a credential: the session cookie is).
# A checklist page kept for offline use takes ticks only while it names that page's evaluator; logging out
# removes it, so a copy left open, or shown with no network to ask, takes no ticks from whoever holds the device.
LOGIN_COOKIE = "reqtrace_user"
# Set at logout, and at a login as someone other than the browser's last user: the next page rendered removes
# the checklist copies kept for offline use (web/static/app.js), which hold their evaluator's sealed scores.
FORGET_OFFLINE = "forget_offline"


@dataclass
class WebUser(UserMixin):
    id: int
    username: str
    role: str
    display_name: str
    token: str = ""  # names this browser's login session (reqtrace.services.logins)

    def get_id(self) -> str:
        return self.token

    @classmethod
    def of(cls, user: User, token: str) -> "WebUser":
        return cls(user.id, user.username, user.role, user.display_name or user.username, token)

    @property
    def role_label(self) -> str:
        return USER_ROLE.label(self.role)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.context_processor(lambda: {"forget_offline_copies": browser_session.pop(FORGET_OFFLINE, False)})
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(token: str) -> WebUser | None:
    """The user of a live login session: a cookie whose session was ended (logout, new password) is refused."""
    user = logins.user_of(db.session(), token, lifetime=current_app.permanent_session_lifetime)
    return WebUser.of(user, token) if user is not None else None


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Log in with a username and a password."""
    if request.method == "GET":
        # Just logged out: the page removes the checklists this browser kept for offline use (FORGET_OFFLINE).
        return render_template("login.html", next=request.args.get("next", ""), username="")
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    next_url = _safe_next(request.form.get("next"))
    key = count_guess(username, lambda minutes: f"Too many failed logins for {username!r}. Wait {minutes} minutes "
                                                "and try again, or ask the CRM lead to reset your password.")
    session = db.session()
    user = authenticate(session, username, password)
    if user is None:
        session.rollback()
        flash("Wrong username or password.", "error")
        return render_template("login.html", next=next_url, username=username), 401
    logins.prune(session, lifetime=current_app.permanent_session_lifetime)
    if current_user.is_authenticated:  # logging in again, as anyone: this browser's earlier session ends
        logins.end(session, current_user.token, why="login")
    token = logins.start(session, user)
    forget_guesses(key)
    session.commit()
    if request.cookies.get(LOGIN_COOKIE) != user.username:
        browser_session[FORGET_OFFLINE] = True  # someone else used this browser last: forget their checklists
    # A new form token with the login: one planted before it, or read off this browser before, is worth nothing.
    browser_session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(WebUser.of(user, token))
    return remember_login(redirect(next_url or url_for("home.index")), user.username)


@action(blueprint, "/logout", permission="read")
def logout():
    """Log out: this browser's login session ends for good, so a copy of its cookie no longer works.

    Nor does a copy of a checklist this browser kept for offline use: the service worker and the login page
    that follows remove them (ticks still waiting on the device are kept, and sent once their evaluator logs
    in again), and a checklist page still open takes no more ticks.
    """
    session = db.session()
    logins.end(session, current_user.token)
    session.commit()
    logout_user()
    flash("You are logged out.", "info")
    browser_session[FORGET_OFFLINE] = True
    response = redirect(url_for("auth.login"))
    response.delete_cookie(LOGIN_COOKIE, samesite="Lax", secure=_secure())
    return response


def count_guess(username: str, refusal) -> tuple[str, str]:
    """Count a password about to be checked for `username` from this address (committed: every server process
    sees it); 429 with `refusal(minutes)` when there were too many wrong ones in the window. Returns the key to
    forget once the password proves right."""
    key = guesses.key_of(request.remote_addr or "", username)
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    if not guesses.attempt(db.session(), key, limit=current_app.config["LOGIN_ATTEMPTS"],
                           window=timedelta(seconds=window)):
        abort(429, description=refusal(window // 60))
    return key


def forget_guesses(key: tuple[str, str]) -> None:
    """The password proved right: its guesses no longer count (committed with the request's own work)."""
    guesses.forget(db.session(), key)


def remember_login(response: Response, username: str) -> Response:
    """Tell the checklist's script who is logged in on this browser (LOGIN_COOKIE), for as long as a login lasts."""
    response.set_cookie(LOGIN_COOKIE, username, max_age=current_app.permanent_session_lifetime, httponly=False,
                        samesite="Lax", secure=_secure())
    return response


def name_the_login() -> None:
    """Have this response name the logged-in user in LOGIN_COOKIE, unless the browser has it already.

    Only when it is missing (a login from before pages were named): a request still on its way when its user
    logs out must not bring the name back after the logout took it away.
    """
    username = current_user.username
    if request.cookies.get(LOGIN_COOKIE) != username:
        after_this_request(lambda response: remember_login(response, username))


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a user to another site after login.

    Browsers drop tabs and newlines inside URLs and read a backslash as a
    slash, so "/\t/evil.example" would become "//evil.example": any control
    character, whitespace or backslash makes the target unsafe.
    """
    if not target or any(ord(char) < 33 or char == "\\" for char in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


__all__ = ["blueprint", "count_guess", "current_user", "forget_guesses", "init_app",
           "LOGIN_COOKIE", "name_the_login", "remember_login", "WebUser"]
