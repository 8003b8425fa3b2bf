// ElastiCache: cache clusters with their nodes' endpoints, replication groups with their primary
// and reader endpoints, serverless caches and snapshots.
import { arnLink, aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("elasticache", "DescribeCacheClusters", {}, "CacheClusters", "Marker")).length;
}

export async function render(view, [id]) {
  return id ? cluster(view, id) : list(view);
}

function address(endpoint) {
  return endpoint?.Address ? `${endpoint.Address}:${endpoint.Port}` : "";
}

function clusterLink(id) {
  return h("a", { href: `#/elasticache/${enc(id)}` }, id);
}

function list(view) {
  const clusters = h("div");
  const groups = h("div");
  const serverless = h("div");
  const snapshots = h("div");
  view.append(
    heading("ElastiCache"),
    section("Replication groups", groups),
    section("Cache clusters", clusters),
    section("Serverless caches", serverless),
    section("Snapshots", snapshots),
  );
  load(groups, async () =>
    table(
      [
        ["Replication group", (row) => row.ReplicationGroupId],
        ["Status", (row) => row.Status],
        ["Primary endpoint", (row) => address(row.NodeGroups?.[0]?.PrimaryEndpoint)],
        ["Reader endpoint", (row) => address(row.NodeGroups?.[0]?.ReaderEndpoint)],
        ["Members", (row) => h("span", {}, ...(row.MemberClusters || []).flatMap((id, i) => (i ? [", ", clusterLink(id)] : [clusterLink(id)])))],
        ["Failover", (row) => row.AutomaticFailover],
      ],
      await paginate("elasticache", "DescribeReplicationGroups", {}, "ReplicationGroups", "Marker"),
      "No replication groups.",
    ),
  );
  load(clusters, async () =>
    table(
      [
        ["Cluster", (row) => clusterLink(row.CacheClusterId)],
        ["Status", (row) => row.CacheClusterStatus],
        ["Engine", (row) => `${row.Engine} ${row.EngineVersion || ""}`],
        ["Node type", (row) => row.CacheNodeType],
        ["Endpoints", (row) => (row.CacheNodes || []).map((node) => address(node.Endpoint)).join(", ")],
        ["Replication group", (row) => row.ReplicationGroupId || ""],
        ["Created", (row) => when(row.CacheClusterCreateTime)],
      ],
      await paginate("elasticache", "DescribeCacheClusters", { ShowCacheNodeInfo: true }, "CacheClusters", "Marker"),
      "No cache clusters.",
    ),
  );
  load(serverless, async () =>
    table(
      [
        ["Serverless cache", (row) => row.ServerlessCacheName],
        ["Status", (row) => row.Status],
        ["Engine", (row) => `${row.Engine} ${row.FullEngineVersion || ""}`],
        ["Endpoint", (row) => address(row.Endpoint)],
        ["Created", (row) => when(row.CreateTime)],
      ],
      (await aws("elasticache", "DescribeServerlessCaches", {})).ServerlessCaches || [],
      "No serverless caches.",
    ),
  );
  load(snapshots, async () =>
    table(
      [
        ["Snapshot", (row) => row.SnapshotName],
        ["Status", (row) => row.SnapshotStatus],
        ["Source", (row) => row.ReplicationGroupId || row.CacheClusterId || ""],
        ["Size", (row) => row.NodeSnapshots?.[0]?.CacheSize || ""],
        ["Created", (row) => when(row.NodeSnapshots?.[0]?.SnapshotCreateTime)],
      ],
      await paginate("elasticache", "DescribeSnapshots", {}, "Snapshots", "Marker"),
      "No snapshots.",
    ),
  );
}

function cluster(view, id) {
  const facts = h("div");
  const nodes = h("div");
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/elasticache" }, "ElastiCache"), " / ", id)),
    section("Cache cluster", facts),
    section("Nodes", nodes),
  );
  load(facts, async () => {
    const [row] = (await aws("elasticache", "DescribeCacheClusters", { CacheClusterId: id, ShowCacheNodeInfo: true })).CacheClusters;
    return h(
      "div",
      {},
      h(
        "dl",
        {},
        h("dt", {}, "Status"),
        h("dd", {}, row.CacheClusterStatus),
        h("dt", {}, "Engine"),
        h("dd", {}, `${row.Engine} ${row.EngineVersion || ""}`),
        h("dt", {}, "Parameter group"),
        h("dd", {}, row.CacheParameterGroup?.CacheParameterGroupName || ""),
        h("dt", {}, "ARN"),
        h("dd", {}, arnLink(row.ARN)),
      ),
      json(row),
    );
  });
  load(nodes, async () => {
    const [row] = (await aws("elasticache", "DescribeCacheClusters", { CacheClusterId: id, ShowCacheNodeInfo: true })).CacheClusters;
    return table(
      [
        ["Node", (node) => node.CacheNodeId],
        ["Status", (node) => node.CacheNodeStatus],
        ["Endpoint", (node) => address(node.Endpoint)],
        ["Created", (node) => when(node.CacheNodeCreateTime)],
      ],
      row.CacheNodes || [],
      "No nodes.",
    );
  });
}
