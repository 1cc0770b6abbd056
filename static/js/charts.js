// The pages' ECharts, kept out of the HTML so that the Content-Security-Policy allows no inline script.
// Each chart reads its data from a <script type="application/json"> block or a data- attribute.
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function sparks() {  // goals dashboard: one small line per goal, fetched after the page (they cost many roll-ups)
    var holder = document.getElementById("spark-data");
    if (!holder) { return; }
    if (holder.dataset.src) {
      fetch(holder.dataset.src, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (resp) { return resp.ok ? resp.json() : null; })
        .then(function (data) { if (data) { drawSparks(data); } })
        .catch(function () { /* the sparklines stay empty; the table says everything */ });
      return;
    }
    drawSparks(json("spark-data"));
  }

  function drawSparks(data) {
    if (!data) { return; }
    document.body.dataset.sparks = "drawn";
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

  function homeSparks() {  // home page: each headline card's trend, fetched after the page (many roll-ups)
    var cards = document.getElementById("pipeline-cards");
    if (!cards || !cards.dataset.trendsSrc) { return; }
    fetch(cards.dataset.trendsSrc, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (trends) {
        if (!trends) { return; }
        cards.querySelectorAll(".card-spark[data-key]").forEach(function (el) {
          var pts = trends[el.dataset.key];
          if (!pts || pts.length < 2) { return; }
          echarts.init(el).setOption({animation: false,
            grid: {left: 2, right: 2, top: 4, bottom: 2},
            xAxis: {type: "time", show: false}, yAxis: {type: "value", show: false, scale: true},
            series: [{type: "line", data: pts, showSymbol: false, lineStyle: {width: 1.5, color: "#6c757d"},
                      areaStyle: {color: "rgba(108,117,125,0.12)"}}]});
        });
      })
      .catch(function () { /* the cards keep their figures without a line */ });
  }

  var STATUS_COLOURS = {achieved: "#198754", on_track: "#0d6efd", at_risk: "#ffc107", behind: "#dc3545",
                       no_target: "#6c757d", none: "#ced4da"};

  function dashboardCharts() {  // goals dashboard: status donut; progress against the expected line per group
    var data = json("dashboard-chart-data"), labels = json("dashboard-chart-labels");
    if (!data) { return; }
    var charts = [];
    var donut = document.getElementById("status-chart");
    if (donut) {
      var c = echarts.init(donut);
      c.setOption({animation: false, tooltip: {trigger: "item"},
        legend: {bottom: 0, itemWidth: 10, itemHeight: 10, textStyle: {fontSize: 11}},
        series: [{type: "pie", radius: ["45%", "70%"], center: ["50%", "42%"], label: {show: false},
          data: data.status.filter(function (s) { return s.value > 0; }).map(function (s) {
            return {name: s.name, value: s.value, itemStyle: {color: STATUS_COLOURS[s.key]}};
          })}]});
      charts.push(c);
    }
    document.querySelectorAll(".progress-chart").forEach(function (el) {
      var cat = data.categories[Number(el.dataset.index)];
      if (!cat) { return; }
      var goals = cat.goals.slice().reverse();      // the first goal on top
      var cap = function (v) { return v === null ? null : Math.min(v, 150); };
      var chart = echarts.init(el);
      chart.setOption({animation: false,
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, formatter: function (ps) {
          var g = goals[ps[0].dataIndex];
          return g.name + "<br>" + labels.progress + ": " + (g.progress === null ? "—" : g.progress + "%") +
            "<br>" + labels.expected + ": " + (g.expected === null ? "—" : g.expected + "%");
        }},
        grid: {left: 8, right: 24, top: 6, bottom: 20, containLabel: true},
        xAxis: {type: "value", max: 150, axisLabel: {formatter: "{value}%", fontSize: 10}},
        yAxis: {type: "category", data: goals.map(function (g) { return g.name; }),
                axisLabel: {width: 150, overflow: "truncate", fontSize: 11}},
        series: [
          {name: labels.progress, type: "bar", barMaxWidth: 14,
           data: goals.map(function (g) {
             return {value: cap(g.progress), itemStyle: {color: STATUS_COLOURS[g.status] || STATUS_COLOURS.none}};
           }),
           markLine: {silent: true, symbol: "none", lineStyle: {color: "#198754", type: "solid"},
                      label: {show: false}, data: [{xAxis: 100}]}},
          {name: labels.expected, type: "scatter", symbol: "rect", symbolSize: [3, 18],
           itemStyle: {color: "#212529"}, data: goals.map(function (g) { return cap(g.expected); })}
        ]});
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.querySelectorAll(".collapse").forEach(function (el) {   // a chart drawn while hidden has no size
      el.addEventListener("shown.bs.collapse", function () { charts.forEach(function (c) { c.resize(); }); });
    });
  }

  [sparks, goalTrend, financing, firmFacts, poolMonthly, homeSparks, dashboardCharts].forEach(function (draw) { draw(); });
})();
