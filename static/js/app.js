// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (ev) {
  const form = ev.target;
  const button = form.querySelector("[data-progress]");
  if (button) { button.disabled = true; const bar = document.getElementById(button.dataset.progress); if (bar) bar.classList.remove("d-none"); }
});
