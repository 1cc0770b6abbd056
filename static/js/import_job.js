// An import or export job's page (templates/core/import_job.html, export_job.html): follow the job's
// progress, then show its result.
(function () {
  const box = document.getElementById("import-job") || document.getElementById("export-job");
  if (!box || box.dataset.state === "done" || box.dataset.state === "failed") { return; }
  const url = box.dataset.statusUrl;

  function show(status) {
    const total = status.total || 0;
    box.querySelectorAll("[data-count]").forEach(function (el) {
      const value = status[el.dataset.count];
      el.textContent = el.dataset.count === "total" && !value ? "?" : Number(value || 0).toLocaleString();
    });
    box.querySelectorAll("[data-bar]").forEach(function (bar) {
      const done = status[bar.dataset.bar] || 0;
      const pct = total ? Math.min(100, Math.round(done * 100 / total)) : 0;
      bar.style.width = pct + "%";
      bar.setAttribute("aria-valuenow", String(pct));
    });
    const state = document.getElementById("job-state");
    if (state) { state.textContent = status.state_label; }
    const phase = document.getElementById("job-phase");
    if (phase) { phase.textContent = status.phase_label; }
    const stale = document.getElementById("job-stale");
    if (stale) { stale.classList.toggle("d-none", !status.stale); }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (status) {
        show(status);
        box.dataset.polled = String(Number(box.dataset.polled || 0) + 1);
        if (status.state === "done" || status.state === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
}());
