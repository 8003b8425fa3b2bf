// CloudTrail: the management events Overcast recorded, newest first, filtered as LookupEvents does.
import { aws, form, h, heading, json, section, table, when } from "../app.js";

export async function render(view) {
  const lookup = form(
    [
      { name: "key", label: "Attribute", options: ["(none)", "EventName", "EventSource", "Username", "ResourceName", "ResourceType", "ReadOnly", "AccessKeyId", "EventId"], value: "(none)" },
      { name: "value", label: "Value" },
      { name: "limit", label: "At most", type: "number", value: "50" },
    ],
    async ({ key, value, limit }) => {
      const params = { MaxResults: Math.min(Number(limit) || 50, 50) };
      if (key !== "(none)" && value) params.LookupAttributes = [{ AttributeKey: key, AttributeValue: value }];
      const { Events } = await aws("cloudtrail", "LookupEvents", params);
      return table(
        [
          ["Time", (event) => when(event.EventTime)],
          ["Event", (event) => event.EventName],
          ["Source", (event) => event.EventSource],
          ["User", (event) => event.Username || ""],
          ["Resources", (event) => (event.Resources || []).map((resource) => resource.ResourceName).join(", ")],
          ["", (event) => h("details", {}, h("summary", {}, "Record"), json(JSON.parse(event.CloudTrailEvent || "{}")))],
        ],
        Events || [],
        "No events.",
      );
    },
    "Look up events",
  );
  view.append(heading("CloudTrail event history"), section("Events", lookup));
  lookup.requestSubmit();
}
