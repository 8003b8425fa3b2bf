// Kinesis: streams, their shards, putting a record and reading a shard's records.
import { aws, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("kinesis", "ListStreams", {}, "StreamNames", "NextToken")).length;
}

export async function render(view, [name]) {
  return name ? stream(view, name) : streams(view);
}

function streams(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const output = await paginate("kinesis", "ListStreams", {}, "StreamSummaries", "NextToken");
      return table(
        [
          ["Stream", (row) => h("a", { href: `#/kinesis/${enc(row.StreamName)}` }, row.StreamName)],
          ["Status", (row) => row.StreamStatus],
          ["Mode", (row) => row.StreamModeDetails?.StreamMode || ""],
          ["Created", (row) => when(row.StreamCreationTimestamp)],
        ],
        output,
        "No streams.",
      );
    });
  view.append(
    heading("Kinesis data streams"),
    section(
      "Create a stream",
      form([{ name: "name", label: "Stream name", required: true }, { name: "shards", label: "Shards", type: "number", value: "1" }], async ({ name, shards }) => {
        await aws("kinesis", "CreateStream", { StreamName: name, ShardCount: Number(shards) || 1 });
        refresh();
        return h("p", { class: "ok" }, `Creating ${name}.`);
      }, "Create stream"),
    ),
    section("Streams", list),
  );
  refresh();
}

function stream(view, name) {
  const facts = h("div");
  const records = h("div");
  const read = () =>
    load(records, async () => {
      const { Shards } = await aws("kinesis", "ListShards", { StreamName: name });
      const rows = [];
      for (const shard of Shards) {
        const { ShardIterator } = await aws("kinesis", "GetShardIterator", { StreamName: name, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" });
        const output = await aws("kinesis", "GetRecords", { ShardIterator, Limit: 100 });
        rows.push(...output.Records.map((record) => ({ ...record, shard: shard.ShardId })));
      }
      return table(
        [
          ["Shard", (row) => row.shard],
          ["Sequence", (row) => row.SequenceNumber],
          ["Partition key", (row) => row.PartitionKey],
          ["Data", (row) => h("pre", { class: "inline" }, row.Data?.$text ?? `${row.Data?.size} bytes`)],
          ["Arrived", (row) => when(row.ApproximateArrivalTimestamp)],
        ],
        rows,
        "No records.",
      );
    });
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/kinesis" }, "Streams"), " / ", name)),
    section("Stream", facts),
    section(
      "Put a record",
      form(
        [
          { name: "key", label: "Partition key", value: "key-1", required: true },
          { name: "data", label: "Data", type: "textarea", required: true },
        ],
        async ({ key, data }) => {
          const output = await aws("kinesis", "PutRecord", { StreamName: name, PartitionKey: key, Data: data });
          read();
          return h("p", { class: "ok" }, `Put into ${output.ShardId} at ${output.SequenceNumber}.`);
        },
        "Put record",
      ),
    ),
    section("Records (from the start of each shard)", records),
  );
  load(facts, async () => json((await aws("kinesis", "DescribeStreamSummary", { StreamName: name })).StreamDescriptionSummary));
  read();
}
