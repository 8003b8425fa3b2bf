// Lambda: functions, a function's configuration (its role and log group linked), invoking it with
// a payload, and the logs of that invocation.
import { arnLink, aws, button, errorBox, form, h, heading, internal, json, load, paginate, parseJson, scope, section, size, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("lambda", "ListFunctions", {}, "Functions", "Marker", "NextMarker")).length;
}

export async function render(view, [name]) {
  return name ? functionView(view, name) : functions(view);
}

function functions(view) {
  const list = h("div");
  view.append(heading("Lambda functions"), section("Functions", list));
  load(list, async () => {
    const rows = await paginate("lambda", "ListFunctions", {}, "Functions", "Marker", "NextMarker");
    return table(
      [
        ["Function", (row) => h("a", { href: `#/lambda/${enc(row.FunctionName)}` }, row.FunctionName)],
        ["Runtime", (row) => row.Runtime || row.PackageType],
        ["Handler", (row) => row.Handler || ""],
        ["Memory", (row) => `${row.MemorySize} MB`],
        ["Modified", (row) => when(row.LastModified)],
        ["Role", (row) => arnLink(row.Role)],
      ],
      rows,
      "No functions.",
    );
  });
}

function decode(base64) {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

async function functionView(view, name) {
  let fn;
  try {
    fn = await aws("lambda", "GetFunction", { FunctionName: name });
  } catch (error) {
    view.append(heading(name), errorBox(error));
    return;
  }
  const config = fn.Configuration;
  const logGroup = config.LoggingConfig?.LogGroup || `/aws/lambda/${config.FunctionName}`;
  const mappings = h("div");
  const environments = h("div");
  const showEnvironments = async () => {
    const { engines } = await internal("engines", {});
    const mine = engines.filter((engine) => engine.service === "lambda" && engine.account === scope.account && engine.region === scope.region && engine.name.split(":")[0] === config.FunctionName);
    return table(
      [
        ["Version", (row) => row.name.split(":").slice(1).join(":")],
        ["State", (row) => h("span", { class: `state-${row.state}` }, row.state)],
        ["PID", (row) => row.pid ?? ""],
        ["Memory", (row) => (row.rss_kb ? `${(row.rss_kb / 1024).toFixed(1)} MB` : "")],
      ],
      mine,
      "No environment is running: the next invocation starts one (a cold start).",
    );
  };
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/lambda" }, "Functions"), " / ", config.FunctionName), h("span", { class: "muted" }, `${config.Runtime || config.PackageType} · ${config.State || ""}`)),
    section(
      "Configuration",
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "ARN"),
        h("dd", {}, config.FunctionArn),
        h("dt", {}, "Role"),
        h("dd", {}, arnLink(config.Role)),
        h("dt", {}, "Handler"),
        h("dd", {}, config.Handler || ""),
        h("dt", {}, "Code"),
        h("dd", {}, `${size(config.CodeSize)} · sha256 ${config.CodeSha256}`),
        h("dt", {}, "Timeout / memory"),
        h("dd", {}, `${config.Timeout} s / ${config.MemorySize} MB`),
        h("dt", {}, "Logs"),
        h("dd", {}, h("a", { href: `#/logs/${enc(logGroup)}` }, logGroup)),
        config.DeadLetterConfig?.TargetArn ? [h("dt", {}, "Dead-letter target"), h("dd", {}, arnLink(config.DeadLetterConfig.TargetArn))] : null,
      ),
      h("details", {}, h("summary", {}, "Environment and everything else"), json(config)),
    ),
    section(
      "Invoke",
      form(
        [
          { name: "payload", label: "Payload (JSON)", type: "textarea", value: "{}", rows: 5 },
          { name: "type", label: "Invocation type", options: ["RequestResponse", "Event", "DryRun"], value: "RequestResponse" },
        ],
        async ({ payload, type }) => {
          parseJson(payload, "The payload", {});
          const output = await aws("lambda", "Invoke", { FunctionName: name, Payload: payload || "{}", InvocationType: type, LogType: type === "RequestResponse" ? "Tail" : "None" });
          const body = output.Payload?.$text ?? "";
          let shown = body;
          try {
            shown = JSON.stringify(JSON.parse(body), null, 2);
          } catch {
            /* not JSON: shown as it is */
          }
          return h(
            "div",
            { class: "invocation" },
            h("p", { class: output.FunctionError ? "error" : "ok" }, `Status ${output.StatusCode}${output.FunctionError ? ` · ${output.FunctionError} error` : ""}${output.ExecutedVersion ? ` · version ${output.ExecutedVersion}` : ""}`),
            h("h3", {}, "Response"),
            h("pre", { class: "json", "data-testid": "invoke-response" }, shown),
            output.LogResult ? [h("h3", {}, "Logs of this invocation"), h("pre", { class: "logs", "data-testid": "invoke-logs" }, decode(output.LogResult))] : null,
            h("p", {}, h("a", { href: `#/logs/${enc(logGroup)}` }, `All logs in ${logGroup}`)),
          );
        },
        "Invoke",
      ),
    ),
    section("Execution environments", button("Refresh", () => load(environments, showEnvironments)), environments),
    section("Event source mappings", mappings),
  );
  load(environments, showEnvironments);
  load(mappings, async () => {
    const rows = await paginate("lambda", "ListEventSourceMappings", { FunctionName: name }, "EventSourceMappings", "Marker", "NextMarker");
    return table(
      [
        ["Source", (row) => arnLink(row.EventSourceArn)],
        ["State", (row) => row.State],
        ["Batch size", (row) => row.BatchSize],
        ["UUID", (row) => row.UUID],
      ],
      rows,
      "No event source mappings.",
    );
  });
}
