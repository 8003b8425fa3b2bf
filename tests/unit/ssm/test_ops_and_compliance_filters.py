"""DescribeOpsItems' filters and the compliance summaries: the operators each key takes and
what an OpsItem or a set of compliance items comes to."""

from __future__ import annotations

import json

import pytest

from overcast.errors import ServiceError
from overcast.services.ssm import compliance, ops_filters

ITEM = {
    "OpsItemId": "oi-0123456789ab",
    "Title": "x" * 100 + "tail",
    "Source": "aws.ec2",
    "Status": "Open",
    "Priority": 2,
    "CreatedTime": 1_700_000_000.0,
    "OperationalData": {
        "/aws/resources": {
            "Value": json.dumps([{"arn": "arn:aws:s3:::bucket-a"}]),
            "Type": "SearchableString",
        },
        "owner": {"Value": "kim", "Type": "SearchableString"},
        "secret": {"Value": "hidden", "Type": "String"},
    },
}


def _match(key: str, operator: str, *values: str) -> bool:
    filters = [{"Key": key, "Operator": operator, "Values": list(values)}]
    ops_filters.check(filters)
    return ops_filters.matches(ITEM, filters)


def test_each_key_reads_its_field():
    assert _match("Status", "Equal", "Resolved", "Open")
    assert _match("Source", "Contains", "ec2")
    assert not _match("Source", "Equal", "ec2")
    assert _match("Priority", "Equal", "2")
    # Title's Equal compares the first 100 characters.
    assert _match("Title", "Equal", "x" * 100 + "other")
    assert _match("CreatedTime", "GreaterThan", "2023-01-01T00:00:00Z")
    assert not _match("CreatedTime", "LessThan", "2023-01-01T00:00:00Z")
    assert _match("ResourceId", "Contains", "bucket-a")
    assert _match("OperationalDataKey", "Equal", "owner")
    assert not _match("OperationalDataKey", "Equal", "secret")
    assert _match("OperationalData", "Equal", json.dumps({"key": "owner", "value": "kim"}))
    assert _match("OperationalDataValue", "Contains", "ki")
    assert not _match("AutomationId", "Equal", "anything")


@pytest.mark.parametrize(("key", "operator"), [("Status", "Contains"), ("Priority", "GreaterThan"),
                                               ("CreatedTime", "Equal"), ("ResourceId", "Equal")])  # fmt: skip
def test_operators_a_key_does_not_take_are_refused(key, operator):
    with pytest.raises(ServiceError) as info:
        ops_filters.check([{"Key": key, "Operator": operator, "Values": ["1"]}])
    assert info.value.code == "ValidationException"


def test_a_resource_summary_takes_its_most_severe_failing_item():
    entry = {
        "ComplianceType": "Custom:X",
        "ResourceType": "ManagedInstance",
        "ResourceId": "i-0123456789abcdef0",
        "ExecutionSummary": {"ExecutionTime": 0.0},
        "Items": [
            {"Severity": "LOW", "Status": "NON_COMPLIANT"},
            {"Severity": "HIGH", "Status": "NON_COMPLIANT"},
            {"Severity": "CRITICAL", "Status": "COMPLIANT"},
        ],
    }
    summary = compliance.resource_summary(entry)
    assert (summary["Status"], summary["OverallSeverity"]) == ("NON_COMPLIANT", "HIGH")
    assert summary["NonCompliantSummary"]["NonCompliantCount"] == 2
    assert summary["CompliantSummary"]["SeveritySummary"]["CriticalCount"] == 1
    entry["Items"] = [{"Severity": "MEDIUM", "Status": "COMPLIANT"}]
    assert compliance.resource_summary(entry)["Status"] == "COMPLIANT"
    assert compliance.resource_summary(entry)["OverallSeverity"] == "MEDIUM"
