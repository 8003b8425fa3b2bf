"""AWS managed policies (arn:aws:iam::aws:policy/...), with the documents AWS publishes, loaded
from data/aws_managed_policies.json once, on first use."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "aws_managed_policies.json"


@lru_cache(maxsize=1)
def aws_managed() -> dict[str, dict]:
    records = {}
    for arn, item in json.loads(DATA.read_text()).items():
        records[arn] = {
            "PolicyName": item["PolicyName"],
            "PolicyId": item["PolicyId"],
            "Arn": arn,
            "Path": item["Path"],
            "DefaultVersionId": item["DefaultVersionId"],
            "CreateDate": datetime.fromisoformat(item["CreateDate"]),
            "UpdateDate": datetime.fromisoformat(item["UpdateDate"]),
            "Document": item["Document"],
            "Description": item.get("Description"),
            "IsAttachable": True,
            "AwsManaged": True,
        }
    return records
