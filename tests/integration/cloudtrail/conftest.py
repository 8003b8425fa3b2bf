"""Each test acts in an account of its own (a 12-digit access key id is its account), so the
events it looks up are only its own, whatever else the shared server has served."""

from __future__ import annotations

import random

import boto3
import pytest


@pytest.fixture
def account() -> str:
    return f"{random.randrange(10**11, 10**12):012d}"


@pytest.fixture
def ours(endpoint, account):
    """`ours("sts")` → a boto3 client acting in this test's account (region us-east-1 unless
    given)."""

    def make(service: str, region: str = "us-east-1", key: str | None = None):
        session = boto3.session.Session(
            aws_access_key_id=key or account, aws_secret_access_key="test", region_name=region
        )
        return session.client(service, endpoint_url=endpoint)

    return make


@pytest.fixture
def aws_as(aws, account):
    """The aws CLI acting in this test's account."""

    def run(*args: str, check: bool = True):
        return aws(*args, check=check, env={"AWS_ACCESS_KEY_ID": account})

    return run
