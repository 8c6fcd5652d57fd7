"""Run the automated probes against a vendor's sandbox in Debian's Chromium, keeping evidence.

Each probe returns an `Outcome`: passed or not, details a person can read, and
the evidence written (screenshots and a JSON log of every step with its time).

- offline: load the app online and let it settle, cut the network, reload and
  navigate. It passes only if the app still shows its content and works; the
  browser's own "no internet" page fails it.
- offline-edit: with the adapter's `edit` action, change a record while
  offline, reconnect, then check with the `verify` action in a fresh browser
  that the change reached the server.
- slow-network: throttle to a poor mobile connection (1.6 Mbit/s down,
  750 kbit/s up, 300 ms round trip) and time the page until it is usable
  (loaded, and the adapter's `ready` selector visible) against a threshold
  (5 s unless told otherwise).
- small-screen: a 360 × 740 phone: on each main page no horizontal scrolling,
  and every button, field and non-inline link at least 44 × 44 CSS pixels.
- action: run one named adapter action (a POC step performed on the vendor's UI).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from reqtrace.probes.adapters import Adapter, AdapterStep

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SLOW_NETWORK = {"offline": False, "latency": 300, "downloadThroughput": 1_600_000 / 8,
                "uploadThroughput": 750_000 / 8}
SLOW_NETWORK_THRESHOLD_SECONDS = 5.0
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
MIN_TAP_TARGET = 44
SETTLE_MS = 1500
TIMEOUT_MS = 15_000
PROBES = ("offline", "offline-edit", "slow-network", "small-screen", "action")


class ProbeError(RuntimeError):
    """The probe could not run (no browser, bad arguments) — different from a probe that failed."""


@dataclass
class Outcome:
    probe: str
    url: str
    passed: bool
    details: dict[str, Any]
    evidence: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"probe": self.probe, "url": self.url, "passed": self.passed, "evidence": self.evidence,
                "details": self.details}


class Recorder:
    """Writes screenshots and the step log into the evidence folder."""

    def __init__(self, folder: Path, probe: str):
        self.folder, self.probe = folder, probe
        folder.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.log: list[dict[str, Any]] = []
        self.files: list[str] = []

    def note(self, event: str, **data: Any) -> None:
        self.log.append({"t": round(time.monotonic() - self.started, 3), "event": event, **data})

    def screenshot(self, page, name: str) -> None:
        path = self.folder / f"{self.probe}-{len(self.files) + 1:02d}-{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            self.files.append(str(path))
            self.note("screenshot", file=path.name)
        except Exception as error:  # a crashed page still gets its log
            self.note("screenshot failed", error=str(error))

    def finish(self, outcome: Outcome) -> Outcome:
        log_path = self.folder / f"{self.probe}-log.json"
        log_path.write_text(json.dumps({**outcome.as_dict(), "log": self.log}, indent=2, default=str))
        outcome.evidence = self.files + [str(log_path)]
        outcome.log = self.log
        return outcome


def run_probe(probe: str, url: str, *, adapter: Adapter | None = None, evidence_dir: str | Path = "evidence",
              threshold_seconds: float = SLOW_NETWORK_THRESHOLD_SECONDS, action: str | None = None) -> Outcome:
    if probe not in PROBES:
        raise ProbeError(f"no probe named {probe!r}; the probes are {', '.join(PROBES)}")
    if probe in ("offline-edit", "action") and adapter is None:
        raise ProbeError(f"the {probe} probe needs a vendor adapter (--adapter FILE): it says how to edit and "
                         "check a record in this vendor's product")
    if probe == "action" and not action:
        raise ProbeError("the action probe needs --action NAME (an action of the adapter)")
    if adapter is not None:  # the adapter's fault is told before a browser starts, not as a failed probe
        for needed in {"offline-edit": ("edit", "verify"), "action": (action,)}.get(probe, ()):
            adapter.action(needed)
    url = url or (adapter.base_url if adapter else "")
    if not url.startswith(("http://", "https://")):
        raise ProbeError(f"{url!r} is not a web address (http:// or https://)")
    folder = Path(evidence_dir) / f"{time.strftime('%Y%m%d-%H%M%S')}-{probe}"
    recorder = Recorder(folder, probe)
    with _browser() as browser:
        work = {"offline": _offline, "offline-edit": _offline_edit, "slow-network": _slow_network,
                "small-screen": _small_screen, "action": _action}[probe]
        try:
            outcome = work(browser, url, adapter, recorder, threshold_seconds=threshold_seconds, action=action)
        except Exception as error:  # a crash in the vendor's app is a failed probe, with its evidence
            recorder.note("probe stopped", error=str(error).splitlines()[0] if str(error) else repr(error))
            outcome = Outcome(probe, url, False, {"reason": f"the probe could not finish: "
                                                            f"{str(error).splitlines()[0] if str(error) else error!r}"})
    return recorder.finish(outcome)


@contextmanager
def _browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dependency
        raise ProbeError("Playwright is not installed: pip install playwright==1.64.1") from None
    executable = os.environ.get("REQTRACE_CHROMIUM", CHROMIUM)
    if not Path(executable).exists():
        raise ProbeError(f"{executable} is missing: install Debian's chromium (apt-get install chromium) or set "
                         "REQTRACE_CHROMIUM to a Chromium binary")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# --- the probes --------------------------------------------------------------------------------

def _offline(browser, url, adapter, recorder, **_) -> Outcome:
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, adapter, recorder)
    _open(page, url, recorder)
    _settle(page, recorder)
    page.reload(wait_until="load", timeout=TIMEOUT_MS)  # a service worker takes control on this load
    _settle(page, recorder)
    online_text = _visible_text(page)
    recorder.screenshot(page, "online")
    context.set_offline(True)
    recorder.note("network cut")
    reloaded, reason = _try(lambda: page.reload(wait_until="load", timeout=TIMEOUT_MS))
    recorder.screenshot(page, "offline-reload")
    if not reloaded or _browser_error_page(page):
        return Outcome("offline", url, False, {"reason": "after a reload with no network the browser showed its "
                                                         "own offline error instead of the application",
                                               "error": reason, "url_after": page.url})
    text = _visible_text(page)
    if len(text) < max(20, len(online_text) // 4):
        return Outcome("offline", url, False, {"reason": "after a reload with no network the page was (nearly) "
                                                         "empty", "characters_online": len(online_text),
                                               "characters_offline": len(text)})
    target = _first_internal_link(page, url)
    navigated, detail = True, None
    if target:
        recorder.note("navigate offline", to=target)
        navigated, detail = _try(lambda: page.goto(target, wait_until="load", timeout=TIMEOUT_MS))
        recorder.screenshot(page, "offline-navigate")
        navigated = navigated and not _browser_error_page(page) and len(_visible_text(page)) >= 20
    context.set_offline(False)
    context.close()
    if not navigated:
        return Outcome("offline", url, False, {"reason": f"the page reloaded offline, but going to {target} "
                                                         "with no network failed", "error": detail})
    return Outcome("offline", url, True, {"reason": "the application kept its content through a reload and "
                                                    "navigation with no network", "navigated_to": target,
                                          "characters_offline": len(text)})


def _offline_edit(browser, url, adapter, recorder, **_) -> Outcome:
    token = secrets.token_hex(4)
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, adapter, recorder)
    _open(page, url, recorder)
    _settle(page, recorder)
    page.reload(wait_until="load", timeout=TIMEOUT_MS)
    _settle(page, recorder)
    context.set_offline(True)
    recorder.note("network cut")
    done, reason = _try(lambda: perform(page, url, adapter.action("edit"), recorder, token=token, context=context))
    recorder.screenshot(page, "offline-edit")
    if not done:
        context.close()
        return Outcome("offline-edit", url, False, {"reason": "the record could not be changed with no network",
                                                    "error": reason})
    context.set_offline(False)
    recorder.note("network back")
    if "sync" in adapter.actions:
        perform(page, url, adapter.action("sync"), recorder, token=token, context=context)
    page.wait_for_timeout(SETTLE_MS * 2)  # give a queued change time to reach the server
    context.close()
    checker = browser.new_context()  # a fresh browser sees only what the server has
    check_page = checker.new_page()
    _log_in(check_page, url, adapter, recorder)
    verified, reason = _try(lambda: perform(check_page, url, adapter.action("verify"), recorder, token=token,
                                            context=checker))
    recorder.screenshot(check_page, "verify")
    checker.close()
    if not verified:
        return Outcome("offline-edit", url, False, {"reason": "the change made offline did not reach the server "
                                                              "after reconnecting", "error": reason, "token": token})
    return Outcome("offline-edit", url, True, {"reason": "a change made offline reached the server after "
                                                         "reconnecting", "token": token})


def _slow_network(browser, url, adapter, recorder, *, threshold_seconds: float, **_) -> Outcome:
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, adapter, recorder)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    recorder.note("throttled", **SLOW_NETWORK)
    started = time.monotonic()
    loaded, reason = _try(lambda: page.goto(url, wait_until="load", timeout=int(max(threshold_seconds * 4, 30) * 1000)))
    if loaded and adapter and adapter.ready:
        loaded, reason = _try(lambda: page.wait_for_selector(adapter.ready, state="visible", timeout=TIMEOUT_MS * 2))
    seconds = time.monotonic() - started
    transferred = page.evaluate("""() => performance.getEntriesByType('resource').concat(
        performance.getEntriesByType('navigation')).reduce((sum, e) => sum + (e.transferSize || 0), 0)""") \
        if loaded else None
    recorder.note("usable" if loaded else "not usable", seconds=round(seconds, 2), bytes=transferred)
    recorder.screenshot(page, "slow-network")
    context.close()
    details = {"seconds": round(seconds, 2), "threshold_seconds": threshold_seconds, "bytes": transferred,
               "profile": "1.6 Mbit/s down, 750 kbit/s up, 300 ms round trip"}
    if not loaded:
        return Outcome("slow-network", url, False, {**details, "reason": "the page did not become usable",
                                                    "error": reason})
    passed = seconds <= threshold_seconds
    details["reason"] = (f"usable after {seconds:.1f} s on a poor mobile connection "
                         f"({'within' if passed else 'over'} the {threshold_seconds:g} s threshold)")
    return Outcome("slow-network", url, passed, details)


def _small_screen(browser, url, adapter, recorder, **_) -> Outcome:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _log_in(page, url, adapter, recorder)
    pages = [urljoin(url, path) for path in (adapter.pages if adapter and adapter.pages else [])] or [url]
    if not (adapter and adapter.pages):
        _open(page, url, recorder)
        pages += [link for link in _internal_links(page, url)[:4] if link not in pages]
    findings = []
    for address in pages:
        _open(page, address, recorder)
        # Against the phone's own width, not window.innerWidth: a page with no viewport meta tag is laid out
        # 980 px wide and shrunk to fit, which a phone user must scroll or zoom just the same.
        overflow = page.evaluate("(width) => Math.max(document.documentElement.scrollWidth, window.innerWidth)"
                                 " - width", PHONE["viewport"]["width"])
        small = page.evaluate("""(minimum) => {
            const found = [];
            for (const element of document.querySelectorAll(
                    'button, input:not([type=hidden]), select, textarea, a[href], [role=button]')) {
                const style = getComputedStyle(element);
                if (style.visibility === 'hidden' || style.display === 'none') continue;
                if (element.tagName === 'A' && style.display === 'inline') continue;  // links inside text
                const box = element.getBoundingClientRect();
                if (box.width === 0 || box.height === 0) continue;
                if (box.width < minimum || box.height < minimum) {
                    found.push({element: element.tagName.toLowerCase(),
                                text: (element.innerText || element.value || element.name || '').trim().slice(0, 40),
                                width: Math.round(box.width), height: Math.round(box.height)});
                }
            }
            return found;
        }""", MIN_TAP_TARGET)
        recorder.screenshot(page, f"phone-{len(findings) + 1}")
        findings.append({"url": address, "horizontal_overflow_px": max(0, overflow), "small_targets": small[:20],
                         "small_target_count": len(small)})
        recorder.note("checked", url=address, overflow=overflow, small_targets=len(small))
    context.close()
    problems = [f"{f['url']} scrolls sideways by {f['horizontal_overflow_px']} px" for f in findings
                if f["horizontal_overflow_px"] > 1]
    problems += [f"{f['url']} has {f['small_target_count']} tap targets smaller than {MIN_TAP_TARGET} × "
                 f"{MIN_TAP_TARGET} px" for f in findings if f["small_target_count"]]
    return Outcome("small-screen", url, not problems, {
        "reason": "; ".join(problems) or f"no sideways scrolling and tap targets of at least {MIN_TAP_TARGET} px "
                                         f"on {len(findings)} page(s) at 360 × 740",
        "viewport": PHONE["viewport"], "pages": findings})


def _action(browser, url, adapter, recorder, *, action: str, **_) -> Outcome:
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, url, adapter, recorder)
    done, reason = _try(lambda: perform(page, url, adapter.action(action), recorder, token=secrets.token_hex(4),
                                        context=context))
    recorder.screenshot(page, action)
    context.close()
    return Outcome("action", url, done, {"action": action, "reason": "every step of the action worked" if done
                                         else f"the action failed: {reason}"})


# --- performing adapter steps -------------------------------------------------------------------

def perform(page, base_url: str, steps: list[AdapterStep], recorder: Recorder, *, token: str, context) -> None:
    """Run adapter steps; the first that fails raises with what it was doing."""
    for step in steps:
        target = step.target.replace("{token}", token) if isinstance(step.target, str) else step.target
        recorder.note("step", step=step.describe(token))
        try:
            if step.kind == "goto":
                page.goto(urljoin(base_url, target), wait_until=step.options.get("wait_until", "load"),
                          timeout=TIMEOUT_MS)
                if _browser_error_page(page):
                    raise AssertionError(f"the browser could not open {target}")
            elif step.kind == "fill":
                page.fill(target, str(step.options["value"]).replace("{token}", token), timeout=TIMEOUT_MS)
            elif step.kind == "click":
                page.click(target, timeout=TIMEOUT_MS)
            elif step.kind == "press":
                page.press(target, step.options["key"], timeout=TIMEOUT_MS)
            elif step.kind == "expect_text":
                scope = page.locator(step.options.get("within", "body"))
                scope.get_by_text(target).first.wait_for(timeout=int(step.options.get("timeout_ms", TIMEOUT_MS)))
            elif step.kind in ("expect_visible", "wait_for"):
                page.wait_for_selector(target, state="visible", timeout=int(step.options.get("timeout_ms",
                                                                                              TIMEOUT_MS)))
            elif step.kind == "wait":
                page.wait_for_timeout(target)
            elif step.kind == "offline":
                context.set_offline(True)
            elif step.kind == "online":
                context.set_offline(False)
            elif step.kind == "reload":
                page.reload(wait_until="load", timeout=TIMEOUT_MS)
                if _browser_error_page(page):
                    raise AssertionError("the browser could not reload the page")
        except Exception as error:
            message = str(error).splitlines()[0] if str(error) else repr(error)
            raise AssertionError(f"{step.describe(token)}: {message}") from None


def _log_in(page, url: str, adapter: Adapter | None, recorder: Recorder) -> None:
    if adapter and adapter.login:
        recorder.note("log in")
        perform(page, url, adapter.login, recorder, token="", context=page.context)


def _open(page, url: str, recorder: Recorder) -> None:
    recorder.note("open", url=url)
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)


def _settle(page, recorder: Recorder) -> None:
    """Wait for the network to go quiet and any service worker to be ready."""
    try:
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    except Exception:
        recorder.note("network never went quiet")
    worker = page.evaluate("""() => navigator.serviceWorker ? Promise.race([
        navigator.serviceWorker.ready.then(() => 'ready'),
        new Promise(resolve => setTimeout(() => resolve('none'), 3000))]) : 'unsupported'""")
    recorder.note("settled", service_worker=worker)
    page.wait_for_timeout(SETTLE_MS)


def _browser_error_page(page) -> bool:
    if page.url.startswith("chrome-error://"):
        return True
    return bool(page.evaluate("() => !!document.querySelector('#main-frame-error, .neterror')"))


def _visible_text(page) -> str:
    try:
        return page.evaluate("() => document.body ? document.body.innerText.trim() : ''")
    except Exception:
        return ""


def _internal_links(page, base: str) -> list[str]:
    host = urlsplit(base).netloc
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    seen, result = set(), []
    for link in links:
        parts = urlsplit(link)
        if parts.netloc == host and parts.scheme in ("http", "https") and link.split("#")[0] != base.split("#")[0]:
            if link not in seen and "logout" not in link:
                seen.add(link)
                result.append(link)
    return result


def _first_internal_link(page, base: str) -> str | None:
    links = _internal_links(page, base)
    return links[0] if links else None


def _try(work) -> tuple[bool, str | None]:
    try:
        work()
        return True, None
    except Exception as error:
        return False, str(error).splitlines()[0] if str(error) else repr(error)
