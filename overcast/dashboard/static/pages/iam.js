// IAM: users, roles and customer managed policies, a role's or user's policies, and the policy
// simulator as a form.
import { arnLink, aws, form, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await paginate("iam", "ListRoles", {}, "Roles", "Marker")).length;
}

export async function render(view, [kind, name]) {
  if (kind === "role" && name) return principal(view, "role", name);
  if (kind === "user" && name) return principal(view, "user", name);
  if (kind === "policy" && name) return policy(view, name);
  return overview(view);
}

function overview(view) {
  const users = h("div");
  const roles = h("div");
  const policies = h("div");
  view.append(heading("IAM"), section("Users", users), section("Roles", roles), section("Customer managed policies", policies), simulator());
  load(users, async () =>
    table(
      [
        ["User", (row) => h("a", { href: `#/iam/user/${enc(row.UserName)}` }, row.UserName)],
        ["ARN", (row) => row.Arn],
        ["Created", (row) => when(row.CreateDate)],
      ],
      await paginate("iam", "ListUsers", {}, "Users", "Marker"),
      "No users.",
    ),
  );
  load(roles, async () =>
    table(
      [
        ["Role", (row) => h("a", { href: `#/iam/role/${enc(row.RoleName)}` }, row.RoleName)],
        ["ARN", (row) => row.Arn],
        ["Created", (row) => when(row.CreateDate)],
      ],
      await paginate("iam", "ListRoles", {}, "Roles", "Marker"),
      "No roles.",
    ),
  );
  load(policies, async () =>
    table(
      [
        ["Policy", (row) => h("a", { href: `#/iam/policy/${enc(row.Arn)}` }, row.PolicyName)],
        ["Attachments", (row) => row.AttachmentCount],
        ["Default version", (row) => row.DefaultVersionId],
      ],
      await paginate("iam", "ListPolicies", { Scope: "Local" }, "Policies", "Marker"),
      "No customer managed policies.",
    ),
  );
}

function principal(view, kind, name) {
  const facts = h("div");
  const attached = h("div");
  const inline = h("div");
  const Kind = kind === "role" ? "Role" : "User";
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/iam" }, "IAM"), ` / ${kind} / `, name)), section(Kind, facts), section("Attached policies", attached), section("Inline policies", inline));
  load(facts, async () => {
    const output = await aws("iam", `Get${Kind}`, { [`${Kind}Name`]: name });
    const record = output[Kind];
    if (record.AssumeRolePolicyDocument) record.AssumeRolePolicyDocument = JSON.parse(decodeURIComponent(record.AssumeRolePolicyDocument));
    view.append(simulator(record.Arn));
    return json(record);
  });
  load(attached, async () =>
    table(
      [
        ["Policy", (row) => arnLink(row.PolicyArn)],
        ["Name", (row) => row.PolicyName],
      ],
      await paginate("iam", `ListAttached${Kind}Policies`, { [`${Kind}Name`]: name }, "AttachedPolicies", "Marker"),
      "None.",
    ),
  );
  load(inline, async () => {
    const names = await paginate("iam", `List${Kind}Policies`, { [`${Kind}Name`]: name }, "PolicyNames", "Marker");
    const documents = await Promise.all(
      names.map(async (policyName) => {
        const output = await aws("iam", `Get${Kind}Policy`, { [`${Kind}Name`]: name, PolicyName: policyName });
        return h("div", {}, h("h3", {}, policyName), json(JSON.parse(decodeURIComponent(output.PolicyDocument))));
      }),
    );
    return documents.length ? h("div", {}, documents) : h("p", { class: "empty" }, "None.");
  });
}

function policy(view, arn) {
  const facts = h("div");
  view.append(heading(h("span", { class: "crumbs" }, h("a", { href: "#/iam" }, "IAM"), " / policy / ", arn.split("/").pop())), section("Policy", facts));
  load(facts, async () => {
    const { Policy } = await aws("iam", "GetPolicy", { PolicyArn: arn });
    const { PolicyVersion } = await aws("iam", "GetPolicyVersion", { PolicyArn: arn, VersionId: Policy.DefaultVersionId });
    return h("div", {}, json(Policy), h("h3", {}, `Document (${Policy.DefaultVersionId})`), json(JSON.parse(decodeURIComponent(PolicyVersion.Document))));
  });
}

function simulator(principalArn = "") {
  return section(
    "Policy simulator",
    form(
      [
        { name: "principal", label: "Principal ARN (user, role or group)", value: principalArn, required: true },
        { name: "actions", label: "Actions (comma-separated)", value: "s3:GetObject", required: true },
        { name: "resources", label: "Resource ARNs (comma-separated; blank: *)" },
      ],
      async ({ principal, actions, resources }) => {
        const params = { PolicySourceArn: principal, ActionNames: actions.split(",").map((a) => a.trim()).filter(Boolean) };
        const arns = resources.split(",").map((r) => r.trim()).filter(Boolean);
        if (arns.length) params.ResourceArns = arns;
        const { EvaluationResults } = await aws("iam", "SimulatePrincipalPolicy", params);
        return table(
          [
            ["Action", (row) => row.EvalActionName],
            ["Resource", (row) => row.EvalResourceName],
            ["Decision", (row) => h("span", { class: row.EvalDecision === "allowed" ? "ok" : "error" }, row.EvalDecision)],
            ["Matched statements", (row) => (row.MatchedStatements || []).map((statement) => statement.SourcePolicyId).join(", ")],
          ],
          EvaluationResults,
        );
      },
      "Simulate",
    ),
  );
}
