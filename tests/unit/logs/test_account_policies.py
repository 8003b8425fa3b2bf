"""Account-level policies reach the groups they select: subscription filters forward events."""

from __future__ import annotations

import json

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

ACCOUNT, REGION = "123456789012", "eu-west-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sink"


@pytest.fixture
def logs(runtime):
    return runtime.provider("logs")


@pytest.fixture
def context():
    return RequestContext.internal("logs", ACCOUNT, REGION)


def test_account_subscription_policy_forwards_selected_groups(logs, context, monkeypatch):
    delivered = []
    monkeypatch.setattr(
        logs.runtime.bus, "deliver", lambda arn, message, **_: delivered.append((arn, message))
    )
    document = {"DestinationArn": FUNCTION, "FilterPattern": "ERROR", "Distribution": "Random"}
    logs.put_account_policy(
        context,
        {
            "policyName": "to-sink",
            "policyType": "SUBSCRIPTION_FILTER_POLICY",
            "policyDocument": json.dumps(document),
            "selectionCriteria": 'LogGroupName NOT IN ["quiet"]',
        },
    )
    logs.write(ACCOUNT, REGION, "loud", "s", [(1, "ERROR one"), (2, "INFO two")])
    logs.write(ACCOUNT, REGION, "quiet", "s", [(1, "ERROR three")])
    assert [arn for arn, _ in delivered] == [FUNCTION]
    assert "awslogs" in delivered[0][1]


def test_account_policy_documents_are_checked(logs, context):
    for kind, document in (
        ("SUBSCRIPTION_FILTER_POLICY", {"FilterPattern": ""}),
        ("SUBSCRIPTION_FILTER_POLICY", {"DestinationArn": FUNCTION, "FilterPattern": '{ $.x = "open'}),
        (
            "TRANSFORMER_POLICY",
            {"transformerConfig": [{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}]},
        ),
        ("FIELD_INDEX_POLICY", {"Fields": "not-a-list"}),
    ):
        with pytest.raises(ServiceError) as error:
            logs.put_account_policy(
                context, {"policyName": "p", "policyType": kind, "policyDocument": json.dumps(document)}
            )
        assert error.value.code == "InvalidParameterException"


def test_query_results_are_forgotten_after_seven_days(logs, context):
    logs.create_log_group(context, {"logGroupName": "queried"})
    query_id = logs.start_query(
        context, {"logGroupName": "queried", "startTime": 0, "endTime": 10, "queryString": "fields @message"}
    )["queryId"]
    scope = store_scope(ACCOUNT, REGION)
    record = logs.queries.get(scope, query_id)
    logs.expire()
    assert logs.queries.get(scope, query_id) is not None
    record["createTime"] -= 8 * 86_400_000
    logs.queries.put(scope, query_id, record)
    logs.expire()
    with pytest.raises(ServiceError) as error:
        logs.get_query_results(context, {"queryId": query_id})
    assert error.value.code == "ResourceNotFoundException"
