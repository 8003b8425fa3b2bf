// Secrets Manager: secrets, a secret's value and versions, and storing a new value.
import { aws, button, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("secretsmanager", "ListSecrets", {}, "SecretList", "NextToken")).length;
}

export async function render(view, [name]) {
  return name ? secret(view, name) : secrets(view);
}

function secrets(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () =>
      table(
        [
          ["Secret", (row) => h("a", { href: `#/secretsmanager/${enc(row.Name)}` }, row.Name)],
          ["Description", (row) => row.Description || ""],
          ["Rotation", (row) => (row.RotationEnabled ? "on" : "")],
          ["Changed", (row) => when(row.LastChangedDate)],
        ],
        await paginate("secretsmanager", "ListSecrets", {}, "SecretList", "NextToken"),
        "No secrets.",
      ),
    );
  view.append(
    heading("Secrets Manager"),
    section(
      "Create a secret",
      form([{ name: "name", label: "Name", required: true }, { name: "value", label: "Value", type: "textarea", required: true }], async ({ name, value }) => {
        await aws("secretsmanager", "CreateSecret", { Name: name, SecretString: value });
        refresh();
        return h("p", { class: "ok" }, `Created ${name}.`);
      }, "Create secret"),
    ),
    section("Secrets", list),
  );
  refresh();
}

function secret(view, name) {
  const facts = h("div");
  const value = h("div");
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/secretsmanager" }, "Secrets"), " / ", name)),
    section("Secret", facts),
    section(
      "Value",
      button("Retrieve the current value", () =>
        load(value, async () => {
          const output = await aws("secretsmanager", "GetSecretValue", { SecretId: name });
          return h("div", {}, h("p", { class: "muted" }, `Version ${output.VersionId} (${(output.VersionStages || []).join(", ")})`), h("pre", { class: "json" }, output.SecretString ?? output.SecretBinary?.$base64 ?? ""));
        }),
      ),
      value,
    ),
    section(
      "Store a new value",
      form([{ name: "value", label: "Value", type: "textarea", required: true }], async ({ value: text }) => {
        const output = await aws("secretsmanager", "PutSecretValue", { SecretId: name, SecretString: text });
        return h("p", { class: "ok" }, `Stored version ${output.VersionId}.`);
      }, "Put value"),
    ),
  );
  load(facts, async () => json(await aws("secretsmanager", "DescribeSecret", { SecretId: name })));
}
