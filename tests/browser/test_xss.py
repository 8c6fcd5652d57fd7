"""Hostile text saved through the real forms never runs in a real browser.

A live `reqtrace serve` on a copy of the sample project is filled, through
HTTP POSTs carrying the CSRF token (and, for some, by filling the forms in
Chromium), with payloads that try to set `window.__xss` or open a dialog.
Every page that shows them is then loaded in Chromium with the page's
Content-Security-Policy *bypassed*, so the test checks the escaping and the
Markdown sanitiser themselves, not only the CSP behind them. Each page must
fire no dialog, leave `window.__xss` undefined, and hold no event-handler
attribute, no `javascript:` URL and no active element the app does not put
there itself; rendered Markdown may hold only the sanitiser's allowed tags.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORD, start_server
from tests.questionnaire.support import answer, export_questionnaire, import_responses, row_numbers
from tests.web.support import form_values, parse_html

pytestmark = pytest.mark.browser

# (name, payload). Each tries to set window.__xss or open a dialog, in its own way.
PAYLOADS = [
    ("script-tag", "<script>window.__xss=1</script>"),
    ("script-tag-upper", "<SCRIPT SRC=//evil.example/x.js></SCRIPT><ScRiPt>alert('xss')</sCrIpT>"),
    ("img-onerror", '<img src=x onerror="window.__xss=1">'),
    ("img-onerror-unquoted", "<img src=x onerror=window.__xss=1//"),
    ("md-javascript-link", "[click me](javascript:window.__xss=1)"),
    ("md-javascript-mixed-case", "[click me](JaVaScRiPt:window.__xss=1)"),
    ("md-javascript-entity", "[click me](&#x6A;avascript:window.__xss=1)"),
    ("md-javascript-tab-entity", "[click me](java&#x09;script:window.__xss=1)"),
    ("md-reference-link", "[a reference][evil]\n\n[evil]: javascript:window.__xss=1"),
    ("md-image-breakout", '![pic](x" onerror="window.__xss=1)'),
    ("md-title-breakout", '[t](https://example.com "a\\" onmouseover=\\"window.__xss=1")'),
    ("md-data-url", "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)"),
    ("a-javascript-mixed-case", '<a href="jAvAsCrIpT:window.__xss=1">mixed case</a>'),
    ("a-javascript-entities",
     '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss=1">entities</a>'),
    ("a-javascript-colon-entity", '<a href="javascript&colon;window.__xss=1">colon entity</a>'),
    ("a-vbscript", '<a href="vbscript:msgbox(1)">vb</a>'),
    ("svg-onload", '<svg onload="window.__xss=1"><circle r="5"/></svg>'),
    ("svg-script", "<svg><script>window.__xss=1</script></svg>"),
    ("svg-xlink", '<svg><a xlink:href="javascript:window.__xss=1"><text y="20">svg link</text></a></svg>'),
    ("iframe-javascript", '<iframe src="javascript:window.__xss=1"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'),
    ("object-data", '<object data="javascript:window.__xss=1"></object>'),
    ("embed", '<embed src="data:text/html,<script>parent.__xss=1</script>">'),
    ("style-expression", '<div style="width:expression(window.__xss=1);background:url(javascript:window.__xss=1)">'
                         "styled</div><style>@import 'javascript:window.__xss=1';</style>"),
    ("attribute-breakout-double", '"><script>window.__xss=1</script>'),
    ("attribute-breakout-single", "'><img src=x onerror=window.__xss=1>"),
    ("textarea-breakout", "</textarea><script>window.__xss=1</script>"),
    ("title-breakout", "</title><script>window.__xss=1</script>"),
    ("template-injection", "{{ 1234*2 }} {% if 1 %}jinja-ran{% endif %} ${1234*2}"),
    ("onmouseover", '<p onmouseover="window.__xss=1">hover me</p>'),
    ("details-ontoggle", '<details open ontoggle="window.__xss=1"><summary>s</summary></details>'),
    ("input-autofocus", '<input autofocus onfocus="window.__xss=1">'),
    ("math-mxss", '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">'),
    ("noscript-mxss", '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">'),
    ("form-action", '<form action="javascript:window.__xss=1"><button>submit</button></form>'),
    ("button-formaction", '<button formaction="javascript:window.__xss=1">go</button>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">'),
    ("base-href", '<base href="javascript:window.__xss=1//">'),
    ("video-source", '<video><source onerror="window.__xss=1"></video>'),
    ("body-onload", '<body onload="window.__xss=1">'),
]
assert len(PAYLOADS) >= 20

SAFE_MARKDOWN_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
                      "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
                      "sup", "sub"}

# Runs in the page: everything that could execute, as a list of findings (empty when the page is safe).
DOM_AUDIT = """
(safeTags) => {
  const found = [];
  const urlAttributes = ["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background",
                         "poster", "content"];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(`${element.tagName} has ${name}`);
      if (urlAttributes.includes(name) && /(javascript|vbscript|data:text\\/html)/.test(value))
        found.push(`${element.tagName} ${name}=${attribute.value}`);
      if (name === "style" && /(expression|javascript|url\\()/.test(value))
        found.push(`${element.tagName} style=${attribute.value}`);
    }
  }
  for (const script of document.querySelectorAll("script")) {
    const source = script.src ? new URL(script.src) : null;
    if (!source || source.origin !== location.origin || !source.pathname.startsWith("/static/"))
      found.push("script " + script.outerHTML.slice(0, 100));
  }
  const foreign = "iframe, frame, object, embed, applet, base, meta[http-equiv], style, video, audio, source, math, " +
                  "noscript, link:not([rel=stylesheet]):not([rel=icon]), [autofocus]:not(#username), [formaction], svg:not(.bars):not(.chart)";
  for (const element of document.querySelectorAll(foreign)) found.push("element " + element.outerHTML.slice(0, 100));
  for (const form of document.querySelectorAll("form")) {
    const action = new URL(form.action, location.href);
    if (action.origin !== location.origin) found.push("form to " + form.action);
  }
  for (const box of document.querySelectorAll(".markdown, .preview")) {
    for (const element of box.querySelectorAll("*")) {
      if (!safeTags.includes(element.tagName.toLowerCase())) found.push("markdown holds " + element.tagName);
      for (const attribute of element.attributes) {
        const allowed = {a: ["href", "title", "rel"], th: ["align"], td: ["align"], ol: ["start"]};
        if (!(allowed[element.tagName.toLowerCase()] || []).includes(attribute.name))
          found.push(`markdown ${element.tagName} has ${attribute.name}`);
      }
      if (element.tagName === "A" && element.getAttribute("href") !== null) {
        const protocol = new URL(element.href, location.href).protocol;
        if (!["http:", "https:", "mailto:"].includes(protocol)) found.push("markdown link " + element.href);
      }
    }
  }
  return found;
}
"""

# Poke whatever is there: hover, focus and animate every element, so handlers that slipped through would run.
POKE = """
() => {
  for (const element of document.querySelectorAll("main *")) {
    for (const type of ["mouseover", "mouseenter", "focus", "toggle", "animationstart", "load", "error"])
      element.dispatchEvent(new Event(type));
  }
}
"""


# --- the hostile server ----------------------------------------------------------------------

def one_line(index: int, payload: str) -> str:
    """A title is one line of at most 300 characters."""
    return f"X{index} " + " ".join(payload.split())[:280]


@dataclass
class Hostile:
    url: str
    items: dict[str, str] = field(default_factory=dict)  # ID -> the hostile title saved
    draft_requirements: int = 0
    pages: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # Atlas's answers, with PAYLOADS as comments in this order


class Api:
    """The server through Playwright's request context: real HTTP, the session cookie and the CSRF token."""

    def __init__(self, request_context):
        self.http = request_context
        self.token = ""

    def get(self, path: str):
        response = self.http.get(path, max_redirects=0)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text())
        if match:
            self.token = match.group(1)
        return response

    def post(self, path: str, pairs: list[tuple[str, str]]):
        body = urlencode([*pairs, ("csrf_token", self.token)])
        return self.http.post(path, data=body, max_redirects=0,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})

    def form(self, path: str) -> list[tuple[str, str]]:
        """The form at `path` as a browser would submit it untouched (selects, checked boxes, texts)."""
        html = self.get(path).text()
        return [(n, v) for n, v in form_values(parse_html(html).one("form", cls="item-form")) if n != "csrf_token"]

    def create(self, plural: str, **fields) -> str:
        pairs = _merge(self.form(f"/p/crm/{plural}/new"), fields)
        response = self.post(f"/p/crm/{plural}/new", pairs)
        assert response.status == 302, (plural, response.status, response.text()[:1000])
        return response.headers["location"].rsplit("/", 1)[-1]

    def edit(self, hid: str, **fields) -> None:
        response = self.post(f"/p/crm/items/{hid}/edit", _merge(self.form(f"/p/crm/items/{hid}/edit"), fields))
        assert response.status == 302, (hid, response.status, response.text()[:1000])

    def json(self, path: str):
        response = self.http.get(path)
        assert response.status == 200, path
        return response.json()


def _merge(pairs, fields) -> list[tuple[str, str]]:
    kept = [(name, value) for name, value in pairs if name not in fields]
    for name, value in fields.items():
        kept.extend((name, item) for item in value) if isinstance(value, list) else kept.append((name, value))
    return kept


def _login(api: Api, username: str = "lead") -> None:
    api.get("/login")
    response = api.post("/login", [("username", username), ("password", DEMO_PASSWORD)])
    assert response.status == 302, response.text()[:500]
    api.get("/")


@pytest.fixture(scope="module")
def hostile(playwright, tmp_path_factory, sample_sqlite_file) -> Hostile:
    """A live server whose sample project is full of hostile text, saved through the forms."""
    folder = tmp_path_factory.mktemp("xss")
    shutil.copyfile(sample_sqlite_file, folder / "hostile.db")
    server = start_server(f"sqlite:///{folder / 'hostile.db'}", folder)
    request_context = playwright.request.new_context(base_url=server.url)
    try:
        api = Api(request_context)
        _login(api)
        result = Hostile(server.url)
        assert api.post("/p/crm/baselines", [("name", "B1"), ("note", PAYLOADS[0][1])]).status == 302
        texts = [payload for _name, payload in PAYLOADS]

        # A chain of hostile items, every text field filled.
        strategy = api.create("strategies", title=one_line(0, texts[24]), statement=texts[4] + "\n\n" + texts[2],
                              sponsor=texts[25], segment=texts[28], kpi=texts[26], target=texts[27])
        role = api.create("roles", title=one_line(1, texts[25]), from_state=texts[24], to_state=texts[26],
                          department=texts[25], description=texts[8], links=[strategy])
        process = api.create("processes", title=one_line(2, texts[26]), description=texts[9],
                             steps="\n".join(texts[:6]), bottleneck=texts[24], peak_demand=texts[27], links=[role])
        result.items.update({strategy: "", role: "", process: ""})
        # One requirement per payload: title, statement and acceptance.
        for index, payload in enumerate(texts):
            links = [] if index % 7 == 3 else [process if index % 2 else "PRC-8"]  # some technology-driven
            hid = api.create("requirements", title=one_line(index, payload), statement=payload,
                             acceptance=f"- {payload}\n- second line", links=links, capability="technology")
            result.items[hid] = one_line(index, payload)
            assert api.json(f"/p/crm/items/{hid}.json")["item"]["statement"] == payload.strip()
        # A strategy nobody sponsors (listed on the gaps page by its hostile title).
        result.items[api.create("strategies", title=one_line(99, texts[1]))] = one_line(99, texts[1])
        # Hostile edits of sample items: history, suspect links and comparisons show before and after.
        api.edit("REQ-47", title=one_line(47, texts[25]), statement=texts[12], acceptance=texts[13])
        api.edit("STR-4", statement=texts[24] + " " + texts[2], sponsor=texts[25], kpi=texts[0])
        api.edit("ROL-6", from_state=texts[26], to_state=texts[24])
        approved = next(hid for hid in result.items if hid.startswith("REQ-"))
        version = api.json(f"/p/crm/items/{approved}.json")["item"]["version"]
        assert api.post(f"/p/crm/items/{approved}/status", [("status", "approved"), ("version", str(version))]) \
            .status == 302
        assert api.post("/p/crm/baselines", [("name", "B2"), ("note", texts[25])]).status == 302
        assert api.json("/p/crm/suspect.json")["links"], "the hostile edits should leave suspect links"
        result.draft_requirements = api.json("/p/crm/matrix.json?status=draft")["total"]
        assert result.draft_requirements == len(PAYLOADS) - 1
        assert any(hid for hid, _t in result.items.items() if hid.startswith("REQ-")
                   and hid in {e["id"] for e in api.json("/p/crm/gaps.json")["technology_driven"]})

        # Atlas's questionnaire comes back with a hostile comment and demonstration on the first answers.
        database_url = f"sqlite:///{folder / 'hostile.db'}"
        questionnaire = folder / "atlas.xlsx"
        export_questionnaire(database_url, "atlas", questionnaire)
        answered = list(row_numbers(openpyxl.load_workbook(questionnaire)["Questionnaire"]))[:len(texts)]
        answer(questionnaire, {hid: "configuration" for hid in answered}, comments=dict(zip(answered, texts)),
               demonstrations=dict(zip(answered, reversed(texts))))
        code, summary = import_responses(database_url, questionnaire, "atlas")
        assert code == 0 and summary["applied"], summary
        result.answered = answered

        result.pages = [
            "/", "/p/crm", "/p/crm/requirements?status=draft", "/p/crm/strategies?status=draft",
            "/p/crm/roles?status=draft", "/p/crm/processes?status=draft", "/p/crm/requirements?owner=me",
            "/p/crm/tree", "/p/crm/tree?q=script", "/p/crm/matrix?status=draft&per_page=500",
            "/p/crm/matrix?trace=technology-driven", "/p/crm/matrix?trace=suspect", "/p/crm/gaps",
            "/p/crm/suspect", "/p/crm/baselines", "/p/crm/baselines/B1", "/p/crm/baselines/B2",
            "/p/crm/compare?from=B1&to=current", "/p/crm/compare?from=B1&to=B2",
            "/p/crm/items/REQ-47", "/p/crm/items/REQ-47/history", "/p/crm/items/REQ-47/edit",
            "/p/crm/items/STR-4", "/p/crm/items/STR-4/history", "/p/crm/items/STR-4/impact",
            "/p/crm/items/ROL-6/history", f"/p/crm/items/{strategy}/impact", f"/p/crm/items/{role}/edit",
            f"/p/crm/items/{process}/edit", f"/p/crm/items/{strategy}/edit",
            "/p/crm/vendors/atlas/answers", "/p/crm/vendors/atlas/answers?answer=configuration",
            f"/p/crm/items/{answered[0]}", f"/p/crm/items/{answered[-1]}",
        ]
        yield result
    finally:
        request_context.dispose()
        server.stop()


@pytest.fixture
def browse(browser, hostile):
    """browse(path) -> a page logged in as the lead, loaded with CSP bypassed and audited."""
    context = browser.new_context(bypass_csp=True)
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    context.on("dialog", on_dialog)
    page = context.new_page()
    page.goto(hostile.url + "/login")  # the login form, as a person would use it
    page.fill("#username", "lead")
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == hostile.url + "/", page.url

    def visit(path: str, expected_status: int = 200) -> Page:
        response = page.goto(hostile.url + path)
        assert response is not None and response.status == expected_status, (path, response and response.status)
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
        assert not page.url.startswith(hostile.url + "/login"), f"{path}: logged out?"
        page.wait_for_load_state("load")
        audit(page, path, dialogs)
        return page

    visit.page = page
    visit.dialogs = dialogs
    yield visit
    context.close()


def audit(page: Page, where: str, dialogs: list[str]) -> None:
    page.evaluate(POKE)
    page.wait_for_timeout(50)
    assert dialogs == [], f"{where}: a dialog opened: {dialogs}"
    assert page.evaluate("() => typeof window.__xss") == "undefined", f"{where}: a payload ran"
    findings = page.evaluate(DOM_AUDIT, sorted(SAFE_MARKDOWN_TAGS))
    assert findings == [], f"{where}: {findings}"
    text = page.inner_text("body")
    assert "2468" not in text, f"{where}: a template expression was evaluated"
    assert text.count("jinja-ran") == text.count("%}jinja-ran"), f"{where}: a template block was evaluated"


# --- the tests -------------------------------------------------------------------------------

def test_item_pages_show_hostile_text_as_text(browse, hostile, artifacts):
    for hid, title in hostile.items.items():
        page = browse(f"/p/crm/items/{hid}")
        if title:
            expect(page.locator("h1")).to_contain_text(title)  # shown literally, not interpreted
    page = browse("/p/crm/items/REQ-47")
    page.screenshot(path=artifacts / "xss-item.png", full_page=True)


def test_every_page_that_shows_hostile_text_runs_none_of_it(browse, hostile, artifacts):
    for path in hostile.pages:
        browse(path)
    page = browse("/p/crm/matrix?status=draft&per_page=500")
    expect(page.locator("table.matrix tbody tr")).to_have_count(hostile.draft_requirements)
    page.screenshot(path=artifacts / "xss-matrix.png", full_page=True)
    browse("/p/crm/compare?from=B1&to=current").screenshot(path=artifacts / "xss-compare.png", full_page=True)


def test_a_vendors_hostile_comments_show_as_text(browse, hostile):
    page = browse("/p/crm/vendors/atlas/answers")
    for hid, (_name, payload) in zip(hostile.answered, PAYLOADS):
        expect(page.locator(f"#answer-{hid} td.vendor-text").first).to_have_text(payload)


def test_history_of_hostile_items_runs_none_of_it(browse, hostile):
    for hid in list(hostile.items)[:12]:
        browse(f"/p/crm/items/{hid}/history")
        browse(f"/p/crm/items/{hid}/edit")


ECHOED = [PAYLOADS[0], PAYLOADS[24], PAYLOADS[25], PAYLOADS[27], PAYLOADS[28]]


@pytest.mark.parametrize("name, payload", ECHOED, ids=[name for name, _payload in ECHOED])
def test_hostile_query_strings_are_not_executed(browse, name, payload):
    text = quote(payload)
    browse(f"/p/crm/matrix?text={text}")
    browse(f"/p/crm/tree?q={text}")
    browse(f"/p/crm/requirements?q={text}")
    browse(f"/p/crm/vendors/atlas/answers?answer={text}", expected_status=400)  # the refusal names the value
    browse(f"/p/crm/compare?from={text}", expected_status=404)
    browse(f"/p/crm/items/{quote(payload, safe='')}", expected_status=404)


def test_hostile_next_on_the_login_page_is_not_executed(browser, hostile):
    context = browser.new_context(bypass_csp=True)
    dialogs: list[str] = []
    context.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = context.new_page()
    for _name, payload in (PAYLOADS[24], PAYLOADS[25], PAYLOADS[2]):
        page.goto(hostile.url + "/login?next=" + quote(payload))
        page.wait_for_load_state("load")
        audit(page, "login", dialogs)
        assert page.locator("input[name=next]").get_attribute("value") == payload
        page.fill("#username", payload)
        page.fill("#password", "wrong")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        audit(page, "failed login", dialogs)
        assert page.locator("#username").input_value() == payload
    context.close()


def test_the_new_item_form_echoes_hostile_input_safely(browse, hostile, artifacts):
    page = browse("/p/crm/requirements/new")
    title = one_line(0, PAYLOADS[26][1])
    page.fill("#title", title)
    page.fill("#statement", PAYLOADS[2][1])
    page.fill("#acceptance", PAYLOADS[26][1])
    page.fill("#tags", PAYLOADS[25][1])  # tags are slugs: this is refused and shown again
    page.fill("#weight", PAYLOADS[24][1])
    page.select_option("#capability", "process")
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_load_state("load")
    audit(page, "the refused form", browse.dialogs)
    expect(page.locator("#field-tags .field-errors")).to_be_visible()
    expect(page.locator("#title")).to_have_value(title)
    expect(page.locator("#acceptance")).to_have_value(PAYLOADS[26][1])
    expect(page.locator("#tags")).to_have_value(PAYLOADS[25][1])
    page.screenshot(path=artifacts / "xss-refused-form.png", full_page=True)

    page.fill("#tags", "xss, hostile")
    page.fill("#weight", "")
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_load_state("load")
    assert re.search(r"/p/crm/items/REQ-\d+$", page.url), page.url
    audit(page, "the created item", browse.dialogs)
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator(".markdown").first).not_to_contain_text("onerror")  # the sanitiser dropped it


def test_the_conflict_page_shows_hostile_versions_safely(browse, hostile, playwright):
    page = browse("/p/crm/items/REQ-48/edit")
    api = Api(playwright.request.new_context(base_url=hostile.url))
    try:
        _login(api)
        api.edit("REQ-48", title=one_line(1, PAYLOADS[24][1]), statement=PAYLOADS[26][1])
    finally:
        api.http.dispose()
    page.fill("#title", one_line(2, PAYLOADS[25][1]))
    page.fill("#statement", PAYLOADS[27][1])
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_load_state("load")
    audit(page, "the conflict page", browse.dialogs)
    expect(page.locator("section.conflict")).to_be_visible()
    expect(page.locator("section.conflict td.yours").first).to_contain_text(one_line(2, PAYLOADS[25][1]))
    expect(page.locator("section.conflict td.saved").first).to_contain_text(one_line(1, PAYLOADS[24][1]))


def test_live_preview_sanitises_while_typing(browse, artifacts):
    page = browse("/p/crm/requirements/new")
    preview = page.locator("#preview-statement")
    for start in range(0, len(PAYLOADS), 4):
        chunk = PAYLOADS[start:start + 4]
        marker = f"preview-marker-{start}"
        # The marker goes first: some payloads swallow whatever follows them.
        page.fill("#statement", f"**{marker}**\n\n" + "\n\n".join(payload for _name, payload in chunk))
        expect(preview.locator("strong", has_text=marker)).to_be_visible(timeout=5000)
        audit(page, "preview of " + ", ".join(name for name, _payload in chunk), browse.dialogs)
    page.fill("#statement", "**all-at-once**\n\n" + "\n\n".join(payload for _name, payload in PAYLOADS))
    expect(preview.locator("strong", has_text="all-at-once")).to_be_visible(timeout=5000)
    audit(page, "preview of every payload at once", browse.dialogs)
    page.screenshot(path=artifacts / "xss-preview.png", full_page=True)


def test_preview_endpoint_returns_only_allowed_markup(browse, hostile, playwright):
    page = browse("/p/crm")
    api = Api(playwright.request.new_context(base_url=hostile.url))
    try:
        _login(api)
        for name, payload in PAYLOADS:
            response = api.post("/preview", [("text", payload)])
            assert response.status == 200, name
            html = response.json()["html"]
            page.evaluate("(html) => { const box = document.createElement('div'); box.className = 'preview';"
                          " box.innerHTML = html; document.querySelector('main').appendChild(box); }", html)
            audit(page, f"/preview of {name}", browse.dialogs)
            assert "<script" not in html.lower() and "javascript:" not in html.lower(), name
    finally:
        api.http.dispose()


def test_the_audit_catches_what_it_looks_for(browse):
    """The checks above can fail: a page with an unsanitised payload is caught."""
    page = browse("/p/crm")
    for html in ('<img src=x onerror="window.__xss=1">', '<a href="javascript:void(0)">x</a>', "<iframe></iframe>"):
        page.evaluate("(html) => { const box = document.createElement('div'); box.className = 'markdown';"
                      " box.innerHTML = html; document.querySelector('main').appendChild(box); }", html)
        page.wait_for_timeout(100)
        with pytest.raises(AssertionError):
            audit(page, "planted", browse.dialogs)
        page.evaluate("() => { document.querySelectorAll('main .markdown').forEach((box) => box.remove());"
                      " delete window.__xss; }")
    page.evaluate("() => alert('planted')")
    with pytest.raises(AssertionError, match="dialog"):
        audit(page, "planted", browse.dialogs)
    browse.dialogs.clear()
