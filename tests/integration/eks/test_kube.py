"""The cluster endpoint: `aws eks update-kubeconfig` and `get-token` against it, and EKS's
authentication of the token (signature, cluster, age, access entries)."""

from __future__ import annotations

import base64
import json
import shutil
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest

from .conftest import ROLE, eks_token, unique


def call(endpoint: str, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(endpoint + "/version", headers=headers)
        ) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def user(client, endpoint):
    iam = client("iam")
    name = unique("kube-user")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    return {"arn": arn, "session": session}


def test_the_endpoint_authenticates_tokens_as_eks_does(user, endpoint, network):
    eks = user["session"].client("eks", endpoint_url=endpoint)
    name = unique("c")
    cluster = eks.create_cluster(
        name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]},
        accessConfig={"authenticationMode": "API"},
    )["cluster"]  # fmt: skip
    try:
        url = cluster["endpoint"]
        status, body = call(url, eks_token(user["session"], name))
        assert status == 503 and body["kind"] == "Status" and body["reason"] == "ServiceUnavailable"
        assert user["arn"] in body["message"] and "no Kubernetes API server" in body["message"]
        assert call(url, None)[0] == 401
        assert call(url, eks_token(user["session"], "another-cluster"))[0] == 401
        # A token whose signature does not match what it signs.
        signed = base64.urlsafe_b64decode(eks_token(user["session"], name)[11:] + "==").decode()
        parts = urlsplit(signed)
        forged = urlunsplit(
            parts._replace(query=parts.query.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        )
        assert call(url, "k8s-aws-v1." + base64.urlsafe_b64encode(forged.encode()).decode())[0] == 401
        # Without an access entry the principal is not let in (API mode: no creator exception).
        eks.delete_access_entry(clusterName=name, principalArn=user["arn"])
        assert call(url, eks_token(user["session"], name))[0] == 401
    finally:
        eks.delete_cluster(name=name)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_update_kubeconfig_and_get_token_with_the_cli(aws, make_cluster, tmp_path):
    name = make_cluster()
    kubeconfig = tmp_path / "config"
    result = aws("eks", "update-kubeconfig", "--name", name, "--kubeconfig", str(kubeconfig), check=False)
    assert result.returncode == 0, result.stderr
    text = kubeconfig.read_text()
    assert f"server: {aws('eks', 'describe-cluster', '--name', name)['cluster']['endpoint']}" in text
    token = aws("eks", "get-token", "--cluster-name", name)["status"]["token"]
    endpoint = aws("eks", "describe-cluster", "--name", name)["cluster"]["endpoint"]
    status, body = call(endpoint, token)
    # The CLI signs as the default account's root, the creator of a CONFIG_MAP cluster.
    assert status == 503 and body["reason"] == "ServiceUnavailable"
