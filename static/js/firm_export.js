// The firm export: a long export (thousands of firms) shows a notice while the server writes the file, and
// the elapsed seconds; the response sets the cookie yz_export=<ticket> when the file is ready, and the
// browser's own download bar then shows the transfer (the response carries its length).
(function () {
  "use strict";
  var link = document.getElementById("firm-export"), box = document.getElementById("firm-export-progress");
  if (!link || !box) { return; }
  var LONG = 2000;                       // firms; smaller exports are ready at once
  link.addEventListener("click", function (ev) {
    if (parseInt(link.dataset.total || "0", 10) < LONG) { return; }
    ev.preventDefault();
    var ticket = Math.random().toString(36).slice(2, 12), started = Date.now();
    var url = link.href + (link.href.indexOf("?") < 0 ? "?" : "&") + "ticket=" + ticket;
    box.textContent = link.dataset.wait;
    box.classList.remove("d-none");
    link.classList.add("disabled");
    var timer = window.setInterval(function () {
      if (document.cookie.indexOf("yz_export=" + ticket) >= 0) {
        window.clearInterval(timer);
        box.textContent = link.dataset.ready;
        link.classList.remove("disabled");
        window.setTimeout(function () { box.classList.add("d-none"); }, 5000);
        return;
      }
      box.textContent = link.dataset.wait + " " + Math.round((Date.now() - started) / 1000) + " s";
    }, 500);
    window.location.href = url;
  });
}());
