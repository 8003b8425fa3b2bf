"""Blue/green deployments: the green copy is a real replica; switchover swaps the endpoints."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.rds.conftest import create_postgres, delete, pg, unique, wait_status


def wait_deployment(rds, identifier: str, status: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = rds.describe_blue_green_deployments(BlueGreenDeploymentIdentifier=identifier)[
            "BlueGreenDeployments"
        ][0]
        if found["Status"] == status:
            return found
        assert "FAILED" not in found["Status"], found
        assert time.monotonic() < deadline, found["Status"]
        time.sleep(0.2)


def test_a_switchover_puts_the_green_copy_behind_the_blue_endpoint(rds):
    blue_id = unique("blue")
    blue = create_postgres(rds, blue_id, BackupRetentionPeriod=1)
    conn = pg(blue)
    conn.run("CREATE TABLE orders (v text)")
    conn.run("INSERT INTO orders VALUES ('before')")
    conn.close()
    deployment = rds.create_blue_green_deployment(
        BlueGreenDeploymentName="upgrade", Source=blue["DBInstanceArn"], TargetDBInstanceClass="db.t3.small",
        Tags=[{"Key": "k", "Value": "v"}],
    )["BlueGreenDeployment"]  # fmt: skip
    identifier = deployment["BlueGreenDeploymentIdentifier"]
    green_id = deployment["Target"].rsplit(":", 1)[-1]
    old_id = f"{blue_id}-old1"
    try:
        assert deployment["Status"] == "PROVISIONING" and deployment["Source"] == blue["DBInstanceArn"]
        assert green_id.startswith(f"{blue_id}-green-")
        with pytest.raises(ClientError) as error:
            rds.create_blue_green_deployment(BlueGreenDeploymentName="again", Source=blue["DBInstanceArn"])
        assert error.value.response["Error"]["Code"] == "BlueGreenDeploymentAlreadyExistsFault"
        ready = wait_deployment(rds, identifier, "AVAILABLE")
        assert ready["SwitchoverDetails"][0]["Status"] == "AVAILABLE"
        green = wait_status(rds, green_id)
        assert green["DBInstanceClass"] == "db.t3.small"
        # The green copy follows blue and is read-only until the switchover.
        conn = pg(blue)
        conn.run("INSERT INTO orders VALUES ('during')")
        conn.close()
        import pg8000.exceptions

        with pytest.raises(pg8000.exceptions.DatabaseError, match="read-only"):
            pg(green).run("INSERT INTO orders VALUES ('nope')")

        rds.switchover_blue_green_deployment(BlueGreenDeploymentIdentifier=identifier)
        done = wait_deployment(rds, identifier, "SWITCHOVER_COMPLETED")
        assert done["Target"].endswith(f":db:{blue_id}") and done["Source"].endswith(f":db:{old_id}")
        production = wait_status(rds, blue_id)
        old = wait_status(rds, old_id)
        assert production["Endpoint"]["Port"] == blue["Endpoint"]["Port"]
        assert production["DBInstanceClass"] == "db.t3.small"
        assert old["Endpoint"]["Port"] == green["Endpoint"]["Port"]
        conn = pg(production)  # the same address as before, now the green database, writable
        assert conn.run("SELECT v FROM orders ORDER BY v") == [["before"], ["during"]]
        conn.run("INSERT INTO orders VALUES ('after')")
        conn.close()
        assert pg(old).run("SELECT count(*) FROM orders") == [[2]]
        with pytest.raises(ClientError) as error:
            rds.switchover_blue_green_deployment(BlueGreenDeploymentIdentifier=identifier)
        assert error.value.response["Error"]["Code"] == "InvalidBlueGreenDeploymentStateFault"
        deleted = rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=identifier)
        assert deleted["BlueGreenDeployment"]["Status"] == "DELETING"
        with pytest.raises(ClientError) as error:
            rds.describe_blue_green_deployments(BlueGreenDeploymentIdentifier=identifier)
        assert error.value.response["Error"]["Code"] == "BlueGreenDeploymentNotFoundFault"
    finally:
        for name in (green_id, old_id, blue_id):
            delete(rds, name)


def test_deleting_a_deployment_can_delete_its_green_copy(rds):
    blue_id = unique("blue")
    blue = create_postgres(rds, blue_id, BackupRetentionPeriod=1)
    try:
        deployment = rds.create_blue_green_deployment(
            BlueGreenDeploymentName="x", Source=blue["DBInstanceArn"]
        )["BlueGreenDeployment"]
        identifier = deployment["BlueGreenDeploymentIdentifier"]
        green_id = deployment["Target"].rsplit(":", 1)[-1]
        wait_deployment(rds, identifier, "AVAILABLE")
        listed = rds.describe_blue_green_deployments(
            Filters=[{"Name": "blue-green-deployment-name", "Values": ["x"]}]
        )["BlueGreenDeployments"]
        assert identifier in [d["BlueGreenDeploymentIdentifier"] for d in listed]
        rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=identifier, DeleteTarget=True)
        rds.get_waiter("db_instance_deleted").wait(
            DBInstanceIdentifier=green_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    finally:
        delete(rds, blue_id)
    with pytest.raises(ClientError) as error:
        rds.create_blue_green_deployment(
            BlueGreenDeploymentName="y", Source="arn:aws:rds:us-east-1:000000000000:db:no-such-db"
        )
    assert error.value.response["Error"]["Code"] == "DBInstanceNotFound"
