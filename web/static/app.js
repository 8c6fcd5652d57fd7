// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var token = csrf ? csrf.getAttribute("content") : "";

  // Live Markdown preview, rendered and sanitised by the server exactly as the page will show it.
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var target = document.getElementById(area.getAttribute("data-preview"));
    if (!target) { return; }
    var timer = null;
    var render = function () {
      var body = new URLSearchParams();
      body.set("text", area.value);
      fetch("/preview", { method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" }, body: body })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          target.innerHTML = data.html;  // sanitised server-side (nh3 allow-list)
          target.hidden = !area.value.trim();
        })
        .catch(function () { /* offline: the preview just waits */ });
    };
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 250); });
    if (area.value.trim()) { render(); }
  });

  // On a phone the project's sections fold into one "Sections" line (opened with a tap), named after the page's.
  var menu = document.querySelector("[data-nav-menu]");
  if (menu && window.matchMedia) {
    var narrow = window.matchMedia("(max-width: 700px)");
    var current = menu.querySelector(".tabs [aria-current=page]");
    var named = menu.querySelector("[data-nav-current]");
    if (current && named) { named.textContent = ": " + current.textContent.trim(); }
    var fold = function () { menu.open = !narrow.matches; };
    fold();
    if (narrow.addEventListener) { narrow.addEventListener("change", fold); }
  }

  // A refused form's "Back" goes back through the history, so the form comes back with what was typed in it.
  document.querySelectorAll("a[data-back-keeps-input]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var referrer = document.referrer ? new URL(document.referrer) : null;
      if (history.length > 1 && referrer && referrer.origin === location.origin) {
        event.preventDefault();
        history.back();
      }
    });
  });

  // Filter long lists of link checkboxes.
  document.querySelectorAll(".link-filter").forEach(function (box) {
    var list = box.parentElement.querySelector(".checklist");
    if (!list) { return; }
    box.hidden = false;
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      list.querySelectorAll("label").forEach(function (label) {
        label.hidden = needle && label.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });

  // The approval queue: one box selects (or clears) every item of a level.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var level = box.getAttribute("data-select-all");
    var items = document.querySelectorAll('input[name="item"][data-level="' + level + '"]');
    var sync = function () {
      var ticked = Array.prototype.filter.call(items, function (item) { return item.checked; }).length;
      box.checked = ticked === items.length;
      box.indeterminate = ticked > 0 && ticked < items.length;
    };
    box.closest("label").hidden = false;
    box.addEventListener("change", function () {
      items.forEach(function (item) { item.checked = box.checked; });
      sync();
    });
    items.forEach(function (item) { item.addEventListener("change", sync); });
    sync();
  });

  // Ask before retiring.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // Expand or collapse the whole tree.
  document.querySelectorAll("[data-tree]").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-tree") === "open";
      document.querySelectorAll(".tree details").forEach(function (d) { d.open = open; });
    });
  });
})();

// Import progress: poll the job's JSON twin until it is done, then show its result.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-progress");
  var bar = box.querySelector("progress");
  var tick = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var job = data.job;
        if (job.status !== "running") { window.location.reload(); return; }
        box.querySelector("[data-stage]").textContent = job.stage;
        box.querySelector("[data-done]").textContent = job.done;
        var total = box.querySelector("[data-total]");
        if (total) { total.textContent = job.total; }
        if (bar) { bar.max = job.total || 1; bar.value = job.done; }
        setTimeout(tick, 400);
      })
      .catch(function () { setTimeout(tick, 1500); });
  };
  setTimeout(tick, 300);
})();

// After a logout, or a login as someone else: forget every checklist page this browser kept for offline use,
// so nobody opens another evaluator's sealed scores from it (the ticks waiting in IndexedDB stay, to be sent
// once their evaluator logs in again).
(function () {
  "use strict";
  if (!document.querySelector("[data-forget-offline]") || !window.caches) { return; }
  caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.indexOf("reqtrace-checklist-") === 0; })
      .map(function (name) { return caches.delete(name); }));
  }).catch(function () { /* nothing kept, or no storage: nothing to forget */ });
})();
