// The cohort funnel chart: reads the stage labels and counts from #funnel-data (JSON, no inline script).
(function () {
  "use strict";
  var el = document.getElementById("funnel-chart");
  var src = document.getElementById("funnel-data");
  if (!el || !src || !window.echarts) { return; }
  var data = JSON.parse(src.textContent);
  var max = Math.max.apply(null, data.values.concat([1]));
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: {trigger: "item", formatter: "{b}: {c}"},
    series: [{
      type: "funnel", sort: "none", left: "10%", width: "80%", top: 10, bottom: 10, min: 0, max: max,
      minSize: "4%", label: {show: true, position: "inside", formatter: "{b} {c}"},
      data: data.stages.map(function (name, i) { return {name: name, value: data.values[i]}; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.setAttribute("data-rendered", "1");
}());
