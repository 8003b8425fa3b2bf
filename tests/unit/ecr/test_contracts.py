"""What other services rely on (ECS tasks, Lambda container images): parse_image_uri reads the
image URIs the API hands out and AWS's, and image_manifest finds the image a tag or digest names."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from overcast.context import RequestContext
from overcast.services.ecr import tokens

ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def ecr(runtime):
    provider = runtime.provider("ecr")
    context = RequestContext.internal("ecr", ACCOUNT, REGION)
    provider.create_repository(context, {"repositoryName": "team/app"})
    config = b"{}"
    upload = provider.initiate_layer_upload(context, {"repositoryName": "team/app"})["uploadId"]
    provider.upload_layer_part(
        context,
        {
            "repositoryName": "team/app",
            "uploadId": upload,
            "partFirstByte": 0,
            "partLastByte": 1,
            "layerPartBlob": config,
        },
    )
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    provider.complete_layer_upload(
        context, {"repositoryName": "team/app", "uploadId": upload, "layerDigests": [digest]}
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": digest},
        "layers": [],
    }
    provider.put_image(
        context, {"repositoryName": "team/app", "imageManifest": json.dumps(manifest), "imageTag": "v1"}
    )
    return provider


def test_parse_image_uri(ecr):
    uri = ecr.describe_repositories(RequestContext.internal("ecr", ACCOUNT, REGION), {})["repositories"][0][
        "repositoryUri"
    ]
    assert ecr.parse_image_uri(f"{uri}:v1") == (ACCOUNT, REGION, "team/app", "v1")
    assert ecr.parse_image_uri(uri) == (ACCOUNT, REGION, "team/app", "latest")
    digest = "sha256:" + "a" * 64
    assert ecr.parse_image_uri(f"{uri}@{digest}") == (ACCOUNT, REGION, "team/app", digest)
    aws_form = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v2"
    assert ecr.parse_image_uri(aws_form) == ("123456789012", "eu-west-1", "team/app", "v2")
    assert ecr.parse_image_uri("docker.io/library/busybox:latest") is None


def test_image_manifest(ecr):
    image = ecr.image_manifest(ACCOUNT, REGION, "team/app", "v1")
    assert image is not None and image["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert ecr.image_manifest(ACCOUNT, REGION, "team/app", image["digest"])["tags"] == ["v1"]
    assert ecr.image_manifest(ACCOUNT, REGION, "team/app", "v9") is None
    assert ecr.image_manifest(ACCOUNT, REGION, "missing", "v1") is None


def test_tokens_expire_and_cannot_be_forged(runtime):
    store = runtime.store
    token = tokens.issue(store, tokens.Grant("AKIAEXAMPLE", ACCOUNT, REGION, expires=2000.0))
    import base64

    user, _, password = base64.b64decode(token).decode().partition(":")
    assert tokens.check(store, user, password, now=1000.0).account == ACCOUNT
    with pytest.raises(tokens.TokenInvalid) as expired:
        tokens.check(store, user, password, now=3000.0)
    assert expired.value.expired
    payload, _, mac = password.partition(".")
    with pytest.raises(tokens.TokenInvalid):
        tokens.check(store, user, payload[:-2] + "xx." + mac, now=1000.0)
    with pytest.raises(tokens.TokenInvalid):
        tokens.check(store, "admin", password, now=1000.0)


def test_garbage_collection_keeps_what_images_need(ecr):
    context = RequestContext.internal("ecr", ACCOUNT, REGION)
    data = ecr.data
    scope = f"{ACCOUNT}/{REGION}"
    image = data.resolve(scope, "team/app", "v1")
    needed = json.loads(image["manifest"])["config"]["digest"]
    # A layer uploaded but never referenced, and the repository's image.
    upload = ecr.initiate_layer_upload(context, {"repositoryName": "team/app"})["uploadId"]
    ecr.upload_layer_part(
        context,
        {
            "repositoryName": "team/app",
            "uploadId": upload,
            "partFirstByte": 0,
            "partLastByte": 2,
            "layerPartBlob": b"abc",
        },
    )
    stray = "sha256:" + hashlib.sha256(b"abc").hexdigest()
    ecr.complete_layer_upload(
        context, {"repositoryName": "team/app", "uploadId": upload, "layerDigests": [stray]}
    )
    now = time.time()
    assert data.collect_garbage(now, grace=3600) == (0, 0)  # too young to collect
    assert data.collect_garbage(now + 7200, grace=3600) == (1, 1)
    assert data.layer(scope, "team/app", stray) is None and not data.blobs.exists(stray)
    assert data.layer(scope, "team/app", needed) is not None and data.blobs.exists(needed)
    # Once the image is gone, its layers and files go too.
    ecr.batch_delete_image(context, {"repositoryName": "team/app", "imageIds": [{"imageTag": "v1"}]})
    assert data.collect_garbage(now + 7200, grace=3600) == (1, 1)
    assert not data.blobs.exists(needed)


def test_pull_reference_and_credentials(ecr):
    port = ecr.runtime.config.port
    assert (
        ecr.pull_reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1")
        == f"localhost:{port}/123456789012/us-east-1/team/app:v1"
    )
    digest = "sha256:" + "b" * 64
    assert ecr.pull_reference(f"localhost:{port}/{ACCOUNT}/{REGION}/team/app@{digest}") == (
        f"localhost:{port}/{ACCOUNT}/{REGION}/team/app@{digest}"
    )
    assert ecr.pull_reference("public.ecr.aws/nginx/nginx:latest") is None
    server, username, password = ecr.registry_credentials(ACCOUNT, REGION)
    assert server == f"localhost:{port}" and username == "AWS"
    grant = tokens.check(ecr.store, username, password, time.time())
    assert (grant.account, grant.region) == (ACCOUNT, REGION)
