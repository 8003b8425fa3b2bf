// X-Ray: trace summaries of the last hours and a trace's segments.
import { aws, h, heading, json, load, section, table } from "../app.js";

export async function render(view, [traceId]) {
  if (traceId) {
    const segments = h("div");
    view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/xray" }, "Traces"), " / ", traceId)), section("Segments", segments));
    load(segments, async () => {
      const { Traces } = await aws("xray", "BatchGetTraces", { TraceIds: [traceId] });
      const documents = (Traces[0]?.Segments || []).map((segment) => JSON.parse(segment.Document));
      return table(
        [
          ["Name", (doc) => doc.name],
          ["Id", (doc) => doc.id],
          ["Duration", (doc) => (doc.end_time ? `${((doc.end_time - doc.start_time) * 1000).toFixed(1)} ms` : "in progress")],
          ["Error", (doc) => (doc.fault ? "fault" : doc.error ? "error" : "")],
          ["", (doc) => h("details", {}, h("summary", {}, "Document"), json(doc))],
        ],
        documents,
        "No segments.",
      );
    });
    return;
  }
  const list = h("div");
  view.append(heading("X-Ray traces"), section("Traces of the last 6 hours", list));
  load(list, async () => {
    const end = new Date();
    const start = new Date(end.getTime() - 6 * 3600 * 1000);
    const { TraceSummaries } = await aws("xray", "GetTraceSummaries", { StartTime: start.toISOString(), EndTime: end.toISOString() });
    return table(
      [
        ["Trace", (row) => h("a", { href: `#/xray/${encodeURIComponent(row.Id)}` }, row.Id)],
        ["Duration", (row) => `${((row.Duration || 0) * 1000).toFixed(1)} ms`],
        ["Entry", (row) => row.EntryPoint?.Name || ""],
        ["Status", (row) => (row.HasFault ? "fault" : row.HasError ? "error" : row.HasThrottle ? "throttled" : "ok")],
      ],
      TraceSummaries || [],
      "No traces.",
    );
  });
}
