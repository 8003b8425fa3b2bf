"""Node.js functions use the AWS SDK for JavaScript v3 without bundling it, as on AWS: Overcast
installs the @aws-sdk/* packages a function names (once, with npm, into its cache)."""

from __future__ import annotations

import json
import shutil

import pytest

from .helpers import create, unique

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="Node.js functions with the AWS SDK need node and npm on the PATH",
)

CJS_PUT_ITEM = """
const { DynamoDBClient, PutItemCommand } = require("@aws-sdk/client-dynamodb");
const client = new DynamoDBClient({});
exports.handler = async (event) => {
  await client.send(new PutItemCommand({ TableName: event.table, Item: { id: { S: event.id } } }));
  return { stored: event.id };
};
"""

ESM_CALLER = """
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
export const handler = async () => {
  const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  return { account: identity.Account };
};
"""


def invoke(lam, name: str, payload: dict) -> tuple[dict, dict]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    return response, json.loads(response["Payload"].read())


@pytest.mark.slow
def test_commonjs_function_writes_to_dynamodb_with_sdk_v3(client):
    lam, ddb = client("lambda"), client("dynamodb")
    table = unique("node-sdk")
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = create(
        lam, CJS_PUT_ITEM, handler="index.handler", runtime="nodejs20.x", filename="index.js", Timeout=30
    )
    response, result = invoke(lam, name, {"table": table, "id": "from-node"})
    assert "FunctionError" not in response, result
    assert result == {"stored": "from-node"}
    assert ddb.get_item(TableName=table, Key={"id": {"S": "from-node"}})["Item"] == {"id": {"S": "from-node"}}


@pytest.mark.slow
def test_es_module_imports_sdk_v3(client):
    lam = client("lambda")
    name = create(
        lam, ESM_CALLER, handler="app.handler", runtime="nodejs22.x", filename="app.mjs", Timeout=30
    )
    response, result = invoke(lam, name, {})
    assert "FunctionError" not in response, result
    assert result == {"account": "000000000000"}


def test_a_package_npm_cannot_install_is_named_in_the_import_error(client):
    lam = client("lambda")
    package = f"@aws-sdk/client-{unique('no-such-service')}"
    source = f'const missing = require("{package}");\nexports.handler = async () => 1;\n'
    name = create(lam, source, handler="index.handler", runtime="nodejs20.x", filename="index.js", Timeout=30)
    response, result = invoke(lam, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "Runtime.ImportModuleError"
    assert f"Cannot find module '{package}'" in result["errorMessage"]
    assert "could not install" in result["errorMessage"] and "npm install --prefix" in result["errorMessage"]
