"""The jwt-validation action's check: a token signed by a key of the JWKS endpoint, from the
action's issuer, unexpired, with the additional claims, passes; anything else is refused."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from overcast.services.apigatewayv2.jwt import JwtRefused
from overcast.services.elbv2 import jwtcheck


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture(scope="module")
def issuer():
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "kid": "k1",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def sign(claims: dict) -> str:
        head = _b64(json.dumps({"alg": "ES256", "kid": "k1"}).encode())
        payload = _b64(json.dumps(claims).encode())
        r, s = decode_dss_signature(key.sign(f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256())))
        return f"{head}.{payload}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", sign
    server.shutdown()


def test_tokens_are_verified(issuer):
    endpoint, sign = issuer
    config = {
        "JwksEndpoint": endpoint,
        "Issuer": "https://issuer.example.com",
        "AdditionalClaims": [{"Format": "space-separated-values", "Name": "scope", "Values": ["read"]}],
    }
    good = {"iss": "https://issuer.example.com", "exp": time.time() + 60, "scope": "read write"}
    assert jwtcheck.verify(sign(good), config)["scope"] == "read write"
    for bad in (
        {**good, "iss": "https://other.example.com"},
        {**good, "exp": time.time() - 1},
        {**good, "scope": "write"},
    ):
        with pytest.raises(JwtRefused):
            jwtcheck.verify(sign(bad), config)
    token = sign(good)
    head, _, signature = token.split(".")
    forged = _b64(json.dumps({**good, "scope": "read admin"}).encode())
    with pytest.raises(JwtRefused):
        jwtcheck.verify(f"{head}.{forged}.{signature}", config)
