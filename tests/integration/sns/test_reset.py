"""After /_overcast/state/reset, SNS's background work of the old state stops: HTTP/S
deliveries and their retries to subscriptions that no longer exist are not attempted again."""

from __future__ import annotations

import json
import time
import urllib.request

import boto3
import pytest

from tests.conftest import Server
from tests.integration.sns.conftest import Endpoint, unique

RETRY_POLICY = {"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 1, "maxDelayTarget": 1,
                                       "numMinDelayRetries": 100}}  # fmt: skip


@pytest.fixture(scope="module")
def own_server():
    # Its own server: a reset must not take the other tests' state with it. Retry waits of
    # a second are scaled to a tenth of one.
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_SNS_RETRY_DELAY_SCALE": "0.1"})
    yield server
    server.stop()


def _client(server: Server):
    return boto3.client("sns", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip


def _reset(server: Server) -> None:
    request = urllib.request.Request(
        f"{server.endpoint}/_overcast/state/reset",
        method="POST",
        data=b"",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _count_for(endpoint: Endpoint, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    count = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return count
        try:
            endpoint.requests.get(timeout=remaining)
            count += 1
        except Exception:
            return count


def test_reset_stops_http_retries_of_the_old_state(own_server):
    sns = _client(own_server)
    endpoint = Endpoint()
    endpoint.statuses["/failing"] = 500
    try:
        topic = sns.create_topic(
            Name=unique(), Attributes={"DeliveryPolicy": json.dumps({"http": {
                "defaultHealthyRetryPolicy": RETRY_POLICY["healthyRetryPolicy"]}})}
        )["TopicArn"]  # fmt: skip
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{endpoint.url}/failing")
        # The confirmation is retried every 0.1 s while the endpoint answers 500.
        assert _count_for(endpoint, 1.5) >= 3
        # The reset comes while an attempt waits for its answer: its failure must not bring
        # the delivery back.
        endpoint.delays["/failing"] = 0.5
        _count_for(endpoint, 0.5)
        _reset(own_server)
        _count_for(endpoint, 0.3)  # at most the attempt that was on its way
        assert _count_for(endpoint, 2.0) == 0
        assert sns.list_topics()["Topics"] == []
    finally:
        endpoint.close()


def test_reset_stops_notification_retries(own_server):
    sns = _client(own_server)
    endpoint = Endpoint()
    try:
        topic = sns.create_topic(Name=unique())["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{endpoint.url}/ok",
                      Attributes={"DeliveryPolicy": json.dumps(RETRY_POLICY)})  # fmt: skip
        _, _, body = endpoint.next()
        confirmation = json.loads(body)
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        endpoint.statuses["/ok"] = 500
        sns.publish(TopicArn=topic, Message="retried until the reset")
        assert _count_for(endpoint, 1.5) >= 3
        _reset(own_server)
        _count_for(endpoint, 0.3)
        assert _count_for(endpoint, 1.5) == 0
    finally:
        endpoint.close()
