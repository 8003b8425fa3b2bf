"""DB instances on a real PostgreSQL: the guide's create, a client connecting to the endpoint the
API returns, describe with filters and pages, modify, reboot, stop and start, delete."""

from __future__ import annotations

import socket

import pg8000.exceptions
import pytest
from botocore.exceptions import ClientError

from tests.integration.rds.conftest import create_postgres, delete, pg, unique, wait_status


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_the_guides_instance_is_a_postgres_that_clients_reach(rds, aws):
    identifier = unique("prod-postgres")
    created = aws(
        "rds", "create-db-instance",
        "--db-instance-identifier", identifier,
        "--db-instance-class", "db.t3.medium",
        "--engine", "postgres",
        "--engine-version", "16.1",
        "--master-username", "admin",
        "--master-user-password", "supersecret",
        "--db-name", "myapp",
        "--allocated-storage", "100",
        "--storage-type", "gp3",
        "--multi-az",
        "--backup-retention-period", "7",
        "--no-publicly-accessible",
        "--vpc-security-group-ids", "sg-12345678",
    )["DBInstance"]  # fmt: skip
    try:
        assert created["DBInstanceStatus"] == "creating"
        assert created["EngineVersion"] == "16.1" and created["MultiAZ"] is True
        assert created["VpcSecurityGroups"] == [{"VpcSecurityGroupId": "sg-12345678", "Status": "active"}]
        rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
        )
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        assert instance["Endpoint"]["Address"] == "127.0.0.1"
        assert instance["Endpoint"]["Port"] == created["Endpoint"]["Port"]
        conn = pg(instance)
        conn.run("CREATE TABLE orders (id int primary key, item text)")
        conn.run("INSERT INTO orders VALUES (1, 'book')")
        assert conn.run("SELECT item FROM orders") == [["book"]]
        assert conn.run("SELECT current_database()") == [["myapp"]]
        conn.close()
        events = rds.describe_events(SourceIdentifier=identifier, SourceType="db-instance")["Events"]
        messages = [e["Message"] for e in events]
        assert "DB instance created" in messages
        assert any("nearest installed version" in m for m in messages)  # 16 is not installed here
        snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=identifier, SnapshotType="automated")
        assert len(snapshots["DBSnapshots"]) == 1
    finally:
        delete(rds, identifier)
    rds.get_waiter("db_instance_deleted").wait(
        DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    assert not port_open(created["Endpoint"]["Port"])


def test_describe_filters_and_pages(rds, postgres):
    found = rds.describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": [postgres["DBInstanceIdentifier"]]}]
    )
    assert [i["DBInstanceIdentifier"] for i in found["DBInstances"]] == [postgres["DBInstanceIdentifier"]]
    assert (
        rds.describe_db_instances(Filters=[{"Name": "engine", "Values": ["mariadb-none"]}])["DBInstances"]
        == []
    )
    with pytest.raises(ClientError) as error:
        rds.describe_db_instances(MaxRecords=5)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(rds.exceptions.DBInstanceNotFoundFault):
        rds.describe_db_instances(DBInstanceIdentifier="no-such-instance")
    pages = list(rds.get_paginator("describe_db_instances").paginate(PaginationConfig={"PageSize": 20}))
    assert any(
        postgres["DBInstanceIdentifier"] == i["DBInstanceIdentifier"] for p in pages for i in p["DBInstances"]
    )


def test_bad_input_is_refused_as_aws_does(rds):
    base = {
        "DBInstanceIdentifier": unique(),
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "MasterUsername": "admin",
        "MasterUserPassword": "supersecret",
    }
    for change, code in (
        ({"Engine": "oracle-xe"}, "InvalidParameterValue"),
        ({"EngineVersion": "9.9"}, "InvalidParameterCombination"),
        ({"DBInstanceClass": "db.nope.large"}, "InvalidParameterValue"),
        ({"MasterUserPassword": "short"}, "InvalidParameterValue"),
        ({"DBInstanceIdentifier": "1-bad--id"}, "InvalidParameterValue"),
        ({"MasterUsername": "postgres"}, "InvalidParameterValue"),
        ({"DBParameterGroupName": "no-such-group"}, "DBParameterGroupNotFound"),
    ):
        with pytest.raises(ClientError) as error:
            rds.create_db_instance(**{**base, **change})
        assert error.value.response["Error"]["Code"] == code, change


def test_an_existing_identifier_is_refused(rds, postgres):
    with pytest.raises(rds.exceptions.DBInstanceAlreadyExistsFault):
        rds.create_db_instance(
            DBInstanceIdentifier=postgres["DBInstanceIdentifier"],
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="supersecret",
        )


def test_modify_changes_the_master_password_in_the_engine(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    out = rds.modify_db_instance(
        DBInstanceIdentifier=identifier, MasterUserPassword="another-secret", ApplyImmediately=True
    )
    assert out["DBInstance"]["PendingModifiedValues"].get("MasterUserPassword") == "****"
    instance = wait_status(rds, identifier)
    for _ in range(100):
        try:
            pg(instance, password="another-secret").close()
            break
        except Exception:
            import time

            time.sleep(0.1)
    else:
        raise AssertionError("the new password never worked")
    with pytest.raises(pg8000.exceptions.DatabaseError):
        pg(instance, password="supersecret")
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, MasterUserPassword="supersecret", ApplyImmediately=True
    )
    wait_status(rds, identifier)


def test_modify_without_apply_immediately_waits_for_the_window(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    out = rds.modify_db_instance(
        DBInstanceIdentifier=identifier, DBInstanceClass="db.m5.large", ApplyImmediately=False
    )
    assert out["DBInstance"]["DBInstanceClass"] == "db.t3.micro"
    assert out["DBInstance"]["PendingModifiedValues"] == {"DBInstanceClass": "db.m5.large"}
    actions = rds.describe_pending_maintenance_actions()["PendingMaintenanceActions"]
    assert any(a["ResourceIdentifier"] == postgres["DBInstanceArn"] for a in actions)


def test_reboot_stop_and_start_really_stop_the_engine(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    port = postgres["Endpoint"]["Port"]
    conn = pg(postgres)
    conn.run("CREATE TABLE IF NOT EXISTS kept (v text)")
    conn.run("INSERT INTO kept VALUES ('before')")
    conn.close()
    assert (
        rds.reboot_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]["DBInstanceStatus"]
        == "rebooting"
    )
    wait_status(rds, identifier)
    assert (
        rds.stop_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]["DBInstanceStatus"] == "stopping"
    )
    wait_status(rds, identifier, "stopped")
    assert not port_open(port)
    with pytest.raises(rds.exceptions.InvalidDBInstanceStateFault):
        rds.reboot_db_instance(DBInstanceIdentifier=identifier)
    rds.start_db_instance(DBInstanceIdentifier=identifier)
    instance = wait_status(rds, identifier)
    assert instance["Endpoint"]["Port"] == port
    assert ["before"] in pg(instance).run("SELECT v FROM kept")
    messages = [
        e["Message"]
        for e in rds.describe_events(SourceIdentifier=identifier, SourceType="db-instance")["Events"]
    ]
    assert {"DB instance restarted", "DB instance stopped", "DB instance started"} <= set(messages)


def test_delete_needs_a_final_snapshot_choice_and_respects_protection(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier=identifier)
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DeletionProtection=True, ApplyImmediately=True)
    wait_status(rds, identifier)
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True)
    wait_status(rds, identifier)


def test_tags_on_an_instance(rds, postgres):
    arn = postgres["DBInstanceArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "team", "Value": "data"}])
    assert {"Key": "team", "Value": "data"} in rds.list_tags_for_resource(ResourceName=arn)["TagList"]
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == []
    with pytest.raises(rds.exceptions.DBInstanceNotFoundFault):
        rds.list_tags_for_resource(ResourceName=arn + "-gone")


def test_managed_master_password_lives_in_secrets_manager(rds, client):
    identifier = unique("managed")
    created = rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="owner",
        ManageMasterUserPassword=True,
        BackupRetentionPeriod=0,
    )["DBInstance"]
    # Creating until the engine has the password, as RDS reports it.
    assert created["MasterUserSecret"]["SecretStatus"] == "creating"
    assert created["MasterUserSecret"]["KmsKeyId"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    try:
        instance = wait_status(rds, identifier)
        secret = instance["MasterUserSecret"]
        assert secret["SecretStatus"] == "active"
        import json

        value = json.loads(
            client("secretsmanager").get_secret_value(SecretId=secret["SecretArn"])["SecretString"]
        )
        assert value["username"] == "owner"
        assert pg(instance, password=value["password"], database="postgres", user="owner").run(
            "SELECT 1"
        ) == [[1]]
    finally:
        delete(rds, identifier)


def test_a_final_snapshot_keeps_the_data(rds):
    identifier = unique("final")
    instance = create_postgres(rds, identifier, BackupRetentionPeriod=0)
    conn = pg(instance)
    conn.run("CREATE TABLE t (v int)")
    conn.run("INSERT INTO t VALUES (7)")
    conn.close()
    snapshot = unique("final-snap")
    rds.delete_db_instance(DBInstanceIdentifier=identifier, FinalDBSnapshotIdentifier=snapshot)
    rds.get_waiter("db_instance_deleted").wait(
        DBInstanceIdentifier=identifier, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    found = rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"][0]
    assert found["Status"] == "available" and found["SnapshotType"] == "manual"
    restored = unique("restored")
    rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=restored, DBSnapshotIdentifier=snapshot, DBInstanceClass="db.t3.micro"
    )
    try:
        back = wait_status(rds, restored)
        assert pg(back).run("SELECT v FROM t") == [[7]]
    finally:
        delete(rds, restored)
        rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot)


def test_a_crashed_engine_is_restarted_and_the_event_recorded(rds, postgres):
    import os
    import re
    import shutil
    import signal
    import subprocess
    import time

    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is needed to find the engine's process")
    port = postgres["Endpoint"]["Port"]
    listing = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    pids = {int(p) for p in re.findall(r"pid=(\d+)", listing)}
    assert pids, listing
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # the postmaster dies as a crash would kill it
    deadline = time.monotonic() + 30
    while True:
        events = rds.describe_events(
            SourceIdentifier=postgres["DBInstanceIdentifier"], SourceType="db-instance"
        )["Events"]
        if any("exited unexpectedly" in e["Message"] for e in events):
            break
        assert time.monotonic() < deadline, [e["Message"] for e in events]
        time.sleep(0.1)
    while True:
        try:
            assert pg(postgres).run("SELECT 1") == [[1]]
            break
        except Exception:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert wait_status(rds, postgres["DBInstanceIdentifier"])["DBInstanceStatus"] == "available"


def test_the_engine_is_listed_among_the_running_engines(rds, postgres):
    import json
    import urllib.request

    with urllib.request.urlopen(f"{rds.meta.endpoint_url}/_overcast/ps", timeout=10) as response:
        engines = json.loads(response.read())["engines"]
    mine = [e for e in engines if e.get("name") == postgres["DBInstanceIdentifier"]]
    assert len(mine) == 1, engines
    assert mine[0]["kind"] == "postgres engine" and mine[0]["state"] == "running"
    assert mine[0]["endpoint"] == f"127.0.0.1:{postgres['Endpoint']['Port']}"
    assert isinstance(mine[0]["pid"], int)
