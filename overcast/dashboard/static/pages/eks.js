// EKS: clusters with their version, endpoint and health, and a cluster's node groups, Fargate
// profiles, add-ons and access entries.
import { arnLink, aws, h, heading, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

function names() {
  return paginate("eks", "ListClusters", {}, "clusters", "nextToken");
}

async function describe(name) {
  return (await aws("eks", "DescribeCluster", { name })).cluster;
}

export async function count() {
  return (await names()).length;
}

export async function render(view, [name]) {
  return name ? cluster(view, name) : clusters(view);
}

function clusters(view) {
  const list = h("div");
  view.append(heading("EKS clusters"), section("Clusters", list));
  load(list, async () =>
    table(
      [
        ["Cluster", (row) => h("a", { href: `#/eks/${enc(row.name)}` }, row.name)],
        ["Version", (row) => row.version],
        ["Status", (row) => row.status],
        ["Authentication", (row) => row.accessConfig?.authenticationMode || ""],
        ["Created", (row) => when(row.createdAt)],
      ],
      await Promise.all((await names()).map(describe)),
      "No clusters.",
    ),
  );
}

// A cluster's sub-resources: listed by name, each described for its columns.
function listed(element, list, key, describeOne, columns, empty) {
  load(element, async () => {
    const found = await paginate("eks", list, { clusterName: element.dataset.cluster }, key, "nextToken");
    return table(columns, await Promise.all(found.map(describeOne)), empty);
  });
}

function cluster(view, name) {
  const [facts, groups, profiles, addons, entries] = [1, 2, 3, 4, 5].map(() => h("div", { "data-cluster": name }));
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/eks" }, "Clusters"), " / ", name)),
    section("Cluster", facts),
    section("Node groups", groups),
    section("Fargate profiles", profiles),
    section("Add-ons", addons),
    section("Access entries", entries),
  );
  load(facts, async () => {
    const row = await describe(name);
    const issues = (row.health?.issues || []).map((issue) => `${issue.code}: ${issue.message}`).join(" ");
    const vpc = row.resourcesVpcConfig || {};
    return h(
      "dl",
      {},
      h("dt", {}, "ARN"), h("dd", {}, arnLink(row.arn)),
      h("dt", {}, "Version"), h("dd", {}, `${row.version} (${row.platformVersion || ""})`),
      h("dt", {}, "Endpoint"), h("dd", {}, h("code", {}, row.endpoint || "")),
      h("dt", {}, "kubeconfig"), h("dd", {}, h("code", {}, `aws eks update-kubeconfig --name ${name} --endpoint-url ${location.origin}`)),
      h("dt", {}, "VPC"), h("dd", {}, `${vpc.vpcId || ""} · ${(vpc.subnetIds || []).join(", ")}`),
      h("dt", {}, "Health"), h("dd", {}, issues || "no issues"),
    );
  });
  listed(groups, "ListNodegroups", "nodegroups",
    async (group) => (await aws("eks", "DescribeNodegroup", { clusterName: name, nodegroupName: group })).nodegroup,
    [
      ["Node group", (r) => r.nodegroupName],
      ["Status", (r) => r.status],
      ["Version", (r) => r.version],
      ["Instance types", (r) => (r.instanceTypes || []).join(", ")],
      ["Size (min/desired/max)", (r) => `${r.scalingConfig.minSize}/${r.scalingConfig.desiredSize}/${r.scalingConfig.maxSize}`],
    ],
    "No node groups.");
  listed(profiles, "ListFargateProfiles", "fargateProfileNames",
    async (profile) => (await aws("eks", "DescribeFargateProfile", { clusterName: name, fargateProfileName: profile })).fargateProfile,
    [
      ["Fargate profile", (r) => r.fargateProfileName],
      ["Namespaces", (r) => r.selectors.map((s) => s.namespace).join(", ")],
    ],
    "No Fargate profiles.");
  listed(addons, "ListAddons", "addons",
    async (addon) => (await aws("eks", "DescribeAddon", { clusterName: name, addonName: addon })).addon,
    [["Add-on", (r) => r.addonName], ["Version", (r) => r.addonVersion], ["Status", (r) => r.status]],
    "No add-ons.");
  load(entries, async () => {
    const row = await describe(name);
    if (row.accessConfig?.authenticationMode === "CONFIG_MAP") {
      return h("p", { class: "muted" }, "Access entries need the API or API_AND_CONFIG_MAP authentication mode.");
    }
    const found = await paginate("eks", "ListAccessEntries", { clusterName: name }, "accessEntries", "nextToken");
    return table([["Principal", (arn) => arnLink(arn)]], found, "No access entries.");
  });
}
