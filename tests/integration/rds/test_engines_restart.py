"""MySQL-compatible instances on MariaDB, engines that come back with Overcast, and an engine
that is not installed refused at once."""

from __future__ import annotations

import boto3
import pymysql
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.integration.rds.conftest import pg, unique, wait_status


def client_for(server: Server):
    return boto3.client(
        "rds",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def mysql(instance: dict, password: str = "supersecret", database: str | None = "shop"):
    endpoint = instance["Endpoint"]
    return pymysql.connect(
        host=endpoint["Address"],
        port=endpoint["Port"],
        user="admin",
        password=password,
        database=database,
        autocommit=True,
        connect_timeout=10,
    )


def test_engines_and_their_data_come_back_after_a_restart(tmp_path):
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet")
    try:
        rds = client_for(server)
        rds.create_db_instance(
            DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="postgres",
            MasterUsername="admin", MasterUserPassword="supersecret", DBName="myapp", BackupRetentionPeriod=0,
        )  # fmt: skip
        rds.create_db_instance(
            DBInstanceIdentifier="shop", DBInstanceClass="db.t3.micro", Engine="mysql", EngineVersion="8.0",
            MasterUsername="admin", MasterUserPassword="supersecret", DBName="shop", BackupRetentionPeriod=0,
        )  # fmt: skip
        postgres = wait_status(rds, "orders")
        maria = wait_status(rds, "shop")
        conn = pg(postgres)
        conn.run("CREATE TABLE kept (v text)")
        conn.run("INSERT INTO kept VALUES ('durable')")
        conn.close()
        with mysql(maria) as db, db.cursor() as cursor:
            cursor.execute("CREATE TABLE items (name varchar(20))")
            cursor.execute("INSERT INTO items VALUES ('lamp')")
            cursor.execute("SELECT VERSION()")
            assert "MariaDB" in cursor.fetchone()[0]
        messages = [
            e["Message"]
            for e in rds.describe_events(SourceIdentifier="shop", SourceType="db-instance")["Events"]
        ]
        assert any("runs on MariaDB" in m for m in messages)
        # A MySQL proxy in front of it answers on 3306 at its own address.
        proxy = rds.create_db_proxy(
            DBProxyName="shop-proxy", EngineFamily="MYSQL", RoleArn="arn:aws:iam::000000000000:role/p",
            VpcSubnetIds=["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"],
        )["DBProxy"]  # fmt: skip
        rds.register_db_proxy_targets(DBProxyName="shop-proxy", DBInstanceIdentifiers=["shop"])
        through = {"Endpoint": {"Address": proxy["Endpoint"], "Port": 3306}}
        with mysql(through) as db, db.cursor() as cursor:
            cursor.execute("SELECT name FROM items")
            assert cursor.fetchall() == (("lamp",),)
    finally:
        server.stop()
    # Overcast stopped its engines with it.
    import socket

    for instance in (postgres, maria):
        with (
            pytest.raises(OSError),
            socket.create_connection(("127.0.0.1", instance["Endpoint"]["Port"]), timeout=1),
        ):
            pass
    again = Server("--data-dir", data, "--quiet")
    try:
        rds = client_for(again)
        postgres2 = wait_status(rds, "orders")
        maria2 = wait_status(rds, "shop")
        assert postgres2["Endpoint"]["Port"] == postgres["Endpoint"]["Port"]
        assert maria2["Endpoint"]["Port"] == maria["Endpoint"]["Port"]
        assert pg(postgres2).run("SELECT v FROM kept") == [["durable"]]
        with mysql(maria2) as db, db.cursor() as cursor:
            cursor.execute("SELECT name FROM items")
            assert cursor.fetchall() == (("lamp",),)
        assert (
            rds.describe_db_proxies(DBProxyName="shop-proxy")["DBProxies"][0]["Endpoint"] == proxy["Endpoint"]
        )
        with mysql(through) as db, db.cursor() as cursor:
            cursor.execute("SELECT name FROM items")
            assert cursor.fetchall() == (("lamp",),)
        rds.delete_db_proxy(DBProxyName="shop-proxy")
        rds.delete_db_instance(DBInstanceIdentifier="shop", SkipFinalSnapshot=True)
        rds.delete_db_instance(DBInstanceIdentifier="orders", SkipFinalSnapshot=True)
        for name in ("shop", "orders"):
            rds.get_waiter("db_instance_deleted").wait(
                DBInstanceIdentifier=name, WaiterConfig={"Delay": 0.5, "MaxAttempts": 60}
            )
    finally:
        again.stop()


def test_a_missing_engine_is_refused_at_once_naming_its_package(tmp_path):
    server = Server(
        "--ephemeral", "--quiet", env={"OVERCAST_POSTGRES_BIN_DIR": str(tmp_path / "nothing-here")}
    )
    try:
        rds = client_for(server)
        with pytest.raises(ClientError) as error:
            rds.create_db_instance(
                DBInstanceIdentifier=unique(), DBInstanceClass="db.t3.micro", Engine="postgres",
                MasterUsername="admin", MasterUserPassword="supersecret",
            )  # fmt: skip
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
        assert "postgresql" in error.value.response["Error"]["Message"]
        assert rds.describe_db_instances()["DBInstances"] == []
    finally:
        server.stop()


def test_a_mysql_replica_follows_its_primary_by_binlog(rds):
    import time

    primary_id, replica_id = unique("mysql"), unique("mysql-replica")
    rds.create_db_instance(
        DBInstanceIdentifier=primary_id, DBInstanceClass="db.t3.micro", Engine="mysql",
        MasterUsername="admin", MasterUserPassword="supersecret", DBName="shop", BackupRetentionPeriod=1,
    )  # fmt: skip
    try:
        primary = wait_status(rds, primary_id)
        with mysql(primary) as db, db.cursor() as cursor:
            cursor.execute("CREATE TABLE orders (id int primary key)")
            cursor.execute("INSERT INTO orders VALUES (1)")
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier=replica_id, SourceDBInstanceIdentifier=primary_id
        )
        replica = wait_status(rds, replica_id)
        with mysql(primary) as db, db.cursor() as cursor:
            cursor.execute("INSERT INTO orders VALUES (2)")
        with mysql(replica) as db, db.cursor() as cursor:
            deadline = time.monotonic() + 10
            while True:
                cursor.execute("SELECT id FROM orders ORDER BY id")
                if cursor.fetchall() == ((1,), (2,)):
                    break
                assert time.monotonic() < deadline
                time.sleep(0.05)
            with pytest.raises(pymysql.err.OperationalError) as error:
                cursor.execute("INSERT INTO orders VALUES (3)")
            assert error.value.args[0] == 1290  # running with --read-only
        rds.promote_read_replica(DBInstanceIdentifier=replica_id)
        promoted = wait_status(rds, replica_id)
        with mysql(promoted) as db, db.cursor() as cursor:
            cursor.execute("INSERT INTO orders VALUES (3)")
            cursor.execute("SELECT count(*) FROM orders")
            assert cursor.fetchone() == (3,)
    finally:
        for name in (replica_id, primary_id):
            try:
                rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
            except rds.exceptions.DBInstanceNotFoundFault:
                pass
