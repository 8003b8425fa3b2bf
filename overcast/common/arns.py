"""ARNs: `arn:<partition>:<service>:<region>:<account>:<resource>`. The partition comes from
the region (arn:aws-cn:... in China), from botocore's partition data."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


@lru_cache(maxsize=1)
def _partitions() -> list[tuple[str, frozenset[str], re.Pattern[str]]]:
    from botocore.loaders import create_loader

    data = create_loader().load_data("partitions")["partitions"]
    return [(p["id"], frozenset(p.get("regions", ())), re.compile(p["regionRegex"])) for p in data]


@lru_cache(maxsize=1024)  # regions come from clients: bounded
def partition(region: str) -> str:
    """ "aws", "aws-cn", "aws-us-gov", ...; an unknown region is in "aws"."""
    partitions = _partitions()
    for name, regions, _ in partitions:
        if region in regions:
            return name
    for name, _, pattern in partitions:
        if pattern.match(region):
            return name
    return "aws"


class Arn(NamedTuple):
    partition: str
    service: str
    region: str  # "" for global services (IAM, S3 buckets)
    account: str  # "" where AWS leaves it out (S3 buckets)
    resource: str  # everything after the fifth colon: "table/orders", "function:f:1", ...


def build_arn(service: str, region: str, account: str, resource: str, *, global_service: bool = False) -> str:
    """The ARN of `resource`. A global service's ARN names no region, but its partition still
    follows the caller's `region`: `build_arn("iam", "cn-north-1", acct, "role/r",
    global_service=True)` is `arn:aws-cn:iam::acct:role/r`."""
    return f"arn:{partition(region)}:{service}:{'' if global_service else region}:{account}:{resource}"


def parse_arn(text: str) -> Arn | None:
    """The parts of an ARN, or None when `text` is not one (fewer than six colon-separated
    parts, no "arn" prefix, or no partition or service)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])
