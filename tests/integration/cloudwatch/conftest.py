"""A server of its own for the CloudWatch tests that wait on time: its scheduler runs sixty
times faster (an alarm with a one-minute period is evaluated every real second) and the
metrics services publish are written every fifth of a second."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import Server


@pytest.fixture(scope="module")
def fast():
    server = Server(
        "--ephemeral",
        "--quiet",
        env={"OVERCAST_SCHEDULE_SPEED": "60", "OVERCAST_CLOUDWATCH_FLUSH_SECONDS": "0.2"},
    )
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    try:
        yield lambda service: session.client(service, endpoint_url=server.endpoint)
    finally:
        server.stop()
