"""The instance metadata service: IMDSv2 tokens, IMDSv1 refused when tokens are required, the
metadata tree, user data, the identity document and its signature, and real role credentials:
a child process given only AWS_EC2_METADATA_SERVICE_ENDPOINT finds the instance role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from tests.integration.ec2.conftest import latest_al2023, wait_state
from tests.integration.ec2.test_instances import profile


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_imds_serves_the_instance_and_its_role(ec2, session, endpoint, account):
    name = profile(session, endpoint, "AppProfile", "AppRole")
    launched = ec2.run_instances(
        ImageId=latest_al2023(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1,
        IamInstanceProfile={"Name": name}, UserData="echo hello",
    )["Instances"][0]  # fmt: skip
    instance_id = launched["InstanceId"]
    running = wait_state(ec2, instance_id, "running")
    base = f"{endpoint}/_aws/imds/{instance_id}"
    # HttpTokens defaults to required: IMDSv1 is refused.
    assert fetch(f"{base}/latest/meta-data/instance-id")[0] == 401
    status, token = fetch(f"{base}/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert status == 200 and token
    assert fetch(f"{base}/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "0"})[0] == 400
    assert (
        fetch(f"{base}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": "wrong"})[0] == 401
    )
    auth = {"X-aws-ec2-metadata-token": token}
    assert fetch(f"{base}/latest/meta-data/instance-id", headers=auth) == (200, instance_id)
    assert fetch(f"{base}/latest/meta-data/local-ipv4", headers=auth) == (200, running["PrivateIpAddress"])
    assert fetch(f"{base}/latest/meta-data/placement/availability-zone", headers=auth) == (
        200,
        running["Placement"]["AvailabilityZone"],
    )
    assert fetch(f"{base}/latest/user-data", headers=auth) == (200, "echo hello")
    assert fetch(f"{base}/latest/meta-data/iam/security-credentials/", headers=auth) == (200, "AppRole")
    status, body = fetch(f"{base}/latest/meta-data/iam/security-credentials/AppRole", headers=auth)
    credentials = json.loads(body)
    assert (
        status == 200 and credentials["Code"] == "Success" and credentials["AccessKeyId"].startswith("ASIA")
    )
    status, document = fetch(f"{base}/latest/dynamic/instance-identity/document", headers=auth)
    assert json.loads(document)["instanceId"] == instance_id and json.loads(document)["accountId"] == account
    assert fetch(f"{base}/latest/dynamic/instance-identity/signature", headers=auth)[0] == 200
    # Optional tokens: IMDSv1 answers.
    ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="optional")
    assert fetch(f"{base}/latest/meta-data/ami-id") == (200, running["ImageId"])
    # The SDK inside "the instance" needs nothing but the endpoint.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_EC2_METADATA_SERVICE_ENDPOINT=f"{base}/",
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"arn:aws:sts::{account}:assumed-role/AppRole/{instance_id}"


def test_overcast_imds_serves_one_instance_on_its_own_port(ec2, endpoint):
    launched = ec2.run_instances(ImageId=latest_al2023(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1)
    instance_id = launched["Instances"][0]["InstanceId"]
    wait_state(ec2, instance_id, "running")
    command = [
        sys.executable,
        "-m",
        "overcast",
        "imds",
        "--instance",
        instance_id,
        "--port",
        "0",
        "--endpoint",
        endpoint,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        base = process.stdout.readline().split(" on ", 1)[1].strip().rstrip("/")
        status, token = fetch(
            f"{base}/latest/api/token", "PUT", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
        )
        assert status == 200
        assert fetch(f"{base}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token}) == (
            200,
            instance_id,
        )
        assert fetch(f"{base}/latest/meta-data/instance-id")[0] == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
