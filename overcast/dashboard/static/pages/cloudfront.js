// CloudFront: distributions with their domain and status, a distribution's origins and cache
// behaviours, and its invalidations (with a form to create one).
import { arnLink, aws, form, h, heading, json, load, section, table, when } from "../app.js";

const enc = encodeURIComponent;

async function distributions() {
  const items = [];
  let marker;
  do {
    const { DistributionList: list } = await aws("cloudfront", "ListDistributions", marker ? { Marker: marker } : {});
    items.push(...(list?.Items || []));
    marker = list?.IsTruncated ? list.NextMarker : undefined;
  } while (marker && items.length < 1000);
  return items;
}

export async function count() {
  return (await distributions()).length;
}

export async function render(view, [id]) {
  return id ? distribution(view, id) : list(view);
}

function list(view) {
  const rows = h("div");
  view.append(heading("CloudFront distributions"), section("Distributions", rows));
  load(rows, async () =>
    table(
      [
        ["Distribution", (row) => h("a", { href: `#/cloudfront/${enc(row.Id)}` }, row.Id)],
        ["Domain", (row) => h("code", {}, row.DomainName)],
        ["Status", (row) => row.Status],
        ["Enabled", (row) => (row.Enabled ? "yes" : "no")],
        ["Aliases", (row) => (row.Aliases?.Items || []).join(", ")],
        ["Origins", (row) => (row.Origins?.Items || []).map((origin) => origin.DomainName).join(", ")],
        ["Comment", (row) => row.Comment || ""],
        ["Modified", (row) => when(row.LastModifiedTime)],
      ],
      await distributions(),
      "No distributions.",
    ),
  );
}

function distribution(view, id) {
  const facts = h("div");
  const invalidations = h("div");
  const refresh = () =>
    load(invalidations, async () => {
      const { InvalidationList: list } = await aws("cloudfront", "ListInvalidations", { DistributionId: id });
      return table(
        [
          ["Invalidation", (row) => row.Id],
          ["Status", (row) => row.Status],
          ["Created", (row) => when(row.CreateTime)],
        ],
        list?.Items || [],
        "No invalidations.",
      );
    });
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/cloudfront" }, "Distributions"), " / ", id)),
    section("Distribution", facts),
    section(
      "Invalidate",
      form([{ name: "paths", label: "Paths (one per line)", type: "textarea", rows: 2, value: "/*" }], async ({ paths }) => {
        const items = paths.split("\n").map((path) => path.trim()).filter(Boolean);
        const { Invalidation } = await aws("cloudfront", "CreateInvalidation", {
          DistributionId: id,
          InvalidationBatch: { Paths: { Quantity: items.length, Items: items }, CallerReference: `dashboard-${Date.now()}` },
        });
        refresh();
        return h("p", { class: "ok" }, `Created invalidation ${Invalidation.Id}.`);
      }, "Invalidate"),
    ),
    section("Invalidations", invalidations),
  );
  load(facts, async () => {
    const { Distribution: dist } = await aws("cloudfront", "GetDistribution", { Id: id });
    const config = dist.DistributionConfig || {};
    return h(
      "div",
      {},
      h(
        "dl",
        {},
        h("dt", {}, "Domain"),
        h("dd", {}, h("code", {}, dist.DomainName)),
        h("dt", {}, "Status"),
        h("dd", {}, dist.Status),
        h("dt", {}, "ARN"),
        h("dd", {}, arnLink(dist.ARN)),
        h("dt", {}, "Certificate"),
        h("dd", {}, arnLink(config.ViewerCertificate?.ACMCertificateArn) || (config.ViewerCertificate?.CloudFrontDefaultCertificate ? "CloudFront default" : "")),
      ),
      table(
        [
          ["Origin", (row) => row.Id],
          ["Domain", (row) => row.DomainName],
          ["Path", (row) => row.OriginPath || ""],
          ["Kind", (row) => (row.S3OriginConfig ? "S3" : row.CustomOriginConfig ? `custom (${row.CustomOriginConfig.OriginProtocolPolicy})` : "")],
        ],
        config.Origins?.Items || [],
        "No origins.",
      ),
      json(config),
    );
  });
  refresh();
}
