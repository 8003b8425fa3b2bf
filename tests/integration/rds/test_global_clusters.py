"""Aurora global clusters: made from an existing cluster or empty and then given its primary
by CreateDBCluster, described, renamed, protected, emptied and deleted; secondaries refused."""

from __future__ import annotations

import pytest

from tests.integration.rds.conftest import unique


def cluster(rds, identifier: str, **extra) -> dict:
    return rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
        **extra,
    )["DBCluster"]


def test_a_global_cluster_from_an_existing_cluster(rds):
    source = cluster(rds, unique("gsrc"))
    name = unique("global")
    created = rds.create_global_cluster(
        GlobalClusterIdentifier=name, SourceDBClusterIdentifier=source["DBClusterArn"]
    )["GlobalCluster"]
    assert created["Engine"] == "aurora-postgresql" and created["EngineVersion"] == source["EngineVersion"]
    assert created["GlobalClusterArn"] == f"arn:aws:rds::000000000000:global-cluster:{name}"
    assert created["GlobalClusterMembers"] == [
        {
            "DBClusterArn": source["DBClusterArn"],
            "Readers": [],
            "IsWriter": True,
            "GlobalWriteForwardingStatus": "disabled",
            "SynchronizationStatus": "connected",
        }
    ]
    with pytest.raises(rds.exceptions.GlobalClusterAlreadyExistsFault):
        rds.create_global_cluster(GlobalClusterIdentifier=name, Engine="aurora-postgresql")
    described = rds.describe_db_clusters(DBClusterIdentifier=source["DBClusterIdentifier"])["DBClusters"][0]
    assert described["GlobalClusterIdentifier"] == name
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
        rds.delete_db_cluster(DBClusterIdentifier=source["DBClusterIdentifier"], SkipFinalSnapshot=True)
    with pytest.raises(rds.exceptions.InvalidGlobalClusterStateFault):
        rds.delete_global_cluster(GlobalClusterIdentifier=name)
    with pytest.raises(rds.exceptions.InvalidGlobalClusterStateFault):
        rds.failover_global_cluster(
            GlobalClusterIdentifier=name, TargetDbClusterIdentifier=source["DBClusterArn"]
        )

    renamed = unique("renamed")
    rds.modify_global_cluster(
        GlobalClusterIdentifier=name, NewGlobalClusterIdentifier=renamed, DeletionProtection=True
    )
    with pytest.raises(rds.exceptions.GlobalClusterNotFoundFault):
        rds.describe_global_clusters(GlobalClusterIdentifier=name)
    assert rds.describe_global_clusters(GlobalClusterIdentifier=renamed)["GlobalClusters"][0][
        "DeletionProtection"
    ]
    removed = rds.remove_from_global_cluster(
        GlobalClusterIdentifier=renamed, DbClusterIdentifier=source["DBClusterArn"]
    )["GlobalCluster"]
    assert removed["GlobalClusterMembers"] == []
    with pytest.raises(rds.exceptions.InvalidGlobalClusterStateFault):
        rds.delete_global_cluster(GlobalClusterIdentifier=renamed)
    rds.modify_global_cluster(GlobalClusterIdentifier=renamed, DeletionProtection=False)
    rds.delete_global_cluster(GlobalClusterIdentifier=renamed)
    assert renamed not in [
        g["GlobalClusterIdentifier"] for g in rds.describe_global_clusters()["GlobalClusters"]
    ]
    rds.delete_db_cluster(DBClusterIdentifier=source["DBClusterIdentifier"], SkipFinalSnapshot=True)


def test_an_empty_global_cluster_takes_its_primary_from_create_db_cluster(rds):
    name = unique("gempty")
    with pytest.raises(rds.exceptions.ClientError):
        rds.create_global_cluster(GlobalClusterIdentifier=name)  # no engine, no source
    created = rds.create_global_cluster(
        GlobalClusterIdentifier=name, Engine="aurora-postgresql", DatabaseName="appdb"
    )["GlobalCluster"]
    assert created["GlobalClusterMembers"] == [] and created["DatabaseName"] == "appdb"
    primary = cluster(rds, unique("gprimary"), GlobalClusterIdentifier=name)
    members = rds.describe_global_clusters(GlobalClusterIdentifier=name)["GlobalClusters"][0][
        "GlobalClusterMembers"
    ]
    assert [m["DBClusterArn"] for m in members] == [primary["DBClusterArn"]]
    secondary = unique("gsecondary")
    with pytest.raises(rds.exceptions.ClientError) as refused:
        cluster(rds, secondary, GlobalClusterIdentifier=name)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(rds.exceptions.DBClusterNotFoundFault):
        rds.describe_db_clusters(DBClusterIdentifier=secondary)
    rds.remove_from_global_cluster(GlobalClusterIdentifier=name, DbClusterIdentifier=primary["DBClusterArn"])
    rds.delete_global_cluster(GlobalClusterIdentifier=name)
    rds.delete_db_cluster(DBClusterIdentifier=primary["DBClusterIdentifier"], SkipFinalSnapshot=True)


def test_a_clusters_managed_master_password_turned_off_on_and_rotated(rds, client):
    import json

    secrets = client("secretsmanager")
    identifier = unique("managedc")
    created = rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        ManageMasterUserPassword=True,
    )["DBCluster"]
    first = created["MasterUserSecret"]["SecretArn"]
    with pytest.raises(rds.exceptions.ClientError):
        rds.modify_db_cluster(DBClusterIdentifier=identifier, ManageMasterUserPassword=False)
    changed = rds.modify_db_cluster(
        DBClusterIdentifier=identifier,
        ManageMasterUserPassword=False,
        MasterUserPassword="Non-Managed-Pa55word!",
    )["DBCluster"]
    assert "MasterUserSecret" not in changed
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.describe_secret(SecretId=first)
    enabled = rds.modify_db_cluster(DBClusterIdentifier=identifier, ManageMasterUserPassword=True)[
        "DBCluster"
    ]
    second = enabled["MasterUserSecret"]["SecretArn"]
    before = json.loads(secrets.get_secret_value(SecretId=second)["SecretString"])["password"]
    rds.modify_db_cluster(DBClusterIdentifier=identifier, RotateMasterUserPassword=True)
    after = json.loads(secrets.get_secret_value(SecretId=second)["SecretString"])["password"]
    assert after != before
    rds.delete_db_cluster(DBClusterIdentifier=identifier, SkipFinalSnapshot=True)
