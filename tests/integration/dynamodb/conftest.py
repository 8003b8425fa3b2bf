from __future__ import annotations

import pytest

from tests.integration.dynamodb.helpers import make_table


@pytest.fixture(scope="session")
def ddb(client):
    return client("dynamodb")


@pytest.fixture(scope="session")
def streams(client):
    return client("dynamodbstreams")


@pytest.fixture
def table(ddb):
    return make_table(ddb)
