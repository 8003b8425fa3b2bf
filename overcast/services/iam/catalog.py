"""AWS managed policies (arn:aws:iam::aws:policy/...), with the documents AWS publishes, loaded
from data/aws_managed_policies.json once, on first use."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "aws_managed_policies.json"
#: Per service principal: the role name AWS gives its service-linked role, the AWS managed
#: policy it attaches (under policy/aws-service-role/), and whether CustomSuffix is allowed.
SERVICE_LINKED_ROLES = Path(__file__).parent / "data" / "service_linked_roles.json"


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


@lru_cache(maxsize=1)
def service_linked_roles() -> dict[str, dict]:
    return json.loads(SERVICE_LINKED_ROLES.read_text())


def generic_service_role_name(service: str) -> str:
    """AWSServiceRoleFor + the principal's first label in CamelCase, for a service outside the
    catalogue."""
    prefix = service.split(".")[0]
    return "AWSServiceRoleFor" + "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", prefix))
