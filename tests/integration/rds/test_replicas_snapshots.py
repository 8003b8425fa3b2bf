"""Read replicas as real streaming replicas, snapshots as real copies, and parameter groups
applied to the engine."""

from __future__ import annotations

import time

import pg8000.exceptions
import pytest
from botocore.exceptions import ClientError

from tests.integration.rds.conftest import delete, pg, unique, wait_status


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except pg8000.exceptions.DatabaseError:
            pass
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def test_a_replica_streams_from_its_primary_and_promotion_makes_it_writable(rds, postgres):
    primary_id = postgres["DBInstanceIdentifier"]
    replica_id = unique("replica")
    out = rds.create_db_instance_read_replica(
        DBInstanceIdentifier=replica_id, SourceDBInstanceIdentifier=primary_id
    )
    assert out["DBInstance"]["ReadReplicaSourceDBInstanceIdentifier"] == primary_id
    try:
        replica = wait_status(rds, replica_id)
        assert replica["Endpoint"]["Port"] != postgres["Endpoint"]["Port"]
        source = rds.describe_db_instances(DBInstanceIdentifier=primary_id)["DBInstances"][0]
        assert source["ReadReplicaDBInstanceIdentifiers"] == [replica_id]
        writer = pg(postgres)
        writer.run("CREATE TABLE IF NOT EXISTS replicated (v text)")
        writer.run("INSERT INTO replicated VALUES ('from the primary')")
        reader = pg(replica)
        eventually(lambda: reader.run("SELECT v FROM replicated") == [["from the primary"]])
        with pytest.raises(pg8000.exceptions.DatabaseError, match="read-only"):
            reader.run("INSERT INTO replicated VALUES ('nope')")
        reader.close()
        with pytest.raises(ClientError) as error:
            rds.stop_db_instance(DBInstanceIdentifier=primary_id)
        assert error.value.response["Error"]["Code"] == "InvalidDBInstanceState"
        # Switchover is RDS for Oracle's (Data Guard); a PostgreSQL replica is promoted instead.
        for name in (replica_id, primary_id):
            with pytest.raises(ClientError) as error:
                rds.switchover_read_replica(DBInstanceIdentifier=name)
            assert error.value.response["Error"]["Code"] == "InvalidDBInstanceState"
        rds.promote_read_replica(DBInstanceIdentifier=replica_id)
        promoted = wait_status(rds, replica_id)
        assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
        conn = pg(promoted)
        eventually(lambda: conn.run("SELECT pg_is_in_recovery()") == [[False]])
        conn.run("INSERT INTO replicated VALUES ('on its own')")
        assert (
            rds.describe_db_instances(DBInstanceIdentifier=primary_id)["DBInstances"][0][
                "ReadReplicaDBInstanceIdentifiers"
            ]
            == []
        )
        writer.run("INSERT INTO replicated VALUES ('after promotion')")
        time.sleep(0.3)
        assert ["after promotion"] not in conn.run("SELECT v FROM replicated")
    finally:
        delete(rds, replica_id)


def test_a_snapshot_restores_to_a_new_instance_with_the_data(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    conn = pg(postgres)
    conn.run("CREATE TABLE IF NOT EXISTS snapped (v int)")
    conn.run("INSERT INTO snapped VALUES (1)")
    snapshot = unique("snap")
    created = rds.create_db_snapshot(
        DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=identifier, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert created["DBSnapshot"]["Status"] == "creating"
    rds.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier=snapshot, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    conn.run("INSERT INTO snapped VALUES (2)")  # after the snapshot: not in it
    with pytest.raises(rds.exceptions.DBSnapshotAlreadyExistsFault):
        rds.create_db_snapshot(DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=identifier)
    copy = unique("copy")
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=snapshot, TargetDBSnapshotIdentifier=copy, CopyTags=True)
    rds.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier=copy, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    copied = rds.describe_db_snapshots(DBSnapshotIdentifier=copy)["DBSnapshots"][0]
    assert copied["TagList"] == [{"Key": "k", "Value": "v"}]
    restored = unique("restored")
    rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier=restored, DBSnapshotIdentifier=copy, DBInstanceClass="db.t3.small"
    )
    try:
        instance = wait_status(rds, restored)
        assert instance["DBInstanceClass"] == "db.t3.small"
        assert pg(instance).run("SELECT v FROM snapped ORDER BY v") == [[1]]
    finally:
        delete(rds, restored)
        for name in (snapshot, copy):
            rds.delete_db_snapshot(DBSnapshotIdentifier=name)
    with pytest.raises(rds.exceptions.DBSnapshotNotFoundFault):
        rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)
    automated = rds.describe_db_snapshots(DBInstanceIdentifier=identifier, SnapshotType="automated")[
        "DBSnapshots"
    ]
    with pytest.raises(ClientError) as error:
        rds.delete_db_snapshot(DBSnapshotIdentifier=automated[0]["DBSnapshotIdentifier"])
    assert error.value.response["Error"]["Code"] == "InvalidDBSnapshotState"


def test_parameter_groups_reach_the_engine(rds, postgres):
    identifier = postgres["DBInstanceIdentifier"]
    family = rds.describe_db_engine_versions(Engine="postgres", EngineVersion=postgres["EngineVersion"])[
        "DBEngineVersions"
    ][0]["DBParameterGroupFamily"]
    group = unique("params")
    rds.create_db_parameter_group(
        DBParameterGroupName=group, DBParameterGroupFamily=family, Description="tuned"
    )
    defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily=family)["EngineDefaults"]
    assert defaults["Parameters"] and "Marker" in defaults
    work_mem = rds.describe_db_parameters(
        DBParameterGroupName=group, Filters=[{"Name": "parameter-name", "Values": ["work_mem"]}]
    )["Parameters"]
    assert work_mem[0]["ApplyType"] == "dynamic"
    with pytest.raises(ClientError) as error:
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[
                {"ParameterName": "shared_buffers", "ParameterValue": "32768", "ApplyMethod": "immediate"}
            ],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DBParameterGroupName=group, ApplyImmediately=True)
    instance = wait_status(rds, identifier)
    assert instance["DBParameterGroups"][0] == {
        "DBParameterGroupName": group,
        "ParameterApplyStatus": "pending-reboot",
    }
    rds.reboot_db_instance(DBInstanceIdentifier=identifier)
    instance = wait_status(rds, identifier)
    assert instance["DBParameterGroups"][0]["ParameterApplyStatus"] == "in-sync"
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[
            {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"},
            {"ParameterName": "max_connections", "ParameterValue": "42", "ApplyMethod": "pending-reboot"},
        ],
    )
    conn = pg(instance)
    eventually(lambda: conn.run("SHOW work_mem") == [["8MB"]])
    assert conn.run("SHOW max_connections") != [["42"]]
    instance = wait_status(rds, identifier)
    assert instance["DBParameterGroups"][0]["ParameterApplyStatus"] == "pending-reboot"
    conn.close()
    rds.reboot_db_instance(DBInstanceIdentifier=identifier)
    instance = wait_status(rds, identifier)
    assert pg(instance).run("SHOW max_connections") == [["42"]]
    user = rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"]
    assert {p["ParameterName"] for p in user} == {"work_mem", "max_connections"}
    with pytest.raises(ClientError) as error:
        rds.delete_db_parameter_group(DBParameterGroupName=group)
    assert error.value.response["Error"]["Code"] == "InvalidDBParameterGroupState"
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, DBParameterGroupName=f"default.{family}", ApplyImmediately=True
    )
    wait_status(rds, identifier)
    rds.delete_db_parameter_group(DBParameterGroupName=group)


def test_subnet_and_option_groups(rds):
    name = unique("subnets")
    group = rds.create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription="data", SubnetIds=["subnet-aaa111", "subnet-bbb222"]
    )["DBSubnetGroup"]
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == ["subnet-aaa111", "subnet-bbb222"]
    with pytest.raises(rds.exceptions.DBSubnetGroupAlreadyExistsFault):
        rds.create_db_subnet_group(
            DBSubnetGroupName=name,
            DBSubnetGroupDescription="data",
            SubnetIds=["subnet-aaa111", "subnet-bbb222"],
        )
    rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=["subnet-aaa111", "subnet-ccc333"])
    assert (
        rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]["Subnets"][1][
            "SubnetIdentifier"
        ]
        == "subnet-ccc333"
    )
    rds.delete_db_subnet_group(DBSubnetGroupName=name)
    with pytest.raises(rds.exceptions.DBSubnetGroupNotFoundFault):
        rds.describe_db_subnet_groups(DBSubnetGroupName=name)
    option = unique("options")
    rds.create_option_group(
        OptionGroupName=option, EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="audit"
    )
    rds.modify_option_group(
        OptionGroupName=option,
        OptionsToInclude=[{"OptionName": "MARIADB_AUDIT_PLUGIN"}],
        ApplyImmediately=True,
    )
    found = rds.describe_option_groups(OptionGroupName=option)["OptionGroupsList"][0]
    assert [o["OptionName"] for o in found["Options"]] == ["MARIADB_AUDIT_PLUGIN"]
    rds.delete_option_group(OptionGroupName=option)


def test_event_subscriptions_publish_to_sns(rds, client, postgres):
    import json

    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=unique("rds-events"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("rds-events"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    name = unique("sub")
    sub = rds.create_event_subscription(
        SubscriptionName=name,
        SnsTopicArn=topic,
        SourceType="db-instance",
        SourceIds=[postgres["DBInstanceIdentifier"]],
        EventCategories=["availability"],
    )
    assert sub["EventSubscription"]["Status"] == "active"
    with pytest.raises(ClientError) as error:
        rds.create_event_subscription(SubscriptionName=unique("sub"), SnsTopicArn=topic + "-missing")
    assert error.value.response["Error"]["Code"] == "SNSTopicArnNotFound"
    rds.reboot_db_instance(DBInstanceIdentifier=postgres["DBInstanceIdentifier"])
    wait_status(rds, postgres["DBInstanceIdentifier"])
    messages = []
    deadline = time.monotonic() + 10
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    body = json.loads(messages[0]["Body"])
    assert body["Event Message"] == "DB instance restarted"
    assert body["Source ID"] == postgres["DBInstanceIdentifier"]
    assert body["Event ID"].endswith("#RDS-EVENT-0006")
    rds.delete_event_subscription(SubscriptionName=name)


def test_catalog_operations(rds):
    versions = rds.describe_db_engine_versions(Engine="postgres", DefaultOnly=True)["DBEngineVersions"]
    assert len(versions) == 1 and versions[0]["Engine"] == "postgres"
    options = rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.t3.micro")[
        "OrderableDBInstanceOptions"
    ]
    assert options and all(o["DBInstanceClass"] == "db.t3.micro" for o in options)
    quotas = {q["AccountQuotaName"] for q in rds.describe_account_attributes()["AccountQuotas"]}
    assert "DBInstances" in quotas
    assert rds.describe_certificates()["DefaultCertificateForNewLaunches"] == "rds-ca-rsa2048-g1"
    rds.modify_certificates(CertificateIdentifier="rds-ca-ecc384-g1")
    try:
        assert rds.describe_certificates()["DefaultCertificateForNewLaunches"] == "rds-ca-ecc384-g1"
    finally:
        rds.modify_certificates(RemoveCustomerOverride=True)
    assert rds.describe_certificates()["DefaultCertificateForNewLaunches"] == "rds-ca-rsa2048-g1"
    categories = rds.describe_event_categories(SourceType="db-instance")["EventCategoriesMapList"]
    assert "backup" in categories[0]["EventCategories"]
