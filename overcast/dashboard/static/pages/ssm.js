// Systems Manager Parameter Store: parameters under a path, a parameter's value and history,
// and putting a value.
import { aws, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

export async function count() {
  return (await paginate("ssm", "DescribeParameters", {}, "Parameters", "NextToken")).length;
}

export async function render(view) {
  const list = h("div");
  const detail = h("div");
  const show = (name) =>
    load(detail, async () => {
      const { Parameter } = await aws("ssm", "GetParameter", { Name: name, WithDecryption: true });
      const history = await paginate("ssm", "GetParameterHistory", { Name: name, WithDecryption: true }, "Parameters", "NextToken");
      return section(
        name,
        h("pre", { class: "json" }, Parameter.Value),
        table(
          [
            ["Version", (row) => row.Version],
            ["Value", (row) => row.Value],
            ["Modified", (row) => when(row.LastModifiedDate)],
          ],
          history,
        ),
        h("details", {}, h("summary", {}, "Parameter"), json(Parameter)),
      );
    });
  const refresh = () =>
    load(list, async () =>
      table(
        [
          ["Name", (row) => h("a", { href: "#/ssm", onclick: (event) => { event.preventDefault(); show(row.Name); } }, row.Name)],
          ["Type", (row) => row.Type],
          ["Version", (row) => row.Version],
          ["Modified", (row) => when(row.LastModifiedDate)],
        ],
        await paginate("ssm", "DescribeParameters", {}, "Parameters", "NextToken"),
        "No parameters.",
      ),
    );
  view.append(
    heading("Parameter Store"),
    section(
      "Put a parameter",
      form(
        [
          { name: "name", label: "Name", placeholder: "/app/config/url", required: true },
          { name: "value", label: "Value", required: true },
          { name: "type", label: "Type", options: ["String", "StringList", "SecureString"], value: "String" },
        ],
        async ({ name, value, type }) => {
          const output = await aws("ssm", "PutParameter", { Name: name, Value: value, Type: type, Overwrite: true });
          refresh();
          show(name);
          return h("p", { class: "ok" }, `Version ${output.Version}.`);
        },
        "Put parameter",
      ),
    ),
    section("Parameters", list),
    detail,
  );
  refresh();
}
