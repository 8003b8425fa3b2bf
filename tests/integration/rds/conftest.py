"""RDS fixtures: a client, unique identifiers, and one PostgreSQL instance shared by a module's
tests (each engine start costs about a second of CPU)."""

from __future__ import annotations

import time
import uuid

import pytest


def unique(prefix: str = "db") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def rds(client):
    return client("rds")


def wait_status(rds, identifier: str, status: str = "available", timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        if instance["DBInstanceStatus"] == status:
            return instance
        assert instance["DBInstanceStatus"] != "failed", instance
        assert time.monotonic() < deadline, f"{identifier} still {instance['DBInstanceStatus']}"
        time.sleep(0.1)


def create_postgres(rds, identifier: str, **extra) -> dict:
    params = {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "MasterUsername": "admin",
        "MasterUserPassword": "supersecret",
        "DBName": "myapp",
        "AllocatedStorage": 20,
        **extra,
    }
    rds.create_db_instance(**params)
    return wait_status(rds, identifier)


def pg(instance: dict, password: str = "supersecret", database: str = "myapp", user: str = "admin"):
    import pg8000.native

    endpoint = instance["Endpoint"]
    return pg8000.native.Connection(
        user,
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=password,
        database=database,
        timeout=10,
    )


def delete(rds, identifier: str) -> None:
    try:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    except rds.exceptions.DBInstanceNotFoundFault:
        pass


@pytest.fixture(scope="module")
def postgres(rds):
    """One PostgreSQL instance for the module's tests."""
    identifier = unique("pg")
    instance = create_postgres(rds, identifier, BackupRetentionPeriod=1)
    yield instance
    delete(rds, identifier)
