"""Table encryption through KMS: the SSEDescription names the key KMS resolves (the AWS
managed alias/aws/dynamodb by default), and a missing or disabled key is refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table, unique


def _refusal(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_aws_managed_key_by_default(ddb, client):
    name = make_table(ddb, SSESpecification={"Enabled": True})
    sse = ddb.describe_table(TableName=name)["Table"]["SSEDescription"]
    managed = client("kms").describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
    assert sse == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": managed["Arn"]}
    assert managed["KeyManager"] == "AWS"
    assert managed["Description"] == "Default key that protects my DynamoDB data when no other key is defined"
    # An update that leaves encryption alone keeps the key.
    updated = ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    assert updated["TableDescription"]["SSEDescription"] == sse
    disabled = ddb.update_table(TableName=name, SSESpecification={"Enabled": False})
    assert disabled["TableDescription"]["SSEDescription"] == {**sse, "Status": "UPDATING"}
    assert "SSEDescription" not in ddb.describe_table(TableName=name)["Table"]


def test_customer_managed_key_by_alias_and_id(ddb, client):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/{unique('ddb')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    name = make_table(ddb, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": alias})
    assert ddb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    other = kms.create_key()["KeyMetadata"]
    changed = ddb.update_table(
        TableName=name, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": other["KeyId"]}
    )
    assert changed["TableDescription"]["SSEDescription"]["KMSMasterKeyArn"] == other["Arn"]


def test_missing_or_disabled_key_is_refused(ddb, client):
    account = client("sts").get_caller_identity()["Account"]
    missing = "134f2428-cec1-4b25-a1ae-9048164dba47"
    code, message = _refusal(
        make_table, ddb=ddb, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": missing}
    )
    assert code == "ValidationException"
    assert message.startswith(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: "
        f"Key 'arn:aws:kms:us-east-1:{account}:key/{missing}' does not exist (Service: AWSKMS; Status Code: 400;"
    )
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    table = unique()
    code, message = _refusal(
        make_table,
        ddb=ddb,
        TableName=table,
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["KeyId"]},
    )
    assert code == "ValidationException" and f"DisabledException: {key['Arn']} is disabled." in message
    assert table not in ddb.list_tables()["TableNames"]
    name = make_table(ddb)
    code, _ = _refusal(
        ddb.update_table,
        TableName=name,
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]},
    )
    assert code == "ValidationException"
    assert "SSEDescription" not in ddb.describe_table(TableName=name)["Table"]
