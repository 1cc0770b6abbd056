// The pages' ECharts, kept out of the HTML so that the Content-Security-Policy allows no inline script.
// Each chart reads its data from a <script type="application/json"> block or a data- attribute.
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function sparks() {  // goals dashboard: one small line per goal
    var data = json("spark-data");
    if (!data) { return; }
    document.querySelectorAll(".goal-spark").forEach(function (el) {
      var pts = data[el.dataset.goal];
      if (!pts || pts.length < 2) { return; }
      echarts.init(el, null, {renderer: "svg"}).setOption({animation: false,
        grid: {left: 1, right: 1, top: 2, bottom: 2},
        xAxis: {type: "time", show: false}, yAxis: {type: "value", show: false, scale: true},
        series: [{type: "line", data: pts, showSymbol: false, lineStyle: {width: 1.5}}]});
    });
  }

  function goalTrend() {  // goal detail
    var el = document.getElementById("trend-chart");
    var pts = json("trend-data");
    if (!el || !pts) { return; }
    echarts.init(el).setOption({animation: false, tooltip: {trigger: "axis"},
      grid: {left: 60, right: 20, top: 20, bottom: 30},
      xAxis: {type: "time"}, yAxis: {type: "value", scale: true},
      series: [{type: "line", data: pts, showSymbol: pts.length < 60}]});
  }

  function financing() {  // finance: yearly totals against the target
    var el = document.getElementById("financing-chart");
    if (!el) { return; }
    var data = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"},
      legend: {data: [el.dataset.labelTotal, el.dataset.labelTarget]},
      xAxis: {type: "category", data: data.years},
      yAxis: {type: "value"},
      series: [
        {name: el.dataset.labelTotal, type: "bar", data: data.totals},
        {name: el.dataset.labelTarget, type: "line", symbol: "none", lineStyle: {type: "dashed"},
         data: data.years.map(function () { return data.target; })}
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function firmFacts() {  // registry: a firm's yearly figures
    var el = document.getElementById("facts-chart");
    var spec = json("facts-data");
    if (!el || !spec) { return; }
    var d = spec.data, names = spec.names;
    echarts.init(el).setOption({tooltip: {trigger: "axis"}, legend: {},
      xAxis: {type: "category", data: d.years}, yAxis: {type: "value", name: spec.unit},
      series: Object.keys(names).map(function (k) {
        return {name: names[k], type: k === "rd_spend" ? "line" : "bar", data: d[k]};
      })});
  }

  function poolMonthly() {  // registry: members of a pool by month
    var el = document.getElementById("pool-chart-monthly");
    var spec = json("pool-monthly-data");
    if (!el || !spec) { return; }
    echarts.init(el).setOption({tooltip: {trigger: "axis"}, xAxis: {type: "category", data: spec.data.dates},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "line", step: "end", data: spec.data.counts, name: spec.name}]});
  }

  function homeSparks() {  // home page: each headline card's trend (quarter ends recomputed from the records)
    document.querySelectorAll(".card-spark[data-trend]").forEach(function (el) {
      var pts = JSON.parse(el.dataset.trend);
      if (!pts || pts.length < 2) { return; }
      echarts.init(el).setOption({animation: false,
        grid: {left: 2, right: 2, top: 4, bottom: 2},
        xAxis: {type: "time", show: false}, yAxis: {type: "value", show: false, scale: true},
        series: [{type: "line", data: pts, showSymbol: false, lineStyle: {width: 1.5, color: "#6c757d"},
                  areaStyle: {color: "rgba(108,117,125,0.12)"}}]});
    });
  }

  [sparks, goalTrend, financing, firmFacts, poolMonthly, homeSparks].forEach(function (draw) { draw(); });
})();
