"""Rotation that runs: a real rotation function (rotation_function.py, in the style of AWS's
template) is invoked through Lambda for each of its four steps and moves the labels itself."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server

ROLE = "arn:aws:iam::000000000000:role/rotation-role"
FUNCTION_SOURCE = Path(__file__).with_name("rotation_function.py").read_text()


def rotation_function(lam) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rotation.py", FUNCTION_SOURCE)
    name = f"rotate-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="rotation.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=60,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return arn


def stages(sm, secret_id: str) -> dict[str, list[str]]:
    return sm.describe_secret(SecretId=secret_id)["VersionIdsToStages"]


def test_rotate_runs_the_four_steps_and_moves_the_labels(client):
    sm, lam = client("secretsmanager"), client("lambda")
    function = rotation_function(lam)
    name = f"rotated-{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString="original")["VersionId"]
    token = str(uuid.uuid4())
    out = sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=function,
        RotationRules={"AutomaticallyAfterDays": 30},
        ClientRequestToken=token,
    )
    assert out["VersionId"] == token
    assert sm.get_secret_value(SecretId=name)["SecretString"] == f"rotated-{token}"
    assert stages(sm, name) == {first: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "original"
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    rotated = described["LastRotatedDate"].timestamp()
    assert abs(rotated - time.time()) < 120
    assert described["NextRotationDate"].timestamp() == pytest.approx(rotated + 30 * 86400, abs=5)

    # A second rotation with the rules kept: the labels move on again.
    second = sm.rotate_secret(SecretId=name)["VersionId"]
    # The first version keeps no label: it is deprecated, and no longer listed with the others.
    assert stages(sm, name) == {token: ["AWSPREVIOUS"], second: ["AWSCURRENT"]}


def test_a_failing_step_leaves_awspending_and_cancel_turns_rotation_off(client):
    sm, lam = client("secretsmanager"), client("lambda")
    function = rotation_function(lam)
    name = f"failing-{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(
        Name=name, SecretString="keep", Tags=[{"Key": "fail-step", "Value": "testSecret"}]
    )["VersionId"]
    token = sm.rotate_secret(SecretId=name, RotationLambdaARN=function)["VersionId"]
    assert stages(sm, name) == {first: ["AWSCURRENT"], token: ["AWSPENDING"]}
    # createSecret ran before the failing step: the pending value is there, AWSCURRENT did not move.
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == f"rotated-{token}"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep"
    assert "LastRotatedDate" not in sm.describe_secret(SecretId=name)

    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["VersionId"] == token
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False
    assert "NextRotationDate" not in described


def test_rotation_needs_a_function(client):
    sm = client("secretsmanager")
    name = f"nofn-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="x")
    with pytest.raises(ClientError) as error:
        sm.rotate_secret(SecretId=name)
    assert error.value.response["Error"]["Code"] == "InvalidRequestException"
    assert (
        error.value.response["Error"]["Message"]
        == "No Lambda rotation function ARN is associated with this secret."
    )
    with pytest.raises(ClientError) as error:
        sm.rotate_secret(
            SecretId=name, RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:missing"
        )
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"


def test_rotate_immediately_false_only_tests_and_schedules(client):
    sm, lam = client("secretsmanager"), client("lambda")
    function = rotation_function(lam)
    name = f"later-{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=function,
        RotationRules={"ScheduleExpression": "rate(10 days)"},
        RotateImmediately=False,
    )
    described = sm.describe_secret(SecretId=name)
    # testSecret ran on an AWSPENDING copy of the current value, removed afterwards.
    assert described["VersionIdsToStages"] == {first: ["AWSCURRENT"]}
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 1
    assert described["NextRotationDate"].timestamp() == pytest.approx(time.time() + 10 * 86400, abs=120)


@pytest.fixture(scope="module")
def fast_days():
    """A server whose Secrets Manager day lasts one second."""
    instance = Server("--ephemeral", "--quiet", env={"OVERCAST_SECRETSMANAGER_DAY_SECONDS": "1"})
    yield instance
    instance.stop()


def test_rotation_rules_rotate_again_on_schedule(fast_days):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    sm = session.client("secretsmanager", endpoint_url=fast_days.endpoint)
    lam = session.client("lambda", endpoint_url=fast_days.endpoint)
    function = rotation_function(lam)
    sm.create_secret(Name="scheduled", SecretString="v0")
    first = sm.rotate_secret(
        SecretId="scheduled", RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 2}
    )["VersionId"]
    deadline = time.time() + 60
    while time.time() < deadline:
        current = sm.get_secret_value(SecretId="scheduled")["VersionId"]
        if current != first:
            break
        time.sleep(0.5)
    assert current != first, "the scheduled rotation did not happen"
    assert sm.get_secret_value(SecretId="scheduled", VersionStage="AWSPREVIOUS")["VersionId"] == first


def test_a_cron_schedule_rotates_and_cancel_stops_it(fast_days):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    sm = session.client("secretsmanager", endpoint_url=fast_days.endpoint)
    lam = session.client("lambda", endpoint_url=fast_days.endpoint)
    function = rotation_function(lam)
    first = sm.create_secret(Name="cron-scheduled", SecretString="v0")["VersionId"]
    # Once a day at 04:00: with a one-second day, the next match is at most a second away.
    sm.rotate_secret(
        SecretId="cron-scheduled",
        RotationLambdaARN=function,
        RotationRules={"ScheduleExpression": "cron(0 4 * * ? *)"},
        RotateImmediately=False,
    )
    deadline = time.time() + 60
    while time.time() < deadline and sm.get_secret_value(SecretId="cron-scheduled")["VersionId"] == first:
        time.sleep(0.5)
    rotated = sm.get_secret_value(SecretId="cron-scheduled")["VersionId"]
    assert rotated != first, "the cron schedule did not rotate the secret"
    sm.cancel_rotate_secret(SecretId="cron-scheduled")
    # A rotation already running when the schedule is cancelled still finishes (as on AWS):
    # what counts is that none starts after it.
    time.sleep(2)
    settled = sm.get_secret_value(SecretId="cron-scheduled")["VersionId"]
    time.sleep(3)
    assert sm.get_secret_value(SecretId="cron-scheduled")["VersionId"] == settled
    assert sm.describe_secret(SecretId="cron-scheduled")["RotationEnabled"] is False
