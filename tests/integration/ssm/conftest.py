"""SSM fixtures: a client and unique parameter paths, so tests share the session's server."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def ssm(client):
    return client("ssm")


@pytest.fixture
def path() -> str:
    """A fresh top-level path for one test's parameters."""
    return f"/t{uuid.uuid4().hex[:10]}"
