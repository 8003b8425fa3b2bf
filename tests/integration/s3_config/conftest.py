"""Fixtures for S3 bucket-configuration tests: a boto3 S3 client, a fresh bucket per test and
plain (unsigned) HTTP requests."""

from __future__ import annotations

import uuid

import pytest

# Re-exported for the tests here.
from tests.integration.s3.conftest import error_of as error_code  # noqa: F401
from tests.integration.s3.conftest import raw  # noqa: F401


@pytest.fixture(scope="session")
def s3(client):
    return client("s3")


@pytest.fixture
def bucket(s3):
    name = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name
