"""KMS on the wire: errors AWS answers with no message (a ciphertext or signature that does
not check out) carry no `message` member at all, and the order its validation messages list
enum values in (AWS's recorded answers, not the model's order)."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(
    json_omit_empty_message=True,
    enum_orders={
        "MacAlgorithmSpec": ("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"),
        "KeyUsageType": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
        "KeySpec": (
            "RSA_2048",
            "ECC_NIST_P384",
            "ECC_NIST_P256",
            "ECC_NIST_P521",
            "HMAC_384",
            "RSA_3072",
            "ECC_SECG_P256K1",
            "RSA_4096",
            "SYMMETRIC_DEFAULT",
            "HMAC_256",
            "HMAC_224",
            "HMAC_512",
        ),
    },
)
