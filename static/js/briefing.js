// The briefing's progress chart (goals/briefing.html). Marks <body data-charts-ready> once drawn, which the
// server's PDF printer waits for; redrawn at print width before printing.
(function () {
  "use strict";
  var button = document.getElementById("briefing-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  var el = document.getElementById("briefing-progress-chart");
  var source = document.getElementById("briefing-chart-data");
  if (!window.echarts || !el || !source) { document.body.dataset.chartsReady = "1"; return; }
  var data = JSON.parse(source.textContent);
  var colours = {achieved: "#198754", on_track: "#0d6efd", at_risk: "#ffc107", behind: "#dc3545",
                 no_target: "#adb5bd", none: "#adb5bd"};
  var items = data.items.slice().reverse();
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    animation: false,
    legend: {data: [data.labels.progress, data.labels.expected], top: 0},
    grid: {left: 8, right: 40, top: 30, bottom: 20, containLabel: true},
    tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
    xAxis: {type: "value", axisLabel: {formatter: "{value}%"}},
    yAxis: {type: "category", data: items.map(function (i) { return i.name; }),
            axisLabel: {width: 260, overflow: "truncate"}},
    series: [
      {name: data.labels.progress, type: "bar", barMaxWidth: 14,
       data: items.map(function (i) { return {value: i.progress, itemStyle: {color: colours[i.status]}}; }),
       label: {show: true, position: "right", formatter: "{c}%"},
       markLine: {silent: true, symbol: "none", data: [{xAxis: 100, name: data.labels.target}],
                  lineStyle: {color: "#198754", type: "dashed"}, label: {formatter: data.labels.target}}},
      {name: data.labels.expected, type: "scatter", symbol: "diamond", symbolSize: 9,
       itemStyle: {color: "#212529"}, data: items.map(function (i) { return i.expected; })}
    ]
  });
  var height = Math.max(320, items.length * 24 + 60);
  el.style.height = height + "px";
  chart.resize();
  window.addEventListener("beforeprint", function () { chart.resize(); });
  window.addEventListener("afterprint", function () { chart.resize(); });
  document.body.dataset.chartsReady = "1";
})();
