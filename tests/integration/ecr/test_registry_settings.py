"""The registry-wide operations: creation templates, pull-through rule updates and validation,
replication backfills, signing configuration, pull-time update exclusions, storage classes."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.ecr.conftest import path_name


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_creation_templates(ecr):
    prefix = f"tpl{uuid.uuid4().hex[:6]}"
    created = ecr.create_repository_creation_template(
        prefix=prefix, description="first", appliedFor=["REPLICATION"], imageTagMutability="MUTABLE"
    )["repositoryCreationTemplate"]
    assert created["prefix"] == prefix and created["encryptionConfiguration"] == {"encryptionType": "AES256"}
    with pytest.raises(ClientError) as error:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    assert _code(error) == "TemplateAlreadyExistsException"
    with pytest.raises(ClientError) as error:
        ecr.create_repository_creation_template(
            prefix=prefix + "x", appliedFor=["REPLICATION"], lifecyclePolicy="{" * 1
        )
    assert _code(error) == "InvalidParameterException"
    updated = ecr.update_repository_creation_template(prefix=prefix, description="second")[
        "repositoryCreationTemplate"
    ]
    assert updated["description"] == "second"
    found = ecr.describe_repository_creation_templates(prefixes=[prefix])["repositoryCreationTemplates"]
    assert [t["description"] for t in found] == ["second"]
    ecr.delete_repository_creation_template(prefix=prefix)
    with pytest.raises(ClientError) as error:
        ecr.delete_repository_creation_template(prefix=prefix)
    assert _code(error) == "TemplateNotFoundException"


def test_pull_through_rule_update_and_validate(ecr):
    prefix = f"quay{uuid.uuid4().hex[:6]}"
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl="quay.io")
    with pytest.raises(ClientError) as error:
        ecr.create_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix + "d", upstreamRegistryUrl="registry-1.docker.io"
        )
    assert _code(error) == "InvalidParameterException"  # Docker Hub needs a credential
    with pytest.raises(ClientError) as error:
        ecr.create_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix + "e", upstreamRegistryUrl="example.com"
        )
    assert _code(error) == "UnsupportedUpstreamRegistryException"
    arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/quay-AbCdEf"
    updated = ecr.update_pull_through_cache_rule(ecrRepositoryPrefix=prefix, credentialArn=arn)
    assert updated["credentialArn"] == arn and "updatedAt" in updated
    validated = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    assert validated["isValid"] is False and "upstream" in validated["failure"]
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)


def test_replication_backfill_copies_existing_images(client, ecr, registry):
    name = f"backfill-{uuid.uuid4().hex[:8]}"
    repository = ecr.create_repository(repositoryName=name)["repository"]
    image_digest, _ = registry.push_image(path_name(repository), "old", os.urandom(64))
    destination = {"region": "eu-central-1", "registryId": "000000000000"}
    with pytest.raises(ClientError) as error:
        ecr.start_replication_backfill(destination=destination)
    assert _code(error) == "ValidationException"  # not a destination of the configuration
    ecr.put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {
                    "destinations": [destination],
                    "repositoryFilters": [{"filter": name, "filterType": "PREFIX_MATCH"}],
                }
            ]
        }
    )
    try:
        started = ecr.start_replication_backfill(destination=destination)
        results = ecr.describe_replication_backfill_results(
            replicationBackfillId=started["replicationBackfillId"]
        )
        assert results["status"] == "COMPLETE"
        assert {
            (r["repositoryName"], r["imageId"]["imageDigest"], r["status"]) for r in results["results"]
        } >= {(name, image_digest, "COMPLETE")}
        listed = ecr.list_replication_backfills()["backfills"]
        assert started["replicationBackfillId"] in [b["replicationBackfillId"] for b in listed]
        with pytest.raises(ClientError) as error:
            ecr.stop_replication_backfill(replicationBackfillId=started["replicationBackfillId"])
        assert _code(error) == "ReplicationBackfillInvalidStatusException"
        copy = client("ecr", region_name="eu-central-1").describe_images(repositoryName=name)["imageDetails"]
        assert copy[0]["imageDigest"] == image_digest
    finally:
        ecr.put_replication_configuration(replicationConfiguration={"rules": []})


def test_signing_configuration_and_exclusions(ecr, registry, repo):
    with pytest.raises(ClientError) as error:
        ecr.get_signing_configuration()
    assert _code(error) == "SigningConfigurationNotFoundException"
    configuration = {
        "rules": [{"signingProfileArn": "arn:aws:signer:us-east-1:000000000000:/signing-profiles/p",
                   "repositoryFilters": [{"filter": "signed-*", "filterType": "WILDCARD_MATCH"}]}]
    }  # fmt: skip
    ecr.put_signing_configuration(signingConfiguration=configuration)
    try:
        assert ecr.get_signing_configuration()["signingConfiguration"] == configuration
        registry.push_image(path_name(repo), "v1", b"layer")
        status = ecr.describe_image_signing_status(
            repositoryName=repo["repositoryName"], imageId={"imageTag": "v1"}
        )
        assert status["signingStatuses"] == []  # the rule names other repositories
    finally:
        ecr.delete_signing_configuration()

    role = f"arn:aws:iam::000000000000:role/ci-{uuid.uuid4().hex[:6]}"
    ecr.register_pull_time_update_exclusion(principalArn=role)
    with pytest.raises(ClientError) as error:
        ecr.register_pull_time_update_exclusion(principalArn=role)
    assert _code(error) == "ExclusionAlreadyExistsException"
    assert role in ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"]
    ecr.deregister_pull_time_update_exclusion(principalArn=role)
    with pytest.raises(ClientError) as error:
        ecr.deregister_pull_time_update_exclusion(principalArn=role)
    assert _code(error) == "ExclusionNotFoundException"


def test_archiving_an_image(ecr, registry, repo):
    registry.push_image(path_name(repo), "v1", b"layer")
    archived = ecr.update_image_storage_class(
        repositoryName=repo["repositoryName"], imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE"
    )
    assert archived["imageStatus"] == "ARCHIVED"
    listed = ecr.describe_images(repositoryName=repo["repositoryName"], filter={"imageStatus": "ARCHIVED"})
    assert (
        listed["imageDetails"][0]["imageStatus"] == "ARCHIVED"
        and "lastArchivedAt" in listed["imageDetails"][0]
    )
    with pytest.raises(ClientError) as error:
        ecr.start_image_scan(repositoryName=repo["repositoryName"], imageId={"imageTag": "v1"})
    assert _code(error) == "ImageArchivedException"
    restored = ecr.update_image_storage_class(
        repositoryName=repo["repositoryName"], imageId={"imageTag": "v1"}, targetStorageClass="STANDARD"
    )
    assert restored["imageStatus"] == "ACTIVE"
    assert json.loads(ecr.batch_get_image(repositoryName=repo["repositoryName"], imageIds=[{"imageTag": "v1"}])[
        "images"][0]["imageManifest"])["schemaVersion"] == 2  # fmt: skip
