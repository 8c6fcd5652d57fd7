"""Test helpers for the web app: a visitor that keeps its CSRF token, and a small HTML reader.

The HTML reader is the standard library's parser turned into a tree, so tests can
say "the message is inside the title field's box" without a third-party parser.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Iterator

from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from tests.conftest import DEMO_PASSWORD

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- reading HTML ----------------------------------------------------------------------------

@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list["Element | str"] = field(default_factory=list)
    parent: "Element | None" = None

    def iter(self) -> Iterator["Element"]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, id: str | None = None, cls: str | None = None,
                 **attrs: str) -> list["Element"]:
        found = []
        for element in self.iter():
            if tag is not None and element.tag != tag:
                continue
            if id is not None and element.attrs.get("id") != id:
                continue
            if cls is not None and cls not in (element.attrs.get("class") or "").split():
                continue
            if any(element.attrs.get(name.rstrip("_")) != value for name, value in attrs.items()):
                continue
            found.append(element)
        return found

    def find(self, tag: str | None = None, **kwargs: Any) -> "Element | None":
        found = self.find_all(tag, **kwargs)
        return found[0] if found else None

    def one(self, tag: str | None = None, **kwargs: Any) -> "Element":
        found = self.find_all(tag, **kwargs)
        assert len(found) == 1, f"expected one <{tag or '*'} {kwargs}>, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join(" ".join(parts).split())

    @property
    def raw_text(self) -> str:
        """Text with its own whitespace (for a textarea's content)."""
        return "".join(child if isinstance(child, str) else child.raw_text for child in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value if value is not None else "" for name, value in attrs},
                          parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {n: v if v is not None else "" for n, v in attrs},
                                             parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def csrf_token(html: str) -> str:
    """The CSRF token a page carries (its <meta>, else a form's hidden field)."""
    match = META_TOKEN.search(html) or FORM_TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def form_values(form: Element) -> list[tuple[str, str]]:
    """What a browser would submit for `form` as it stands (checked boxes, selected options, texts)."""
    pairs: list[tuple[str, str]] = []
    for element in form.iter():
        name = element.attrs.get("name")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in element.attrs:
                    pairs.append((name, element.attrs.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                pairs.append((name, element.attrs.get("value", "")))
        elif element.tag == "textarea":
            text = element.raw_text
            pairs.append((name, text[1:] if text.startswith("\n") else text))
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [option for option in options if "selected" in option.attrs] or options[:1]
            for option in chosen:
                pairs.append((name, option.attrs.get("value", option.text)))
    return pairs


# --- a person using the app ------------------------------------------------------------------

class Visitor:
    """A test client that remembers its CSRF token and sends it with every POST (unless told not to)."""

    def __init__(self, client, *, base_url: str = "http://localhost"):
        self.client = client
        self.base_url = base_url
        self.username: str | None = None
        self._token: str | None = None
        self._last_page = "/"

    def get(self, url: str, **kwargs):
        response = self.client.get(url, base_url=self.base_url, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf-token"' in response.text:
            self._token = csrf_token(response.text)
            self._last_page = url
        return response

    def json(self, url: str) -> Any:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        assert response.mimetype == "application/json", (url, response.mimetype)
        return response.get_json()

    def page(self, url: str, status: int = 200) -> Element:
        response = self.get(url)
        assert response.status_code == status, (url, response.status_code)
        return parse_html(response.get_data(as_text=True))

    def token(self) -> str:
        if self._token is None:
            self.get("/login" if self.username is None else "/")
        assert self._token is not None
        return self._token

    def post(self, url: str, data: Any = None, *, csrf: bool = True, **kwargs):
        """POST a form; `data` is a dict (list values repeat the field) or a list of pairs."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        flat: list[tuple[str, str]] = []
        for name, value in pairs:
            if isinstance(value, (list, tuple)):
                flat.extend((name, str(item)) for item in value)
            elif value is not None:
                flat.append((name, str(value)))
        if csrf and not any(name == "csrf_token" for name, _ in flat):
            flat.append(("csrf_token", self.token()))
        # A browser sends the page the form came from (Flask-WTF checks it over HTTPS).
        headers = {"Referer": self.base_url + self._last_page, **kwargs.pop("headers", {})}
        return self.client.post(url, data=MultiDict(flat), base_url=self.base_url, headers=headers, **kwargs)

    def login(self, username: str, password: str = DEMO_PASSWORD, *, next_url: str | None = None):
        page = self.get("/login")
        assert page.status_code == 200
        data = {"username": username, "password": password, "csrf_token": csrf_token(page.text)}
        if next_url is not None:
            data["next"] = next_url
        response = self.post("/login", data)
        if response.status_code == 302:
            self.username = username
            self._token = None
        return response

    # --- the app's own vocabulary ---

    def item(self, hid: str, key: str = "crm") -> dict:
        return self.json(f"/p/{key}/items/{hid}.json")["item"]

    def edit_form(self, hid: str, key: str = "crm") -> list[tuple[str, str]]:
        """The edit form's fields exactly as the page offers them."""
        page = self.page(f"/p/{key}/items/{hid}/edit")
        return form_values(page.one("form", cls="item-form"))

    def new_form(self, plural: str, key: str = "crm") -> list[tuple[str, str]]:
        page = self.page(f"/p/{key}/{plural}/new")
        return form_values(page.one("form", cls="item-form"))

    def create(self, plural: str, changes: dict[str, Any], key: str = "crm", *, form=None):
        """Open the new-item form (or reuse `form`), fill some fields, submit it.

        A new requirement's capability must be chosen (the form offers none chosen): unless the test chooses,
        it chooses technology, as a writer would who does not care which."""
        if plural == "requirements":
            changes = {"capability": "technology", **changes}
        pairs = replace(form if form is not None else self.new_form(plural, key), **changes)
        return self.post(f"/p/{key}/{plural}/new", pairs)

    def save(self, hid: str, changes: dict[str, Any], key: str = "crm", *, form=None):
        """Open the edit form (or reuse `form`), change some fields, submit it."""
        pairs = replace(form if form is not None else self.edit_form(hid, key), **changes)
        return self.post(f"/p/{key}/items/{hid}/edit", pairs)


def replace(pairs: list[tuple[str, str]], **changes: Any) -> list[tuple[str, str]]:
    """Form pairs with some fields replaced."""
    kept = [(name, value) for name, value in pairs if name not in changes]
    for name, value in changes.items():
        if isinstance(value, (list, tuple)):
            kept.extend((name, item) for item in value)
        else:
            kept.append((name, value))
    return kept


# --- the app's pages, as concrete URLs -------------------------------------------------------

PUBLIC_ENDPOINTS = {"auth.login", "static", "home.health",
                    "sessions.service_worker"}  # /sw.js: the checklist's service worker, fetched by the browser
SAMPLE_VALUES = {"key": ["crm"], "plural": ["strategies", "roles", "processes", "requirements"],
                 "hid": ["REQ-47", "STR-4"], "name": ["B1"], "version": [1], "topic": ["scoring"],
                 "vendor": ["atlas"], "username": ["owner"]}


def page_rules(app) -> list:
    """Every GET rule that is a page (not its JSON twin, not public, not a file download)."""
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS | FILE_ENDPOINTS
            and not rule.endpoint.endswith("_json") and not rule.rule.endswith(DOWNLOADS)]


# GET rules that return a file or a print view, not a page with a JSON twin.
DOWNLOADS = (".xlsx", ".md", "/print")
# GET endpoints that serve a stored file (an evaluator's photo: tests/web/test_sessions.py).
FILE_ENDPOINTS = {"sessions.photo",
                  # a probe's screenshot or log; the self-contained decision report (tests/web/test_ranking.py)
                  "ranking.probe_file", "ranking.report"}


# Pages that exist only for something made first (an import job): tests/web/test_workbooks.py covers them.
NEEDS_SETUP = {"workbooks.job", "scripts.show",  # an import job; a script version (tests/web/test_scripts.py)
               # a demo session (the sample has none): tests/web/test_sessions.py
               "sessions.show", "sessions.checklist", "sessions.consensus",
               # one vendor's evidence on one requirement: tests/web/test_ranking.py
               "ranking.evidence"}


def concrete_urls(app, endpoint: str) -> list[str]:
    """URLs of `endpoint` filled in with the sample project's values (every plural, two items)."""
    from itertools import product

    from flask import url_for

    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    names = sorted(rule.arguments)
    urls = []
    with app.test_request_context():
        for values in product(*(SAMPLE_VALUES[name] for name in names)):
            urls.append(url_for(endpoint, **dict(zip(names, values))))
    return urls


def every_page_url(app) -> list[tuple[str, str]]:
    """(page endpoint, URL) for every page of the app."""
    return [(rule.endpoint, url) for rule in page_rules(app) if rule.endpoint not in NEEDS_SETUP
            for url in concrete_urls(app, rule.endpoint)]


def json_twin(url: str) -> str:
    path, _, query = url.partition("?")
    twin = path + "index.json" if path.endswith("/") else path + ".json"
    return twin + ("?" + query if query else "")


# --- two people at the same moment -----------------------------------------------------------

def race(engine, first: Callable, second: Callable) -> tuple[Any, Any]:
    """Run `first(db)` and hold its transaction open until `second(db)` has started and is waiting on it (a row
    lock on PostgreSQL, the write lock on SQLite); then commit it and let the second finish. Returns what each
    returned, or the ServiceError it raised."""
    from reqtrace.db import writer
    from reqtrace.services.errors import ServiceError

    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def run(name: str, work: Callable, hold: bool) -> None:
        with Session(writer(engine)) as db:
            try:
                outcome[name] = work(db)
            except ServiceError as error:
                db.rollback()
                outcome[name] = error
                return
            if hold:
                holding.set()
                release.wait(10)
            db.commit()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    assert holding.wait(10)
    two = threading.Thread(target=run, args=("second", second, False))
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second did not wait for the first"
    release.set()
    one.join(10)
    two.join(10)
    return outcome["first"], outcome["second"]
