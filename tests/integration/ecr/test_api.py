"""The ECR API: repositories, layer uploads, PutImage and image reads, policies, tags,
replication, creation templates, pull-through cache rules and account settings."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.ecr.conftest import digest, path_name


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_repository_lifecycle(ecr):
    name = f"team/app-{uuid.uuid4().hex[:6]}"
    created = ecr.create_repository(
        repositoryName=name,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
        tags=[{"Key": "team", "Value": "core"}],
    )["repository"]
    assert created["repositoryArn"] == f"arn:aws:ecr:us-east-1:000000000000:repository/{name}"
    assert created["repositoryUri"].endswith(f"/000000000000/us-east-1/{name}")
    assert created["encryptionConfiguration"]["kmsKey"].endswith("alias/aws/ecr")
    with pytest.raises(ClientError) as error:
        ecr.create_repository(repositoryName=name)
    assert _code(error) == "RepositoryAlreadyExistsException"
    with pytest.raises(ClientError) as error:
        ecr.create_repository(repositoryName="Upper/Case")
    assert _code(error) == "InvalidParameterException"
    assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
        {"Key": "team", "Value": "core"}
    ]
    ecr.tag_resource(resourceArn=created["repositoryArn"], tags=[{"Key": "env", "Value": "dev"}])
    ecr.untag_resource(resourceArn=created["repositoryArn"], tagKeys=["team"])
    assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    found = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert found["imageTagMutability"] == "IMMUTABLE"
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
    with pytest.raises(ClientError) as error:
        ecr.describe_repositories(repositoryNames=["does-not-exist"])
    assert _code(error) == "RepositoryNotFoundException"
    ecr.delete_repository(repositoryName=name)
    with pytest.raises(ClientError) as error:
        ecr.delete_repository(repositoryName=name)
    assert _code(error) == "RepositoryNotFoundException"


def _upload_layer(ecr, name: str, data: bytes) -> str:
    upload = ecr.initiate_layer_upload(repositoryName=name)
    half = len(data) // 2
    ecr.upload_layer_part(
        repositoryName=name,
        uploadId=upload["uploadId"],
        partFirstByte=0,
        partLastByte=half - 1,
        layerPartBlob=data[:half],
    )
    with pytest.raises(ClientError) as error:
        ecr.upload_layer_part(
            repositoryName=name,
            uploadId=upload["uploadId"],
            partFirstByte=0,
            partLastByte=0,
            layerPartBlob=b"x",
        )
    assert _code(error) == "InvalidLayerPartException"
    ecr.upload_layer_part(
        repositoryName=name,
        uploadId=upload["uploadId"],
        partFirstByte=half,
        partLastByte=len(data) - 1,
        layerPartBlob=data[half:],
    )
    done = ecr.complete_layer_upload(
        repositoryName=name, uploadId=upload["uploadId"], layerDigests=[digest(data)]
    )
    assert done["layerDigest"] == digest(data)
    return digest(data)


def _manifest(config: bytes, layer: bytes) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": digest(layer),
                }
            ],
        }
    )


def test_layer_upload_put_image_and_reads(ecr, registry, repo):
    name = repo["repositoryName"]
    config, layer = b'{"os":"linux"}', os.urandom(5000)
    _upload_layer(ecr, name, config)
    _upload_layer(ecr, name, layer)
    with pytest.raises(ClientError) as error:
        upload = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
        ecr.upload_layer_part(
            repositoryName=name, uploadId=upload, partFirstByte=0, partLastByte=0, layerPartBlob=b"x"
        )
        ecr.complete_layer_upload(repositoryName=name, uploadId=upload, layerDigests=[digest(b"y")])
    assert _code(error) == "InvalidLayerException"
    available = ecr.batch_check_layer_availability(
        repositoryName=name, layerDigests=[digest(layer), digest(b"no")]
    )
    assert available["layers"][0]["layerSize"] == 5000
    assert available["failures"][0]["failureCode"] == "MissingLayerDigest"

    manifest = _manifest(config, layer)
    put = ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")["image"]
    assert put["imageId"] == {"imageDigest": digest(manifest.encode()), "imageTag": "v1"}
    with pytest.raises(ClientError) as error:
        ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")
    assert _code(error) == "ImageAlreadyExistsException"
    with pytest.raises(ClientError) as error:
        ecr.put_image(repositoryName=name, imageManifest=_manifest(config, b"missing"), imageTag="v2")
    assert _code(error) == "LayersNotFoundException"
    ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v2")

    listed = ecr.list_images(repositoryName=name)["imageIds"]
    assert sorted(i["imageTag"] for i in listed) == ["v1", "v2"]
    got = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}])
    assert got["images"][0]["imageManifest"] == manifest
    assert got["failures"][0]["failureCode"] == "ImageNotFound"
    # The registry serves what the API stored, and the layer through GetDownloadUrlForLayer's URL.
    status, _, body = registry.request("GET", f"/v2/{path_name(repo)}/manifests/v2")
    assert status == 200 and body == manifest.encode()
    url = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=digest(layer))["downloadUrl"]
    import urllib.request

    with urllib.request.urlopen(url.replace("localhost", "127.0.0.1")) as response:
        assert response.read() == layer

    ecr.start_image_scan(repositoryName=name, imageId={"imageTag": "v1"})
    scan = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert scan["imageScanStatus"]["status"] == "COMPLETE"
    assert scan["imageScanFindings"]["findingSeverityCounts"] == {}

    # Deleting one tag keeps the image; deleting the digest removes it and every tag.
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])
    assert deleted["imageIds"] == [{"imageDigest": digest(manifest.encode()), "imageTag": "v1"}]
    assert ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageTags"] == ["v2"]
    ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": digest(manifest.encode())}])
    assert ecr.describe_images(repositoryName=name)["imageDetails"] == []


def test_delete_repository_with_images_needs_force(ecr, registry, repo):
    registry.push_image(path_name(repo), "v1", b"layer")
    with pytest.raises(ClientError) as error:
        ecr.delete_repository(repositoryName=repo["repositoryName"])
    assert _code(error) == "RepositoryNotEmptyException"
    ecr.delete_repository(repositoryName=repo["repositoryName"], force=True)


def test_repository_and_registry_policies(ecr, repo):
    name = repo["repositoryName"]
    with pytest.raises(ClientError) as error:
        ecr.get_repository_policy(repositoryName=name)
    assert _code(error) == "RepositoryPolicyNotFoundException"
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                                                   "Action": ["ecr:BatchGetImage"]}]}
    )  # fmt: skip
    ecr.set_repository_policy(repositoryName=name, policyText=policy)
    assert json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"]) == json.loads(policy)
    with pytest.raises(ClientError) as error:
        ecr.set_repository_policy(repositoryName=name, policyText="not json")
    assert _code(error) == "InvalidParameterException"
    ecr.delete_repository_policy(repositoryName=name)
    ecr.put_registry_policy(policyText=policy)
    assert ecr.get_registry_policy()["policyText"] == policy
    ecr.delete_registry_policy()
    with pytest.raises(ClientError) as error:
        ecr.get_registry_policy()
    assert _code(error) == "RegistryPolicyNotFoundException"


def test_lifecycle_preview(ecr, registry, repo):
    name = repo["repositoryName"]
    for tag in ("a", "b", "c"):
        registry.push_image(path_name(repo), f"prod-{tag}", os.urandom(32))
    registry.push_image(path_name(repo), "dev", os.urandom(32))
    registry.push_image(path_name(repo), "dev", os.urandom(32))  # the first dev image is now untagged
    policy = json.dumps(
        {
            "rules": [
                {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["prod"],
                 "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}},
                {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                 "countNumber": 1000}, "action": {"type": "expire"}},
                {"rulePriority": 3, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                 "countNumber": 1}, "action": {"type": "expire"}},
            ]
        }
    )  # fmt: skip
    with pytest.raises(ClientError) as error:
        ecr.put_lifecycle_policy(
            repositoryName=name,
            lifecyclePolicyText=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {
                                "tagStatus": "tagged",
                                "countType": "imageCountMoreThan",
                                "countNumber": 1,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            ),
        )
    assert _code(error) == "InvalidParameterException"
    ecr.start_lifecycle_policy_preview(repositoryName=name, lifecyclePolicyText=policy)
    preview = ecr.get_lifecycle_policy_preview(repositoryName=name)
    assert preview["status"] == "COMPLETE"
    by_rule = sorted(
        (r["appliedRulePriority"], tuple(r.get("imageTags", []))) for r in preview["previewResults"]
    )
    # prod: the two older are expired by rule 1; the untagged image is left by rule 2 (it keeps
    # 1000), and rule 3 never sees the images rules 1 and 2 selected: nothing else remains.
    assert by_rule == [(1, ("prod-a",)), (1, ("prod-b",))]
    assert preview["summary"]["expiringImageTotalCount"] == 2
    # The preview expired nothing.
    assert len(ecr.describe_images(repositoryName=name)["imageDetails"]) == 5


def test_replication_copies_pushed_images(client, ecr, registry):
    name = f"replicated-{uuid.uuid4().hex[:8]}"
    west = client("ecr", region_name="us-west-2")
    ecr.put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {"destinations": [{"region": "us-west-2", "registryId": "000000000000"}],
                 "repositoryFilters": [{"filter": name, "filterType": "PREFIX_MATCH"}]}
            ]
        }
    )  # fmt: skip
    try:
        repository = ecr.create_repository(repositoryName=name)["repository"]
        image_digest, manifest = registry.push_image(path_name(repository), "v1", os.urandom(128))
        copy = west.describe_images(repositoryName=name)["imageDetails"]
        assert [(d["imageDigest"], d["imageTags"]) for d in copy] == [(image_digest, ["v1"])]
        status = ecr.describe_image_replication_status(repositoryName=name, imageId={"imageTag": "v1"})
        assert status["replicationStatuses"] == [
            {"region": "us-west-2", "registryId": "000000000000", "status": "COMPLETE"}
        ]
        west_uri = west.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"]
        assert registry.request("GET", f"/v2/{west_uri.split('/', 1)[1]}/manifests/v1")[2] == manifest
    finally:
        ecr.put_replication_configuration(replicationConfiguration={"rules": []})
    assert ecr.describe_registry()["replicationConfiguration"] == {"rules": []}


def test_creation_template_creates_on_push(ecr, registry):
    prefix = f"auto{uuid.uuid4().hex[:6]}"
    ecr.create_repository_creation_template(
        prefix=prefix, appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "made", "Value": "by-template"}],
    )  # fmt: skip
    try:
        name = f"{prefix}/service"
        registry.push_image(f"000000000000/us-east-1/{name}", "v1", b"layer")
        created = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        assert created["imageTagMutability"] == "IMMUTABLE"
        assert ecr.list_tags_for_resource(resourceArn=created["repositoryArn"])["tags"] == [
            {"Key": "made", "Value": "by-template"}
        ]
        # Without a template, a push names an unknown repository.
        status, _, body = registry.request("POST", "/v2/000000000000/us-east-1/no-template/x/blobs/uploads/")
        assert status == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
    finally:
        ecr.delete_repository_creation_template(prefix=prefix)


def test_pull_through_cache_rules_are_stored_and_pulls_answer_the_registry_error(ecr, registry):
    prefix = f"hub{uuid.uuid4().hex[:6]}"
    rule = ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix=prefix, upstreamRegistryUrl="public.ecr.aws"
    )
    assert rule["upstreamRegistry"] == "ecr-public"
    with pytest.raises(ClientError) as error:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl="public.ecr.aws")
    assert _code(error) == "PullThroughCacheRuleAlreadyExistsException"
    described = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    assert described[0]["upstreamRegistryUrl"] == "public.ecr.aws"
    status, _, body = registry.request(
        "GET", f"/v2/000000000000/us-east-1/{prefix}/nginx/nginx/manifests/latest"
    )
    assert status == 404 and "pull through cache" in json.loads(body)["errors"][0]["message"]
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    with pytest.raises(ClientError) as error:
        ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    assert _code(error) == "PullThroughCacheRuleNotFoundException"


def test_account_settings_and_scanning_configuration(ecr, repo):
    assert ecr.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "AWS_NATIVE"
    with pytest.raises(ClientError) as error:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="MAYBE")
    assert _code(error) == "ValidationException"
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": repo["repositoryName"], "filterType": "WILDCARD"}],
            }
        ],
    )
    try:
        found = ecr.batch_get_repository_scanning_configuration(
            repositoryNames=[repo["repositoryName"], "missing"]
        )
        assert found["scanningConfigurations"][0]["scanFrequency"] == "SCAN_ON_PUSH"
        assert found["failures"][0]["failureCode"] == "REPOSITORY_NOT_FOUND"
    finally:
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])


def test_authorization_token_shape(ecr):
    data = ecr.get_authorization_token()["authorizationData"][0]
    import base64

    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and password
    assert data["proxyEndpoint"].startswith("http://localhost:")
    remaining = (data["expiresAt"].timestamp() - __import__("time").time()) / 3600
    assert 11.9 < remaining <= 12


def test_pushes_deletions_and_scans_reach_eventbridge(client, ecr, registry, repo):
    sqs, events = client("sqs"), client("events")
    queue = sqs.create_queue(QueueName=f"ecr-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"ecr-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {"source": ["aws.ecr"], "detail": {"repository-name": [repo["repositoryName"]]}}
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    ecr.put_image_scanning_configuration(
        repositoryName=repo["repositoryName"], imageScanningConfiguration={"scanOnPush": True}
    )
    image_digest, _ = registry.push_image(path_name(repo), "v1", os.urandom(64))
    ecr.batch_delete_image(repositoryName=repo["repositoryName"], imageIds=[{"imageDigest": image_digest}])

    received: list[dict] = []
    deadline = time.monotonic() + 15
    while len(received) < 3 and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            received.append(json.loads(message["Body"]))
    kinds = sorted((event["detail-type"], event["detail"].get("action-type", "")) for event in received)
    assert kinds == [("ECR Image Action", "DELETE"), ("ECR Image Action", "PUSH"), ("ECR Image Scan", "")]
    push = next(e for e in received if e["detail"].get("action-type") == "PUSH")
    assert push["detail"]["image-digest"] == image_digest and push["detail"]["image-tag"] == "v1"
    assert push["source"] == "aws.ecr" and push["account"] == "000000000000"


def test_replication_to_another_account_needs_its_registry_policy(client, ecr, registry):
    name = f"xacct-{uuid.uuid4().hex[:8]}"
    other = client("ecr", aws_access_key_id="222222222222", aws_secret_access_key="test")
    ecr.put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {"destinations": [{"region": "us-east-1", "registryId": "222222222222"}],
                 "repositoryFilters": [{"filter": name, "filterType": "PREFIX_MATCH"}]}
            ]
        }
    )  # fmt: skip
    try:
        repository = ecr.create_repository(repositoryName=name)["repository"]
        registry.push_image(path_name(repository), "v1", os.urandom(64))
        status = ecr.describe_image_replication_status(repositoryName=name, imageId={"imageTag": "v1"})
        assert status["replicationStatuses"][0]["status"] == "FAILED"
        with pytest.raises(ClientError):
            other.describe_repositories(repositoryNames=[name])

        other.put_registry_policy(
            policyText=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "replicate",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                            "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/*",
                        }
                    ],
                }
            )
        )
        digest_v2, _ = registry.push_image(path_name(repository), "v2", os.urandom(64))
        copy = other.describe_images(repositoryName=name)["imageDetails"]
        assert [(d["imageDigest"], d["imageTags"]) for d in copy] == [(digest_v2, ["v2"])]
    finally:
        ecr.put_replication_configuration(replicationConfiguration={"rules": []})
        other.delete_registry_policy()


def test_encryption_with_a_customer_key(client, ecr):
    key = client("kms").create_key()["KeyMetadata"]
    name = f"sealed-{uuid.uuid4().hex[:8]}"
    created = ecr.create_repository(
        repositoryName=name, encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key["KeyId"]}
    )["repository"]
    assert created["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key["Arn"]}
    with pytest.raises(ClientError) as error:
        ecr.create_repository(
            repositoryName=name + "-2",
            encryptionConfiguration={
                "encryptionType": "KMS",
                "kmsKey": "11111111-2222-3333-4444-555555555555",
            },
        )
    assert _code(error) == "KmsException"
    assert error.value.response["kmsError"] == "NotFoundException"
    with pytest.raises(ClientError) as error:
        ecr.create_repository(
            repositoryName=name + "-3",
            encryptionConfiguration={"encryptionType": "AES256", "kmsKey": key["KeyId"]},
        )
    assert _code(error) == "InvalidParameterException"


def test_model_constraints_and_policies_are_refused_in_ecrs_words(client, ecr, repo):
    from botocore.config import Config

    unchecked = client("ecr", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as error:
        unchecked.create_repository(repositoryName="x1", imageTagMutability="SOMETIMES")
    assert _code(error) == "InvalidParameterException"
    assert error.value.response["Error"]["Message"].startswith(
        "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set"
    )
    no_principal = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*"}]}
    )
    with pytest.raises(ClientError) as error:
        ecr.set_repository_policy(repositoryName=repo["repositoryName"], policyText=no_principal)
    assert error.value.response["Error"]["Message"] == (
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
    )
    with pytest.raises(ClientError) as error:
        ecr.describe_images(repositoryName=repo["repositoryName"], imageIds=[{"imageTag": "absent"}])
    assert error.value.response["Error"]["Message"] == (
        f"The image with imageId {{imageDigest:'null', imageTag:'absent'}} does not exist within the repository "
        f"with name '{repo['repositoryName']}' in the registry with id '000000000000'"
    )
