// The live checklist: every tick is stored on this device first (IndexedDB), then sent to the server,
// which applies each client id once. Works through network drops, reloads while offline and expired
// CSRF tokens: nothing leaves the queue until the server has acknowledged it.
//
// Every tick remembers the evaluator it was queued for, and every batch names them: the server stores a
// batch only as that evaluator's and refuses it whole (409) while someone else is logged in on this
// browser (a login that ended, a colleague's that began in another tab). What may leave the queue:
//   - ticks the server stored (or had already: "duplicate");
//   - ticks it refused for a reason sending them again as their evaluator would not change (an invalid
//     tick; their evaluator has submitted; a correction naming the wrong entry): only when the answer says
//     it judged them as their own evaluator ("evaluator" in the answer is the tick's).
// Everything else stays waiting: no network, no login (401), another user (409), any other refusal of
// the whole batch (400, 403, 5xx), and a refusal judged as anyone but the tick's evaluator.
//
// A page kept for offline use is its evaluator's only while they are logged in on this browser: the server
// names who is (the reqtrace_user cookie, set at login and by this page, removed at logout). A copy left open
// after logging out, or shown by the service worker with nobody logged in, takes no ticks: ticks queued there
// would be stored as the evaluator's once they log in again. Logging out removes the kept copies (the service
// worker, and the page after it: app.js), as does a login as someone else; ticks already waiting on the device
// stay, and are sent once their evaluator is logged in again.

(function () {
  "use strict";
  var root = document.getElementById("checklist");
  if (!root) { return; }
  var syncUrl = root.getAttribute("data-sync-url");
  var jsonUrl = root.getAttribute("data-json-url");
  var cacheName = root.getAttribute("data-cache");
  var sessionId = root.getAttribute("data-session");
  var evaluator = root.getAttribute("data-evaluator");
  var submitted = root.getAttribute("data-submitted") === "yes";
  var total = parseInt(root.getAttribute("data-total"), 10);
  var stateBox = root.querySelector("[data-sync-state]");
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var storeName = "queue";
  var dbPromise = null;
  var flushing = false;
  var lastError = "";
  var others = {};  // evaluator -> changes of theirs waiting on this device (queued under another login)
  var recording = 0;  // ticks being written to this device's queue right now

  // --- storage ---------------------------------------------------------------------------------
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("reqtrace-checklist", 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(storeName, { keyPath: "client_id" });
          store.createIndex("session", "session");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function transaction(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(storeName, mode);
        var result = work(tx.objectStore(storeName));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  // Every tick stays on the device: "waiting" until the server has it, then "saved" (or "refused"), so a
  // reload with no network still shows what was saved since the page was last fetched.
  function ticks() {
    return transaction("readonly", function (store) { return store.index("session").getAll(sessionKey()); })
      .then(function (items) {
        return (items || []).sort(function (a, b) { return a.seq - b.seq; });
      });
  }
  function queued() {
    return ticks().then(function (items) { return items.filter(function (t) { return t.state === "waiting"; }); });
  }
  function sessionPrefix() { return location.pathname.split("/sessions/")[0] + "|" + sessionId + "|"; }
  function sessionKey() { return sessionPrefix() + evaluator; }
  // Whose a tick is: named on it since ticks were named, else the evaluator its queue (key) belongs to.
  function ownerOf(tick) {
    return tick.evaluator || String(tick.session).slice(String(tick.session).lastIndexOf("|") + 1);
  }
  function othersWaiting() {
    // Other evaluators' ticks of this session, queued on this device while they were logged in here.
    var prefix = sessionPrefix();
    return transaction("readonly", function (store) {
      return store.index("session").getAll(IDBKeyRange.bound(prefix, prefix + "\uffff"));
    }).then(function (items) {
      var found = {};
      (items || []).forEach(function (t) {
        var who = ownerOf(t);
        if (t.state === "waiting" && who !== evaluator) { found[who] = (found[who] || 0) + 1; }
      });
      return found;
    });
  }
  function theirs(who) { return "these changes are " + who + "'s: log in as " + who + " to send them"; }
  function loggedInHere() {
    var found = document.cookie.split(/;\s*/).filter(function (c) { return c.indexOf("reqtrace_user=") === 0; })[0];
    return found ? decodeURIComponent(found.slice("reqtrace_user=".length)) : "";
  }
  function notHere() {
    // Why this page takes no ticks (logged out, or someone else logged in on this browser), else "".
    var who = loggedInHere();
    if (who === evaluator) { return ""; }
    return (who ? who + " is logged in on this browser" : "you are logged out") + ": log in as " + evaluator +
      " to score here";
  }
  function loginEnded(who) { return "your login expired: log in again as " + who + " in another tab"; }
  function enqueue(tick) {
    return transaction("readwrite", function (store) {
      if (!submitted) { store.put(tick); return; }
      // After submitting, every change of a step is a correction (or a late score) of what the server holds:
      // a change still waiting here is replaced, not sent before it — the server would store the first and
      // refuse the second (it corrects an entry no longer the latest), losing the value the evaluator ended on.
      var mine = store.index("session").getAll(tick.session);
      mine.onsuccess = function () {
        (mine.result || []).forEach(function (t) {
          if (t.state === "waiting" && t.step === tick.step) { store.delete(t.client_id); }
        });
        store.put(tick);
      };
    });
  }
  function settle(outcomes) {
    return ticks().then(function (items) {
      return transaction("readwrite", function (store) {
        outcomes.forEach(function (outcome) {
          outcome.tick.state = outcome.state;
          outcome.tick.error = outcome.error || "";
          if (outcome.id) { outcome.tick.entry = outcome.id; }  // what a later change of the step corrects
          store.put(outcome.tick);
          if (!outcome.id) { return; }
          // A change of the same step made while this one was on its way names what this one replaced (or
          // nothing, for a late score): it must name this one now, or the server refuses it as correcting an
          // entry that no longer counts, and the value the evaluator ended on is lost.
          items.forEach(function (t) {
            if (t.state === "waiting" && t.step === outcome.tick.step && t.seq > outcome.tick.seq &&
                String(t.corrects || "") === String(outcome.tick.corrects || "")) {
              t.corrects = String(outcome.id);
              store.put(t);
            }
          });
        });
        // Keep only the newest settled tick per step: the older ones say nothing the newer does not.
        var newest = {};
        items.concat(outcomes.map(function (o) { return o.tick; })).forEach(function (t) {
          if (t.state !== "waiting" && (!newest[t.step] || newest[t.step].seq < t.seq)) { newest[t.step] = t; }
        });
        items.forEach(function (t) {
          if (t.state !== "waiting" && newest[t.step] && newest[t.step].seq > t.seq) { store.delete(t.client_id); }
        });
      });
    });
  }

  // --- the page --------------------------------------------------------------------------------
  function stepOf(id) { return document.getElementById(id); }
  function setStepState(id, text, kind) {
    var step = stepOf(id);
    if (!step) { return; }
    var box = step.querySelector("[data-step-state]");
    if (box) { box.textContent = text; }
    step.classList.toggle("pending", kind === "pending");
    step.classList.toggle("refused", kind === "refused");
    step.classList.toggle("scored", kind === "saved" || kind === "pending" || step.classList.contains("scored"));
  }
  // Whether a tick scores its step: a score, or "not shown" (which counts 0); else the step is "not assessed".
  function counts(tick) { return (tick.score !== null && tick.score !== undefined) || tick.verdict === "not shown"; }
  function showTick(tick) {
    var step = stepOf(tick.step);
    if (!step) { return; }
    step.classList.toggle("counted", counts(tick));
    step.querySelectorAll('input[name="verdict"]').forEach(function (i) { i.checked = i.value === tick.verdict; });
    step.querySelectorAll('input[name="score"]').forEach(function (i) {
      i.checked = tick.score !== null && String(tick.score) === i.value;
    });
    var note = step.querySelector('textarea[name="note"]');
    if (note && document.activeElement !== note) { note.value = tick.note || ""; }
  }
  function showState(tick, state, error) {
    if (state === "waiting") { setStepState(tick.step, "waiting to be sent", "pending"); }
    else if (state === "refused") { setStepState(tick.step, "not saved: " + error, "refused"); }
    else { setStepState(tick.step, "saved " + savedAt(tick.recorded_at), "saved"); }
  }
  // When a step was saved, in the device's own time (the page as served says it in UTC).
  function savedAt(iso) {
    var when = new Date(iso);
    var today = new Date().toDateString() === when.toDateString();
    return today ? when.toLocaleTimeString() : when.toLocaleString();
  }
  function countDone() {
    var done = root.querySelectorAll(".cl-step.counted").length;
    var box = root.querySelector("[data-done]");
    if (box) { box.textContent = done; }
    // What submitting would leave unscored, beside the Submit button and in its confirmation.
    var unscored = Math.max(total - done, 0);
    var left = root.querySelector("[data-unscored]");
    var count = root.querySelector("[data-unscored-count]");
    var submit = root.querySelector("[data-submit-form] button");
    if (left && count) { count.textContent = unscored; left.hidden = unscored === 0; }
    var next = root.querySelector("[data-next-unscored]");
    var first = root.querySelector(".cl-step:not(.counted)");
    if (next) {
      next.hidden = !first;
      if (first) { next.setAttribute("href", "#" + first.id); }
    }
    if (submit) {
      submit.setAttribute("data-confirm", (unscored ? unscored + " of " + total + " steps have no score yet: " +
        "submit anyway? " : "Submit your scores? ") + "They count in the ranking from then on and are locked; " +
        "a change is then a correction with its reason.");
    }
  }
  function report(waiting, steps) {
    if (!stateBox) { return; }
    var text;
    var elsewhere = Object.keys(others).map(function (who) {
      return others[who] + (others[who] === 1 ? " change" : " changes") + " on this device are " + who +
        "'s: log in as " + who + " to send them";
    }).join("; ");
    // Each change is a tick of its own; the evaluator thinks in steps: "3 steps (8 changes)".
    steps = steps || waiting;
    var what = steps + (steps === 1 ? " step" : " steps") + (waiting > steps ? " (" + waiting + " changes)" : "");
    if (waiting === 0 && recording > 0) {
      text = "Saving on this device…";
    } else if (waiting === 0) {
      text = submitted ? "Submitted: every score is saved on the server and locked" : "All saved on the server";
      var refusedSteps = root.querySelectorAll(".cl-step.refused").length;
      if (refusedSteps) {  // never "all saved" while a step says its last change was not
        text = (submitted ? "Submitted: " : "") + refusedSteps + (refusedSteps === 1 ? " step's" : " steps'") +
          " last change not saved (the step says why); every other score is saved on the server";
      }
    } else if (!navigator.onLine) {
      text = "Offline: " + what + " waiting on this device, sent when the network returns";
    } else {
      text = what + " waiting to be sent" + (lastError ? " (" + lastError + ")" : "");
    }
    if (elsewhere) { text += ". " + elsewhere; }
    if (notHere()) { text += ". Not taking ticks: " + notHere(); }
    stateBox.textContent = text;
    stateBox.setAttribute("data-waiting", String(waiting));
    root.classList.toggle("has-waiting", waiting > 0);
    var submit = root.querySelector("[data-submit-form] button");
    var busy = waiting > 0 || recording > 0;
    if (submit) { submit.disabled = busy; submit.title = busy ? "Wait until every tick is saved" : ""; }
  }

  // --- recording a tick ------------------------------------------------------------------------
  var sequence = Date.now();
  function record(step) {
    var form = step.querySelector("form.tick");
    var verdict = form.querySelector('input[name="verdict"]:checked');
    var score = form.querySelector('input[name="score"]:checked');
    var corrects = form.querySelector('input[name="corrects"]');
    var id = step.getAttribute("data-step");
    var note = form.querySelector('textarea[name="note"]').value;
    if (!verdict && !score && !note) { return Promise.resolve(); }
    if (notHere()) {
      setStepState(id, "not recorded: " + notHere(), "refused");
      refreshStatus();
      return Promise.resolve();
    }
    if (submitted && !note.trim()) {
      // After submitting, a correction (of a scored step) or a late score (of one left unscored) needs its reason.
      setStepState(id, "not recorded: " + (corrects ? "a correction needs its reason in the note"
        : "you submitted: a step you left unscored may still be scored late, with the reason in the note"), "refused");
      return Promise.resolve();
    }
    var tick = {
      state: "waiting",
      client_id: (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + "-" + Math.random().toString(36).slice(2, 12),
      session: sessionKey(),
      evaluator: evaluator,  // whose tick it is, whoever is logged in when it is sent
      seq: sequence++,
      step: id,
      verdict: verdict ? verdict.value : "",
      score: score ? parseInt(score.value, 10) : null,
      note: note,
      recorded_at: new Date().toISOString(),
      corrects: corrects ? corrects.value : null,
      // Made after submitting (this page was served so): a late score even if this device's clock is behind.
      after_submit: submitted
    };
    setStepState(tick.step, "waiting to be sent", "pending");
    step.classList.toggle("counted", counts(tick));
    countDone();
    // Until the device has stored it, the tick is in no queue: the bar must not say "All saved" meanwhile.
    recording += 1;
    var stored = function () { recording -= 1; };
    return enqueue(tick).then(stored, function (error) { stored(); throw error; }).then(refreshStatus).then(flush);
  }

  // --- sending ---------------------------------------------------------------------------------
  function refreshToken() {
    return fetch(jsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { throw new Error("login"); }
        return response.json();
      })
      .then(function (data) { token = data.sync_token || token; });
  }
  function post(items, who) {
    var body = JSON.stringify({ evaluator: who, results: items.map(function (t) {
      return { client_id: t.client_id, step: t.step, verdict: t.verdict, score: t.score, note: t.note,
               recorded_at: t.recorded_at, corrects: t.corrects, after_submit: t.after_submit === true };
    }) });
    return fetch(syncUrl, { method: "POST", credentials: "same-origin", body: body,
                            headers: { "Content-Type": "application/json", "X-CSRFToken": token,
                                       Accept: "application/json" } });
  }
  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    return queued().then(function (items) {
      if (!items.length) { return null; }
      // A batch is one evaluator's (a page's queue is, but a tick names its own evaluator all the same).
      var who = ownerOf(items[0]);
      var batch = items.filter(function (t) { return ownerOf(t) === who; }).slice(0, 100);
      return post(batch, who).then(function (response) {
        if (response.status === 400 || response.status === 419) {
          // Most likely the form token expired (a long demo, a night offline): get a new one, try again.
          return refreshToken().then(function () { return post(batch, who); });
        }
        return response;
      }).then(function (response) {
        if (response.status === 401) { lastError = loginEnded(who); return null; }
        if (response.status === 409) {
          // Someone else is logged in on this browser: nothing was stored, everything stays queued.
          return response.json().catch(function () { return {}; }).then(function (data) {
            lastError = theirs(data.evaluator || who);
            return null;
          });
        }
        if (!response.ok) {  // kept waiting; the server's reason when it gave one (a session cancelled, say)
          var code = response.status;
          return response.json().catch(function () { return {}; }).then(function (data) {
            lastError = (data && data.message) || "the server answered " + code;
            return null;
          });
        }
        return response.json().then(function (data) {
          lastError = "";
          var done = [];
          // A refusal is final only when the server judged the tick as its own evaluator's.
          var judgedAsOwner = data.evaluator === who;
          (data.results || []).forEach(function (outcome) {
            var tick = batch.filter(function (t) { return t.client_id === outcome.client_id; })[0];
            if (!tick) { return; }
            var refused = outcome.status === "refused";
            if (refused && !judgedAsOwner) { lastError = theirs(who); return; }  // stays waiting
            if (!refused && outcome.status !== "stored" && outcome.status !== "duplicate") { return; }
            // Stored now, or before (a retry whose answer was lost): either way that entry is what counts now.
            var counting = submitted && !refused && outcome.id;
            var error = outcome.error;
            if (refused && outcome.current && submitted) {
              // Another change of this step came first (another tab or device): the form now corrects that one,
              // so recording this change again replaces it, knowingly.
              nowCorrects(tick.step, outcome.current.id);
              error += ". It now counts " + describe(outcome.current) + ": to replace it with yours, record your " +
                       "correction again";
            }
            done.push({ tick: tick, state: refused ? "refused" : "saved", error: error,
                        id: counting ? outcome.id : null });
            showState(tick, refused ? "refused" : "saved", error);
            if (counting) {
              // The correction (or late score) is now the score that counts: a further change corrects it.
              nowCorrects(tick.step, outcome.id);
            }
          });
          return settle(done).then(function () { return done.length; });
        });
      }).catch(function (error) {
        lastError = error && error.message === "login" ? loginEnded(who) : "";
        return null;  // offline or unreachable: everything stays queued
      });
    }).then(function (sent) {
      flushing = false;
      return refreshStatus().then(function (waiting) {
        if (sent) { refreshCopy(); }
        if (sent && waiting) { return flush(); }  // more than one batch
        return null;
      });
    }, function () { flushing = false; });
  }
  function describe(entry) {
    var verdict = entry.verdict || "";
    if (entry.score === null || entry.score === undefined) { return verdict || "no score"; }
    return "the score " + entry.score + (verdict ? " (" + verdict + ")" : "");
  }
  function nowCorrects(id, entry) {
    var step = stepOf(id);
    var form = step && step.querySelector("form.tick");
    if (!form) { return; }
    var named = form.querySelector('input[name="corrects"]');
    if (!named) {  // a late score: the step now has a score, which a further change corrects
      named = document.createElement("input");
      named.type = "hidden";
      named.name = "corrects";
      form.insertBefore(named, form.firstChild);
      form.querySelector(".save-tick").textContent = "Record a correction";
      var hint = form.querySelector("[data-note-hint]");
      if (hint) { hint.textContent = " (a correction needs its reason)"; }
    }
    named.value = String(entry);
  }
  function stepsIn(items) {
    var seen = {};
    items.forEach(function (t) { seen[t.step] = true; });
    return Object.keys(seen).length;
  }
  function refreshStatus() {
    return othersWaiting().catch(function () { return {}; }).then(function (found) {
      others = found;
      return queued();
    }).then(function (items) {
      report(items.length, stepsIn(items));
      return items.length;
    }).catch(function () { report(0); return 0; });
  }

  // --- keeping the page for offline use -----------------------------------------------------------
  function keepForOffline() {
    if (!("serviceWorker" in navigator) || !window.caches) { return; }
    var registered = navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    });
    // The page itself was loaded before the worker controlled it: store it (and its data) now.
    var stored = caches.open(cacheName).then(function (cache) {
      var assets = Array.prototype.map.call(
        document.querySelectorAll('link[rel="stylesheet"], link[rel="icon"], script[src]'),
        function (element) { return element.href || element.src; });
      return cache.addAll([location.pathname, jsonUrl].concat(assets));
    }).then(forgetIfLoggedOut);
    Promise.all([registered, stored]).then(function () {
      var badge = root.querySelector("[data-offline-ready]");
      if (badge) { badge.hidden = false; }
      root.setAttribute("data-offline-ready", "yes");
    }).catch(function () { /* offline already (the worker has a copy), or no worker: online only */ });
  }

  var copyTimer = null;
  function refreshCopy() {
    // Keep the offline copy of this page current, a while after the last save (not on every tick).
    clearTimeout(copyTimer);
    copyTimer = setTimeout(function () {
      if (!window.caches || !navigator.onLine || notHere()) { return; }
      fetch(location.pathname, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) {
          return caches.open(cacheName).then(function (cache) { return cache.put(location.pathname, response); })
            .then(forgetIfLoggedOut);
        }
        return null;
      }).catch(function () { /* offline again: the older copy and the local ticks still cover it */ });
    }, 5000);
  }
  function forgetIfLoggedOut() {
    // A copy stored while its evaluator logged out (in another tab) must not outlive the logout.
    if (!notHere()) { return null; }
    return caches.open(cacheName).then(function (cache) {
      return Promise.all([location.pathname, jsonUrl].map(function (url) { return cache.delete(url); }));
    }).then(function () { throw new Error("logged out"); });
  }

  // --- the bar ---------------------------------------------------------------------------------
  function followBarHeight() {
    // A step landed on by #STEP-n, or scrolled to, shows just below the sticky bar, however tall it grows.
    var bar = root.querySelector(".checklist-bar");
    if (!bar || !window.ResizeObserver) { return; }
    new ResizeObserver(function () {
      root.style.setProperty("--checklist-bar", bar.offsetHeight + "px");
    }).observe(bar);
  }

  // --- timers, keys ----------------------------------------------------------------------------
  function setUpTimers() {
    root.querySelectorAll("[data-scenario]").forEach(function (scenario) {
      var key = "reqtrace-timer|" + sessionKey() + "|" + scenario.getAttribute("data-scenario");
      var timebox = parseInt(scenario.getAttribute("data-timebox"), 10) * 60;
      var start = scenario.querySelector("[data-timer-start]");
      var shown = scenario.querySelector("[data-elapsed]");
      var timer = scenario.querySelector("[data-timer]");
      function tick() {
        var began = parseInt(localStorage.getItem(key) || "0", 10);
        if (!began) { return; }
        var seconds = Math.floor((Date.now() - began) / 1000);
        shown.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
        timer.classList.toggle("over", seconds > timebox);
        start.textContent = "Restart timer";
      }
      start.addEventListener("click", function () { localStorage.setItem(key, String(Date.now())); tick(); });
      tick();
      setInterval(tick, 1000);
    });
  }
  function setUpKeys() {
    root.addEventListener("keydown", function (event) {
      var step = event.target.closest && event.target.closest(".cl-step");
      if (!step || event.target.tagName === "TEXTAREA" || event.metaKey || event.ctrlKey || event.altKey) { return; }
      var key = event.key.toLowerCase();
      var input = null;
      if (/^[0-5]$/.test(key)) { input = step.querySelector('input[name="score"][value="' + key + '"]'); }
      var verdicts = { d: "demonstrated", p: "partly", n: "not shown" };
      if (verdicts[key]) { input = step.querySelector('input[name="verdict"][value="' + verdicts[key] + '"]'); }
      if (input) { input.checked = true; input.dispatchEvent(new Event("change", { bubbles: true })); event.preventDefault(); }
    });
  }

  // --- wiring ----------------------------------------------------------------------------------
  root.querySelectorAll(".cl-step").forEach(function (step) {
    var form = step.querySelector("form.tick");
    form.addEventListener("submit", function (event) { event.preventDefault(); record(step); });
    // Before submission every change is a tick of its own. After it a change is a correction, which needs
    // its reason: it is recorded once, by "Record a correction", not at every click on the way there.
    if (submitted) {
      form.querySelectorAll('input[type="radio"]').forEach(function (input) {
        input.addEventListener("change", function () {
          setStepState(step.getAttribute("data-step"), "changed, not recorded: give the reason and press " +
                       form.querySelector(".save-tick").textContent, "pending");
        });
      });
      return;
    }
    form.querySelectorAll('input[type="radio"]').forEach(function (input) {
      input.addEventListener("change", function () { record(step); });
    });
    var note = form.querySelector("textarea");
    note.addEventListener("change", function () { record(step); });
    var saveButton = form.querySelector(".save-tick");
    if (saveButton && !submitted) { saveButton.textContent = "Save note"; }
  });
  var submitForm = root.querySelector("[data-submit-form]");
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (root.classList.contains("has-waiting")) {
        event.preventDefault();
        window.alert("Some scores are still waiting to be sent. Submit once the page says everything is saved.");
      }
    });
  }
  window.addEventListener("online", flush);
  // Back from logging in again in another tab: send what waited for that login now, not in 10 seconds.
  window.addEventListener("focus", flush);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
  window.addEventListener("offline", refreshStatus);
  setInterval(flush, 10000);
  setUpTimers();
  setUpKeys();
  followBarHeight();
  keepForOffline();
  root.querySelectorAll(".cl-step[data-recorded-at]").forEach(function (step) {
    var iso = step.getAttribute("data-recorded-at");
    var box = step.querySelector("[data-step-state]");
    if (iso && box && box.textContent.indexOf("saved ") === 0) { box.textContent = "saved " + savedAt(iso); }
  });
  // The page says "All saved" as the server sees it; until this device's queue is read that is not known.
  if (stateBox) { stateBox.textContent = "Checking this device for ticks not yet sent…"; }
  // Ticks from before a reload (perhaps while offline) show as waiting until the server has them.
  ticks().then(function (items) {
    var waiting = 0;
    items.forEach(function (tick) {
      if (tick.state === "waiting") { waiting += 1; }
      var step = stepOf(tick.step);
      // The page may be a copy kept from before this tick, or newer (scored on another device).
      var shownAt = step ? step.getAttribute("data-recorded-at") : "";
      if (tick.state !== "waiting" && shownAt && new Date(shownAt) >= new Date(tick.recorded_at)) { return; }
      if (tick.state !== "refused") { showTick(tick); }
      // A copy kept from before this tick was stored names the entry it replaced: a change corrects this one.
      if (submitted && tick.state === "saved" && tick.entry) { nowCorrects(tick.step, tick.entry); }
      showState(tick, tick.state, tick.error);
    });
    countDone();
    report(waiting, stepsIn(items.filter(function (tick) { return tick.state === "waiting"; })));
    refreshStatus();  // and other evaluators' changes waiting on this device, if any
    flush();
  }).catch(function () {
    if (stateBox) { stateBox.textContent = "This browser cannot keep ticks offline: stay online while scoring"; }
  });
  window.reqtraceChecklist = { flush: flush, waiting: function () { return queued().then(function (i) { return i.length; }); } };
})();
