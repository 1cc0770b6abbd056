// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (ev) {
  const form = ev.target;
  const button = form.querySelector("[data-progress]");
  if (button) { button.disabled = true; const bar = document.getElementById(button.dataset.progress); if (bar) bar.classList.remove("d-none"); }
});

// A form asks before it is sent when it says so (data-confirm); no inline handlers (the CSP forbids them).
document.addEventListener("submit", function (ev) {
  const message = ev.target.dataset ? ev.target.dataset.confirm : null;
  if (message && !window.confirm(message)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
}, true);

// A select marked data-autosubmit sends its form when changed (filters).
document.addEventListener("change", function (ev) {
  if (ev.target.matches && ev.target.matches("select[data-autosubmit]") && ev.target.form) { ev.target.form.submit(); }
});

// Sections another part of the system renders for this page (e.g. a carrier's funnel): fetched as HTML.
document.querySelectorAll("[data-fragment-src]").forEach(function (box) {
  fetch(box.dataset.fragmentSrc, {credentials: "same-origin", headers: {"Accept": "text/html"}})
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (html) { box.innerHTML = html; box.dataset.loaded = "1"; })
    .catch(function () { box.classList.add("d-none"); });
});

// "Tick the suggested ones" on the missing-towns page.
document.querySelectorAll("#tick-suggested").forEach(function (btn) {
  btn.addEventListener("click", function () {
    document.querySelectorAll(".firm-tick").forEach(function (el) { if (el.dataset.suggested === "1") { el.checked = true; } });
  });
});
