"""What other services rely on: topic_for, which CloudTrail calls with an internal context to
refuse a trail whose SNS topic does not exist."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "000000000000", "us-east-1"


def test_topic_for_finds_a_topic_and_refuses_a_missing_one(runtime):
    sns = runtime.provider("sns")
    context = RequestContext.internal("sns", ACCOUNT, REGION)
    arn = sns.create_topic(context, {"Name": "contract-topic"})["TopicArn"]
    assert sns.topic_for(context, arn).name == "contract-topic"
    with pytest.raises(ServiceError) as missing:
        sns.topic_for(context, f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic")
    assert missing.value.code == "NotFound"
