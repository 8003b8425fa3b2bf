"""Terraform's real AWS provider applies a three-tier VPC (public, private app and private data
subnets, internet gateway, NAT gateway with an Elastic IP, route tables, security groups, a
network ACL, an S3 gateway endpoint) and an instance from a launch template with a key pair and
an EBS volume; it re-plans empty and destroys (skipped where terraform or its provider is
missing)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.terraform import requires_terraform, terraform, workspace

pytestmark = requires_terraform

RESOURCES = """
data "aws_availability_zones" "zones" {{ state = "available" }}

data "aws_ami" "al2023" {{
  most_recent = true
  owners      = ["amazon"]
  filter {{
    name   = "name"
    values = ["al2023-ami-2023*-x86_64"]
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block           = "10.40.0.0/16"
  enable_dns_hostnames = true
  tags = {{ Name = "three-tier" }}
}}

resource "aws_subnet" "public" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.40.1.0/24"
  availability_zone       = data.aws_availability_zones.zones.names[0]
  map_public_ip_on_launch = true
  tags = {{ Tier = "public" }}
}}

resource "aws_subnet" "app" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.10.0/24"
  availability_zone = data.aws_availability_zones.zones.names[0]
  tags = {{ Tier = "app" }}
}}

resource "aws_subnet" "data" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.20.0/24"
  availability_zone = data.aws_availability_zones.zones.names[1]
  tags = {{ Tier = "data" }}
}}

resource "aws_internet_gateway" "igw" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
}}

resource "aws_nat_gateway" "nat" {{
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  depends_on    = [aws_internet_gateway.igw]
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }}
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route" "private_nat" {{
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}}

resource "aws_route_table_association" "public" {{
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}}

resource "aws_route_table_association" "app" {{
  subnet_id      = aws_subnet.app.id
  route_table_id = aws_route_table.private.id
}}

resource "aws_security_group" "web" {{
  name        = "web"
  description = "web tier"
  vpc_id      = aws_vpc.main.id
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_security_group" "app" {{
  name        = "app"
  description = "app tier"
  vpc_id      = aws_vpc.main.id
}}

resource "aws_vpc_security_group_ingress_rule" "app_from_web" {{
  security_group_id            = aws_security_group.app.id
  cidr_ipv4                    = "10.40.1.0/24"
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
}}

resource "aws_security_group_rule" "app_egress" {{
  type              = "egress"
  security_group_id = aws_security_group.app.id
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  cidr_blocks       = ["0.0.0.0/0"]
}}

resource "aws_network_acl" "data" {{
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.data.id]
  ingress {{
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = "10.40.10.0/24"
    from_port  = 5432
    to_port    = 5432
  }}
  egress {{
    rule_no    = 100
    protocol   = "-1"
    action     = "allow"
    cidr_block = "10.40.0.0/16"
    from_port  = 0
    to_port    = 0
  }}
}}

resource "aws_vpc_endpoint" "s3" {{
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.s3"
  route_table_ids   = [aws_route_table.private.id]
}}

resource "aws_key_pair" "deployer" {{
  key_name   = "{key_name}"
  public_key = "{public_key}"
}}

resource "aws_launch_template" "app" {{
  name_prefix   = "app-"
  image_id      = data.aws_ami.al2023.id
  instance_type = "t3.micro"
  key_name      = aws_key_pair.deployer.key_name
  vpc_security_group_ids = [aws_security_group.app.id]
}}

resource "aws_instance" "app" {{
  subnet_id = aws_subnet.app.id
  launch_template {{
    id      = aws_launch_template.app.id
    version = "$Latest"
  }}
  tags = {{ Name = "app-1" }}
}}

resource "aws_ebs_volume" "data" {{
  availability_zone = data.aws_availability_zones.zones.names[0]
  size              = 20
  type              = "gp3"
}}

resource "aws_volume_attachment" "data" {{
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.app.id
}}

output "instance_id" {{ value = aws_instance.app.id }}
output "vpc_id" {{ value = aws_vpc.main.id }}
"""


def test_terraform_three_tier_vpc(endpoint, tmp_path, client):
    ec2 = client("ec2")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    key_name = f"deployer-{tmp_path.name[-8:]}"
    workspace(tmp_path, endpoint, ("ec2",), resources=RESOURCES.format(key_name=key_name, public_key=public))
    terraform(tmp_path, "init", "-input=false")
    terraform(tmp_path, "apply", "-auto-approve", "-input=false")
    instance_id = terraform(tmp_path, "output", "-raw", "instance_id").strip()
    vpc_id = terraform(tmp_path, "output", "-raw", "vpc_id").strip()
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "running" and instance["KeyName"] == key_name
    assert {"Key": "Name", "Value": "app-1"} in instance["Tags"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.40.1.0/24", "10.40.10.0/24", "10.40.20.0/24"]
    assert "No changes" in terraform(tmp_path, "plan", "-input=false")
    terraform(tmp_path, "destroy", "-auto-approve", "-input=false")
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
