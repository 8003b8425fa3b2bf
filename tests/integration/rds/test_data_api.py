"""The RDS Data API (rds-data) on an Aurora PostgreSQL cluster with its HTTP endpoint enabled:
statements answered by the writer engine, typed parameters and results, JSON records,
transactions, batches, and AWS's errors."""

from __future__ import annotations

import json

import pytest

from tests.integration.rds.conftest import unique, wait_status
from tests.integration.rds.test_clusters import cluster_conn, wait_cluster


@pytest.fixture(scope="module")
def data_cluster(rds, client):
    cluster_id, writer = unique("data"), unique("dwriter")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
        DatabaseName="appdb",
        EnableHttpEndpoint=True,
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=writer,
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    wait_status(rds, writer)
    secret = client("secretsmanager").create_secret(
        Name=unique("data-secret"), SecretString=json.dumps({"username": "admin", "password": "supersecret"})
    )["ARN"]
    yield {"cluster": wait_cluster(rds, cluster_id), "arn": cluster["DBClusterArn"], "secret": secret}
    rds.delete_db_instance(DBInstanceIdentifier=writer, SkipFinalSnapshot=True)


@pytest.fixture(scope="module")
def data(client):
    return client("rds-data")


def run(data, cluster, sql, **extra):
    return data.execute_statement(resourceArn=cluster["arn"], secretArn=cluster["secret"], sql=sql, **extra)


def test_statements_with_typed_parameters_and_results(data, data_cluster):
    run(
        data,
        data_cluster,
        "CREATE TABLE items (id serial PRIMARY KEY, name varchar(40) NOT NULL, price numeric(8,2),"
        " qty int8, ok boolean, tags text[], doc jsonb, ref uuid, at timestamp, raw bytea)",
    )
    inserted = run(
        data,
        data_cluster,
        "INSERT INTO items (name, price, qty, ok, doc, ref, at, raw, tags)"
        " VALUES (:name, :price, :qty, :ok, :doc, :ref, :at, :raw, ARRAY['a','b']) RETURNING id",
        parameters=[
            {"name": "name", "value": {"stringValue": "widget"}},
            {"name": "price", "value": {"stringValue": "12.50"}, "typeHint": "DECIMAL"},
            {"name": "qty", "value": {"longValue": 3}},
            {"name": "ok", "value": {"booleanValue": True}},
            {"name": "doc", "value": {"stringValue": '{"k": 1}'}, "typeHint": "JSON"},
            {
                "name": "ref",
                "value": {"stringValue": "6f1e8a0e-8d1b-4bb4-9a55-0e4b7f1f9a10"},
                "typeHint": "UUID",
            },
            {"name": "at", "value": {"stringValue": "2024-05-06 07:08:09"}, "typeHint": "TIMESTAMP"},
            {"name": "raw", "value": {"blobValue": b"\x00\x01"}},
        ],
    )
    assert inserted["numberOfRecordsUpdated"] == 1
    assert inserted["records"] == [[{"longValue": 1}]]
    result = run(
        data,
        data_cluster,
        "SELECT id, name, price, qty, ok, tags, doc, ref, at, raw, NULL AS nothing FROM items WHERE qty = :q",
        parameters=[{"name": "q", "value": {"longValue": 3}}],
        includeResultMetadata=True,
    )
    assert result["numberOfRecordsUpdated"] == 0
    assert result["records"] == [
        [
            {"longValue": 1},
            {"stringValue": "widget"},
            {"stringValue": "12.50"},
            {"longValue": 3},
            {"booleanValue": True},
            {"arrayValue": {"stringValues": ["a", "b"]}},
            {"stringValue": '{"k":1}'},
            {"stringValue": "6f1e8a0e-8d1b-4bb4-9a55-0e4b7f1f9a10"},
            {"stringValue": "2024-05-06 07:08:09"},
            {"blobValue": b"\x00\x01"},
            {"isNull": True},
        ]
    ]
    meta = {c["name"]: c for c in result["columnMetadata"]}
    assert meta["id"]["typeName"] == "int4" and meta["id"]["type"] == 4
    assert meta["name"]["typeName"] == "varchar" and meta["name"]["precision"] == 40
    assert meta["name"]["nullable"] == 0 and meta["name"]["tableName"] == "items"
    assert meta["price"]["precision"] == 8 and meta["price"]["scale"] == 2
    assert meta["tags"]["type"] == 2003

    # Without a typeHint a string is a VARCHAR, which PostgreSQL will not put in a uuid column.
    with pytest.raises(data.exceptions.DatabaseErrorException) as refused:
        run(
            data,
            data_cluster,
            "UPDATE items SET ref = :ref",
            parameters=[{"name": "ref", "value": {"stringValue": "6f1e8a0e-8d1b-4bb4-9a55-0e4b7f1f9a10"}}],
        )
    assert "uuid" in refused.value.response["Error"]["Message"]

    formatted = run(
        data,
        data_cluster,
        "SELECT name, qty, price FROM items",
        formatRecordsAs="JSON",
        resultSetOptions={"decimalReturnType": "DOUBLE_OR_LONG"},
    )
    assert json.loads(formatted["formattedRecords"]) == [{"name": "widget", "qty": 3, "price": 12.5}]
    assert "records" not in formatted

    # What the API wrote, the engine holds.
    conn = cluster_conn(data_cluster["cluster"])
    assert conn.run("SELECT name, qty FROM items") == [["widget", 3]]
    conn.close()


def test_transactions_commit_and_roll_back(data, data_cluster):
    run(data, data_cluster, "CREATE TABLE ledger (v int)")
    begun = data.begin_transaction(resourceArn=data_cluster["arn"], secretArn=data_cluster["secret"])
    tx = begun["transactionId"]
    run(data, data_cluster, "INSERT INTO ledger VALUES (1)", transactionId=tx)
    # Another session does not see the uncommitted row.
    assert run(data, data_cluster, "SELECT count(*) FROM ledger")["records"] == [[{"longValue": 0}]]
    assert run(data, data_cluster, "SELECT count(*) FROM ledger", transactionId=tx)["records"] == [
        [{"longValue": 1}]
    ]
    done = data.commit_transaction(
        resourceArn=data_cluster["arn"], secretArn=data_cluster["secret"], transactionId=tx
    )
    assert done["transactionStatus"] == "Transaction Committed"
    assert run(data, data_cluster, "SELECT count(*) FROM ledger")["records"] == [[{"longValue": 1}]]

    tx = data.begin_transaction(resourceArn=data_cluster["arn"], secretArn=data_cluster["secret"])[
        "transactionId"
    ]
    run(data, data_cluster, "INSERT INTO ledger VALUES (2)", transactionId=tx)
    undone = data.rollback_transaction(
        resourceArn=data_cluster["arn"], secretArn=data_cluster["secret"], transactionId=tx
    )
    assert undone["transactionStatus"] == "Rollback Complete"
    assert run(data, data_cluster, "SELECT sum(v) FROM ledger")["records"] == [[{"longValue": 1}]]
    with pytest.raises(data.exceptions.TransactionNotFoundException):
        data.commit_transaction(
            resourceArn=data_cluster["arn"], secretArn=data_cluster["secret"], transactionId=tx
        )


def test_batch_execute_runs_every_parameter_set(data, data_cluster):
    run(data, data_cluster, "CREATE TABLE batch (k text, n int8)")
    out = data.batch_execute_statement(
        resourceArn=data_cluster["arn"],
        secretArn=data_cluster["secret"],
        sql="INSERT INTO batch VALUES (:k, :n)",
        parameterSets=[
            [{"name": "k", "value": {"stringValue": f"k{i}"}}, {"name": "n", "value": {"longValue": i}}]
            for i in range(3)
        ],
    )
    assert len(out["updateResults"]) == 3
    assert run(data, data_cluster, "SELECT sum(n) FROM batch")["records"] == [[{"stringValue": "3"}]]
    # A failing set undoes the batch.
    with pytest.raises(data.exceptions.DatabaseErrorException):
        data.batch_execute_statement(
            resourceArn=data_cluster["arn"],
            secretArn=data_cluster["secret"],
            sql="INSERT INTO batch VALUES (:k, :n)",
            parameterSets=[
                [{"name": "k", "value": {"stringValue": "x"}}, {"name": "n", "value": {"longValue": 9}}],
                [
                    {"name": "k", "value": {"stringValue": "y"}},
                    {"name": "n", "value": {"stringValue": "nan?"}},
                ],
            ],
        )
    assert run(data, data_cluster, "SELECT count(*) FROM batch")["records"] == [[{"longValue": 3}]]


def test_execute_sql_runs_several_statements(data, data_cluster):
    out = data.execute_sql(
        dbClusterOrInstanceArn=data_cluster["arn"],
        awsSecretStoreArn=data_cluster["secret"],
        sqlStatements="CREATE TABLE legacy (v int); INSERT INTO legacy VALUES (7); SELECT v FROM legacy",
        database="appdb",
    )["sqlStatementResults"]
    assert out[1]["numberOfRecordsUpdated"] == 1
    assert out[2]["resultFrame"]["records"] == [{"values": [{"intValue": 7}]}]
    assert out[2]["resultFrame"]["resultSetMetadata"]["columnCount"] == 1


def test_errors_as_aws_gives_them(data, data_cluster, rds, client):
    with pytest.raises(data.exceptions.DatabaseErrorException) as bad_sql:
        run(data, data_cluster, "SELECT * FROM no_such_table")
    assert 'relation "no_such_table" does not exist' in bad_sql.value.response["Error"]["Message"]
    wrong = client("secretsmanager").create_secret(
        Name=unique("wrong"), SecretString=json.dumps({"username": "admin", "password": "not-it"})
    )["ARN"]
    with pytest.raises(data.exceptions.DatabaseErrorException) as denied:
        data.execute_statement(resourceArn=data_cluster["arn"], secretArn=wrong, sql="SELECT 1")
    assert "password authentication failed" in denied.value.response["Error"]["Message"]
    with pytest.raises(data.exceptions.SecretsErrorException):
        data.execute_statement(
            resourceArn=data_cluster["arn"],
            secretArn=data_cluster["secret"] + "x",
            sql="SELECT 1",
        )
    with pytest.raises(data.exceptions.TransactionNotFoundException):
        run(data, data_cluster, "SELECT 1", transactionId="bm90LWEtdHJhbnNhY3Rpb24=")
    other = rds.create_db_cluster(
        DBClusterIdentifier=unique("nohttp"),
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="supersecret",
    )["DBCluster"]
    try:
        with pytest.raises(data.exceptions.HttpEndpointNotEnabledException):
            data.execute_statement(
                resourceArn=other["DBClusterArn"], secretArn=data_cluster["secret"], sql="SELECT 1"
            )
    finally:
        rds.delete_db_cluster(DBClusterIdentifier=other["DBClusterIdentifier"], SkipFinalSnapshot=True)


def test_a_transaction_begun_in_sql_does_not_outlive_its_call(data, data_cluster):
    run(data, data_cluster, "CREATE TABLE pooled (v int)")
    run(data, data_cluster, "BEGIN")  # an open transaction: its session is not reused
    for _ in range(3):
        run(data, data_cluster, "INSERT INTO pooled VALUES (1)")
    conn = cluster_conn(data_cluster["cluster"])
    assert conn.run("SELECT count(*) FROM pooled") == [[3]]
    conn.close()
