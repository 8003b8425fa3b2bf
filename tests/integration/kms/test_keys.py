"""KMS key lifecycle through boto3 and the aws CLI: aliases, enable/disable, deletion windows,
rotation, imported key material, multi-Region replicas, grants, policies, tags, paging and
the AWS managed keys."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from tests.conftest import Server


@pytest.fixture(scope="module")
def kms(client):
    return client("kms")


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_describe_key_and_default_policy(kms):
    key = kms.create_key(Description="described", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]
    described = kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["KeyManager"] == "CUSTOMER"
    assert described["Description"] == "described" and described["Origin"] == "AWS_KMS"
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::000000000000:root"}
    assert policy["Statement"][0]["Action"] == "kms:*"
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "a"}]


def test_unknown_keys_and_aliases(kms):
    missing = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as error:
        kms.describe_key(KeyId=missing)
    assert code(error) == "NotFoundException"
    assert error.value.response["Error"]["Message"] == (
        f"Key 'arn:aws:kms:us-east-1:000000000000:key/{missing}' does not exist"
    )
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId="alias/nobody", Plaintext=b"x")
    assert error.value.response["Error"]["Message"] == (
        "Alias arn:aws:kms:us-east-1:000000000000:alias/nobody is not found."
    )
    with pytest.raises(ClientError) as error:
        kms.describe_key(KeyId="fake-key-id")
    assert error.value.response["Error"]["Message"] == "Invalid keyId 'fake-key-id'"


def test_aliases(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key)
    with pytest.raises(ClientError) as error:
        kms.create_alias(AliasName="alias/app", TargetKeyId=key)
    assert code(error) == "AlreadyExistsException"
    with pytest.raises(ClientError) as error:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key)
    # alias/aws/ is reserved for AWS managed keys: AWS answers NotAuthorizedException.
    assert code(error) == "NotAuthorizedException"
    blob = kms.encrypt(KeyId="alias/app", Plaintext=b"via alias")["CiphertextBlob"]
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == key
    kms.update_alias(AliasName="alias/app", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == other
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"via alias"
    listed = kms.list_aliases(KeyId=other)["Aliases"]
    assert [entry["AliasName"] for entry in listed] == ["alias/app"]
    kms.delete_alias(AliasName="alias/app")
    with pytest.raises(ClientError) as error:
        kms.delete_alias(AliasName="alias/app")
    assert code(error) == "NotFoundException"
    # AliasName must begin with alias/ for CreateAlias, UpdateAlias and DeleteAlias alike.
    for call, extra in (
        (kms.create_alias, {"TargetKeyId": key}),
        (kms.update_alias, {"TargetKeyId": key}),
        (kms.delete_alias, {}),
    ):
        with pytest.raises(ClientError) as error:
            call(AliasName="wrongprefix/app", **extra)
        assert code(error) == "ValidationException"
        assert 'Alias must start with the prefix "alias/"' in error.value.response["Error"]["Message"]


def test_aws_managed_keys_exist_on_first_use(kms):
    listed = {entry["AliasName"]: entry for entry in kms.list_aliases()["Aliases"]}
    assert "alias/aws/ssm" in listed
    blob = kms.encrypt(KeyId="alias/aws/ssm", Plaintext=b"parameter")["CiphertextBlob"]
    key = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"parameter"
    listed = {entry["AliasName"]: entry for entry in kms.list_aliases()["Aliases"]}
    assert listed["alias/aws/ssm"]["TargetKeyId"] == key["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"])
    assert policy["Id"] == "auto-ssm-1"
    with pytest.raises(ClientError) as error:
        kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert code(error) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as error:
        kms.disable_key(KeyId=key["KeyId"])
    assert code(error) == "UnsupportedOperationException"


def test_management_operations_take_a_key_id_or_key_arn_not_an_alias(kms):
    # AWS documents KeyId of these operations as "key ID or key ARN": an alias is refused,
    # while the cryptographic operations and DescribeKey accept it.
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/management-by-alias", TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", "alias/management-by-alias")
    calls = [
        (kms.enable_key_rotation, {}),
        (kms.get_key_rotation_status, {}),
        (kms.disable_key, {}),
        (kms.schedule_key_deletion, {"PendingWindowInDays": 7}),
        (kms.get_key_policy, {"PolicyName": "default"}),
        (kms.list_resource_tags, {}),
        (kms.tag_resource, {"Tags": [{"TagKey": "k", "TagValue": "v"}]}),
        (kms.list_grants, {}),
    ]
    for call, extra in calls:
        for given in ("alias/management-by-alias", alias_arn):
            with pytest.raises(ClientError) as error:
                call(KeyId=given, **extra)
            assert code(error) == "NotFoundException", call
    with pytest.raises(ClientError) as error:
        kms.create_alias(AliasName="alias/second-by-alias", TargetKeyId="alias/management-by-alias")
    assert code(error) == "ValidationException"
    assert kms.describe_key(KeyId="alias/management-by-alias")["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.encrypt(KeyId=alias_arn, Plaintext=b"x")["KeyId"] == key["Arn"]
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_disable_and_enable(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Enabled"] is False
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(error) == "DisabledException"
    assert error.value.response["Error"]["Message"] == f"{key['Arn']} is disabled."
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]


def test_schedule_and_cancel_deletion(kms):
    key = kms.create_key()["KeyMetadata"]
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and "DeletionDate" in described
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(error) == "KMSInvalidStateException"
    assert error.value.response["Error"]["Message"] == f"{key['Arn']} is pending deletion."
    with pytest.raises(ClientError) as error:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=6)
    assert code(error) == "ValidationException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_a_key_goes_once_its_deletion_window_passes():
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_KMS_DAY_SECONDS": "0.05"})
    try:
        import boto3

        kms = boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/doomed", TargetKeyId=key)
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        time.sleep(0.5)
        with pytest.raises(ClientError) as error:
            kms.describe_key(KeyId=key)
        assert code(error) == "NotFoundException"
        assert key not in [entry["KeyId"] for entry in kms.list_keys()["Keys"]]
        assert "alias/doomed" not in [entry["AliasName"] for entry in kms.list_aliases()["Aliases"]]
    finally:
        server.stop()


def test_rotation_keeps_old_ciphertexts_readable(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    old = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    first = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key)
    second = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert first != second
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [entry["RotationType"] for entry in rotations] == ["ON_DEMAND"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    new = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"])
    assert new["KeyMaterialId"] == second
    kms.disable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
def test_imported_key_material(kms, algorithm):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(error) == "KMSInvalidStateException"
    params = kms.get_parameters_for_import(
        KeyId=key["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048"
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(padding.MGF1(digest), digest, None)
    material = os.urandom(32)
    if algorithm.startswith("RSA_AES"):
        aes = os.urandom(32)
        wrapped = public.encrypt(aes, oaep) + aes_key_wrap_with_padding(aes, material)
    else:
        wrapped = public.encrypt(material, oaep)
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")  # fmt: skip
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as error:
        kms.decrypt(CiphertextBlob=blob)
    assert code(error) == "KMSInvalidStateException"
    # The same material imported again brings the old ciphertexts back.
    params = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_3072")  # fmt: skip
    public = serialization.load_der_public_key(params["PublicKey"])
    wrapped = public.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    with pytest.raises(ClientError) as error:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=b"wrong token", EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")  # fmt: skip
    assert code(error) == "InvalidImportTokenException"
    kms.import_key_material(KeyId=key["KeyId"], ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")  # fmt: skip
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_import_on_a_kms_key_is_refused(kms):
    key = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as error:
        kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")  # fmt: skip
    assert code(error) == "UnsupportedOperationException"
    assert (
        error.value.response["Error"]["Message"]
        == f"{key['Arn']} origin is AWS_KMS which is not valid for this operation."
    )


def test_multi_region_replica_decrypts_what_the_primary_encrypted(client):
    primary = client("kms", region_name="us-east-1")
    replica_client = client("kms", region_name="eu-west-1")
    key = primary.create_key(MultiRegion=True)["KeyMetadata"]
    assert (
        key["KeyId"].startswith("mrk-") and key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    )
    blob = primary.encrypt(KeyId=key["KeyId"], Plaintext=b"everywhere", EncryptionContext={"a": "b"})[
        "CiphertextBlob"
    ]
    out = primary.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1", Description="replica")
    assert out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert (
        replica_client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"]
        == b"everywhere"
    )
    described = primary.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert [replica["Region"] for replica in described["ReplicaKeys"]] == ["eu-west-1"]
    with pytest.raises(ClientError) as error:
        primary.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    assert code(error) == "AlreadyExistsException"
    primary.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="eu-west-1")
    moved = replica_client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert moved["MultiRegionKeyType"] == "PRIMARY"
    single = primary.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as error:
        primary.replicate_key(KeyId=single, ReplicaRegion="eu-west-1")
    assert code(error) == "UnsupportedOperationException"


def test_grants(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    grant = kms.create_grant(
        KeyId=key,
        GranteePrincipal="arn:aws:iam::000000000000:role/app",
        RetiringPrincipal="arn:aws:iam::000000000000:role/admin",
        Operations=["Encrypt", "Decrypt"],
        Constraints={"EncryptionContextSubset": {"dept": "it"}},
        Name="app-grant",
    )
    listed = kms.list_grants(KeyId=key)["Grants"]
    assert [entry["GrantId"] for entry in listed] == [grant["GrantId"]]
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"dept": "it"}}
    retirable = kms.list_retirable_grants(RetiringPrincipal="arn:aws:iam::000000000000:role/admin")["Grants"]
    assert grant["GrantId"] in [entry["GrantId"] for entry in retirable]
    kms.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=key)["Grants"] == []
    with pytest.raises(ClientError) as error:
        kms.create_grant(
            KeyId=key, GranteePrincipal="arn:aws:iam::000000000000:role/app", Operations=["Sign"]
        )
    assert code(error) == "ValidationException"
    third = kms.create_grant(
        KeyId=key, GranteePrincipal="arn:aws:iam::000000000000:role/app", Operations=["Decrypt"]
    )
    kms.revoke_grant(KeyId=key, GrantId=third["GrantId"])
    with pytest.raises(ClientError) as error:
        kms.revoke_grant(KeyId=key, GrantId=third["GrantId"])
    assert code(error) == "NotFoundException"


def test_tags_and_policies(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.untag_resource(KeyId=key, TagKeys=["a"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    with pytest.raises(ClientError) as error:
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert code(error) == "TagException"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                         "Action": "kms:*", "Resource": "*"}]})  # fmt: skip
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy)
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == policy
    with pytest.raises(ClientError) as error:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy="not json")
    assert code(error) == "MalformedPolicyDocumentException"


def test_list_keys_pages(client):
    kms = client("kms", region_name="ap-south-1")
    made = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    seen: list[str] = []
    page = kms.list_keys(Limit=2)
    while True:
        seen += [entry["KeyId"] for entry in page["Keys"]]
        if not page["Truncated"]:
            break
        page = kms.list_keys(Limit=2, Marker=page["NextMarker"])
    assert set(seen) == made and len(seen) == 5
    with pytest.raises(ClientError) as error:
        kms.list_keys(Marker="bogus")
    assert code(error) == "InvalidMarkerException"


def test_custom_key_stores_without_cloudhsm(kms):
    with pytest.raises(ClientError) as error:
        kms.create_custom_key_store(CustomKeyStoreName="hsm", CloudHsmClusterId="cluster-1234567890a",
                                    TrustAnchorCertificate="cert", KeyStorePassword="password")  # fmt: skip
    assert code(error) == "CloudHsmClusterNotFoundException"
    with pytest.raises(ClientError) as error:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-1234567890abcdefg")
    assert code(error) == "CustomKeyStoreNotFoundException"
    assert kms.describe_custom_key_stores()["CustomKeyStores"] == []


def test_aws_cli(aws, tmp_path):
    key = aws("kms", "create-key", "--description", "cli key")["KeyMetadata"]["KeyId"]
    aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key)
    (tmp_path / "plain").write_bytes(b"cli text")
    out = aws("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{tmp_path / 'plain'}")
    (tmp_path / "blob").write_bytes(base64.b64decode(out["CiphertextBlob"]))
    back = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}")
    assert base64.b64decode(back["Plaintext"]) == b"cli text"
    assert any(entry["AliasName"] == "alias/cli" for entry in aws("kms", "list-aliases")["Aliases"])


def _wrapped_material(kms, key_id: str) -> tuple[bytes, bytes]:
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")  # fmt: skip
    public = serialization.load_der_public_key(params["PublicKey"])
    wrapped = public.encrypt(
        os.urandom(32), padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    )
    return params["ImportToken"], wrapped


def test_imported_material_expires(kms):
    from datetime import UTC, datetime, timedelta

    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    token, wrapped = _wrapped_material(kms, key)
    with pytest.raises(ClientError) as error:
        kms.import_key_material(KeyId=key, ImportToken=token, EncryptedKeyMaterial=wrapped)
    assert error.value.response["Error"]["Message"] == (
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    )
    kms.import_key_material(KeyId=key, ImportToken=token, EncryptedKeyMaterial=wrapped,
                            ValidTo=datetime.now(UTC) + timedelta(seconds=2))  # fmt: skip
    described = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    time.sleep(2.5)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
