"""PartiQL through boto3: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_statements(ddb):
    name = make_table(ddb, range_type="N")
    run = ddb.execute_statement
    run(
        Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1, 'tags': <<'x', 'y'>>, 'm': {{'k': [1, 'two', true, null]}}}}"
    )
    run(
        Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}",
        Parameters=[{"S": "a"}, {"N": "2"}, {"N": "10"}],
    )
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
    assert item["m"] == {"M": {"k": {"L": [{"N": "1"}, {"S": "two"}, {"BOOL": True}, {"NULL": True}]}}}
    assert sorted(item["tags"]["SS"]) == ["x", "y"]
    assert error_of(run, Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1}}") == (
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )

    selected = run(Statement=f"SELECT * FROM \"{name}\" WHERE pk = 'a' AND sk >= 2")["Items"]
    assert selected == [{"pk": {"S": "a"}, "sk": {"N": "2"}, "v": {"N": "10"}}]
    projected = run(Statement=f'SELECT v, sk FROM "{name}" WHERE v > ?', Parameters=[{"N": "5"}])["Items"]
    assert projected == [{"v": {"N": "10"}, "sk": {"N": "2"}}]
    missing = run(Statement=f'SELECT sk FROM "{name}" WHERE v IS MISSING')["Items"]
    assert missing == [{"sk": {"N": "1"}}]

    run(Statement=f"UPDATE \"{name}\" SET v = v + 5 SET w = 'new' REMOVE nothing WHERE pk = 'a' AND sk = 2")
    item = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "2"}})["Item"]
    assert item["v"] == {"N": "15"} and item["w"] == {"S": "new"}
    assert error_of(run, Statement=f"UPDATE \"{name}\" SET v = 1 WHERE pk = 'zz' AND sk = 2") == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    assert error_of(run, Statement=f"UPDATE \"{name}\" SET v = 1 WHERE pk = 'a'") == (
        "ValidationException",
        "Where clause does not contain a mandatory equality on all key attributes",
    )
    run(Statement=f"DELETE FROM \"{name}\" WHERE pk = 'a' AND sk = 1")
    assert len(run(Statement=f'SELECT * FROM "{name}"')["Items"]) == 1
    code, message = error_of(run, Statement=f'SELEC * FROM "{name}"')
    assert code == "ValidationException" and message.startswith(
        "Statement wasn't well formed, can't be processed:"
    )
    assert error_of(run, Statement='SELECT * FROM "no-such-table"')[0] == "ResourceNotFoundException"


def test_select_pages(ddb):
    name = make_table(ddb, range_type="N")
    for i in range(7):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    seen, token = [], None
    while True:
        kwargs = {"Statement": f"SELECT sk FROM \"{name}\" WHERE pk = 'p'", "Limit": 3}
        if token:
            kwargs["NextToken"] = token
        page = ddb.execute_statement(**kwargs)
        seen += [int(i["sk"]["N"]) for i in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == list(range(7))


def test_batch_and_transaction(ddb):
    name = make_table(ddb)
    out = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b', 'sk': '1'}}"},
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b', 'sk': '1'}}"},
            {"Statement": f"UPDATE \"{name}\" SET x = 1 WHERE pk = 'none' AND sk = '1'"},
        ]
    )["Responses"]
    assert "Error" not in out[0]
    assert out[1]["Error"]["Code"] == "DuplicateItem"
    assert out[2]["Error"]["Code"] == "ConditionalCheckFailed"
    reads = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'b' AND sk = '1'"},
            {"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'b' AND sk = '2'"},
        ]
    )["Responses"]
    assert reads[0]["Item"] == {"pk": {"S": "b"}, "sk": {"S": "1"}} and "Item" not in reads[1]

    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 't', 'sk': '1'}}"},
            {"Statement": f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'b' AND sk = '1'"},
        ]
    )
    with pytest.raises(ClientError) as info:
        ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 't', 'sk': '2'}}"},
                {"Statement": f"DELETE FROM \"{name}\" WHERE pk = 'b' AND sk = '1' AND n = 5"},
            ]
        )
    assert info.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in info.value.response["CancellationReasons"]] == [
        "None",
        "ConditionalCheckFailed",
    ]
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "t"}, "sk": {"S": "2"}})
    got = ddb.execute_transaction(
        TransactStatements=[{"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 't' AND sk = '1'"}]
    )["Responses"]
    assert got == [{"Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}]


def test_write_transaction_answers_an_empty_response_list(ddb):
    name = make_table(ddb, range_key=None)
    out = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'a'}}"},
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b'}}"},
        ]
    )
    assert out["Responses"] == []
    assert ddb.scan(TableName=name)["Count"] == 2
