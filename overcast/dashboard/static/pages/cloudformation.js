// CloudFormation: stacks, a stack's events, resources (linked by ARN where they have one),
// outputs and template.
import { arnLink, aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("cloudformation", "DescribeStacks", {}, "Stacks", "NextToken")).length;
}

export async function render(view, [name]) {
  return name ? stack(view, name) : stacks(view);
}

function stacks(view) {
  const list = h("div");
  view.append(heading("CloudFormation stacks"), section("Stacks", list));
  load(list, async () =>
    table(
      [
        ["Stack", (row) => h("a", { href: `#/cloudformation/${enc(row.StackName)}` }, row.StackName)],
        ["Status", (row) => h("span", { class: `state-${row.StackStatus}` }, row.StackStatus)],
        ["Reason", (row) => row.StackStatusReason || ""],
        ["Created", (row) => when(row.CreationTime)],
      ],
      await paginate("cloudformation", "DescribeStacks", {}, "Stacks", "NextToken"),
      "No stacks.",
    ),
  );
}

function physical(id) {
  if (!id) return "";
  if (id.startsWith("arn:")) return arnLink(id);
  if (id.startsWith("http") && id.includes("/")) return id;
  return id;
}

function stack(view, name) {
  const facts = h("div");
  const resources = h("div");
  const events = h("div");
  const template = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/cloudformation" }, "Stacks"), " / ", name)), section("Stack", facts), section("Resources", resources), section("Events", events), h("details", { class: "card" }, h("summary", {}, "Template"), template));
  load(facts, async () => {
    const { Stacks } = await aws("cloudformation", "DescribeStacks", { StackName: name });
    const stack = Stacks[0];
    return h(
      "div",
      {},
      h("p", {}, h("span", { class: `state-${stack.StackStatus}` }, stack.StackStatus), stack.StackStatusReason ? ` — ${stack.StackStatusReason}` : ""),
      table(
        [
          ["Output", (row) => row.OutputKey],
          ["Value", (row) => (String(row.OutputValue).startsWith("arn:") ? arnLink(row.OutputValue) : row.OutputValue)],
          ["Export", (row) => row.ExportName || ""],
        ],
        stack.Outputs || [],
        "No outputs.",
      ),
      table(
        [
          ["Parameter", (row) => row.ParameterKey],
          ["Value", (row) => row.ParameterValue],
        ],
        stack.Parameters || [],
        "No parameters.",
      ),
    );
  });
  load(resources, async () => {
    const { StackResources } = await aws("cloudformation", "DescribeStackResources", { StackName: name });
    return table(
      [
        ["Logical id", (row) => row.LogicalResourceId],
        ["Type", (row) => row.ResourceType],
        ["Physical id", (row) => physical(row.PhysicalResourceId)],
        ["Status", (row) => h("span", { class: `state-${row.ResourceStatus}` }, row.ResourceStatus)],
      ],
      StackResources || [],
      "No resources.",
    );
  });
  load(events, async () =>
    table(
      [
        ["Time", (row) => when(row.Timestamp)],
        ["Logical id", (row) => row.LogicalResourceId],
        ["Type", (row) => row.ResourceType],
        ["Status", (row) => h("span", { class: `state-${row.ResourceStatus}` }, row.ResourceStatus)],
        ["Reason", (row) => row.ResourceStatusReason || ""],
      ],
      await paginate("cloudformation", "DescribeStackEvents", { StackName: name }, "StackEvents", "NextToken", "NextToken", 300),
      "No events.",
    ),
  );
  load(template, async () => {
    const output = await aws("cloudformation", "GetTemplate", { StackName: name });
    const body = output.TemplateBody;
    return typeof body === "string" ? h("pre", { class: "json" }, body) : json(body);
  });
}
