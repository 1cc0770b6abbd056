// The by-town (or by-park) bar chart of the chosen goal; data from #towns-chart-data (no inline script).
(function () {
  "use strict";
  var src = document.getElementById("towns-chart-data");
  var el = document.getElementById("towns-chart"), select = document.getElementById("chart-goal");
  if (!src || !el || !window.echarts || !select || !select.value) { return; }
  var data = JSON.parse(src.textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  function draw() {
    var g = data.goals[select.value];
    chart.setOption({tooltip: {trigger: "axis"}, grid: {left: 50, right: 20, bottom: 90},
      xAxis: {type: "category", data: data.labels, axisLabel: {rotate: 45, interval: 0}},
      yAxis: {type: "value"}, series: [{type: "bar", name: g.name, data: g.values}]}, true);
  }
  select.addEventListener("change", draw);
  draw();
}());
