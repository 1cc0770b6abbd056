// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (ev) {
  const form = ev.target;
  const button = form.querySelector("[data-progress]");
  if (button) { button.disabled = true; const bar = document.getElementById(button.dataset.progress); if (bar) bar.classList.remove("d-none"); }
});

// Sections another part of the system renders for this page (e.g. a carrier's funnel): fetched as HTML.
document.querySelectorAll("[data-fragment-src]").forEach(function (box) {
  fetch(box.dataset.fragmentSrc, {credentials: "same-origin", headers: {"Accept": "text/html"}})
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (html) { box.innerHTML = html; box.dataset.loaded = "1"; })
    .catch(function () { box.classList.add("d-none"); });
});
