"""Logging in and out, the login gate on every page, login throttling, cookies and security headers."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import select

from reqtrace.model import AuditEvent, LoginGuess, LoginSession, User

from tests.conftest import DEMO_PASSWORD
from tests.web.support import Visitor, csrf_token, every_page_url, json_twin, parse_html, replace
from web import create_app


def anonymous(app) -> Visitor:
    return Visitor(app.test_client())


def test_anonymous_page_requests_are_sent_to_the_login_page_with_next(shared_app):
    visitor = anonymous(shared_app)
    urls = [url for _endpoint, url in every_page_url(shared_app)] + ["/p/crm/matrix?page=2&priority=must"]
    assert len(urls) > 20
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", url
        assert parse_qs(location.query)["next"] == [url], url


def test_anonymous_json_twins_answer_401_json(shared_app):
    visitor = anonymous(shared_app)
    for _endpoint, url in every_page_url(shared_app):
        response = visitor.get(json_twin(url))
        assert response.status_code == 401, url
        assert response.mimetype == "application/json", url
        assert response.get_json()["error"], url


# What a browser sends when it submits a form (Chromium, Firefox): HTML first.
BROWSER_FORM = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_anonymous_posts_with_a_valid_token_are_refused_401(shared_app, accept):
    """Scripts and fetch() (which sends */*, as the live preview does) get JSON."""
    visitor = anonymous(shared_app)
    headers = {"Accept": accept} if accept else {}
    for url, data in [("/preview", {"text": "**hi**"}), ("/p/crm/baselines", {"name": "B9"}),
                      ("/p/crm/requirements/new", {"title": "Sneaky"}), ("/logout", {})]:
        response = visitor.post(url, data, headers=headers)
        assert response.status_code == 401, url
        assert response.get_json() == {"error": "log in first"}


def test_anonymous_browser_form_posts_get_a_page_saying_nothing_was_saved(shared_app):
    visitor = anonymous(shared_app)
    for url, data in [("/p/crm/baselines", {"name": "B9"}), ("/p/crm/requirements/new", {"title": "Sneaky"})]:
        response = visitor.post(url, data, headers=BROWSER_FORM)
        assert response.status_code == 401 and response.mimetype == "text/html", url
        assert "nothing was saved" in parse_html(response.get_data(as_text=True)).one("p", cls="flash").text
    assert visitor.post("/p/crm/baselines.json", {"name": "B9"}, headers=BROWSER_FORM).get_json() == \
        {"error": "log in first"}  # a .json address always answers JSON
    logout = visitor.post("/logout", {}, headers=BROWSER_FORM)  # "Log out" in a tab whose login had ended
    assert logout.status_code == 302 and urlsplit(logout.headers["Location"]).path == "/login"


@pytest.mark.parametrize("end_session", ["logout in another tab", "reqtrace user logout", "a new password"])
def test_saving_a_form_after_the_session_ended_says_so_and_offers_login_and_back(app, auth, db, end_session):
    owner = auth("owner")
    form = owner.edit_form("REQ-47")  # the form is open, with its token...
    if end_session == "logout in another tab":
        assert owner.post("/logout", {"csrf_token": dict(form)["csrf_token"]}).status_code == 302
    elif end_session == "reqtrace user logout":
        assert _cli(app, "user", "logout", "owner").exit_code == 0
    else:
        assert _cli(app, "user", "passwd", "owner", "--password-stdin", input="another passphrase\n").exit_code == 0
    response = owner.post("/p/crm/items/REQ-47/edit", replace(form, statement="Typed while the session ended"),
                          headers=BROWSER_FORM)  # the browser names the form's page as the referrer
    assert response.status_code == 401 and response.mimetype == "text/html"
    page = parse_html(response.get_data(as_text=True))
    assert page.one("h1").text == "Not saved: your login has ended"
    assert "nothing was saved" in page.one("p", role="alert").text
    login = page.one("a", href="/login")
    assert login.attrs["target"] == "_blank" and "Log in again" in login.text
    back = page.one("a", cls="button", href="/p/crm/items/REQ-47/edit")
    assert "data-back-keeps-input" in back.attrs
    assert auth("lead").item("REQ-47")["statement"] != "Typed while the session ended"


def test_the_checklist_sync_still_gets_json_when_the_session_ended(app, auth):
    """checklist.js sends Accept: application/json and reads the 401 to say "log in again in another tab"."""
    evaluator = auth("evaluator")
    token = evaluator.token()
    assert _cli(app, "user", "logout", "evaluator").exit_code == 0
    response = evaluator.client.post("/p/crm/sessions/1/results", json={"results": []},
                                     headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 401 and response.get_json() == {"error": "log in first"}


def test_health_check_login_page_and_static_files_are_public(shared_app):
    visitor = anonymous(shared_app)
    health = visitor.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    login = visitor.page("/login")
    assert login.one("input", id="username") is not None and login.one("input", id="password") is not None
    assert visitor.get("/static/app.js").status_code == 200


def test_wrong_password_is_refused_with_a_message_and_no_session(client):
    visitor = client()
    response = visitor.login("owner", "not-the-password")
    assert response.status_code == 401
    page = parse_html(response.get_data(as_text=True))
    assert "Wrong username or password." in page.text
    assert page.one("input", id="username").attrs["value"] == "owner"  # the name is kept
    assert page.one("input", id="password").attrs.get("value", "") == ""  # the password is not
    assert visitor.get("/p/crm").status_code == 302
    assert visitor.get("/p/crm.json").status_code == 401


def test_unknown_user_gets_the_same_message(client):
    response = client().login("nobody-here", DEMO_PASSWORD)
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_login_follows_next_and_logout_ends_the_session(client):
    visitor = client()
    gate = visitor.get("/p/crm/gaps")
    login_url = gate.headers["Location"]
    form = visitor.page(login_url)
    assert form.one("input", name="next").attrs["value"] == "/p/crm/gaps"
    response = visitor.post("/login", {"username": "lead", "password": DEMO_PASSWORD, "next": "/p/crm/gaps",
                                       "csrf_token": csrf_token(visitor.get(login_url).text)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/p/crm/gaps"
    page = visitor.page("/p/crm/gaps")
    assert "Morgan Reyes (CRM lead)" in page.one("div", cls="who").text
    assert visitor.json("/p/crm.json")["project"]["key"] == "crm"

    logout = visitor.post("/logout", {"csrf_token": csrf_token(visitor.get("/p/crm").text)})
    assert logout.status_code == 302 and urlsplit(logout.headers["Location"]).path == "/login"
    assert visitor.get("/p/crm").status_code == 302
    assert visitor.get("/p/crm.json").status_code == 401


def test_login_without_next_goes_home(client):
    visitor = client()
    response = visitor.login("procurement")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert visitor.json("/index.json")["projects"][0]["key"] == "crm"


@pytest.mark.parametrize("target", [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/p/crm",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",  # browsers drop tabs: "/\t/evil.example" is "//evil.example" to them
    "/\n/evil.example",
])
def test_login_ignores_a_next_that_leaves_the_site(client, target):
    visitor = client()
    response = visitor.login("lead", next_url=target)
    assert response.status_code == 302, f"{target!r}: {response.status_code}"
    location = response.headers["Location"]
    resolved = urlsplit(urljoin("http://localhost/login", location))
    assert resolved.scheme == "http" and resolved.netloc == "localhost", f"{target!r} -> {location!r}"
    assert resolved.path == "/", f"{target!r} -> {location!r}"
    assert visitor.get("/p/crm").status_code == 200  # and the login itself worked


def test_login_keeps_a_same_site_next_with_its_query(client):
    response = client().login("lead", next_url="/p/crm/matrix?page=2&priority=must")
    assert response.status_code == 302
    assert response.headers["Location"] == "/p/crm/matrix?page=2&priority=must"


def _attempt(app, username: str, password: str, address: str = "127.0.0.1"):
    visitor = Visitor(app.test_client())
    token = csrf_token(visitor.get("/login").text)
    return visitor.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               environ_base={"REMOTE_ADDR": address})


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(app):
    """Guesses sent at once, to two servers on one database, must not all slip in before the first failure is
    counted."""
    from concurrent.futures import ThreadPoolExecutor

    servers = [app, create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test"})]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda n: _attempt(servers[n % 2], "owner", f"guess-{n}").status_code, range(24)))
    assert codes.count(401) == 10 and codes.count(429) == 14, codes


def test_every_server_process_counts_the_same_guesses(app):
    """Four workers must not give an attacker four times the allowance: the count is in the database."""
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test"})
    for attempt in range(10):
        assert _attempt(app if attempt % 2 else other, "owner", f"wrong-{attempt}").status_code == 401
    assert _attempt(other, "owner", DEMO_PASSWORD).status_code == 429
    assert _attempt(app, "owner", DEMO_PASSWORD).status_code == 429


def test_guesses_older_than_the_window_no_longer_count_and_are_forgotten(app, db):
    for attempt in range(10):
        assert _attempt(app, "Owner", f"wrong-{attempt}").status_code == 401  # any capitals: one user
    assert _attempt(app, "owner", DEMO_PASSWORD).status_code == 429
    session = db()
    session.exec(update(LoginGuess).values(at=LoginGuess.at - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"]
                                                                          + 1)))
    session.commit()
    assert _attempt(app, "owner", DEMO_PASSWORD).status_code == 302
    assert db().exec(select(LoginGuess)).all() == []  # the old ones pruned, the right one's cleared


def test_a_new_password_set_at_the_terminal_lets_a_locked_out_user_in(app):
    for attempt in range(10):
        assert _attempt(app, "owner", f"wrong-{attempt}", address="10.9.8.7").status_code == 401
    assert _attempt(app, "owner", DEMO_PASSWORD, address="10.9.8.7").status_code == 429
    changed = _cli(app, "user", "passwd", "owner", "--password-stdin", input="another passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert _attempt(app, "owner", "another passphrase", address="10.9.8.7").status_code == 302


def test_eleventh_login_after_ten_failures_is_refused_even_with_the_right_password(app):
    for attempt in range(10):
        assert _attempt(app, "owner", f"wrong-{attempt}").status_code == 401
    refused = _attempt(app, "owner", DEMO_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert _attempt(app, "owner", "wrong-again").status_code == 429
    # Other users, and the same user from another address, are not locked out.
    assert _attempt(app, "lead", DEMO_PASSWORD).status_code == 302
    assert _attempt(app, "owner", DEMO_PASSWORD, address="10.1.2.3").status_code == 302


def test_nine_failures_then_the_right_password_logs_in(app):
    for attempt in range(9):
        assert _attempt(app, "evaluator", f"wrong-{attempt}").status_code == 401
    assert _attempt(app, "evaluator", DEMO_PASSWORD).status_code == 302


def _session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("reqtrace_session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    return cookies[-1]


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = _session_cookie(client().login("lead"))
    flags = _flags(cookie)
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain HTTP (a laptop demo) must still work


def test_session_cookie_is_secure_over_https(client):
    visitor = client(base_url="https://localhost")
    response = visitor.login("lead")
    assert response.status_code == 302
    flags = _flags(_session_cookie(response))
    assert {"secure", "httponly", "samesite=lax"} <= flags
    assert visitor.get("/p/crm").headers.get("Strict-Transport-Security", "").startswith("max-age=")


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_proxy_the_forwarded_https_and_address_count(sample_url, trusted):
    """With REQTRACE_TRUSTED_PROXIES=1 the proxy's X-Forwarded-Proto makes the cookie Secure, and failed logins
    count per client address; with 0, a client's own forwarded headers are ignored."""
    app = create_app({"DATABASE_URL": sample_url, "SECRET_KEY": "test", "TRUSTED_PROXIES": trusted})
    # What the proxy adds, and the Referer a browser sends with a same-site form over HTTPS
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "Referer": "https://localhost/login"}
    visitor = Visitor(app.test_client())
    token = csrf_token(visitor.get("/login", headers=proxy).text)
    response = visitor.client.post("/login", headers=proxy, data={"username": "lead", "password": DEMO_PASSWORD,
                                                                  "csrf_token": token})
    assert response.status_code == 302
    assert ("secure" in _flags(_session_cookie(response))) is bool(trusted)
    for attempt in range(10):  # ten failures from one client behind the proxy...
        _attempt_via(app, proxy | {"X-Forwarded-For": "203.0.113.9"}, f"wrong-{attempt}")
    other_client = _attempt_via(app, proxy, DEMO_PASSWORD)  # ...block only that client when the proxy is trusted
    assert other_client.status_code == (302 if trusted else 429), other_client.get_data(as_text=True)[-600:]


def _attempt_via(app, headers: dict[str, str], password: str):
    visitor = Visitor(app.test_client())
    token = csrf_token(visitor.get("/login", headers=headers).text)
    return visitor.client.post("/login", headers=headers, data={"username": "owner", "password": password,
                                                                "csrf_token": token})


def test_security_headers_on_every_kind_of_response(shared_app, reader):
    lead = reader("lead")
    responses = {
        "page": lead.get("/p/crm/matrix"),
        "json": lead.get("/p/crm/matrix.json"),
        "error page": lead.get("/p/crm/items/REQ-9999"),
        "login": anonymous(shared_app).get("/login"),
        "redirect": anonymous(shared_app).get("/p/crm"),
    }
    assert responses["error page"].status_code == 404
    for what, response in responses.items():
        policy = response.headers.get("Content-Security-Policy", "")
        directives = {part.strip().split()[0]: part.strip().split()[1:] for part in policy.split(";") if part.strip()}
        assert directives.get("script-src") == ["'self'"], what
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, what
        assert directives.get("object-src") == ["'none'"], what
        assert directives.get("frame-ancestors") == ["'none'"], what
        assert response.headers.get("X-Frame-Options") == "DENY", what
        assert response.headers.get("X-Content-Type-Options") == "nosniff", what


def test_logout_is_not_a_get(client, auth):
    visitor = auth("owner")
    assert visitor.get("/logout").status_code == 405
    assert visitor.get("/p/crm").status_code == 200


# --- login sessions: a cookie is only as good as the session it names ---------------------------------

def _stolen_copy(visitor: Visitor, app) -> Visitor:
    """Another browser holding a copy of `visitor`'s session cookie (what an attacker who copied it has)."""
    thief = Visitor(app.test_client())
    thief.client.set_cookie("reqtrace_session", visitor.client.get_cookie("reqtrace_session").value)
    return thief


def _cli(app, *args: str, input: str | None = None):
    from click.testing import CliRunner

    from reqtrace.cli import main

    return CliRunner().invoke(main, ["--db", app.config["DATABASE_URL"], *args], input=input)


def test_a_copied_cookie_stops_working_at_logout(app, auth):
    visitor = auth("procurement")
    thief = _stolen_copy(visitor, app)
    assert thief.get("/p/crm.json").status_code == 200  # the copy works while the session lives
    assert visitor.post("/logout", {}).status_code == 302
    assert thief.get("/p/crm.json").status_code == 401
    assert thief.get("/p/crm").status_code == 302


def test_logging_out_in_one_browser_leaves_the_other_signed_in(auth):
    laptop, tablet = auth("evaluator"), auth("evaluator")
    assert laptop.post("/logout", {}).status_code == 302
    assert laptop.get("/p/crm.json").status_code == 401
    assert tablet.json("/p/crm.json")["project"]["key"] == "crm"


def test_a_new_password_ends_every_session_of_that_user_only(app, auth, db):
    laptop, tablet, lead = auth("evaluator"), auth("evaluator"), auth("lead")
    changed = _cli(app, "user", "passwd", "evaluator", "--password-stdin", "--json",
                   input="a brand new passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["sessions_ended"] == 2
    for browser in (laptop, tablet):
        assert browser.get("/p/crm.json").status_code == 401
    assert lead.get("/p/crm.json").status_code == 200
    assert auth_again(app, "evaluator", "a brand new passphrase").get("/p/crm.json").status_code == 200
    events = db().exec(select(AuditEvent).where(AuditEvent.entity_type == "user", AuditEvent.entity_id == "evaluator",
                                                AuditEvent.action == "password")).all()
    assert [event.after["sessions_ended"] for event in events] == [2]


def auth_again(app, username: str, password: str) -> Visitor:
    visitor = Visitor(app.test_client())
    assert visitor.login(username, password).status_code == 302
    return visitor


def test_an_admin_logs_a_user_out_everywhere_and_the_password_still_works(app, auth, db):
    browser = auth("owner")
    ended = _cli(app, "user", "logout", "owner")
    assert ended.exit_code == 0, ended.output
    assert ended.stdout.strip() == "Logged owner out; ended 1 browser session."
    assert browser.get("/p/crm.json").status_code == 401
    assert _cli(app, "user", "logout", "owner").stdout.strip() == "Logged owner out: no browser was signed in."
    assert auth("owner").get("/p/crm.json").status_code == 200
    missing = _cli(app, "user", "logout", "nobody", "--json")
    assert missing.exit_code == 1 and "nobody" in json.loads(missing.stdout)["error"]
    logged = db().exec(select(AuditEvent).where(AuditEvent.entity_id == "owner", AuditEvent.action == "logout")).all()
    assert [event.after["sessions_ended"] for event in logged] == [1, 0]


def test_the_database_keeps_only_a_hash_of_the_token_in_the_cookie(app, auth, db):
    visitor = auth("lead")
    cookie = visitor.client.get_cookie("reqtrace_session").value
    token = app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]
    stored = db().exec(select(LoginSession.token_hash)).all()
    assert len(token) >= 40 and token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_a_session_older_than_its_lifetime_is_refused(app, auth, db):
    visitor = auth("lead")
    session = db()
    session.exec(update(LoginSession).values(created_at=datetime.now(timezone.utc) - timedelta(days=32)))
    session.commit()
    assert visitor.get("/p/crm.json").status_code == 401


def test_a_deactivated_user_is_signed_out_at_once(app, auth, db):
    visitor = auth("owner")
    session = db()
    session.exec(update(User).where(User.username == "owner").values(active=False))
    session.commit()
    assert visitor.get("/p/crm.json").status_code == 401


def test_logging_in_again_ends_the_browsers_earlier_session(app, auth):
    visitor = auth("owner")
    thief = _stolen_copy(visitor, app)
    assert visitor.login("lead").status_code == 302  # the same browser, without logging out first
    assert thief.get("/p/crm.json").status_code == 401
    assert visitor.json("/p/crm.json")["project"]["key"] == "crm"


def test_a_form_token_from_before_the_login_is_refused_after_it(client):
    """The login starts a new form token: one planted in the browser, or read off it, before is worth nothing."""
    visitor = client()
    before = csrf_token(visitor.get("/login").text)
    assert visitor.login("lead").status_code == 302
    refused = visitor.post("/p/crm/baselines", {"name": "With the old token", "csrf_token": before})
    assert refused.status_code == 400 and "nothing was saved" in refused.get_data(as_text=True)
    after = csrf_token(visitor.get("/p/crm").text)
    assert after != before
    assert visitor.post("/p/crm/baselines", {"name": "With the new token", "csrf_token": after}).status_code == 302
    assert [b["name"] for b in visitor.json("/p/crm/baselines.json")["baselines"]] == ["With the new token"]


@pytest.mark.parametrize("url", ["/p/crm/jobs/" + "x" * 300, "/p/crm/jobs/" + "x" * 300 + ".json",
                                 "/p/crm/jobs/" + "x" * 300 + ".xlsx"])
def test_an_overlong_job_id_is_unknown_not_a_crash(auth, url):
    assert auth("procurement").get(url).status_code == 404


def test_an_overlong_upload_id_is_unknown_not_a_crash(auth):
    procurement = auth("procurement")
    for url in ("/p/crm/import/requirements/" + "y" * 300 + "/apply",
                "/p/crm/import/responses/" + "y" * 300 + "/apply"):
        assert procurement.post(url, {}).status_code == 404, url


# --- a checklist kept for offline use does not outlive the login -----------------------------------

def _user_cookie(response) -> str | None:
    """The reqtrace_user cookie a response sets (its whole Set-Cookie line), else None."""
    found = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("reqtrace_user=")]
    return found[-1] if found else None


def test_the_browser_is_told_who_is_logged_in_and_logging_out_takes_it_back(client):
    """The checklist's script reads who is logged in on this browser (it takes ticks only for its evaluator):
    a login names them, a logout removes the name. It is no credential: the session cookie is."""
    visitor = client()
    login = visitor.login("evaluator")
    cookie = _user_cookie(login)
    assert cookie is not None and cookie.split(";")[0] == "reqtrace_user=evaluator"
    assert "httponly" not in _flags(cookie) and "samesite=lax" in _flags(cookie)
    assert visitor.client.get_cookie("reqtrace_user").value == "evaluator"
    assert visitor.login("owner").status_code == 302  # someone else logs in on the same browser
    assert visitor.client.get_cookie("reqtrace_user").value == "owner"

    logout = visitor.post("/logout", {})
    assert logout.status_code == 302 and _user_cookie(logout) is not None
    assert visitor.client.get_cookie("reqtrace_user") is None


FORGET = {"data-forget-offline": ""}  # the login page's mark: remove the checklists kept for offline use


def test_the_page_after_logging_out_forgets_the_checklists_kept_for_offline_use(client):
    visitor = client()
    assert visitor.page("/login").find("div", **FORGET) is None
    visitor.login("evaluator")
    assert visitor.post("/logout", {}).status_code == 302
    after = visitor.page("/login")
    assert "You are logged out." in after.text
    assert after.find("div", **FORGET) is not None
    assert after.find("script", src="/static/app.js") is not None  # which forgets them
    assert visitor.page("/login").find("div", **FORGET) is None  # once, after the logout


def test_the_first_page_after_a_login_as_someone_else_forgets_the_kept_checklists(client):
    """A login as another user without logging out (or after the login expired) must not leave the previous
    user's checklist copies, with their sealed scores, to be opened offline; the same user logging in again
    keeps theirs."""
    visitor = client()
    visitor.login("evaluator")
    assert visitor.page("/").find("div", **FORGET) is not None  # the browser had no user before
    assert visitor.page("/").find("div", **FORGET) is None
    visitor.login("evaluator")
    assert visitor.page("/").find("div", **FORGET) is None  # the same person again
    visitor.login("lead")
    assert visitor.page("/").find("div", **FORGET) is not None
