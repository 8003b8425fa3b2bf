// EventBridge: buses, rules and their targets, and EventBridge Scheduler's schedules with their
// next firing.
import { arnLink, aws, form, h, heading, json, load, paginate, parseJson, section, table, when } from "../app.js";
import { nextFiring } from "./schedule.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("events", "ListRules", {}, "Rules", "NextToken")).length;
}

export async function render(view, [kind, name]) {
  if (kind === "rule" && name) return rule(view, name);
  if (kind === "schedule" && name) return schedule(view, name);
  return overview(view);
}

function overview(view) {
  const rules = h("div");
  const schedules = h("div");
  view.append(
    heading("EventBridge"),
    section("Rules", rules),
    section("Schedules (EventBridge Scheduler)", schedules),
    section(
      "Put an event",
      form(
        [
          { name: "source", label: "Source", value: "my.app", required: true },
          { name: "detailType", label: "Detail type", value: "Example", required: true },
          { name: "detail", label: "Detail (JSON)", type: "textarea", value: "{}" },
          { name: "bus", label: "Event bus", value: "default" },
        ],
        async ({ source, detailType, detail, bus }) => {
          parseJson(detail, "The detail", {});
          const output = await aws("events", "PutEvents", { Entries: [{ Source: source, DetailType: detailType, Detail: detail || "{}", EventBusName: bus || "default" }] });
          return json(output);
        },
        "Put event",
      ),
    ),
  );
  load(rules, async () => {
    const buses = await paginate("events", "ListEventBuses", {}, "EventBuses", "NextToken");
    const all = [];
    for (const bus of buses) {
      const found = await paginate("events", "ListRules", { EventBusName: bus.Name }, "Rules", "NextToken");
      all.push(...found);
    }
    return table(
      [
        ["Rule", (row) => h("a", { href: `#/events/rule/${enc(row.EventBusName === "default" ? row.Name : `${row.EventBusName}/${row.Name}`)}` }, row.Name)],
        ["Bus", (row) => row.EventBusName],
        ["State", (row) => row.State],
        ["Pattern or schedule", (row) => row.ScheduleExpression || row.EventPattern || ""],
        ["Next firing", (row) => (row.ScheduleExpression && row.State === "ENABLED" ? when(nextFiring(row.ScheduleExpression)) : "")],
      ],
      all,
      "No rules.",
    );
  });
  load(schedules, async () => {
    const rows = await paginate("scheduler", "ListSchedules", {}, "Schedules", "NextToken");
    const details = await Promise.all(rows.map((row) => aws("scheduler", "GetSchedule", { Name: row.Name, GroupName: row.GroupName })));
    return table(
      [
        ["Schedule", (row) => h("a", { href: `#/events/schedule/${enc(`${row.GroupName}/${row.Name}`)}` }, row.Name)],
        ["Group", (row) => row.GroupName],
        ["State", (row) => row.State],
        ["Expression", (row) => `${row.ScheduleExpression}${row.ScheduleExpressionTimezone ? ` (${row.ScheduleExpressionTimezone})` : ""}`],
        ["Next firing", (row) => (row.State === "ENABLED" ? when(nextFiring(row.ScheduleExpression, row.CreationDate, row.StartDate)) : "")],
        ["Target", (row) => arnLink(row.Target?.Arn)],
      ],
      details,
      "No schedules.",
    );
  });
}

function rule(view, fullName) {
  const [bus, name] = fullName.includes("/") ? fullName.split("/", 2) : ["default", fullName];
  const facts = h("div");
  const targets = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/events" }, "EventBridge"), " / rule / ", name)), section("Rule", facts), section("Targets", targets));
  load(facts, async () => {
    const output = await aws("events", "DescribeRule", { Name: name, EventBusName: bus });
    return h("div", {}, output.ScheduleExpression ? h("p", {}, `Next firing: ${when(nextFiring(output.ScheduleExpression)) || "—"}`) : null, json(output));
  });
  load(targets, async () => {
    const rows = await paginate("events", "ListTargetsByRule", { Rule: name, EventBusName: bus }, "Targets", "NextToken");
    return table(
      [
        ["Id", (row) => row.Id],
        ["Target", (row) => arnLink(row.Arn)],
        ["Input", (row) => row.Input || row.InputPath || ""],
        ["Dead-letter queue", (row) => arnLink(row.DeadLetterConfig?.Arn)],
      ],
      rows,
      "No targets.",
    );
  });
}

function schedule(view, full) {
  const [group, name] = full.split("/", 2);
  const facts = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/events" }, "EventBridge"), " / schedule / ", name)), section("Schedule", facts));
  load(facts, async () => {
    const output = await aws("scheduler", "GetSchedule", { Name: name, GroupName: group });
    return h("div", {}, h("p", {}, `Next firing: ${when(nextFiring(output.ScheduleExpression, output.CreationDate, output.StartDate)) || "—"}`), h("p", {}, "Target: ", arnLink(output.Target?.Arn)), json(output));
  });
}
