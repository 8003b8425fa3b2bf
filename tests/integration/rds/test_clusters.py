"""Aurora PostgreSQL clusters: a writer and a reader as primary and streaming replica, the
cluster endpoint on the writer, a failover that promotes the reader, cluster snapshots."""

from __future__ import annotations

import time

import pytest

from tests.integration.rds.conftest import pg, unique, wait_status


def wait_cluster(rds, identifier: str, status: str = "available", timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
        if cluster["Status"] == status:
            return cluster
        assert time.monotonic() < deadline, cluster["Status"]
        time.sleep(0.1)


def cluster_conn(cluster: dict, password: str = "supersecret"):
    import pg8000.native

    return pg8000.native.Connection(
        "admin",
        host=cluster["Endpoint"],
        port=cluster["Port"],
        password=password,
        database="appdb",
        timeout=10,
    )


def test_an_aurora_postgresql_cluster_with_a_reader_and_a_failover(rds):
    cluster_id = unique("aurora")
    writer, reader = unique("writer"), unique("reader")
    created = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
        DatabaseName="appdb",
    )["DBCluster"]
    assert created["Status"] == "available" and created["DBClusterMembers"] == []
    for name in (writer, reader):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    try:
        wait_status(rds, writer)
        reader_instance = wait_status(rds, reader)
        cluster = wait_cluster(rds, cluster_id)
        members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster["DBClusterMembers"]}
        assert members == {writer: True, reader: False}
        conn = cluster_conn(cluster)
        conn.run("CREATE TABLE notes (v text)")
        conn.run("INSERT INTO notes VALUES ('written to the cluster')")
        conn.close()
        replica = pg(reader_instance, database="appdb")
        deadline = time.monotonic() + 10
        while (
            replica.run("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'") != [[1]]
            or replica.run("SELECT v FROM notes") == []
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        replica.close()
        endpoints = rds.describe_db_cluster_endpoints(DBClusterIdentifier=cluster_id)["DBClusterEndpoints"]
        assert {e["EndpointType"] for e in endpoints} == {"WRITER", "READER"}

        rds.failover_db_cluster(DBClusterIdentifier=cluster_id, TargetDBInstanceIdentifier=reader)
        cluster = wait_cluster(rds, cluster_id)
        wait_status(rds, reader)
        wait_status(rds, writer)
        members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster["DBClusterMembers"]}
        assert members == {writer: False, reader: True}
        assert cluster["Port"] == created["Port"]
        conn = cluster_conn(cluster)
        assert conn.run("SELECT pg_is_in_recovery()") == [[False]]
        conn.run("INSERT INTO notes VALUES ('after the failover')")
        assert len(conn.run("SELECT v FROM notes")) == 2
        conn.close()

        snapshot = unique("cluster-snap")
        rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot, DBClusterIdentifier=cluster_id)
        rds.get_waiter("db_cluster_snapshot_available").wait(
            DBClusterSnapshotIdentifier=snapshot, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
            rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)

        latest, latest_writer = unique("latest"), unique("latest-writer")
        rds.restore_db_cluster_to_point_in_time(
            DBClusterIdentifier=latest, SourceDBClusterIdentifier=cluster_id, UseLatestRestorableTime=True
        )
        rds.create_db_instance(
            DBInstanceIdentifier=latest_writer,
            DBClusterIdentifier=latest,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
        wait_status(rds, latest_writer)
        conn = cluster_conn(wait_cluster(rds, latest))
        assert len(conn.run("SELECT v FROM notes")) == 2
        conn.close()
        rds.delete_db_instance(DBInstanceIdentifier=latest_writer)
        rds.get_waiter("db_instance_deleted").wait(
            DBInstanceIdentifier=latest_writer, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
        )
        rds.delete_db_cluster(DBClusterIdentifier=latest, SkipFinalSnapshot=True)
    finally:
        for name in (reader, writer):
            try:
                rds.delete_db_instance(DBInstanceIdentifier=name)
            except rds.exceptions.DBInstanceNotFoundFault:
                pass
        for name in (reader, writer):
            rds.get_waiter("db_instance_deleted").wait(
                DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
            )
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    restored = unique("restored")
    rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier=restored, SnapshotIdentifier=snapshot, Engine="aurora-postgresql"
    )
    instance = unique("restored-writer")
    rds.create_db_instance(
        DBInstanceIdentifier=instance,
        DBClusterIdentifier=restored,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    try:
        wait_status(rds, instance)
        conn = cluster_conn(wait_cluster(rds, restored))
        assert sorted(r[0] for r in conn.run("SELECT v FROM notes")) == [
            "after the failover",
            "written to the cluster",
        ]
        conn.close()
    finally:
        rds.delete_db_instance(DBInstanceIdentifier=instance)
        rds.get_waiter("db_instance_deleted").wait(
            DBInstanceIdentifier=instance, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
        )
        rds.delete_db_cluster(DBClusterIdentifier=restored, SkipFinalSnapshot=True)
        rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot)


def test_the_reader_endpoint_is_a_reader_or_else_the_writer(rds):
    import pg8000.native

    cluster_id, writer, reader = unique("ro"), unique("ro-writer"), unique("ro-reader")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
        DatabaseName="appdb",
    )["DBCluster"]
    assert cluster["ReaderEndpoint"] != cluster["Endpoint"]

    def reader_endpoint():
        return pg8000.native.Connection(
            "admin",
            host=cluster["ReaderEndpoint"],
            port=cluster["Port"],
            password="supersecret",
            database="appdb",
            timeout=10,
        )

    def recovering(timeout: float, wanted: bool) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = reader_endpoint()
                state = conn.run("SELECT pg_is_in_recovery()")[0][0]
                conn.close()
                if state == wanted:
                    return
            except (pg8000.native.InterfaceError, pg8000.native.DatabaseError, OSError):
                pass
            assert time.monotonic() < deadline, (
                f"the reader endpoint never reached a {'reader' if wanted else 'writer'}"
            )
            time.sleep(0.1)

    rds.create_db_instance(
        DBInstanceIdentifier=writer,
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    try:
        wait_status(rds, writer)
        # No reader yet: the reader endpoint reaches the writer, as on Aurora.
        recovering(10, False)
        conn = cluster_conn(wait_cluster(rds, cluster_id))
        conn.run("CREATE TABLE seen (v text)")
        conn.run("INSERT INTO seen VALUES ('from the writer')")
        conn.close()
        rds.create_db_instance(
            DBInstanceIdentifier=reader,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
        wait_status(rds, reader)
        recovering(30, True)
        conn = reader_endpoint()
        assert conn.run("SELECT v FROM seen") == [["from the writer"]]
        conn.close()
        described = rds.describe_db_instances(DBInstanceIdentifier=reader)["DBInstances"][0]
        assert described["Endpoint"]["Address"] == cluster["ReaderEndpoint"]
        # The reader gone, the endpoint is the writer's again.
        rds.delete_db_instance(DBInstanceIdentifier=reader)
        rds.get_waiter("db_instance_deleted").wait(
            DBInstanceIdentifier=reader, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
        )
        recovering(30, False)
    finally:
        for name in (reader, writer):
            try:
                rds.delete_db_instance(DBInstanceIdentifier=name)
            except rds.exceptions.DBInstanceNotFoundFault:
                pass
        for name in (reader, writer):
            rds.get_waiter("db_instance_deleted").wait(
                DBInstanceIdentifier=name, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
            )
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
