// DynamoDB: tables, a scan or query through a form, items as JSON (plain or in DynamoDB's typed
// form), putting and deleting items, and a table's stream records.
import { aws, button, clear, errorBox, form, h, heading, json, load, paginate, parseJson, section, table } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("dynamodb", "ListTables", {}, "TableNames", "ExclusiveStartTableName", "LastEvaluatedTableName")).length;
}

export async function render(view, [name]) {
  return name ? tableView(view, name) : tables(view);
}

/** A DynamoDB-typed value as plain JSON. */
export function plain(value) {
  const [type, inner] = Object.entries(value)[0];
  switch (type) {
    case "S":
    case "B":
      return inner;
    case "N":
      return Number(inner);
    case "BOOL":
      return inner;
    case "NULL":
      return null;
    case "SS":
    case "BS":
      return inner;
    case "NS":
      return inner.map(Number);
    case "L":
      return inner.map(plain);
    case "M":
      return Object.fromEntries(Object.entries(inner).map(([key, item]) => [key, plain(item)]));
    default:
      return value;
  }
}

/** Plain JSON as DynamoDB-typed values. */
export function typed(value) {
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(typed) };
  return { M: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, typed(item)])) };
}

const plainItem = (item) => Object.fromEntries(Object.entries(item).map(([key, value]) => [key, plain(value)]));
const typedItem = (item) => Object.fromEntries(Object.entries(item).map(([key, value]) => [key, typed(value)]));

function tables(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const names = await paginate("dynamodb", "ListTables", {}, "TableNames", "ExclusiveStartTableName", "LastEvaluatedTableName");
      const rows = await Promise.all(names.map(async (name) => (await aws("dynamodb", "DescribeTable", { TableName: name })).Table));
      return table(
        [
          ["Table", (row) => h("a", { href: `#/dynamodb/${enc(row.TableName)}` }, row.TableName)],
          ["Status", (row) => row.TableStatus],
          ["Keys", (row) => row.KeySchema.map((key) => `${key.AttributeName} (${key.KeyType})`).join(", ")],
          ["Items", (row) => row.ItemCount],
          ["Stream", (row) => (row.StreamSpecification?.StreamEnabled ? row.StreamSpecification.StreamViewType : "")],
        ],
        rows,
        "No tables.",
      );
    });
  view.append(
    heading("DynamoDB tables"),
    section(
      "Create a table",
      form(
        [
          { name: "name", label: "Table name", required: true },
          { name: "hash", label: "Partition key", value: "pk", required: true },
          { name: "range", label: "Sort key (optional)" },
        ],
        async ({ name, hash, range }) => {
          const keys = [{ AttributeName: hash, KeyType: "HASH" }];
          const attributes = [{ AttributeName: hash, AttributeType: "S" }];
          if (range) {
            keys.push({ AttributeName: range, KeyType: "RANGE" });
            attributes.push({ AttributeName: range, AttributeType: "S" });
          }
          await aws("dynamodb", "CreateTable", { TableName: name, KeySchema: keys, AttributeDefinitions: attributes, BillingMode: "PAY_PER_REQUEST" });
          refresh();
          return h("p", { class: "ok" }, `Created ${name}.`);
        },
        "Create table",
      ),
    ),
    section("Tables", list),
  );
  refresh();
}

async function tableView(view, name) {
  let description;
  try {
    description = (await aws("dynamodb", "DescribeTable", { TableName: name })).Table;
  } catch (error) {
    view.append(heading(name), errorBox(error));
    return;
  }
  const keys = description.KeySchema.map((key) => key.AttributeName);
  const indexes = [...(description.GlobalSecondaryIndexes || []), ...(description.LocalSecondaryIndexes || [])].map((index) => index.IndexName);
  const results = h("div", { class: "items" });
  const stream = h("div");
  let typedView = false;

  const showItems = (items, output) => {
    const rows = items.map((item) => (typedView ? item : plainItem(item)));
    const columns = [...new Set([...keys, ...rows.flatMap((row) => Object.keys(row))])];
    return h(
      "div",
      {},
      h("p", { class: "muted" }, `${output.Count} items (${output.ScannedCount} read)${output.LastEvaluatedKey ? " — more remain" : ""}`),
      table(
        [
          ...columns.map((column) => [column, (row) => (row[column] === undefined ? "" : typeof row[column] === "object" ? JSON.stringify(row[column]) : String(row[column]))]),
          [
            "",
            (row) =>
              h(
                "div",
                { class: "row-actions" },
                button("JSON", (event) => event.target.closest("td").append(json(row))),
                button("Delete", async () => {
                  const item = typedView ? row : typedItem(row);
                  await aws("dynamodb", "DeleteItem", { TableName: name, Key: Object.fromEntries(keys.map((key) => [key, item[key]])) });
                  document.querySelector("form.query button[type=submit]")?.click();
                }, { class: "danger" }),
              ),
          ],
        ],
        rows,
        "No items match.",
      ),
    );
  };

  const queryForm = form(
    [
      { name: "mode", label: "Operation", options: ["Scan", "Query"], value: "Scan" },
      { name: "index", label: "Index", options: ["(table)", ...indexes], value: "(table)" },
      { name: "key", label: "Key condition (Query)", placeholder: "pk = :pk" },
      { name: "filter", label: "Filter expression", placeholder: "attribute_exists(price)" },
      { name: "values", label: "Expression attribute values (JSON, plain or typed)", type: "textarea", rows: 2, placeholder: '{":pk": "user#1"}' },
      { name: "names", label: "Expression attribute names (JSON)", placeholder: '{"#n": "name"}' },
      { name: "limit", label: "Limit", type: "number", value: "50" },
      { name: "view", label: "Show items", options: ["plain JSON", "DynamoDB JSON"], value: "plain JSON" },
    ],
    async (values) => {
      const params = { TableName: name };
      if (values.index !== "(table)") params.IndexName = values.index;
      if (values.mode === "Query") {
        if (!values.key) throw new Error("A Query needs a key condition expression.");
        params.KeyConditionExpression = values.key;
      }
      if (values.filter) params.FilterExpression = values.filter;
      const attributeValues = parseJson(values.values, "Expression attribute values");
      if (attributeValues) {
        params.ExpressionAttributeValues = Object.fromEntries(
          Object.entries(attributeValues).map(([key, value]) => [key, value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && /^(S|N|B|BOOL|NULL|SS|NS|BS|L|M)$/.test(Object.keys(value)[0]) ? value : typed(value)]),
        );
      }
      const names = parseJson(values.names, "Expression attribute names");
      if (names) params.ExpressionAttributeNames = names;
      if (Number(values.limit)) params.Limit = Number(values.limit);
      typedView = values.view === "DynamoDB JSON";
      const output = await aws("dynamodb", values.mode, params);
      const shown = showItems(output.Items || [], output);
      if (output.LastEvaluatedKey) {
        // The next page starts where this one stopped (ExclusiveStartKey), as the API pages.
        const more = h("div", {}, button("Next page", async () => {
          const next = await aws("dynamodb", values.mode, { ...params, ExclusiveStartKey: output.LastEvaluatedKey });
          more.replaceWith(showItems(next.Items || [], next));
        }));
        shown.append(more);
      }
      return shown;
    },
    "Run",
    { class: "form query" },
  );

  const streamArn = description.LatestStreamArn;
  const loadStream = async () => {
    if (!streamArn) return h("p", { class: "muted" }, "This table has no stream.");
    const { StreamDescription } = await aws("dynamodbstreams", "DescribeStream", { StreamArn: streamArn });
    const records = [];
    for (const shard of StreamDescription.Shards || []) {
      const { ShardIterator } = await aws("dynamodbstreams", "GetShardIterator", { StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" });
      const output = await aws("dynamodbstreams", "GetRecords", { ShardIterator, Limit: 100 });
      records.push(...(output.Records || []));
    }
    return h(
      "div",
      {},
      h("p", {}, h("code", {}, streamArn), ` · ${StreamDescription.StreamViewType}`),
      table(
        [
          ["Event", (record) => record.eventName],
          ["Sequence", (record) => record.dynamodb.SequenceNumber],
          ["Keys", (record) => JSON.stringify(plainItem(record.dynamodb.Keys || {}))],
          ["New image", (record) => (record.dynamodb.NewImage ? JSON.stringify(plainItem(record.dynamodb.NewImage)) : "")],
        ],
        records,
        "No stream records yet.",
      ),
    );
  };

  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/dynamodb" }, "Tables"), " / ", name), h("span", { class: "muted" }, `${description.TableStatus} · ${description.ItemCount} items · keys ${keys.join(", ")}`)),
    section("Scan or query", queryForm, results),
    section(
      "Put an item",
      form([{ name: "item", label: "Item (JSON, plain or typed)", type: "textarea", required: true, placeholder: `{"${keys[0]}": "id-1", "name": "example"}` }], async ({ item }) => {
        const parsed = parseJson(item, "The item");
        const isTyped = Object.values(parsed).every((value) => value && typeof value === "object" && Object.keys(value).length === 1 && /^(S|N|B|BOOL|NULL|SS|NS|BS|L|M)$/.test(Object.keys(value)[0]));
        await aws("dynamodb", "PutItem", { TableName: name, Item: isTyped ? parsed : typedItem(parsed) });
        return h("p", { class: "ok" }, "Item written.");
      }, "Put item"),
    ),
    section("Stream", button("Read stream", () => load(stream, loadStream)), stream),
    h("details", { class: "card" }, h("summary", {}, "Table description"), json(description)),
  );
  load(stream, loadStream);
  queryForm.requestSubmit();
}
