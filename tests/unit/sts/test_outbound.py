"""GetWebIdentityToken's JWTs verify against the key set the account's issuer publishes."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from overcast.context import RequestContext

ACCOUNT = "123456789012"


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _integer(part: str) -> int:
    return int.from_bytes(_decode(part), "big")


def _verify(token: str, jwk: dict) -> None:
    signing_input, _, signature = token.rpartition(".")
    raw = _decode(signature)
    if jwk["kty"] == "RSA":
        key = rsa.RSAPublicNumbers(_integer(jwk["e"]), _integer(jwk["n"])).public_key()
        key.verify(raw, signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        point = ec.EllipticCurvePublicNumbers(_integer(jwk["x"]), _integer(jwk["y"]), ec.SECP384R1())
        der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
        point.public_key().verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA384()))


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_tokens_verify_against_the_published_keys(runtime, algorithm):
    iam, sts = runtime.provider("iam"), runtime.provider("sts")
    context = RequestContext.internal("sts", ACCOUNT)
    iam.enable_outbound_web_identity_federation(RequestContext.internal("iam", ACCOUNT), {})
    token = sts.get_web_identity_token(context, {"Audience": ["aud"], "SigningAlgorithm": algorithm})[
        "WebIdentityToken"
    ]
    header = json.loads(_decode(token.split(".")[0]))
    [jwk] = [k for k in sts.web_identity_jwks(ACCOUNT)["keys"] if k["kid"] == header["kid"]]
    assert jwk["alg"] == algorithm
    _verify(token, jwk)
    tampered = token.rsplit(".", 1)[0] + "x." + token.rsplit(".", 1)[1]
    with pytest.raises(InvalidSignature):
        _verify(tampered, jwk)
    assert sts.web_identity_jwks("210987654321") == {"keys": []}
