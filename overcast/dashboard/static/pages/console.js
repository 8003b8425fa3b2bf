// The API console: any operation of any service, with its input as JSON — for what no page shows
// yet. Operations Overcast does not emulate answer as the server does (501, naming them).
import { aws, clear, errorBox, form, h, heading, internal, json, parseJson, section } from "../app.js";

export async function render(view, [service = "sts", operation = ""]) {
  const area = h("div");
  const chooser = form([{ name: "service", label: "Service (botocore name)", value: service, required: true }], async ({ service: name }) => {
    location.hash = `#/console/${encodeURIComponent(name)}`;
    return null;
  }, "Open");
  view.append(heading("API console"), section("Service", chooser), area);
  try {
    const { operations, emulated } = await internal("operations", { service });
    const names = Object.keys(operations);
    const chosen = operation && operations[operation] ? operation : names[0];
    const template = (name) => JSON.stringify(Object.fromEntries(Object.entries(operations[name]).filter(([, member]) => member.required).map(([member, shape]) => [member, shape.type === "string" ? "" : shape.type === "list" ? [] : shape.type === "structure" || shape.type === "map" ? {} : null])), null, 2);
    const call = form(
      [
        { name: "operation", label: "Operation", options: names, value: chosen },
        { name: "params", label: "Input (JSON)", type: "textarea", rows: 8, value: template(chosen) },
      ],
      async ({ operation: name, params }) => json(await aws(service, name, parseJson(params, "The input", {}))),
      "Call",
    );
    call.elements.operation.addEventListener("change", () => {
      call.elements.params.value = template(call.elements.operation.value);
    });
    clear(
      area,
      section(`${service}${emulated ? "" : " (not emulated by this Overcast)"}`, call, h("details", {}, h("summary", {}, "Input members"), h("pre", { class: "json" }, JSON.stringify(operations, null, 1)))),
    );
  } catch (error) {
    clear(area, errorBox(error));
  }
}
