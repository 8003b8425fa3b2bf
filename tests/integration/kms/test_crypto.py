"""KMS's cryptography through boto3: symmetric ciphertexts bound to their context, data keys,
asymmetric encryption, signatures that verify offline (cryptography and the openssl CLI),
MACs and ECDH."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


@pytest.fixture(scope="module")
def kms(client):
    return client("kms")


@pytest.fixture(scope="module")
def key_id(kms):
    return kms.create_key(Description="crypto tests")["KeyMetadata"]["KeyId"]


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_encrypt_decrypt_without_key_id_and_with_context(kms, key_id):
    out = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"purpose": "test"})
    assert out["KeyId"].endswith(f":key/{key_id}")
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"purpose": "test"})
    assert back["Plaintext"] == b"secret"
    assert back["KeyId"] == out["KeyId"]
    assert back["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


@pytest.mark.parametrize("context", [None, {"purpose": "other"}, {"purpose": "test", "extra": "x"}])
def test_decrypt_with_a_wrong_context_fails(kms, key_id, context):
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"purpose": "test"})[
        "CiphertextBlob"
    ]
    with pytest.raises(ClientError) as error:
        kms.decrypt(CiphertextBlob=blob, **({"EncryptionContext": context} if context else {}))
    assert code(error) == "InvalidCiphertextException"


def test_tampered_and_malformed_ciphertexts_fail(kms, key_id):
    blob = bytearray(kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"])
    for position in (len(blob) - 1, len(blob) // 2, 40):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(ClientError) as error:
            kms.decrypt(CiphertextBlob=bytes(tampered))
        assert code(error) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as error:
        kms.decrypt(CiphertextBlob=b"not a ciphertext at all")
    assert code(error) == "InvalidCiphertextException"


def test_decrypt_with_another_key_id_is_incorrect_key(kms, key_id):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as error:
        kms.decrypt(CiphertextBlob=blob, KeyId=other)
    assert code(error) == "IncorrectKeyException"


def test_plaintext_over_4096_bytes_is_refused(kms, key_id):
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4097)
    assert code(error) == "ValidationException"
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4096)["CiphertextBlob"]


def test_generate_data_key_decrypts_to_its_plaintext(kms, key_id):
    out = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"a": "b"})
    assert len(out["Plaintext"]) == 32
    assert (
        kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"a": "b"})["Plaintext"]
        == out["Plaintext"]
    )
    # The data key is a real AES key.
    AESGCM(out["Plaintext"]).encrypt(b"\0" * 12, b"data", None)
    assert len(kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)["Plaintext"]) == 16
    without = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in without
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 16


def test_generate_data_key_pair_gives_a_matching_pair(kms, key_id):
    out = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], None)
    public = serialization.load_der_public_key(out["PublicKey"])
    signature = private.sign(b"m", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"m", ec.ECDSA(hashes.SHA256()))
    assert (
        kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"])["Plaintext"] == out["PrivateKeyPlaintext"]
    )
    without = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="RSA_2048")
    assert "PrivateKeyPlaintext" not in without and without["KeyPairSpec"] == "RSA_2048"


def test_re_encrypt_moves_a_ciphertext_to_another_key(kms, key_id):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"move me", EncryptionContext={"k": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"k": "1"},
        DestinationKeyId=other,
        DestinationEncryptionContext={"k": "2"},
    )
    assert out["SourceKeyId"].endswith(key_id) and out["KeyId"].endswith(other)
    assert (
        kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "2"})["Plaintext"]
        == b"move me"
    )


def test_generate_random(kms):
    assert len(kms.generate_random(NumberOfBytes=64)["Plaintext"]) == 64
    with pytest.raises(ClientError) as error:
        kms.generate_random(NumberOfBytes=1025)
    assert code(error) == "ValidationException"


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_rsa_encryption_with_the_public_key_offline(kms, algorithm):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    ciphertext = public.encrypt(b"offline", padding.OAEP(padding.MGF1(digest), digest, None))
    out = kms.decrypt(CiphertextBlob=ciphertext, KeyId=key, EncryptionAlgorithm=algorithm)
    assert out["Plaintext"] == b"offline"
    blob = kms.encrypt(KeyId=key, Plaintext=b"online", EncryptionAlgorithm=algorithm)["CiphertextBlob"]
    assert (
        kms.decrypt(CiphertextBlob=blob, KeyId=key, EncryptionAlgorithm=algorithm)["Plaintext"] == b"online"
    )
    limit = 214 if algorithm.endswith("SHA_1") else 190
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key, Plaintext=b"x" * (limit + 1), EncryptionAlgorithm=algorithm)
    assert code(error) == "ValidationException"
    assert f"larger than {limit} bytes" in error.value.response["Error"]["Message"]


SIGNING = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("RSA_4096", "RSASSA_PSS_SHA_512"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
]


def _verify_offline(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    public = serialization.load_der_public_key(public_der)
    if algorithm.startswith("ED25519"):
        public.verify(signature, message)
        return
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[algorithm[-3:]]
    if algorithm.startswith("ECDSA"):
        public.verify(signature, message, ec.ECDSA(digest))
    elif algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
    else:
        public.verify(signature, message, padding.PKCS1v15(), digest)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING)
def test_signatures_verify_offline_and_tampering_is_refused(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert algorithm in key["SigningAlgorithms"]
    signature = kms.sign(KeyId=key["KeyId"], Message=b"message", SigningAlgorithm=algorithm)["Signature"]
    public_key = kms.get_public_key(KeyId=key["KeyId"])
    assert public_key["KeySpec"] == spec and public_key["SigningAlgorithms"] == key["SigningAlgorithms"]
    _verify_offline(public_key["PublicKey"], algorithm, b"message", signature)
    ok = kms.verify(KeyId=key["KeyId"], Message=b"message", Signature=signature, SigningAlgorithm=algorithm)
    assert ok["SignatureValid"] is True
    with pytest.raises(ClientError) as error:
        kms.verify(KeyId=key["KeyId"], Message=b"messagE", Signature=signature, SigningAlgorithm=algorithm)
    assert code(error) == "KMSInvalidSignatureException"


def test_sign_a_digest_verifies_as_a_signature_of_the_message(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    digest = hashlib.sha256(b"message").digest()
    signature = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    public.verify(signature["Signature"], digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    public.verify(signature["Signature"], b"message", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(ClientError) as error:
        kms.sign(KeyId=key, Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert error.value.response["Error"]["Message"] == "Digest is invalid length for algorithm ECDSA_SHA_256."


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI on this machine")
def test_openssl_verifies_a_signature(kms, tmp_path):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=key, Message=b"hello openssl", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    (tmp_path / "public.der").write_bytes(kms.get_public_key(KeyId=key)["PublicKey"])
    (tmp_path / "message").write_bytes(b"hello openssl")
    (tmp_path / "signature").write_bytes(signature["Signature"])
    command = ["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify", str(tmp_path / "public.der"),
               "-signature", str(tmp_path / "signature"), str(tmp_path / "message")]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Verified OK" in result.stdout
    (tmp_path / "message").write_bytes(b"hello openssL")
    assert subprocess.run(command, capture_output=True, check=False).returncode != 0


def test_key_usage_errors(kms, key_id):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=signing["KeyId"], Plaintext=b"x")
    assert code(error) == "InvalidKeyUsageException"
    assert error.value.response["Error"]["Message"] == (
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."
    )
    with pytest.raises(ClientError) as error:
        kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")
    assert code(error) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as error:
        kms.generate_data_key(KeyId=signing["KeyId"], KeySpec="AES_256")
    assert code(error) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as error:
        kms.create_key(KeySpec="RSA_2048")
    assert code(error) == "ValidationException"


def test_hmac_keys(kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert key["MacAlgorithms"] == ["HMAC_SHA_256"]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"]
    with pytest.raises(ClientError) as error:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"n", Mac=mac, MacAlgorithm="HMAC_SHA_256")
    assert code(error) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as error:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert code(error) == "InvalidKeyUsageException"
    assert (
        error.value.response["Error"]["Message"]
        == "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."
    )


def test_derive_shared_secret_matches_ecdh_offline(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    mine = ec.generate_private_key(ec.SECP256R1())
    mine_public = mine.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = kms.derive_shared_secret(KeyId=key, KeyAgreementAlgorithm="ECDH", PublicKey=mine_public)
    theirs = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    assert out["SharedSecret"] == mine.exchange(ec.ECDH(), theirs)
    assert out["KeyOrigin"] == "AWS_KMS"


def test_grant_tokens_are_checked(kms, key_id):
    grant = kms.create_grant(
        KeyId=key_id, GranteePrincipal="arn:aws:iam::000000000000:role/app", Operations=["Encrypt", "Decrypt"]
    )
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=["not-a-grant-token"])
    assert code(error) == "InvalidGrantTokenException"


def test_dry_run(kms, key_id):
    with pytest.raises(ClientError) as error:
        kms.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert code(error) == "DryRunOperationException"
