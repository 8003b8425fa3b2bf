"""The pytest plugin's fixtures, used as a user would (the plugin is registered by installing
the package), and a suite run in a pytest of its own to see the report of a failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from overcast.pytest_plugin import _new_account


def test_aws_client_acts_as_the_test_s_own_account(aws_client, overcast_account, overcast):
    identity = aws_client("sts").get_caller_identity()
    assert identity["Account"] == overcast_account and len(overcast_account) == 12
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="isolated")["QueueUrl"]
    assert f"/{overcast_account}/isolated" in url
    assert overcast.endpoint.startswith("http://127.0.0.1:")


def test_another_test_sees_none_of_that(aws_client):
    assert aws_client("sqs").list_queues().get("QueueUrls", []) == []


def test_aws_resource_and_other_regions(aws_resource, aws_client):
    table = aws_resource("dynamodb").create_table(
        TableName="things",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.put_item(Item={"id": "a", "n": 1})
    assert table.get_item(Key={"id": "a"})["Item"]["n"] == 1
    assert aws_client("dynamodb", region_name="eu-west-1").list_tables()["TableNames"] == []


def test_accounts_are_unique_and_twelve_digits():
    accounts = {_new_account() for _ in range(500)}
    assert len(accounts) == 500 and all(len(a) == 12 and a.isdigit() for a in accounts)


def test_the_request_log_of_the_test_s_account(overcast, aws_client, overcast_account):
    s3 = aws_client("s3")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket="not-there")
    entries = overcast.requests(account=overcast_account, errors=True)
    assert [(e["operation"], e["error_code"]) for e in entries] == [("ListObjectsV2", "NoSuchBucket")]
    assert entries[0]["input"]["Bucket"] == "not-there"


SUITE = """
import boto3
import pytest


def test_fails_with_a_log(aws_client):
    sqs = aws_client("sqs")
    sqs.create_queue(QueueName="orders")
    try:
        sqs.get_queue_url(QueueName="ordres")
    except sqs.exceptions.QueueDoesNotExist:
        pass
    assert False, "look at the requests"


def test_one_writes(overcast):
    boto3.client("sqs", endpoint_url=overcast.endpoint, aws_access_key_id="000000000000",
                 aws_secret_access_key="x", region_name="us-east-1").create_queue(QueueName="shared")


@pytest.mark.overcast_reset
def test_two_starts_empty(overcast, overcast_account):
    client = boto3.client("sqs", endpoint_url=overcast.endpoint, aws_access_key_id="000000000000",
                          aws_secret_access_key="x", region_name="us-east-1")
    assert client.list_queues().get("QueueUrls", []) == []
"""


def test_a_failing_test_reports_its_requests_and_the_reset_marker_empties_state(tmp_path):
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
    )
    output = result.stdout
    assert "1 failed, 2 passed" in output, output
    assert "Overcast requests" in output
    assert "sqs.CreateQueue 200" in output
    assert "sqs.GetQueueUrl 400" in output and "QueueDoesNotExist" in output
    assert "input: {'QueueName': 'ordres'}" in output


def test_the_readme_example_runs_as_written(tmp_path):
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Testing with pytest", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) <= 10
    (tmp_path / "test_readme_example.py").write_text(example)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert "2 passed" in result.stdout, result.stdout + result.stderr
