"""The CDK against Overcast through AWS_ENDPOINT_URL: `cdk bootstrap` (the modern bootstrap
template: staging bucket and its policy, ECR repository, IAM roles and policies, the SSM
version parameter), `cdk deploy` of an app with a Lambda function (its code an asset the CLI
uploads to the staging bucket), an SQS queue, an S3 bucket and a DynamoDB table with grants
between them, the function invoked, and `cdk destroy`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import boto3

from tests.e2e.tools import cdk_modules, requires_cdk, run, tool_env

pytestmark = requires_cdk

APP = """
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const sqs = require('aws-cdk-lib/aws-sqs');
const s3 = require('aws-cdk-lib/aws-s3');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'OvercastCdkApp');
const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: cdk.Duration.seconds(60) });
const bucket = new s3.Bucket(stack, 'Bucket', { removalPolicy: cdk.RemovalPolicy.DESTROY });
const table = new dynamodb.Table(stack, 'Table', {
  partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: cdk.RemovalPolicy.DESTROY,
});
const fn = new lambda.Function(stack, 'Function', {
  runtime: lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  code: lambda.Code.fromAsset(__dirname + '/lambda'),
  environment: { QUEUE_URL: queue.queueUrl, TABLE_NAME: table.tableName, BUCKET: bucket.bucketName },
});
queue.grantSendMessages(fn);
table.grantReadWriteData(fn);
bucket.grantRead(fn);
new cdk.CfnOutput(stack, 'FunctionName', { value: fn.functionName });
new cdk.CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
"""

HANDLER = """
const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');

exports.handler = async (event) => {
  await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: event.note }));
  await new DynamoDBClient({}).send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { id: { S: event.note } } }));
  return { table: process.env.TABLE_NAME, bucket: process.env.BUCKET };
};
"""


def test_cdk_bootstrap_deploy_and_destroy(endpoint, tmp_path: Path):
    modules = cdk_modules()
    assert modules is not None
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "index.js").write_text(HANDLER)
    (tmp_path / "app.js").write_text(APP)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "node app.js"}))
    (tmp_path / "node_modules").symlink_to(modules)
    account = str(random.randint(10**11, 10**12 - 1))
    env = tool_env(endpoint, tmp_path, account)
    cdk = str(modules / ".bin" / "cdk")

    bootstrapped = run([cdk, "bootstrap", f"aws://{account}/us-east-1", "--no-notices"], tmp_path, env)
    assert "bootstrapped" in bootstrapped

    def aws(service: str):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )

    toolkit = aws("cloudformation").describe_stacks(StackName="CDKToolkit")["Stacks"][0]
    assert toolkit["StackStatus"] == "CREATE_COMPLETE"
    version = aws("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"]
    assert int(version) >= 20
    assert aws("ecr").describe_repositories()["repositories"][0]["repositoryName"].startswith("cdk-hnb659fds")

    run([cdk, "deploy", "--require-approval", "never", "--no-notices"], tmp_path, env)
    stack = aws("cloudformation").describe_stacks(StackName="OvercastCdkApp")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    staged = aws("s3").list_objects_v2(Bucket=f"cdk-hnb659fds-assets-{account}-us-east-1")["Contents"]
    assert any(item["Key"].endswith(".zip") for item in staged)  # the function's code asset

    result = aws("lambda").invoke(FunctionName=outputs["FunctionName"], Payload=json.dumps({"note": "hello"}))
    assert "FunctionError" not in result, result["Payload"].read()
    answer = json.loads(result["Payload"].read())
    assert aws("dynamodb").get_item(TableName=answer["table"], Key={"id": {"S": "hello"}})["Item"]
    messages = aws("sqs").receive_message(QueueUrl=outputs["QueueUrl"], WaitTimeSeconds=5)["Messages"]
    assert messages[0]["Body"] == "hello"

    run([cdk, "destroy", "--force", "--no-notices"], tmp_path, env)
    assert aws("cloudformation").describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == (
        "DELETE_COMPLETE"
    )
