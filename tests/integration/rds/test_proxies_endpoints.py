"""RDS Proxy and custom cluster endpoints: real listeners that reach the instances they name."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.rds.conftest import pg, unique, wait_status
from tests.integration.rds.test_clusters import wait_cluster

SUBNETS = ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"]
ROLE = "arn:aws:iam::123456789012:role/proxy-role"


def connect(host: str, port: int, database: str = "myapp"):
    import pg8000.native

    return pg8000.native.Connection(
        "admin", host=host, port=port, password="supersecret", database=database, timeout=10
    )


def in_recovery(host: str, port: int, database: str) -> bool:
    conn = connect(host, port, database)
    try:
        return bool(conn.run("SELECT pg_is_in_recovery()")[0][0])
    finally:
        conn.close()


def refused(host: str, port: int, database: str = "myapp") -> bool:
    import pg8000.exceptions

    try:
        connect(host, port, database).close()
    except pg8000.exceptions.InterfaceError:
        return True
    return False


def code(error: pytest.ExceptionInfo) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_proxy_reaches_its_instance_and_stops_with_its_deletion(rds, postgres):
    name = unique("proxy")
    proxy = rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="POSTGRESQL",
        Auth=[
            {"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}
        ],
        RoleArn=ROLE,
        VpcSubnetIds=SUBNETS,
        Tags=[{"Key": "team", "Value": "data"}],
    )["DBProxy"]
    try:
        assert proxy["Status"] == "available" and proxy["EngineFamily"] == "POSTGRESQL"
        assert proxy["Auth"][0]["IAMAuth"] == "DISABLED"
        assert rds.list_tags_for_resource(ResourceName=proxy["DBProxyArn"])["TagList"] == [
            {"Key": "team", "Value": "data"}
        ]
        with pytest.raises(ClientError) as error:
            rds.create_db_proxy(
                DBProxyName=name, EngineFamily="POSTGRESQL", RoleArn=ROLE, VpcSubnetIds=SUBNETS
            )
        assert code(error) == "DBProxyAlreadyExistsFault"

        groups = rds.describe_db_proxy_target_groups(DBProxyName=name)["TargetGroups"]
        assert [(g["TargetGroupName"], g["IsDefault"]) for g in groups] == [("default", True)]
        assert rds.describe_db_proxy_targets(DBProxyName=name)["Targets"] == []
        # Before a target is registered, a connection has nowhere to go.
        assert refused(proxy["Endpoint"], 5432)

        identifier = postgres["DBInstanceIdentifier"]
        targets = rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[identifier])[
            "DBProxyTargets"
        ]
        assert [(t["Type"], t["Role"], t["Port"]) for t in targets] == [
            ("RDS_INSTANCE", "READ_WRITE", postgres["Endpoint"]["Port"])
        ]
        assert targets[0]["TargetHealth"]["State"] == "AVAILABLE"
        with pytest.raises(ClientError) as error:
            rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[identifier])
        assert code(error) == "DBProxyTargetAlreadyRegisteredFault"

        through = connect(proxy["Endpoint"], 5432)
        through.run("CREATE TABLE IF NOT EXISTS via_proxy (v text)")
        through.run("INSERT INTO via_proxy VALUES ('hello')")
        through.close()
        direct = pg(postgres)
        assert direct.run("SELECT v FROM via_proxy") == [["hello"]]
        direct.close()

        pool = rds.modify_db_proxy_target_group(
            DBProxyName=name, TargetGroupName="default", ConnectionPoolConfig={"MaxConnectionsPercent": 50}
        )["DBProxyTargetGroup"]["ConnectionPoolConfig"]
        assert pool["MaxConnectionsPercent"] == 50 and pool["MaxIdleConnectionsPercent"] == 50
        with pytest.raises(ClientError) as error:
            rds.modify_db_proxy_target_group(
                DBProxyName=name,
                TargetGroupName="default",
                ConnectionPoolConfig={"MaxConnectionsPercent": 10},
            )
        assert code(error) == "InvalidParameterValue"
        modified = rds.modify_db_proxy(DBProxyName=name, IdleClientTimeout=600, RequireTLS=True)["DBProxy"]
        assert modified["IdleClientTimeout"] == 600 and modified["RequireTLS"] is True

        endpoints = rds.describe_db_proxy_endpoints(DBProxyName=name)["DBProxyEndpoints"]
        assert [(e["DBProxyEndpointName"], e["IsDefault"], e["Endpoint"]) for e in endpoints] == [
            ("default", True, proxy["Endpoint"])
        ]
        extra = rds.create_db_proxy_endpoint(
            DBProxyName=name, DBProxyEndpointName=f"{name}-rw", VpcSubnetIds=SUBNETS
        )["DBProxyEndpoint"]
        assert extra["TargetRole"] == "READ_WRITE" and extra["Endpoint"] != proxy["Endpoint"]
        assert in_recovery(extra["Endpoint"], 5432, "myapp") is False
        renamed = rds.modify_db_proxy_endpoint(
            DBProxyEndpointName=f"{name}-rw", NewDBProxyEndpointName=f"{name}-rw2"
        )["DBProxyEndpoint"]
        assert renamed["DBProxyEndpointName"] == f"{name}-rw2"
        assert in_recovery(renamed["Endpoint"], 5432, "myapp") is False
        rds.delete_db_proxy_endpoint(DBProxyEndpointName=f"{name}-rw2")
        with pytest.raises(ClientError) as error:
            rds.describe_db_proxy_endpoints(DBProxyEndpointName=f"{name}-rw2")
        assert code(error) == "DBProxyEndpointNotFoundFault"

        rds.deregister_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[identifier])
        assert rds.describe_db_proxy_targets(DBProxyName=name)["Targets"] == []
        with pytest.raises(ClientError) as error:
            rds.deregister_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[identifier])
        assert code(error) == "DBProxyTargetNotFoundFault"
    finally:
        rds.delete_db_proxy(DBProxyName=name)
    with pytest.raises(ClientError) as error:
        rds.describe_db_proxies(DBProxyName=name)
    assert code(error) == "DBProxyNotFoundFault"
    assert refused(proxy["Endpoint"], 5432)


def test_a_proxy_refuses_a_target_of_another_engine_family(rds, postgres):
    name = unique("proxy")
    rds.create_db_proxy(DBProxyName=name, EngineFamily="MYSQL", RoleArn=ROLE, VpcSubnetIds=SUBNETS)
    try:
        with pytest.raises(ClientError) as error:
            rds.register_db_proxy_targets(
                DBProxyName=name, DBInstanceIdentifiers=[postgres["DBInstanceIdentifier"]]
            )
        assert code(error) == "InvalidParameterValue"
        with pytest.raises(ClientError) as error:
            rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=["no-such-instance"])
        assert code(error) == "DBInstanceNotFound"
        with pytest.raises(ClientError) as error:
            rds.describe_db_proxy_targets(DBProxyName=name, TargetGroupName="other")
        assert code(error) == "DBProxyTargetGroupNotFoundFault"
    finally:
        rds.delete_db_proxy(DBProxyName=name)
    with pytest.raises(ClientError) as error:
        rds.create_db_proxy(DBProxyName=name, EngineFamily="ORACLE", RoleArn=ROLE, VpcSubnetIds=SUBNETS)
    assert code(error) == "ValidationError"


def test_custom_endpoints_and_a_proxy_reach_the_members_of_a_cluster(rds):
    cluster_id = unique("aurora")
    writer, reader = unique("writer"), unique("reader")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
        DatabaseName="appdb",
    )
    for member in (writer, reader):
        rds.create_db_instance(
            DBInstanceIdentifier=member,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    proxy_name = unique("proxy")
    try:
        wait_status(rds, writer)
        wait_status(rds, reader)
        cluster = wait_cluster(rds, cluster_id)
        port = cluster["Port"]

        readers = rds.create_db_cluster_endpoint(
            DBClusterIdentifier=cluster_id,
            DBClusterEndpointIdentifier=f"{cluster_id}-ro",
            EndpointType="READER",
        )
        assert readers["EndpointType"] == "CUSTOM" and readers["CustomEndpointType"] == "READER"
        assert readers["Status"] == "available"
        only_writer = rds.create_db_cluster_endpoint(
            DBClusterIdentifier=cluster_id,
            DBClusterEndpointIdentifier=f"{cluster_id}-w",
            EndpointType="ANY",
            StaticMembers=[writer],
        )
        assert only_writer["StaticMembers"] == [writer]
        assert in_recovery(readers["Endpoint"], port, "appdb") is True
        assert in_recovery(only_writer["Endpoint"], port, "appdb") is False

        # The member list applies to the next connection.
        rds.modify_db_cluster_endpoint(DBClusterEndpointIdentifier=f"{cluster_id}-w", StaticMembers=[reader])
        assert in_recovery(only_writer["Endpoint"], port, "appdb") is True

        listed = rds.describe_db_cluster_endpoints(DBClusterIdentifier=cluster_id)["DBClusterEndpoints"]
        assert sorted(e["EndpointType"] for e in listed) == ["CUSTOM", "CUSTOM", "READER", "WRITER"]
        custom = rds.describe_db_cluster_endpoints(
            DBClusterIdentifier=cluster_id,
            Filters=[{"Name": "db-cluster-endpoint-custom-type", "Values": ["reader"]}],
        )["DBClusterEndpoints"]
        assert [e["DBClusterEndpointIdentifier"] for e in custom] == [f"{cluster_id}-ro"]
        described = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        assert sorted(described["CustomEndpoints"]) == sorted([readers["Endpoint"], only_writer["Endpoint"]])

        with pytest.raises(ClientError) as error:
            rds.create_db_cluster_endpoint(
                DBClusterIdentifier=cluster_id,
                DBClusterEndpointIdentifier=f"{cluster_id}-ro",
                EndpointType="READER",
            )
        assert code(error) == "DBClusterEndpointAlreadyExistsFault"
        with pytest.raises(ClientError) as error:
            rds.create_db_cluster_endpoint(
                DBClusterIdentifier=cluster_id,
                DBClusterEndpointIdentifier=f"{cluster_id}-x",
                EndpointType="ANY",
                StaticMembers=["not-a-member"],
            )
        assert code(error) == "InvalidParameterValue"

        rds.create_db_proxy(
            DBProxyName=proxy_name, EngineFamily="POSTGRESQL", RoleArn=ROLE, VpcSubnetIds=SUBNETS
        )
        targets = rds.register_db_proxy_targets(DBProxyName=proxy_name, DBClusterIdentifiers=[cluster_id])[
            "DBProxyTargets"
        ]
        roles = sorted((t["Type"], t["Role"]) for t in targets)
        assert roles == [
            ("RDS_INSTANCE", "READ_ONLY"),
            ("RDS_INSTANCE", "READ_WRITE"),
            ("TRACKED_CLUSTER", "UNKNOWN"),
        ]
        proxy = rds.describe_db_proxies(DBProxyName=proxy_name)["DBProxies"][0]
        read_only = rds.create_db_proxy_endpoint(
            DBProxyName=proxy_name,
            DBProxyEndpointName=f"{proxy_name}-ro",
            VpcSubnetIds=SUBNETS,
            TargetRole="READ_ONLY",
        )["DBProxyEndpoint"]
        assert in_recovery(proxy["Endpoint"], 5432, "appdb") is False
        assert in_recovery(read_only["Endpoint"], 5432, "appdb") is True

        rds.delete_db_cluster_endpoint(DBClusterEndpointIdentifier=f"{cluster_id}-ro")
        with pytest.raises(ClientError) as error:
            rds.delete_db_cluster_endpoint(DBClusterEndpointIdentifier=f"{cluster_id}-ro")
        assert code(error) == "DBClusterEndpointNotFoundFault"
        assert refused(readers["Endpoint"], port, "appdb")
    finally:
        try:
            rds.delete_db_proxy(DBProxyName=proxy_name)
        except ClientError:
            pass
        for member in (reader, writer):
            try:
                rds.delete_db_instance(DBInstanceIdentifier=member)
            except rds.exceptions.DBInstanceNotFoundFault:
                pass
        for member in (reader, writer):
            rds.get_waiter("db_instance_deleted").wait(
                DBInstanceIdentifier=member, WaiterConfig={"Delay": 1, "MaxAttempts": 90}
            )
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    left = rds.describe_db_cluster_endpoints()["DBClusterEndpoints"]
    assert all(e["DBClusterIdentifier"] != cluster_id for e in left)
