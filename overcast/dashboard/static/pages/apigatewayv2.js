// API Gateway v2: HTTP and WebSocket APIs, an API's routes and integrations, and its stages with
// the URL to invoke each.
import { arnLink, aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("apigatewayv2", "GetApis", {}, "Items", "NextToken")).length;
}

export async function render(view, [id]) {
  return id ? api(view, id) : apis(view);
}

function apis(view) {
  const list = h("div");
  view.append(heading("API Gateway HTTP and WebSocket APIs"), section("APIs", list));
  load(list, async () =>
    table(
      [
        ["API", (row) => h("a", { href: `#/apigatewayv2/${enc(row.ApiId)}` }, row.Name)],
        ["Id", (row) => row.ApiId],
        ["Protocol", (row) => row.ProtocolType],
        ["Endpoint", (row) => h("code", {}, row.ApiEndpoint || "")],
        ["Created", (row) => when(row.CreatedDate)],
      ],
      await paginate("apigatewayv2", "GetApis", {}, "Items", "NextToken"),
      "No HTTP or WebSocket APIs.",
    ),
  );
}

/** The URL that invokes `stage`: the API's endpoint, then the stage unless it is $default. */
function invokeUrl(endpoint, stage) {
  return stage === "$default" ? `${endpoint}/` : `${endpoint}/${stage}`;
}

async function api(view, id) {
  const facts = h("div");
  const routes = h("div");
  const stages = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/apigatewayv2" }, "APIs"), " / ", id)), section("Stages", stages), section("Routes", routes), section("API", facts));
  const described = aws("apigatewayv2", "GetApi", { ApiId: id });
  load(facts, async () => json(await described));
  load(stages, async () => {
    const endpoint = (await described).ApiEndpoint || "";
    return table(
      [
        ["Stage", (row) => row.StageName],
        ["Invoke URL", (row) => h("code", {}, invokeUrl(endpoint, row.StageName))],
        ["Auto deploy", (row) => (row.AutoDeploy ? "yes" : "")],
        ["Deployment", (row) => row.DeploymentId || ""],
        ["Updated", (row) => when(row.LastUpdatedDate)],
      ],
      await paginate("apigatewayv2", "GetStages", { ApiId: id }, "Items", "NextToken"),
      "No stages: create one (or $default with auto-deploy) to invoke the API.",
    );
  });
  load(routes, async () => {
    const [rows, integrations] = await Promise.all([paginate("apigatewayv2", "GetRoutes", { ApiId: id }, "Items", "NextToken"), paginate("apigatewayv2", "GetIntegrations", { ApiId: id }, "Items", "NextToken")]);
    const byId = Object.fromEntries(integrations.map((integration) => [integration.IntegrationId, integration]));
    rows.sort((a, b) => a.RouteKey.localeCompare(b.RouteKey));
    return table(
      [
        ["Route", (row) => h("code", {}, row.RouteKey)],
        ["Target", (row) => {
          const integration = byId[(row.Target || "").replace(/^integrations\//, "")];
          if (!integration) return row.Target || "";
          const uri = integration.IntegrationUri || "";
          return [integration.IntegrationType, " ", uri.startsWith("arn:") ? arnLink(uri) : uri];
        }],
        ["Authorization", (row) => row.AuthorizationType || "NONE"],
      ],
      rows,
      "No routes.",
    );
  });
}
