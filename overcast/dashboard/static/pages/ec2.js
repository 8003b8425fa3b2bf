// EC2 and VPC: instances with their state and tags, and the VPCs, subnets and security groups
// they run in. `#/ec2/<id>` shows one instance, VPC, subnet or security group.
import { aws, h, heading, json, load, paginate, section, table, when } from "../app.js";

const enc = encodeURIComponent;

export async function count() {
  return (await instances()).length;
}

export async function render(view, [id]) {
  return id ? resource(view, id) : overview(view);
}

async function instances(filters) {
  const reservations = await paginate("ec2", "DescribeInstances", filters ? { Filters: filters } : {}, "Reservations", "NextToken");
  return reservations.flatMap((reservation) => reservation.Instances || []);
}

function tag(row, key) {
  return (row.Tags || []).find((entry) => entry.Key === key)?.Value || "";
}

function tags(row) {
  return (row.Tags || []).map((entry) => `${entry.Key}=${entry.Value}`).join(", ");
}

function link(id) {
  return id ? h("a", { href: `#/ec2/${enc(id)}` }, id) : "";
}

function instanceTable(rows) {
  return table(
    [
      ["Instance", (row) => link(row.InstanceId)],
      ["Name", (row) => tag(row, "Name")],
      ["State", (row) => row.State?.Name || ""],
      ["Type", (row) => row.InstanceType],
      ["Image", (row) => row.ImageId],
      ["Private IP", (row) => row.PrivateIpAddress || ""],
      ["Subnet", (row) => link(row.SubnetId)],
      ["Launched", (row) => when(row.LaunchTime)],
      ["Tags", (row) => tags(row)],
    ],
    rows,
    "No instances.",
  );
}

function vpcTable(rows) {
  return table(
    [
      ["VPC", (row) => link(row.VpcId)],
      ["Name", (row) => tag(row, "Name")],
      ["CIDR", (row) => row.CidrBlock],
      ["State", (row) => row.State],
      ["Default", (row) => (row.IsDefault ? "yes" : "")],
    ],
    rows,
    "No VPCs.",
  );
}

function subnetTable(rows) {
  return table(
    [
      ["Subnet", (row) => link(row.SubnetId)],
      ["Name", (row) => tag(row, "Name")],
      ["VPC", (row) => link(row.VpcId)],
      ["CIDR", (row) => row.CidrBlock],
      ["Zone", (row) => row.AvailabilityZone],
      ["Free addresses", (row) => String(row.AvailableIpAddressCount ?? "")],
    ],
    rows,
    "No subnets.",
  );
}

function groupTable(rows) {
  return table(
    [
      ["Group", (row) => link(row.GroupId)],
      ["Name", (row) => row.GroupName],
      ["VPC", (row) => link(row.VpcId)],
      ["Description", (row) => row.Description],
      ["Inbound rules", (row) => String((row.IpPermissions || []).length)],
      ["Outbound rules", (row) => String((row.IpPermissionsEgress || []).length)],
    ],
    rows,
    "No security groups.",
  );
}

function overview(view) {
  const instanceList = h("div");
  const vpcList = h("div");
  const subnetList = h("div");
  const groupList = h("div");
  view.append(heading("EC2 and VPC"), section("Instances", instanceList), section("VPCs", vpcList), section("Subnets", subnetList), section("Security groups", groupList));
  load(instanceList, async () => instanceTable(await instances()));
  load(vpcList, async () => vpcTable(await paginate("ec2", "DescribeVpcs", {}, "Vpcs", "NextToken")));
  load(subnetList, async () => subnetTable(await paginate("ec2", "DescribeSubnets", {}, "Subnets", "NextToken")));
  load(groupList, async () => groupTable(await paginate("ec2", "DescribeSecurityGroups", {}, "SecurityGroups", "NextToken")));
}

function resource(view, id) {
  const facts = h("div");
  const crumbs = heading(h("span", { class: "crumbs" }, h("a", { href: "#/ec2" }, "EC2"), " / ", id));
  if (id.startsWith("vpc-")) {
    const subnetList = h("div");
    const groupList = h("div");
    const instanceList = h("div");
    const inVpc = [{ Name: "vpc-id", Values: [id] }];
    view.append(crumbs, section("VPC", facts), section("Subnets", subnetList), section("Security groups", groupList), section("Instances", instanceList));
    load(facts, async () => json((await aws("ec2", "DescribeVpcs", { VpcIds: [id] })).Vpcs[0]));
    load(subnetList, async () => subnetTable(await paginate("ec2", "DescribeSubnets", { Filters: inVpc }, "Subnets", "NextToken")));
    load(groupList, async () => groupTable(await paginate("ec2", "DescribeSecurityGroups", { Filters: inVpc }, "SecurityGroups", "NextToken")));
    load(instanceList, async () => instanceTable(await instances(inVpc)));
    return;
  }
  view.append(crumbs, section(id.startsWith("subnet-") ? "Subnet" : id.startsWith("sg-") ? "Security group" : "Instance", facts));
  load(facts, async () => {
    if (id.startsWith("subnet-")) return json((await aws("ec2", "DescribeSubnets", { SubnetIds: [id] })).Subnets[0]);
    if (id.startsWith("sg-")) return json((await aws("ec2", "DescribeSecurityGroups", { GroupIds: [id] })).SecurityGroups[0]);
    const [instance] = await instances([{ Name: "instance-id", Values: [id] }]);
    if (!instance) return h("p", { class: "empty" }, `No instance ${id}.`);
    return h(
      "div",
      {},
      h(
        "dl",
        {},
        h("dt", {}, "State"),
        h("dd", {}, instance.State?.Name || ""),
        h("dt", {}, "Type"),
        h("dd", {}, instance.InstanceType),
        h("dt", {}, "VPC / subnet"),
        h("dd", {}, link(instance.VpcId), " / ", link(instance.SubnetId)),
        h("dt", {}, "Security groups"),
        h("dd", {}, (instance.SecurityGroups || []).map((group) => [link(group.GroupId), " "])),
        h("dt", {}, "Tags"),
        h("dd", {}, tags(instance)),
      ),
      json(instance),
    );
  });
}
