"""The partition a region belongs to, which every ARN names (arn:aws-cn:... in China), from
botocore's partition data."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _partitions() -> list[tuple[str, frozenset[str], re.Pattern]]:
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
