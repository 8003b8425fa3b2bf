"""Fixtures for the IAM/STS tests: clients signed as any account or issued credentials, and a
second server running with --enforce-iam."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
import uuid

import boto3
import pytest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def totp(seed: bytes | str, step: int) -> str:
    """RFC 6238, written independently of Overcast's, to drive virtual MFA devices."""
    key = base64.b32decode(seed if isinstance(seed, str) else seed.decode())
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def now_step() -> int:
    return int(time.time()) // 30


def trust(principal: dict, **statement) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **statement}
            ],
        }
    )


def allow(action, resource="*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


@pytest.fixture(scope="session")
def signed(endpoint):
    """`signed("iam", key, secret, token=None)` → a boto3 client with those credentials;
    `signed("iam", "123456789012")` → the root of that account."""

    def make(service, key="test", secret="test", token=None, server_endpoint=None, region="us-east-1"):
        session = boto3.session.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name=region
        )
        return session.client(service, endpoint_url=server_endpoint or endpoint)

    return make
