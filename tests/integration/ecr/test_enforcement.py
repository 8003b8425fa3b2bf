"""Under --enforce-iam a repository's policy is what lets another account pull from it: through
the ECR API and through the registry, with that account's own authorization token."""

from __future__ import annotations

import json
import os
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.ecr.conftest import Registry, path_name


def _ecr(server, key: str = "test"):
    return boto3.client(
        "ecr",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="test",
    )


def test_repository_policy_opens_pulls_to_another_account(enforced):
    owner, other = _ecr(enforced), _ecr(enforced, "111111111111")
    name = f"shared-{uuid.uuid4().hex[:8]}"
    repository = owner.create_repository(repositoryName=name)["repository"]
    owner_registry = Registry(
        enforced.endpoint, owner.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    )
    owner_registry.push_image(path_name(repository), "v1", os.urandom(64))

    other_token = other.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    other_registry = Registry(enforced.endpoint, other_token)
    with pytest.raises(ClientError) as refused:
        other.batch_get_image(registryId="000000000000", repositoryName=name, imageIds=[{"imageTag": "v1"}])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    status, _, body = other_registry.request("GET", f"/v2/{path_name(repository)}/manifests/v1")
    assert status == 403 and json.loads(body)["errors"][0]["code"] == "DENIED"

    owner.set_repository_policy(
        repositoryName=name,
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "pull",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    }
                ],
            }
        ),
    )
    got = other.batch_get_image(registryId="000000000000", repositoryName=name, imageIds=[{"imageTag": "v1"}])
    assert got["images"][0]["imageId"]["imageTag"] == "v1"
    assert other_registry.request("GET", f"/v2/{path_name(repository)}/manifests/v1")[0] == 200
    # Pulling is all the policy grants: a push is still refused.
    status, _, _ = other_registry.request("POST", f"/v2/{path_name(repository)}/blobs/uploads/")
    assert status == 403
