// API Gateway (REST APIs): an API's resources and methods, its stages, and a form that sends a
// request to a stage through the data plane on this port (/_aws/execute-api/{id}/{stage}/...).
import { aws, clear, errorBox, form, h, heading, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("apigateway", "GetRestApis", {}, "items", "position")).length;
}

export async function render(view, [id]) {
  return id ? api(view, id) : apis(view);
}

function apis(view) {
  const list = h("div");
  view.append(heading("API Gateway REST APIs"), section("APIs", list));
  load(list, async () =>
    table(
      [
        ["API", (row) => h("a", { href: `#/apigateway/${enc(row.id)}` }, row.name)],
        ["Id", (row) => row.id],
        ["Created", (row) => when(row.createdDate)],
        ["Endpoint", (row) => (row.endpointConfiguration?.types || []).join(", ")],
      ],
      await paginate("apigateway", "GetRestApis", {}, "items", "position"),
      "No REST APIs.",
    ),
  );
}

async function api(view, id) {
  const routes = h("div");
  const stages = h("div");
  const sender = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/apigateway" }, "APIs"), " / ", id)), section("Routes", routes), section("Stages", stages), section("Send a request", sender));
  load(routes, async () => {
    const resources = await paginate("apigateway", "GetResources", { restApiId: id, embed: ["methods"] }, "items", "position");
    const rows = resources.flatMap((resource) => Object.keys(resource.resourceMethods || {}).map((method) => ({ method, path: resource.path, resource })));
    rows.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    return table(
      [
        ["Method", (row) => row.method],
        ["Path", (row) => row.path],
        ["Integration", (row) => row.resource.resourceMethods[row.method]?.methodIntegration?.type || ""],
        ["Authorization", (row) => row.resource.resourceMethods[row.method]?.authorizationType || ""],
      ],
      rows,
      "No methods.",
    );
  });
  try {
    const { item } = await aws("apigateway", "GetStages", { restApiId: id });
    clear(
      stages,
      table(
        [
          ["Stage", (row) => row.stageName],
          ["Deployment", (row) => row.deploymentId],
          ["URL", (row) => `${location.origin}/_aws/execute-api/${id}/${row.stageName}/`],
        ],
        item || [],
        "No stages: deploy the API to call it.",
      ),
    );
    const names = (item || []).map((stage) => stage.stageName);
    clear(
      sender,
      names.length
        ? form(
            [
              { name: "stage", label: "Stage", options: names, value: names[0] },
              { name: "method", label: "Method", options: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], value: "GET" },
              { name: "path", label: "Path and query", value: "/" },
              { name: "headers", label: "Headers (Name: value per line)", type: "textarea", rows: 2 },
              { name: "body", label: "Body", type: "textarea", rows: 3 },
            ],
            async ({ stage, method, path, headers, body }) => {
              const requestHeaders = {};
              for (const line of headers.split("\n")) {
                const at = line.indexOf(":");
                if (at > 0) requestHeaders[line.slice(0, at).trim()] = line.slice(at + 1).trim();
              }
              const url = `/_aws/execute-api/${id}/${stage}${path.startsWith("/") ? path : `/${path}`}`;
              const started = performance.now();
              const response = await fetch(url, { method, headers: requestHeaders, body: ["GET", "HEAD"].includes(method) ? undefined : body, credentials: "omit" });
              const text = await response.text();
              const elapsed = performance.now() - started;
              return h(
                "div",
                {},
                h("p", { class: response.ok ? "ok" : "error" }, `${response.status} ${response.statusText} · ${elapsed.toFixed(0)} ms`),
                h("pre", { class: "json" }, [...response.headers.entries()].map(([name, value]) => `${name}: ${value}`).join("\n")),
                h("pre", { class: "json" }, text),
              );
            },
            "Send",
          )
        : h("p", { class: "muted" }, "Deploy the API to a stage to send it requests."),
    );
  } catch (error) {
    clear(stages, errorBox(error));
  }
}
