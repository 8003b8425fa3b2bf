"""What other services rely on: KMS's public provider methods (encrypt_data, decrypt_data,
new_data_key, key_arn_for) with KMS's own errors, and the ciphertext blob's format."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import crypto

ACCOUNT, REGION = "000000000000", "us-east-1"


@pytest.fixture
def kms(runtime):
    return runtime.provider("kms")


@pytest.fixture
def context():
    return RequestContext.internal("kms", ACCOUNT, REGION)


def test_encrypt_and_decrypt_for_another_service(kms, context):
    key = kms.create_key(context, {})["KeyMetadata"]
    arn, blob = kms.encrypt_data(
        ACCOUNT, REGION, key["KeyId"], b"object body", {"aws:s3:arn": "arn:aws:s3:::b/k"}
    )
    assert arn == key["Arn"]
    assert kms.decrypt_data(ACCOUNT, REGION, blob, {"aws:s3:arn": "arn:aws:s3:::b/k"}) == (
        arn,
        b"object body",
    )
    with pytest.raises(ServiceError) as error:
        kms.decrypt_data(ACCOUNT, REGION, blob, {"aws:s3:arn": "arn:aws:s3:::b/other"})
    assert error.value.code == "InvalidCiphertextException"


def test_data_keys_under_an_aws_managed_alias(kms):
    arn, plaintext, blob = kms.new_data_key(ACCOUNT, REGION, "alias/aws/s3", {"k": "v"})
    assert len(plaintext) == 32 and arn.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert kms.decrypt_data(ACCOUNT, REGION, blob, {"k": "v"}) == (arn, plaintext)
    assert kms.key_arn_for(ACCOUNT, REGION, "alias/aws/s3") == arn


def test_errors_other_services_pass_on(kms, context):
    with pytest.raises(ServiceError) as error:
        kms.key_arn_for(ACCOUNT, REGION, "alias/missing")
    assert error.value.code == "NotFoundException"
    key = kms.create_key(context, {})["KeyMetadata"]["KeyId"]
    kms.disable_key(context, {"KeyId": key})
    with pytest.raises(ServiceError) as error:
        kms.encrypt_data(ACCOUNT, REGION, key, b"x")
    assert error.value.code == "DisabledException"
    kms.enable_key(context, {"KeyId": key})
    kms.schedule_key_deletion(context, {"KeyId": key, "PendingWindowInDays": 7})
    with pytest.raises(ServiceError) as error:
        kms.new_data_key(ACCOUNT, REGION, key)
    assert error.value.code == "KMSInvalidStateException"
    signing = kms.create_key(context, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]
    with pytest.raises(ServiceError) as error:
        kms.encrypt_data(ACCOUNT, REGION, signing["KeyId"], b"x")
    assert error.value.code == "InvalidKeyUsageException"


def test_blob_names_its_key_and_material():
    material = crypto.new_material("SYMMETRIC_DEFAULT")
    material_hex = crypto.material_id(material)
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    blob = crypto.seal(key_id, material_hex, material, b"plain", {"b": "2", "a": "1"})
    assert crypto.blob_header(blob) == crypto.BlobHeader(key_id, material_hex)
    # The context binds regardless of the order its pairs came in.
    assert crypto.open_blob(blob, material, {"a": "1", "b": "2"}) == b"plain"
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x80
        with pytest.raises(crypto.BadCiphertext):
            crypto.blob_header(bytes(tampered))
            crypto.open_blob(bytes(tampered), material, {"a": "1", "b": "2"})


def test_resource_policy_is_the_key_policy(kms, context):
    key = kms.create_key(context, {})["KeyMetadata"]
    assert '"kms:*"' in kms.resource_policy(key["Arn"])
    assert (
        kms.resource_policy(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555")
        is None
    )
