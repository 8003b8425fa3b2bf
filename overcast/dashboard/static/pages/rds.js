// RDS: DB instances with their status, engine and endpoint, clusters, and snapshots.
import { arnLink, aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("rds", "DescribeDBInstances", {}, "DBInstances", "Marker")).length;
}

export async function render(view, [id]) {
  return id ? instance(view, id) : list(view);
}

function endpoint(row) {
  return row.Endpoint?.Address ? `${row.Endpoint.Address}:${row.Endpoint.Port}` : "";
}

function snapshotTable(rows) {
  return table(
    [
      ["Snapshot", (row) => row.DBSnapshotIdentifier],
      ["Instance", (row) => h("a", { href: `#/rds/${enc(row.DBInstanceIdentifier)}` }, row.DBInstanceIdentifier)],
      ["Status", (row) => row.Status],
      ["Type", (row) => row.SnapshotType],
      ["Engine", (row) => `${row.Engine} ${row.EngineVersion || ""}`],
      ["Created", (row) => when(row.SnapshotCreateTime)],
    ],
    rows,
    "No snapshots.",
  );
}

function list(view) {
  const instances = h("div");
  const clusters = h("div");
  const snapshots = h("div");
  view.append(heading("RDS databases"), section("DB instances", instances), section("DB clusters", clusters), section("Snapshots", snapshots));
  load(instances, async () =>
    table(
      [
        ["Instance", (row) => h("a", { href: `#/rds/${enc(row.DBInstanceIdentifier)}` }, row.DBInstanceIdentifier)],
        ["Status", (row) => row.DBInstanceStatus],
        ["Engine", (row) => `${row.Engine} ${row.EngineVersion || ""}`],
        ["Class", (row) => row.DBInstanceClass],
        ["Endpoint", (row) => endpoint(row)],
        ["Cluster", (row) => row.DBClusterIdentifier || ""],
        ["Created", (row) => when(row.InstanceCreateTime)],
      ],
      await paginate("rds", "DescribeDBInstances", {}, "DBInstances", "Marker"),
      "No DB instances.",
    ),
  );
  load(clusters, async () =>
    table(
      [
        ["Cluster", (row) => row.DBClusterIdentifier],
        ["Status", (row) => row.Status],
        ["Engine", (row) => `${row.Engine} ${row.EngineVersion || ""}`],
        ["Endpoint", (row) => (row.Endpoint ? `${row.Endpoint}:${row.Port}` : "")],
        ["Members", (row) => (row.DBClusterMembers || []).map((member) => member.DBInstanceIdentifier).join(", ")],
      ],
      await paginate("rds", "DescribeDBClusters", {}, "DBClusters", "Marker"),
      "No DB clusters.",
    ),
  );
  load(snapshots, async () => snapshotTable(await paginate("rds", "DescribeDBSnapshots", {}, "DBSnapshots", "Marker")));
}

function instance(view, id) {
  const facts = h("div");
  const snapshots = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/rds" }, "DB instances"), " / ", id)), section("DB instance", facts), section("Snapshots", snapshots));
  load(facts, async () => {
    const [row] = (await aws("rds", "DescribeDBInstances", { DBInstanceIdentifier: id })).DBInstances;
    return h(
      "div",
      {},
      h(
        "dl",
        {},
        h("dt", {}, "Status"),
        h("dd", {}, row.DBInstanceStatus),
        h("dt", {}, "Engine"),
        h("dd", {}, `${row.Engine} ${row.EngineVersion || ""}`),
        h("dt", {}, "Endpoint"),
        h("dd", {}, endpoint(row)),
        h("dt", {}, "ARN"),
        h("dd", {}, arnLink(row.DBInstanceArn)),
      ),
      json(row),
    );
  });
  load(snapshots, async () => snapshotTable(await paginate("rds", "DescribeDBSnapshots", { DBInstanceIdentifier: id }, "DBSnapshots", "Marker")));
}
