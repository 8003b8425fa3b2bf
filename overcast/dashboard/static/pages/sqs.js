// SQS: queues and their depth; a queue's messages (peeked without being consumed), send, purge,
// and the redrive of a dead-letter queue's messages back to their source.
import { arnLink, aws, button, clear, errorBox, form, h, heading, json, load, navigate, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("sqs", "ListQueues", {}, "QueueUrls", "NextToken")).length;
}

export async function render(view, [name]) {
  return name ? queue(view, name) : queues(view);
}

function queues(view) {
  const list = h("div");
  const refresh = () =>
    load(list, async () => {
      const urls = await paginate("sqs", "ListQueues", {}, "QueueUrls", "NextToken");
      const rows = await Promise.all(
        urls.map(async (url) => {
          const { Attributes } = await aws("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] });
          return { url, name: url.split("/").pop(), ...Attributes };
        }),
      );
      return table(
        [
          ["Queue", (row) => h("a", { href: `#/sqs/${enc(row.name)}` }, row.name)],
          ["Available", (row) => row.ApproximateNumberOfMessages],
          ["In flight", (row) => row.ApproximateNumberOfMessagesNotVisible],
          ["Delayed", (row) => row.ApproximateNumberOfMessagesDelayed],
          ["Dead-letter queue", (row) => (row.RedrivePolicy ? arnLink(JSON.parse(row.RedrivePolicy).deadLetterTargetArn) : "")],
        ],
        rows,
        "No queues in this account and region.",
      );
    });
  view.append(
    heading("SQS queues"),
    section(
      "Create a queue",
      form([{ name: "name", label: "Queue name (.fifo for FIFO)", required: true }], async ({ name }) => {
        const attributes = name.endsWith(".fifo") ? { FifoQueue: "true" } : {};
        await aws("sqs", "CreateQueue", { QueueName: name, Attributes: attributes });
        refresh();
        return h("p", { class: "ok" }, `Created ${name}.`);
      }, "Create queue"),
    ),
    section("Queues", list),
  );
  refresh();
}

async function queue(view, name) {
  let url;
  try {
    url = (await aws("sqs", "GetQueueUrl", { QueueName: name })).QueueUrl;
  } catch (error) {
    view.append(heading(name), errorBox(error));
    return;
  }
  const attributes = h("div");
  const messages = h("div");
  const redrive = h("div");
  const fifo = name.endsWith(".fifo");
  const refresh = () =>
    load(attributes, async () => {
      const { Attributes } = await aws("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] });
      const policy = Attributes.RedrivePolicy ? JSON.parse(Attributes.RedrivePolicy) : null;
      return h(
        "div",
        {},
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "URL"),
          h("dd", {}, url),
          h("dt", {}, "ARN"),
          h("dd", {}, Attributes.QueueArn),
          h("dt", {}, "Available"),
          h("dd", { "data-depth": "" }, Attributes.ApproximateNumberOfMessages),
          h("dt", {}, "In flight"),
          h("dd", {}, Attributes.ApproximateNumberOfMessagesNotVisible),
          policy ? [h("dt", {}, "Dead-letter queue"), h("dd", {}, arnLink(policy.deadLetterTargetArn), ` after ${policy.maxReceiveCount} receives`)] : null,
        ),
        h("details", {}, h("summary", {}, "All attributes"), json(Attributes)),
      );
    });
  const peek = () =>
    load(messages, async () => {
      // A receive with no visibility timeout leaves the messages where they are (as the
      // console's "poll for messages" does): they are seen, not consumed.
      const output = await aws("sqs", "ReceiveMessage", {
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      });
      return table(
        [
          ["Message", (message) => message.MessageId],
          ["Body", (message) => h("pre", { class: "inline" }, message.Body)],
          ["Sent", (message) => when(Number(message.Attributes?.SentTimestamp))],
          ["Receives", (message) => message.Attributes?.ApproximateReceiveCount],
        ],
        output.Messages || [],
        "No messages visible right now.",
      );
    });
  const sources = async () => {
    const { queueUrls } = await aws("sqs", "ListDeadLetterSourceQueues", { QueueUrl: url });
    if (!queueUrls?.length) return h("p", { class: "muted" }, "No queue sends its dead letters here.");
    const { Attributes } = await aws("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["QueueArn"] });
    const tasks = await aws("sqs", "ListMessageMoveTasks", { SourceArn: Attributes.QueueArn });
    return h(
      "div",
      {},
      h("p", {}, "Dead letters of: ", queueUrls.map((source) => h("a", { href: `#/sqs/${enc(source.split("/").pop())}` }, source.split("/").pop())).flatMap((link) => [link, " "])),
      button("Redrive to source queues", async (event) => {
        try {
          await aws("sqs", "StartMessageMoveTask", { SourceArn: Attributes.QueueArn });
          load(redrive, sources);
        } catch (error) {
          event.target.after(errorBox(error));
        }
      }),
      table(
        [
          ["Task", (task) => task.TaskHandle || ""],
          ["Status", (task) => task.Status],
          ["Moved", (task) => `${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? "?"}`],
          ["Started", (task) => when(task.StartedTimestamp)],
        ],
        tasks.Results || [],
        "No redrive yet.",
      ),
    );
  };
  view.append(
    heading(
      h("span", { class: "crumbs" }, h("a", { href: "#/sqs" }, "Queues"), " / ", name),
      button("Refresh", () => {
        refresh();
        peek();
      }),
      button("Purge", async () => {
        if (!confirm(`Delete every message in ${name}?`)) return;
        try {
          await aws("sqs", "PurgeQueue", { QueueUrl: url });
        } catch (error) {
          alert(`${error.code}: ${error.message}`);
        }
        refresh();
        peek();
      }, { class: "danger" }),
      button("Delete queue", async () => {
        if (!confirm(`Delete the queue ${name}?`)) return;
        await aws("sqs", "DeleteQueue", { QueueUrl: url });
        navigate("#/sqs");
      }, { class: "danger" }),
    ),
    section("Queue", attributes),
    section(
      "Send a message",
      form(
        [
          { name: "body", label: "Body", type: "textarea", required: true },
          ...(fifo ? [{ name: "group", label: "Message group id", value: "default" }, { name: "dedup", label: "Deduplication id (blank: content-based)" }] : [{ name: "delay", label: "Delay (seconds)", type: "number", value: "0" }]),
        ],
        async (values) => {
          const params = { QueueUrl: url, MessageBody: values.body };
          if (fifo) {
            params.MessageGroupId = values.group;
            if (values.dedup) params.MessageDeduplicationId = values.dedup;
          } else if (Number(values.delay)) params.DelaySeconds = Number(values.delay);
          const output = await aws("sqs", "SendMessage", params);
          refresh();
          peek();
          return h("p", { class: "ok" }, `Sent ${output.MessageId}.`);
        },
        "Send",
      ),
    ),
    section("Messages (peeked, not consumed)", button("Peek again", peek), messages),
    section("Dead-letter redrive", redrive),
  );
  refresh();
  peek();
  load(redrive, sources);
}
