// IPO board: when the columns do not fit the screen, show the scroll hint and a shadow on the side that has more.
(function () {
  "use strict";
  var board = document.getElementById("kanban");
  var wrap = document.getElementById("kanban-wrap");
  var hint = document.getElementById("kanban-hint");
  if (!board || !wrap) { return; }
  function update() {
    var overflow = board.scrollWidth > board.clientWidth + 1;
    var atEnd = board.scrollLeft + board.clientWidth >= board.scrollWidth - 1;
    if (hint) { hint.classList.toggle("d-none", !overflow); }
    wrap.classList.toggle("more-right", overflow && !atEnd);
  }
  board.addEventListener("scroll", update);
  window.addEventListener("resize", update);
  update();
})();
