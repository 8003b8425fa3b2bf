// CloudWatch Logs: groups, streams and their events, a live tail of a group (new events as they
// arrive), and Logs Insights queries.
import { aws, button, clear, errorBox, form, h, heading, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("logs", "DescribeLogGroups", {}, "logGroups", "nextToken")).length;
}

export async function render(view, [group, stream]) {
  if (!group) return groups(view);
  return stream ? streamView(view, group, stream) : groupView(view, group);
}

function groups(view) {
  const list = h("div");
  view.append(heading("Log groups"), section("Log groups", list), insights(null));
  load(list, async () => {
    const rows = await paginate("logs", "DescribeLogGroups", {}, "logGroups", "nextToken");
    return table(
      [
        ["Log group", (row) => h("a", { href: `#/logs/${enc(row.logGroupName)}` }, row.logGroupName)],
        ["Retention", (row) => (row.retentionInDays ? `${row.retentionInDays} days` : "never expires")],
        ["Stored", (row) => `${row.storedBytes ?? 0} B`],
        ["Created", (row) => when(row.creationTime)],
      ],
      rows,
      "No log groups.",
    );
  });
}

const eventsTable = (events) =>
  table(
    [
      ["Time", (event) => when(event.timestamp)],
      ["Stream", (event) => event.logStreamName || ""],
      ["Message", (event) => h("pre", { class: "inline" }, event.message)],
    ],
    events,
    "No events.",
  );

function groupView(view, group) {
  const streams = h("div");
  const tailBody = h("tbody", { id: "tail" });
  let tailing = null;
  let since = Date.now() - 5 * 60 * 1000;
  const seen = new Set();
  const tailButton = button("Start live tail", () => (tailing ? stop() : start()));
  async function tick() {
    try {
      const events = await paginate("logs", "FilterLogEvents", { logGroupName: group, startTime: since }, "events", "nextToken", "nextToken", 2000);
      for (const event of events) {
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        since = Math.max(since, event.timestamp);
        tailBody.prepend(h("tr", {}, h("td", {}, when(event.timestamp)), h("td", {}, event.logStreamName), h("td", {}, h("pre", { class: "inline" }, event.message))));
      }
    } catch (error) {
      tailBody.prepend(h("tr", {}, h("td", { colspan: 3 }, errorBox(error))));
    }
    if (tailing) tailing = setTimeout(tick, 1000);
  }
  function start() {
    tailing = true;
    clear(tailButton, "Stop live tail");
    tick();
  }
  function stop() {
    clearTimeout(tailing);
    tailing = null;
    clear(tailButton, "Start live tail");
  }
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/logs" }, "Log groups"), " / ", group)),
    section("Streams", streams),
    section(
      "Live tail",
      h("p", { class: "muted" }, "Events from the last five minutes, then each new one as it arrives."),
      tailButton,
      h("table", { class: "log" }, h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Stream"), h("th", {}, "Message"))), tailBody),
    ),
    insights(group),
  );
  load(streams, async () => {
    const rows = await paginate("logs", "DescribeLogStreams", { logGroupName: group, orderBy: "LastEventTime", descending: true }, "logStreams", "nextToken", "nextToken", 200);
    return table(
      [
        ["Stream", (row) => h("a", { href: `#/logs/${enc(group)}/${enc(row.logStreamName)}` }, row.logStreamName)],
        ["Last event", (row) => when(row.lastEventTimestamp)],
        ["Created", (row) => when(row.creationTime)],
      ],
      rows,
      "No streams.",
    );
  });
  start();
  return stop;
}

function streamView(view, group, stream) {
  const events = h("div");
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/logs" }, "Log groups"), " / ", h("a", { href: `#/logs/${enc(group)}` }, group), " / ", stream)),
    section("Events", button("Refresh", () => refresh()), events),
  );
  const refresh = () =>
    load(events, async () => {
      const output = await aws("logs", "GetLogEvents", { logGroupName: group, logStreamName: stream, startFromHead: true, limit: 1000 });
      return eventsTable(output.events || []);
    });
  refresh();
}

function insights(group) {
  return section(
    "Logs Insights",
    form(
      [
        { name: "groups", label: "Log groups (comma-separated)", value: group || "", required: true },
        { name: "query", label: "Query", type: "textarea", rows: 3, value: "fields @timestamp, @message\n| sort @timestamp desc\n| limit 20" },
        { name: "minutes", label: "Last minutes", type: "number", value: "60" },
      ],
      async ({ groups, query, minutes }) => {
        const end = Math.floor(Date.now() / 1000) + 60;
        const start = end - Number(minutes || 60) * 60;
        const { queryId } = await aws("logs", "StartQuery", {
          logGroupNames: groups.split(",").map((name) => name.trim()).filter(Boolean),
          queryString: query,
          startTime: start,
          endTime: end,
        });
        for (let attempt = 0; attempt < 60; attempt += 1) {
          const output = await aws("logs", "GetQueryResults", { queryId });
          if (!["Scheduled", "Running"].includes(output.status)) {
            const rows = (output.results || []).map((fields) => Object.fromEntries(fields.map((field) => [field.field, field.value])));
            const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((column) => column !== "@ptr");
            return h(
              "div",
              {},
              h("p", { class: "muted" }, `${output.status} · ${output.statistics?.recordsMatched ?? 0} matched of ${output.statistics?.recordsScanned ?? 0} scanned`),
              table(columns.map((column) => [column, (row) => row[column] ?? ""]), rows, "No results."),
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        throw new Error("The query is still running.");
      },
      "Run query",
    ),
  );
}
