"""KMS: Encrypt and Decrypt of 4 KiB under a symmetric key (AES-256-GCM, with an encryption
context). Decrypt needs a ciphertext of the key the setup creates, so the setup fills it in
the request's parameters before the requests are built."""

from scenarios import AwsCall, ClientFactory, Scenario

ALIAS = "alias/bench-kms"
PLAINTEXT = b"k" * 4096
CONTEXT = {"purpose": "benchmark"}

_ENCRYPT = AwsCall("kms", "Encrypt", {"KeyId": ALIAS, "Plaintext": PLAINTEXT, "EncryptionContext": CONTEXT})
_DECRYPT = AwsCall("kms", "Decrypt", {"CiphertextBlob": b"", "EncryptionContext": CONTEXT})


def _key(client: ClientFactory) -> None:
    kms = client("kms")
    aliases = {entry["AliasName"] for entry in kms.list_aliases()["Aliases"]}
    if ALIAS not in aliases:
        key_id = kms.create_key(Description="benchmark key")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=ALIAS, Plaintext=PLAINTEXT, EncryptionContext=CONTEXT)["CiphertextBlob"]
    _DECRYPT.params["CiphertextBlob"] = blob


SCENARIOS = (
    Scenario(
        name="kms-encrypt-4k",
        summary="KMS Encrypt of 4 KiB under a symmetric key, with an encryption context",
        setup=_key,
        requests=(_ENCRYPT,),
    ),
    Scenario(
        name="kms-decrypt-4k",
        summary="KMS Decrypt of a 4 KiB ciphertext (no KeyId: the blob names its key)",
        setup=_key,
        requests=(_DECRYPT,),
    ),
)
