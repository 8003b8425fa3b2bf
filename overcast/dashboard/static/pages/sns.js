// SNS: topics, their subscriptions, publishing, and the email and SMS messages Overcast recorded
// (it delivers them nowhere else).
import { arnLink, aws, button, enforceIam, form, h, heading, internal, json, load, navigate, paginate, scope, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("sns", "ListTopics", {}, "Topics", "NextToken")).length;
}

export async function render(view, [topicArn]) {
  return topicArn ? topic(view, topicArn) : topics(view);
}

function recorded(query) {
  return async () => {
    const { messages } = await internal("service-data", { service: "sns", path: "messages", query });
    // Overcast records every account's messages; the page shows the selected account's.
    const shown = (messages || []).filter((message) => message.Region === scope.region && (enforceIam || message.Account === scope.account));
    return table(
      [
        ["Kind", (message) => (message.PhoneNumber ? "SMS" : message.Protocol || "email")],
        ["To", (message) => message.PhoneNumber || message.Endpoint || ""],
        ["Subject", (message) => message.Subject || ""],
        ["Message", (message) => h("pre", { class: "inline" }, typeof message.Message === "string" ? message.Message : JSON.stringify(message.Message))],
        ["Sent", (message) => when(message.Timestamp)],
        ["Delivery", (message) => message.DeliveryStatus || "recorded"],
      ],
      shown,
      "No email or SMS messages recorded.",
    );
  };
}

function topics(view) {
  const list = h("div");
  const messages = h("div");
  const refresh = () =>
    load(list, async () => {
      const topics = await paginate("sns", "ListTopics", {}, "Topics", "NextToken");
      return table([["Topic", (topic) => h("a", { href: `#/sns/${enc(topic.TopicArn)}` }, topic.TopicArn.split(":").pop())], ["ARN", (topic) => topic.TopicArn]], topics, "No topics.");
    });
  view.append(
    heading("SNS topics"),
    section(
      "Create a topic",
      form([{ name: "name", label: "Topic name", required: true }], async ({ name }) => {
        const attributes = name.endsWith(".fifo") ? { FifoTopic: "true" } : {};
        const output = await aws("sns", "CreateTopic", { Name: name, Attributes: attributes });
        refresh();
        return h("p", { class: "ok" }, `Created ${output.TopicArn}.`);
      }, "Create topic"),
    ),
    section("Topics", list),
    section("Sent SMS messages", h("div", {}, button("Publish an SMS", () => navigate("#/sns/sms"))), messages),
  );
  refresh();
  load(messages, recorded({}));
}

function topic(view, topicArn) {
  if (topicArn === "sms") return sms(view);
  const facts = h("div");
  const subscriptions = h("div");
  const messages = h("div");
  const refresh = () => {
    load(facts, async () => json((await aws("sns", "GetTopicAttributes", { TopicArn: topicArn })).Attributes));
    load(subscriptions, async () => {
      const rows = await paginate("sns", "ListSubscriptionsByTopic", { TopicArn: topicArn }, "Subscriptions", "NextToken");
      return table(
        [
          ["Protocol", (row) => row.Protocol],
          ["Endpoint", (row) => (row.Endpoint?.startsWith("arn:") ? arnLink(row.Endpoint) : row.Endpoint)],
          ["Subscription", (row) => row.SubscriptionArn],
          [
            "",
            (row) =>
              row.SubscriptionArn.startsWith("arn:")
                ? button("Unsubscribe", async () => {
                    await aws("sns", "Unsubscribe", { SubscriptionArn: row.SubscriptionArn });
                    refresh();
                  })
                : "",
          ],
        ],
        rows,
        "No subscriptions.",
      );
    });
    load(messages, recorded({ topic_arn: topicArn }));
  };
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/sns" }, "Topics"), " / ", topicArn.split(":").pop())),
    section("Attributes", facts),
    section("Subscriptions", subscriptions),
    section(
      "Subscribe",
      form(
        [
          { name: "protocol", label: "Protocol", options: ["sqs", "lambda", "email", "email-json", "sms", "http", "https", "application", "firehose"], value: "sqs" },
          { name: "endpoint", label: "Endpoint (ARN, address, number or URL)", required: true },
        ],
        async ({ protocol, endpoint }) => {
          const output = await aws("sns", "Subscribe", { TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, ReturnSubscriptionArn: true });
          refresh();
          return h("p", { class: "ok" }, `Subscribed: ${output.SubscriptionArn}`);
        },
        "Subscribe",
      ),
    ),
    section(
      "Publish",
      form(
        [
          { name: "subject", label: "Subject" },
          { name: "message", label: "Message", type: "textarea", required: true },
          ...(topicArn.endsWith(".fifo") ? [{ name: "group", label: "Message group id", value: "default" }] : []),
        ],
        async ({ subject, message, group }) => {
          const params = { TopicArn: topicArn, Message: message };
          if (subject) params.Subject = subject;
          if (group) {
            params.MessageGroupId = group;
            params.MessageDeduplicationId = String(Date.now());
          }
          const output = await aws("sns", "Publish", params);
          setTimeout(refresh, 500);
          return h("p", { class: "ok" }, `Published ${output.MessageId}.`);
        },
        "Publish",
      ),
    ),
    section("Recorded email and SMS messages", messages),
  );
  refresh();
}

function sms(view) {
  view.append(
    heading(h("span", { class: "crumbs" }, h("a", { href: "#/sns" }, "Topics"), " / SMS")),
    section(
      "Publish an SMS",
      form(
        [
          { name: "number", label: "Phone number (E.164)", required: true, placeholder: "+15555550100" },
          { name: "message", label: "Message", type: "textarea", required: true },
        ],
        async ({ number, message }) => {
          const output = await aws("sns", "Publish", { PhoneNumber: number, Message: message });
          return h("p", { class: "ok" }, `Sent ${output.MessageId}.`);
        },
        "Send SMS",
      ),
    ),
  );
}
