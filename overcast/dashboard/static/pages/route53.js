// Route 53: hosted zones and a zone's record sets.
import { aws, h, heading, json, load, paginate, section, table } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("route53", "ListHostedZones", {}, "HostedZones", "Marker", "NextMarker")).length;
}

export async function render(view, [id]) {
  return id ? zone(view, id) : zones(view);
}

const bare = (id) => id.replace(/^\/hostedzone\//, "");

function zones(view) {
  const list = h("div");
  view.append(heading("Route 53 hosted zones"), section("Hosted zones", list));
  load(list, async () =>
    table(
      [
        ["Zone", (row) => h("a", { href: `#/route53/${enc(bare(row.Id))}` }, row.Name)],
        ["Id", (row) => bare(row.Id)],
        ["Private", (row) => (row.Config?.PrivateZone ? "yes" : "")],
        ["Records", (row) => String(row.ResourceRecordSetCount ?? "")],
        ["Comment", (row) => row.Config?.Comment || ""],
      ],
      await paginate("route53", "ListHostedZones", {}, "HostedZones", "Marker", "NextMarker"),
      "No hosted zones.",
    ),
  );
}

async function recordSets(id) {
  const rows = [];
  let params = { HostedZoneId: id };
  for (;;) {
    const output = await aws("route53", "ListResourceRecordSets", params);
    rows.push(...(output.ResourceRecordSets || []));
    if (!output.IsTruncated || rows.length >= 1000) return rows;
    params = { HostedZoneId: id, StartRecordName: output.NextRecordName, StartRecordType: output.NextRecordType, StartRecordIdentifier: output.NextRecordIdentifier };
  }
}

function value(row) {
  if (row.AliasTarget) return `alias → ${row.AliasTarget.DNSName}`;
  return (row.ResourceRecords || []).map((record) => record.Value).join("\n");
}

function zone(view, id) {
  const facts = h("div");
  const records = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/route53" }, "Hosted zones"), " / ", id)), section("Record sets", records), section("Zone", facts));
  load(records, async () =>
    table(
      [
        ["Name", (row) => row.Name],
        ["Type", (row) => row.Type],
        ["TTL", (row) => String(row.TTL ?? "")],
        ["Value", (row) => h("pre", { class: "inline" }, value(row))],
        ["Routing", (row) => [row.SetIdentifier, row.Weight !== undefined ? `weight ${row.Weight}` : "", row.Region || "", row.Failover || ""].filter(Boolean).join(" · ")],
      ],
      await recordSets(id),
      "No record sets.",
    ),
  );
  load(facts, async () => json(await aws("route53", "GetHostedZone", { Id: id })));
}
