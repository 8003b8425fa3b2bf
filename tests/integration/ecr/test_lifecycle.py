"""Lifecycle policies really expire images, on their schedule (shortened for the test)."""

from __future__ import annotations

import json
import os
import time

import boto3
import pytest

from tests.conftest import Server
from tests.integration.ecr.conftest import Registry, path_name


@pytest.fixture(scope="module")
def fast_server():
    server = Server(
        "--ephemeral",
        "--quiet",
        env={"OVERCAST_ECR_LIFECYCLE_SECONDS": "0.3", "OVERCAST_ECR_DAY_SECONDS": "1"},
    )
    yield server
    server.stop()


def test_policy_expires_images_on_schedule(fast_server):
    ecr = boto3.client(
        "ecr", endpoint_url=fast_server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    repository = ecr.create_repository(repositoryName="pruned")["repository"]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    registry = Registry(fast_server.endpoint, token)
    name = path_name(repository)
    for index in range(4):
        registry.push_image(name, f"build-{index}", os.urandom(64))
    registry.push_image(name, "keep", os.urandom(64))
    policy = {
        "rules": [
            {"rulePriority": 1, "description": "keep two builds",
             "selection": {"tagStatus": "tagged", "tagPatternList": ["build-*"], "countType": "imageCountMoreThan",
                           "countNumber": 2}, "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "old images go after a day",
             "selection": {"tagStatus": "tagged", "tagPrefixList": ["keep"], "countType": "sinceImagePushed",
                           "countUnit": "days", "countNumber": 3}, "action": {"type": "expire"}},
        ]
    }  # fmt: skip
    ecr.put_lifecycle_policy(repositoryName="pruned", lifecyclePolicyText=json.dumps(policy))

    deadline = time.monotonic() + 15
    tags: list[str] = []
    while time.monotonic() < deadline:
        tags = sorted(
            t for d in ecr.describe_images(repositoryName="pruned")["imageDetails"] for t in d["imageTags"]
        )
        if tags == ["build-2", "build-3", "keep"]:
            break
        time.sleep(0.2)
    assert tags == ["build-2", "build-3", "keep"]
    assert "lastEvaluatedAt" in ecr.get_lifecycle_policy(repositoryName="pruned")
    # Three "days" (three seconds here) after its push, the keep image is expired too.
    deadline = time.monotonic() + 15
    while (
        time.monotonic() < deadline and len(ecr.describe_images(repositoryName="pruned")["imageDetails"]) > 2
    ):
        time.sleep(0.3)
    assert sorted(
        t for d in ecr.describe_images(repositoryName="pruned")["imageDetails"] for t in d["imageTags"]
    ) == [
        "build-2",
        "build-3",
    ]
    status, _, _ = registry.request("GET", f"/v2/{name}/manifests/build-0")
    assert status == 404
