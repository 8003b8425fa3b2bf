"""A pushed image survives a restart, and a kill -9, of a durable Overcast: its manifest, tags
and layers (files in the data dir), and the login token docker keeps; a token expires."""

from __future__ import annotations

import json
import os
import time

import boto3
import pytest

from tests.conftest import Server
from tests.integration.ecr.conftest import Registry, path_name


def _ecr(server):
    return boto3.client(
        "ecr", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


@pytest.mark.parametrize("kill", [False, True])
def test_images_survive_a_restart(tmp_path, kill):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        ecr = _ecr(server)
        repository = ecr.create_repository(repositoryName="durable")["repository"]
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        layer = os.urandom(200_000)
        image_digest, manifest = Registry(server.endpoint, token).push_image(
            path_name(repository), "v1", layer
        )
    finally:
        server.stop(kill=kill)
    again = Server("--data-dir", data_dir, "--quiet")
    try:
        # The token docker stored before the restart still logs in.
        registry = Registry(again.endpoint, token)
        status, _headers, body = registry.request("GET", f"/v2/{path_name(repository)}/manifests/v1")
        assert status == 200 and body == manifest
        layer_digest = json.loads(manifest)["layers"][0]["digest"]
        status, _, body = registry.request("GET", f"/v2/{path_name(repository)}/blobs/{layer_digest}")
        assert status == 200 and body == layer
        detail = _ecr(again).describe_images(repositoryName="durable")["imageDetails"][0]
        assert detail["imageDigest"] == image_digest and detail["imageTags"] == ["v1"]
    finally:
        again.stop()


def test_tokens_expire(tmp_path):
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_ECR_TOKEN_SECONDS": "1"})
    try:
        token = _ecr(server).get_authorization_token()["authorizationData"][0]["authorizationToken"]
        registry = Registry(server.endpoint, token)
        assert registry.request("GET", "/v2/")[0] == 200
        time.sleep(1.2)
        status, headers, body = registry.request("GET", "/v2/")
        assert status == 401
        assert json.loads(body)["errors"][0]["message"].startswith("Your authorization token has expired")
        assert headers["www-authenticate"].startswith("Basic")
    finally:
        server.stop()


def test_export_and_import_carry_images_and_layers():
    import urllib.request

    source, target = Server("--ephemeral", "--quiet"), Server("--ephemeral", "--quiet")
    try:
        ecr = _ecr(source)
        repository = ecr.create_repository(repositoryName="moved")["repository"]
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        layer = os.urandom(100_000)
        _digest, manifest = Registry(source.endpoint, token).push_image(path_name(repository), "v1", layer)
        with urllib.request.urlopen(f"{source.endpoint}/_overcast/state/export", timeout=30) as response:
            exported = response.read()
        request = urllib.request.Request(
            f"{target.endpoint}/_overcast/state/import",
            data=exported,
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        # The token, sealed with the exported state's secret, logs in on the new server too.
        registry = Registry(target.endpoint, token)
        layer_digest = json.loads(manifest)["layers"][0]["digest"]
        status, _, body = registry.request("GET", f"/v2/{path_name(repository)}/blobs/{layer_digest}")
        assert status == 200 and body == layer
    finally:
        source.stop()
        target.stop()
