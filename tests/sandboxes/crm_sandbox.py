"""Two tiny vendor sandboxes for the probes, served on 127.0.0.1 by the tests.

Both show the same pages with the same markup (so one adapter drives both):
a login form, a list of accounts and an account page with notes and a form
to add one.

- thin: server-rendered only, like a thin-client CRM: no service worker, a
  fixed 1,000 px wide table, small buttons, and a heavy page. Every probe
  should fail on it, each for its own reason.
- offline: the same pages, but a service worker keeps them for use offline,
  notes added offline wait in localStorage and are sent when the network
  returns, and the layout fits a phone. Every probe should pass.

    python -m tests.sandboxes.crm_sandbox offline --port 8765
"""

from __future__ import annotations

import argparse
import base64
import os
import threading
from html import escape

from flask import Flask, jsonify, make_response, redirect, request, session
from werkzeug.serving import make_server

ACCOUNTS = {1: "Millbrook Water Authority", 2: "Gresley Chemicals", 3: "Tarnside Brewery"}
USERS = {"demo": "demo-password"}
HEAVY_BYTES = 1_400_000  # over 5 s at 1.6 Mbit/s: the thin client's "rich" page

THIN_STYLE = """body { font: 13px Arial, sans-serif; margin: 8px; }
table.frame { width: 1000px; border-collapse: collapse; } td { border: 1px solid #999; padding: 2px; }
button { font-size: 10px; padding: 1px 3px; }"""
OFFLINE_STYLE = """* { box-sizing: border-box; } body { font: 16px system-ui, sans-serif; margin: 0; padding: 12px; }
main { max-width: 40rem; margin: 0 auto; } ul.accounts { list-style: none; padding: 0; }
ul.accounts a { display: block; min-height: 48px; padding: 12px; border-bottom: 1px solid #ccc; }
textarea, input { width: 100%; min-height: 48px; font: inherit; }
button { min-height: 48px; min-width: 48px; padding: 0 16px; font: inherit; }
.pending { color: #8a4b00; } .status { min-height: 48px; display: block; padding: 12px 0; }"""

SERVICE_WORKER = """const CACHE = 'sandbox-v1';
const SHELL = ['/', '/accounts/1', '/accounts/2', '/accounts/3', '/static/app.js', '/static/style.css'];
self.addEventListener('install', event => {
  event.waitUntil(caches.open(CACHE).then(cache => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', event => {
  event.waitUntil(caches.keys().then(keys => Promise.all(keys.filter(k => k !== CACHE).map(k => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).pathname.startsWith('/api/')) return;
  // The network first, so pages stay fresh; the cache when there is no network.
  event.respondWith(fetch(request).then(response => {
    const copy = response.clone();
    caches.open(CACHE).then(cache => cache.put(request, copy));
    return response;
  }).catch(() => caches.match(request, {ignoreSearch: true})));
});
"""

APP_JS = """(function () {
  if ('serviceWorker' in navigator) { navigator.serviceWorker.register('/sw.js'); }
  const form = document.getElementById('note-form');
  const list = document.getElementById('notes');
  const status = document.getElementById('sync-status');
  const key = 'pending-notes';
  const pending = () => JSON.parse(localStorage.getItem(key) || '[]');
  const save = items => localStorage.setItem(key, JSON.stringify(items));
  const show = () => {
    if (!list) return;
    list.querySelectorAll('.pending').forEach(li => li.remove());
    pending().filter(n => n.account === form.dataset.account).forEach(n => {
      const li = document.createElement('li'); li.className = 'pending'; li.textContent = n.text + ' (waiting to send)';
      list.appendChild(li);
    });
    if (status) status.textContent = pending().length ? pending().length + ' waiting to send' : 'All saved';
  };
  const flush = () => {
    const items = pending();
    if (!items.length || !navigator.onLine) { show(); return; }
    const [first, ...rest] = items;
    fetch('/api/notes', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(first)})
      .then(r => { if (!r.ok) throw new Error(r.status); save(rest);
                   const li = document.createElement('li'); li.textContent = first.text;
                   if (list && first.account === (form && form.dataset.account)) list.appendChild(li);
                   flush(); })
      .catch(() => show());
  };
  if (form) {
    form.addEventListener('submit', event => {
      event.preventDefault();
      const text = document.getElementById('note').value.trim();
      if (!text) return;
      save(pending().concat([{id: Date.now() + '-' + Math.random(), account: form.dataset.account, text: text}]));
      document.getElementById('note').value = '';
      show(); flush();
    });
  }
  window.addEventListener('online', flush);
  show(); flush();
})();
"""


def create_app(kind: str) -> Flask:
    assert kind in ("thin", "offline")
    app = Flask(__name__)
    app.secret_key = os.urandom(16)
    notes: dict[int, list[str]] = {account: [] for account in ACCOUNTS}
    lock = threading.Lock()
    heavy = base64.b64encode(os.urandom(HEAVY_BYTES)).decode()

    def page(title: str, body: str):
        head = '<meta name="viewport" content="width=device-width, initial-scale=1">' if kind == "offline" else ""
        script = '<script src="/static/app.js" defer></script>' if kind == "offline" else ""
        extra = f'<img alt="" width="1" height="1" src="data:image/png;base64,{heavy}">' if kind == "thin" else ""
        wrapper = f'<table class="frame"><tr><td>{body}</td></tr></table>' if kind == "thin" else body
        html = (f'<!doctype html><html><head><title>{escape(title)}</title>{head}'
                f'<link rel="stylesheet" href="/static/style.css">{script}</head>'
                f'<body><main><h1>{escape(title)}</h1>{wrapper}{extra}</main></body></html>')
        response = make_response(html)
        response.headers["Cache-Control"] = "no-store" if kind == "thin" else "no-cache"
        return response

    @app.get("/login")
    def login_form():
        return page("Log in", '<form method="post" action="/login"><label>User <input id="username" name="username">'
                              '</label><label>Password <input id="password" name="password" type="password"></label>'
                              '<button type="submit">Log in</button></form>')

    @app.post("/login")
    def login():
        if USERS.get(request.form.get("username", "")) == request.form.get("password"):
            session["user"] = request.form["username"]
            return redirect("/")
        return page("Log in", "<p>Wrong user or password.</p>"), 401

    @app.get("/")
    def accounts():
        items = "".join(f'<li><a href="/accounts/{number}">{escape(name)}</a></li>' for number, name in ACCOUNTS.items())
        return page("Accounts", f'<ul class="accounts">{items}</ul>')

    @app.get("/accounts/<int:number>")
    def account(number: int):
        if number not in ACCOUNTS:
            return page("Not found", "<p>No such account.</p>"), 404
        with lock:
            items = "".join(f"<li>{escape(text)}</li>" for text in notes[number])
        form = (f'<form id="note-form" method="post" action="/accounts/{number}/notes" data-account="{number}">'
                '<label for="note">Visit note</label><textarea id="note" name="note"></textarea>'
                '<button type="submit">Save note</button></form>')
        status = '<span id="sync-status" class="status"></span>' if kind == "offline" else ""
        return page(ACCOUNTS[number], f'<p><a href="/">All accounts</a></p><h2>Notes</h2><ul id="notes">{items}</ul>'
                                      f'{form}{status}')

    @app.post("/accounts/<int:number>/notes")
    def add_note(number: int):
        with lock:
            notes[number].append(request.form.get("note", "").strip())
        return redirect(f"/accounts/{number}")

    @app.post("/api/notes")
    def api_note():
        data = request.get_json(force=True)
        with lock:
            notes[int(data["account"])].append(str(data["text"]).strip())
        return jsonify({"ok": True})

    @app.get("/static/style.css")
    def style():
        response = make_response(THIN_STYLE if kind == "thin" else OFFLINE_STYLE)
        response.mimetype = "text/css"
        return response

    @app.get("/static/app.js")
    def script():
        response = make_response(APP_JS if kind == "offline" else "")
        response.mimetype = "application/javascript"
        return response

    @app.get("/sw.js")
    def worker():
        if kind != "offline":
            return "", 404
        response = make_response(SERVICE_WORKER)
        response.mimetype = "application/javascript"
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    app.config["NOTES"] = notes
    return app


class Sandbox:
    """A sandbox running in a thread on 127.0.0.1 until `stop`."""

    def __init__(self, kind: str, port: int = 0):
        self.app = create_app(kind)
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def notes(self) -> dict[int, list[str]]:
        return self.app.config["NOTES"]

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve a test sandbox")
    parser.add_argument("kind", choices=["thin", "offline"])
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    sandbox = Sandbox(options.kind, options.port)
    print(f"{options.kind} sandbox on {sandbox.url}")
    sandbox.thread.join()
