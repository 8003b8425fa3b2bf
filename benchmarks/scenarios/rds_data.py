"""RDS Data API: ExecuteStatement of a one-row SELECT with a typed parameter on an Aurora
PostgreSQL cluster with its HTTP endpoint enabled. Each call reads the Secrets Manager secret,
opens a session on the writer engine as its user (SCRAM), runs the statement and closes the
session, as an ExecuteStatement outside a transaction does."""

import json
import time

from scenarios import AwsCall, ClientFactory, Scenario

CLUSTER = "bench-data"
_EXECUTE: dict = {
    "sql": "SELECT id, name FROM items WHERE id = :id",
    "parameters": [{"name": "id", "value": {"longValue": 1}}],
}


def _setup(client: ClientFactory) -> None:
    rds = client("rds")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        MasterUsername="bench",
        MasterUserPassword="benchmark",
        DatabaseName="bench",
        EnableHttpEndpoint=True,
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=CLUSTER + "-writer",
        DBClusterIdentifier=CLUSTER,
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    deadline = time.monotonic() + 120
    while (
        rds.describe_db_instances(DBInstanceIdentifier=CLUSTER + "-writer")["DBInstances"][0][
            "DBInstanceStatus"
        ]
        != "available"
    ):
        assert time.monotonic() < deadline, "the benchmark cluster's writer never became available"
        time.sleep(0.2)
    secret = client("secretsmanager").create_secret(
        Name="bench-data-secret", SecretString=json.dumps({"username": "bench", "password": "benchmark"})
    )["ARN"]
    _EXECUTE.update(resourceArn=cluster["DBClusterArn"], secretArn=secret)
    data = client("rds-data")
    common = {"resourceArn": cluster["DBClusterArn"], "secretArn": secret}
    data.execute_statement(sql="CREATE TABLE items (id int8 PRIMARY KEY, name text)", **common)
    data.execute_statement(sql="INSERT INTO items VALUES (1, 'widget')", **common)


SCENARIOS = (
    Scenario(
        name="rds-data-execute-statement",
        summary="RDS Data API ExecuteStatement: a one-row SELECT by a typed parameter on the writer engine",
        setup=_setup,
        requests=(AwsCall("rds-data", "ExecuteStatement", _EXECUTE),),
    ),
)
