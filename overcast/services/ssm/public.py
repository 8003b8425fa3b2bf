"""AWS's public parameters: the latest Amazon Linux AMIs and the global-infrastructure catalogue
(regions and services), readable in every account. One table, one public function per kind, so
that EC2 reads the very AMI ids SSM hands out (`latest_ami`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

AMI_PATH = "/aws/service/ami-amazon-linux-latest/"
INFRASTRUCTURE_PATH = "/aws/service/global-infrastructure/"

#: Amazon Linux images AWS publishes under AMI_PATH: (parameter name, image name, architecture).
AMAZON_LINUX_IMAGES: tuple[tuple[str, str, str], ...] = (
    ("al2023-ami-kernel-default-x86_64", "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64", "x86_64"),
    ("al2023-ami-kernel-default-arm64", "al2023-ami-2023.6.20241212.0-kernel-6.1-arm64", "arm64"),
    ("al2023-ami-kernel-6.1-x86_64", "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64", "x86_64"),
    ("al2023-ami-kernel-6.1-arm64", "al2023-ami-2023.6.20241212.0-kernel-6.1-arm64", "arm64"),
    (
        "al2023-ami-minimal-kernel-default-x86_64",
        "al2023-ami-minimal-2023.6.20241212.0-kernel-6.1-x86_64",
        "x86_64",
    ),
    (
        "al2023-ami-minimal-kernel-default-arm64",
        "al2023-ami-minimal-2023.6.20241212.0-kernel-6.1-arm64",
        "arm64",
    ),
    ("amzn2-ami-hvm-x86_64-gp2", "amzn2-ami-hvm-2.0.20241217.0-x86_64-gp2", "x86_64"),
    ("amzn2-ami-hvm-arm64-gp2", "amzn2-ami-hvm-2.0.20241217.0-arm64-gp2", "arm64"),
    ("amzn2-ami-hvm-x86_64-ebs", "amzn2-ami-hvm-2.0.20241217.0-x86_64-ebs", "x86_64"),
    ("amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-x86_64-gp2", "x86_64"),
    ("amzn2-ami-kernel-5.10-hvm-arm64-gp2", "amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-arm64-gp2", "arm64"),
    ("amzn-ami-hvm-x86_64-gp2", "amzn-ami-hvm-2018.03.0.20231218.0-x86_64-gp2", "x86_64"),
)

#: Other public images AWS (or their publisher) names by a public parameter: (parameter, image
#: name, architecture). EC2's catalogue describes them with these ids.
OTHER_IMAGES: tuple[tuple[str, str, str], ...] = (
    (
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241206",
        "x86_64",
    ),
    (
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id",
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20241206",
        "arm64",
    ),
    (
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206",
        "x86_64",
    ),
    (
        "/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
        "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20241206",
        "x86_64",
    ),
    (
        "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
        "Windows_Server-2022-English-Full-Base-2024.12.13",
        "x86_64",
    ),
    (
        "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-Base",
        "Windows_Server-2019-English-Full-Base-2024.12.13",
        "x86_64",
    ),
)


def image_id(region: str, image_name: str) -> str:
    """The id of a public image that OTHER_IMAGES names, in `region`."""
    return "ami-" + hashlib.sha256(f"{region}/{image_name}".encode()).hexdigest()[:17]


#: Services the infrastructure catalogue names: (code, long name).
SERVICES: tuple[tuple[str, str], ...] = (
    ("cloudtrail", "AWS CloudTrail"),
    ("dynamodb", "Amazon DynamoDB"),
    ("ec2", "Amazon Elastic Compute Cloud (EC2)"),
    ("iam", "AWS Identity and Access Management (IAM)"),
    ("kms", "AWS Key Management Service"),
    ("lambda", "AWS Lambda"),
    ("logs", "Amazon CloudWatch Logs"),
    ("s3", "Amazon Simple Storage Service (S3)"),
    ("secretsmanager", "AWS Secrets Manager"),
    ("sns", "Amazon Simple Notification Service (SNS)"),
    ("sqs", "Amazon Simple Queue Service (SQS)"),
    ("ssm", "AWS Systems Manager"),
    ("sts", "AWS Security Token Service (STS)"),
)

#: When these values were published: fixed, so that reads are stable across restarts.
PUBLISHED = datetime(2024, 12, 17, tzinfo=UTC)


def latest_ami(region: str, parameter: str) -> str | None:
    """The AMI id AWS's public parameter `parameter` (a name under AMI_PATH) holds in `region`:
    the same id for the same region on every call and every run."""
    for name, _image, _arch in AMAZON_LINUX_IMAGES:
        if name == parameter:
            digest = hashlib.sha256(f"{region}/{name}".encode()).hexdigest()
            return "ami-" + digest[:17]
    return None


def amazon_linux_images(region: str) -> list[dict[str, str]]:
    """Every image of the table for `region`: its id, image name, architecture and parameter."""
    return [
        {
            "ImageId": latest_ami(region, name) or "",
            "Name": image,
            "Architecture": arch,
            "Parameter": AMI_PATH + name,
        }
        for name, image, arch in AMAZON_LINUX_IMAGES
    ]


@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[str, str, str]]:
    """Region → (long name, partition, DNS suffix), from botocore's endpoint data."""
    from botocore.loaders import create_loader

    found: dict[str, tuple[str, str, str]] = {}
    for part in create_loader().load_data("endpoints")["partitions"]:
        for region, info in part["regions"].items():
            found[region] = (info.get("description", region), part["partition"], part["dnsSuffix"])
    return found


@lru_cache(maxsize=64)
def parameters(region: str) -> dict[str, str]:
    """Every public parameter visible from `region`: name → value."""
    table: dict[str, str] = {}
    for name, _image, _arch in AMAZON_LINUX_IMAGES:
        table[AMI_PATH + name] = latest_ami(region, name) or ""
    for parameter_name, image_name, _arch in OTHER_IMAGES:
        table[parameter_name] = image_id(region, image_name)
    regions = INFRASTRUCTURE_PATH + "regions/"
    for code, (long_name, part, suffix) in _regions().items():
        table[regions + code] = code
        table[f"{regions}{code}/longName"] = long_name
        table[f"{regions}{code}/partition"] = part
        table[f"{regions}{code}/domain"] = suffix
        for service, _ in SERVICES:
            table[f"{regions}{code}/services/{service}"] = service
    for service, long_name in SERVICES:
        table[f"{INFRASTRUCTURE_PATH}services/{service}"] = service
        table[f"{INFRASTRUCTURE_PATH}services/{service}/longName"] = long_name
    return dict(sorted(table.items()))


def parameter(region: str, name: str) -> dict[str, Any] | None:
    """A public parameter's record (Name, Value, Type, DataType, Version, LastModifiedDate), or None."""
    value = parameters(region).get(name)
    if value is None:
        return None
    return {
        "Name": name,
        "Value": value,
        "Type": "String",
        "DataType": "aws:ec2:image" if value.startswith("ami-") else "text",
        "Version": 1,
        "LastModifiedDate": PUBLISHED.timestamp(),
    }


def under(region: str, path: str, recursive: bool) -> list[dict[str, Any]]:
    """The public parameters directly under `path` (or anywhere below it, when recursive)."""
    prefix = path.rstrip("/") + "/"
    found = []
    for name in parameters(region):
        if name.startswith(prefix) and (recursive or "/" not in name[len(prefix) :]):
            record = parameter(region, name)
            if record is not None:
                found.append(record)
    return found
