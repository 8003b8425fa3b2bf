// CloudWatch: metrics drawn as charts from GetMetricData, alarms and their history.
import { arnLink, aws, clear, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("cloudwatch", "DescribeAlarms", {}, "MetricAlarms", "NextToken")).length;
}

export async function render(view, [kind, ...rest]) {
  if (kind === "alarm") return alarm(view, rest.join("/"));
  return metrics(view);
}

function metrics(view) {
  const list = h("div");
  const chart = h("div", { class: "chart-area" });
  const alarms = h("div");
  const chooser = form(
    [
      { name: "namespace", label: "Namespace (blank: all)" },
      { name: "metric", label: "Metric name (blank: all)" },
    ],
    async ({ namespace, metric }) => {
      const params = {};
      if (namespace) params.Namespace = namespace;
      if (metric) params.MetricName = metric;
      const rows = await paginate("cloudwatch", "ListMetrics", params, "Metrics", "NextToken", "NextToken", 500);
      return table(
        [
          ["Namespace", (row) => row.Namespace],
          ["Metric", (row) => h("a", { href: "#/cloudwatch", onclick: (event) => { event.preventDefault(); draw(chart, row); } }, row.MetricName)],
          ["Dimensions", (row) => (row.Dimensions || []).map((d) => `${d.Name}=${d.Value}`).join(", ")],
        ],
        rows,
        "No metrics: put some data (PutMetricData) or use a service that publishes them.",
      );
    },
    "List metrics",
  );
  view.append(heading("CloudWatch metrics and alarms"), section("Metrics", chooser, list), chart, section("Alarms", alarms));
  chooser.requestSubmit();
  load(alarms, async () => {
    const rows = await paginate("cloudwatch", "DescribeAlarms", {}, "MetricAlarms", "NextToken");
    return table(
      [
        ["Alarm", (row) => h("a", { href: `#/cloudwatch/alarm/${enc(row.AlarmName)}` }, row.AlarmName)],
        ["State", (row) => h("span", { class: `state-${row.StateValue}` }, row.StateValue)],
        ["Metric", (row) => `${row.Namespace || ""} ${row.MetricName || "(math)"}`],
        ["Condition", (row) => `${row.Statistic || row.ExtendedStatistic || ""} ${row.ComparisonOperator} ${row.Threshold ?? ""}`],
        ["Updated", (row) => when(row.StateUpdatedTimestamp)],
      ],
      rows,
      "No alarms.",
    );
  });
}

async function draw(target, metric, hours = 1) {
  const end = new Date(Math.ceil(Date.now() / 60000) * 60000 + 60000);
  const start = new Date(end.getTime() - hours * 3600 * 1000);
  const title = `${metric.Namespace} · ${metric.MetricName}${(metric.Dimensions || []).map((d) => ` · ${d.Name}=${d.Value}`).join("")}`;
  await load(target, async () => {
    const queries = ["Average", "Maximum", "Sum"].map((stat, index) => ({
      Id: `m${index}`,
      MetricStat: { Metric: metric, Period: 60, Stat: stat },
      ReturnData: true,
    }));
    const output = await aws("cloudwatch", "GetMetricData", { MetricDataQueries: queries, StartTime: start.toISOString(), EndTime: end.toISOString(), ScanBy: "TimestampAscending" });
    const series = output.MetricDataResults.map((result, index) => ({
      label: ["Average", "Maximum", "Sum"][index],
      points: result.Timestamps.map((time, i) => [new Date(time).getTime(), result.Values[i]]).sort((a, b) => a[0] - b[0]),
    }));
    const windows = h(
      "div",
      { class: "row-actions", role: "group", "aria-label": "Time window" },
      [1, 3, 12, 24, 72].map((span) => h("button", { type: "button", "aria-pressed": String(span === hours), onclick: () => draw(target, metric, span) }, `${span} h`)),
    );
    return section(title, windows, chart(series, start.getTime(), end.getTime(), title), dataTable(series));
  });
}

/** A line chart of the series, as SVG. */
export function chart(series, from, to, title) {
  const width = 760;
  const height = 260;
  const pad = { left: 56, right: 40, top: 12, bottom: 28 };
  const values = series.flatMap((one) => one.points.map(([, value]) => value));
  const max = values.length ? Math.max(...values) : 1;
  const min = values.length ? Math.min(0, ...values) : 0;
  const span = max - min || 1;
  const x = (time) => pad.left + ((time - from) / (to - from)) * (width - pad.left - pad.right);
  const y = (value) => height - pad.bottom - ((value - min) / span) * (height - pad.top - pad.bottom);
  const svg = h("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": `Chart of ${title}`, svg: true });
  for (let i = 0; i <= 4; i += 1) {
    const value = min + (span * i) / 4;
    svg.append(h("line", { svg: true, x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(h("text", { svg: true, x: pad.left - 6, y: y(value) + 4, class: "axis", "text-anchor": "end" }, formatNumber(value)));
  }
  for (let i = 0; i <= 6; i += 1) {
    const time = from + ((to - from) * i) / 6;
    svg.append(h("text", { svg: true, x: x(time), y: height - 8, class: "axis", "text-anchor": "middle" }, new Date(time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  }
  series.forEach((one, index) => {
    if (!one.points.length) return;
    const path = one.points.map(([time, value]) => `${x(time).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
    svg.append(h("polyline", { svg: true, points: path, class: `line line-${index}` }));
    for (const [time, value] of one.points) svg.append(h("circle", { svg: true, cx: x(time), cy: y(value), r: 2.5, class: `dot line-${index}` }, h("title", { svg: true }, `${one.label} ${value} at ${new Date(time).toLocaleTimeString()}`)));
  });
  const legend = h("ul", { class: "legend" }, series.map((one, index) => h("li", { class: `line-${index}` }, `${one.label} (${one.points.length} points)`)));
  return h("figure", { class: "chart-figure" }, svg, legend);
}

function formatNumber(value) {
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function dataTable(series) {
  const rows = series[0].points.map(([time], index) => [time, ...series.map((one) => one.points[index]?.[1])]);
  return h("details", {}, h("summary", {}, "Data points"), table([["Time", (row) => when(row[0])], ...series.map((one, index) => [one.label, (row) => row[index + 1] ?? ""])], rows, "No data points in this window."));
}

async function alarm(view, name) {
  const facts = h("div");
  const history = h("div");
  const chartArea = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/cloudwatch" }, "Metrics and alarms"), " / ", name)), section("Alarm", facts), chartArea, section("History", history));
  load(facts, async () => {
    const { MetricAlarms } = await aws("cloudwatch", "DescribeAlarms", { AlarmNames: [name] });
    const alarm = MetricAlarms[0];
    if (!alarm) return h("p", {}, "No such alarm.");
    if (alarm.MetricName) draw(chartArea, { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions || [] });
    return h(
      "div",
      {},
      h("p", {}, h("span", { class: `state-${alarm.StateValue}` }, alarm.StateValue), ` — ${alarm.StateReason || ""}`),
      h("p", {}, "Actions: ", (alarm.AlarmActions || []).map((arn) => [arnLink(arn), " "])),
      h("details", {}, h("summary", {}, "Definition"), json(alarm)),
    );
  });
  load(history, async () => {
    const rows = await paginate("cloudwatch", "DescribeAlarmHistory", { AlarmName: name }, "AlarmHistoryItems", "NextToken");
    return table(
      [
        ["Time", (row) => when(row.Timestamp)],
        ["Type", (row) => row.HistoryItemType],
        ["Summary", (row) => row.HistorySummary],
      ],
      rows,
      "No history yet.",
    );
  });
}
