"""The CDK against Overcast through AWS_ENDPOINT_URL: `cdk bootstrap` (the modern bootstrap
template: staging bucket and its policy, ECR repository, IAM roles and policies, the SSM
version parameter), `cdk deploy` of an app with a Lambda function (its code an asset the CLI
uploads to the staging bucket), an SQS queue, an S3 bucket and a DynamoDB table with grants
between them, the function invoked, and `cdk destroy`; a bucket with autoDeleteObjects and a
BucketDeployment (the CDK's Node and Python custom-resource providers, which answer on the
https ResponseURL, the Python one running the AWS CLI layer from /opt); and a Docker image asset
built and pushed to the bootstrap ECR repository."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

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


IMAGE_APP = """
const cdk = require('aws-cdk-lib');
const ecrAssets = require('aws-cdk-lib/aws-ecr-assets');
const ssm = require('aws-cdk-lib/aws-ssm');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'OvercastCdkImage');
const image = new ecrAssets.DockerImageAsset(stack, 'Image', { directory: __dirname + '/image' });
new ssm.StringParameter(stack, 'ImageUri', { parameterName: '/overcast/cdk-image', stringValue: image.imageUri });
"""

SITE_APP = """
const cdk = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');
const s3deploy = require('aws-cdk-lib/aws-s3-deployment');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'OvercastCdkSite');
const bucket = new s3.Bucket(stack, 'Site', { removalPolicy: cdk.RemovalPolicy.DESTROY, autoDeleteObjects: true });
new s3deploy.BucketDeployment(stack, 'Deploy', {
  sources: [s3deploy.Source.asset(__dirname + '/site')],
  destinationBucket: bucket,
});
new cdk.CfnOutput(stack, 'BucketName', { value: bucket.bucketName });
"""


def docker_running() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


class Toolkit:
    """A bootstrapped account and a CDK project directory to deploy apps from."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        modules = cdk_modules()
        assert modules is not None
        self.endpoint, self.workdir = endpoint, workdir
        (workdir / "node_modules").symlink_to(modules)
        self.account = str(random.randint(10**11, 10**12 - 1))
        self.env = tool_env(endpoint, workdir, self.account)
        self.cdk = str(modules / ".bin" / "cdk")

    def run(self, *args: str) -> str:
        return run([self.cdk, *args, "--no-notices"], self.workdir, self.env)

    def aws(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.account,
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="module")
def toolkit(endpoint, tmp_path_factory) -> Toolkit:
    kit = Toolkit(endpoint, tmp_path_factory.mktemp("cdk"))
    assert "bootstrapped" in kit.run("bootstrap", f"aws://{kit.account}/us-east-1")
    toolkit_stack = kit.aws("cloudformation").describe_stacks(StackName="CDKToolkit")["Stacks"][0]
    assert toolkit_stack["StackStatus"] == "CREATE_COMPLETE"
    version = kit.aws("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"]
    assert int(version) >= 20
    repositories = kit.aws("ecr").describe_repositories()["repositories"]
    assert repositories[0]["repositoryName"].startswith("cdk-hnb659fds-container-assets")
    return kit


def test_cdk_deploy_and_destroy(toolkit: Toolkit):
    workdir = toolkit.workdir
    (workdir / "lambda").mkdir()
    (workdir / "lambda" / "index.js").write_text(HANDLER)
    (workdir / "app.js").write_text(APP)
    (workdir / "cdk.json").write_text(json.dumps({"app": "node app.js"}))
    aws = toolkit.aws

    toolkit.run("deploy", "--app", "node app.js", "--require-approval", "never")
    stack = aws("cloudformation").describe_stacks(StackName="OvercastCdkApp")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    staged = aws("s3").list_objects_v2(Bucket=f"cdk-hnb659fds-assets-{toolkit.account}-us-east-1")["Contents"]
    assert any(item["Key"].endswith(".zip") for item in staged)  # the function's code asset

    result = aws("lambda").invoke(FunctionName=outputs["FunctionName"], Payload=json.dumps({"note": "hello"}))
    assert "FunctionError" not in result, result["Payload"].read()
    answer = json.loads(result["Payload"].read())
    assert aws("dynamodb").get_item(TableName=answer["table"], Key={"id": {"S": "hello"}})["Item"]
    messages = aws("sqs").receive_message(QueueUrl=outputs["QueueUrl"], WaitTimeSeconds=5)["Messages"]
    assert messages[0]["Body"] == "hello"

    toolkit.run("destroy", "--app", "node app.js", "--force")
    assert aws("cloudformation").describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == (
        "DELETE_COMPLETE"
    )


def test_cdk_bucket_deployment_and_auto_delete_objects(toolkit: Toolkit):
    workdir = toolkit.workdir
    (workdir / "site").mkdir()
    (workdir / "site" / "index.html").write_text("<h1>hello</h1>\n")
    (workdir / "site" / "app.css").write_text("body { margin: 0 }\n")
    (workdir / "site-app.js").write_text(SITE_APP)
    s3 = toolkit.aws("s3")

    toolkit.run("deploy", "--app", "node site-app.js", "--require-approval", "never")
    stack = toolkit.aws("cloudformation").describe_stacks(StackName="OvercastCdkSite")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    bucket = stack["Outputs"][0]["OutputValue"]
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["app.css", "index.html"]  # copied by the AWS CLI the deployment runs
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<h1>hello</h1>\n"
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["aws-cdk:auto-delete-objects"] == "true"

    # The bucket still holds objects: only the auto-delete provider's emptying lets it go.
    toolkit.run("destroy", "--app", "node site-app.js", "--force")
    assert (
        toolkit.aws("cloudformation").describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"]
        == "DELETE_COMPLETE"
    )
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket=bucket)


@pytest.mark.skipif(not docker_running(), reason="the Docker Engine is not running (dockerd)")
def test_cdk_image_asset_is_pushed_to_the_bootstrap_repository(toolkit: Toolkit):
    workdir = toolkit.workdir
    (workdir / "image").mkdir()
    (workdir / "image" / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (workdir / "image" / "hello.txt").write_text("hello\n")
    (workdir / "image-app.js").write_text(IMAGE_APP)
    toolkit.run("deploy", "--app", "node image-app.js", "--require-approval", "never")
    uri = toolkit.aws("ssm").get_parameter(Name="/overcast/cdk-image")["Parameter"]["Value"]
    repository, tag = uri.split("/", 1)[1].split(":")
    images = toolkit.aws("ecr").list_images(repositoryName=repository)["imageIds"]
    assert tag in {image.get("imageTag") for image in images}
