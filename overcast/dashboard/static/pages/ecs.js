// ECS: clusters, a cluster's services with their desired and running counts, and its tasks with
// their last status.
import { arnLink, aws, h, heading, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("ecs", "ListClusters", {}, "clusterArns", "nextToken")).length;
}

export async function render(view, [cluster]) {
  return cluster ? one(view, cluster) : clusters(view);
}

/** Describe `arns` in batches of `batch` (the API's limit per call). */
async function describe(arns, batch, call) {
  const out = [];
  for (let at = 0; at < arns.length; at += batch) out.push(...(await call(arns.slice(at, at + batch))));
  return out;
}

function clusters(view) {
  const list = h("div");
  view.append(heading("ECS clusters"), section("Clusters", list));
  load(list, async () => {
    const arns = await paginate("ecs", "ListClusters", {}, "clusterArns", "nextToken");
    const rows = await describe(arns, 100, async (some) => (await aws("ecs", "DescribeClusters", { clusters: some })).clusters || []);
    return table(
      [
        ["Cluster", (row) => h("a", { href: `#/ecs/${enc(row.clusterName)}` }, row.clusterName)],
        ["Status", (row) => row.status],
        ["Services", (row) => String(row.activeServicesCount ?? 0)],
        ["Running tasks", (row) => String(row.runningTasksCount ?? 0)],
        ["Pending tasks", (row) => String(row.pendingTasksCount ?? 0)],
        ["ARN", (row) => arnLink(row.clusterArn)],
      ],
      rows,
      "No clusters.",
    );
  });
}

function one(view, cluster) {
  const services = h("div");
  const tasks = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/ecs" }, "Clusters"), " / ", cluster)), section("Services", services), section("Tasks", tasks));
  load(services, async () => {
    const arns = await paginate("ecs", "ListServices", { cluster }, "serviceArns", "nextToken");
    const rows = await describe(arns, 10, async (some) => (await aws("ecs", "DescribeServices", { cluster, services: some })).services || []);
    return table(
      [
        ["Service", (row) => row.serviceName],
        ["Status", (row) => row.status],
        ["Desired", (row) => String(row.desiredCount ?? 0)],
        ["Running", (row) => String(row.runningCount ?? 0)],
        ["Pending", (row) => String(row.pendingCount ?? 0)],
        ["Launch type", (row) => row.launchType || ""],
        ["Task definition", (row) => (row.taskDefinition || "").split("/").pop()],
        ["Created", (row) => when(row.createdAt)],
      ],
      rows,
      "No services.",
    );
  });
  load(tasks, async () => {
    const arns = [
      ...(await paginate("ecs", "ListTasks", { cluster, desiredStatus: "RUNNING" }, "taskArns", "nextToken")),
      ...(await paginate("ecs", "ListTasks", { cluster, desiredStatus: "STOPPED" }, "taskArns", "nextToken")),
    ];
    const rows = await describe(arns, 100, async (some) => (await aws("ecs", "DescribeTasks", { cluster, tasks: some })).tasks || []);
    return table(
      [
        ["Task", (row) => row.taskArn.split("/").pop()],
        ["Last status", (row) => row.lastStatus],
        ["Desired status", (row) => row.desiredStatus],
        ["Task definition", (row) => (row.taskDefinitionArn || "").split("/").pop()],
        ["Group", (row) => row.group || ""],
        ["Started", (row) => when(row.startedAt)],
        ["Stopped reason", (row) => row.stoppedReason || ""],
      ],
      rows,
      "No tasks.",
    );
  });
}
