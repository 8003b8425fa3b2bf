"""Every trigger end to end: SQS and DynamoDB Streams event source mappings, S3 notifications,
CloudWatch Logs subscriptions, and the guide's handler reading its DynamoDB table."""

from __future__ import annotations

import base64
import gzip
import json
import time

import pytest

from .helpers import ROLE, create, unique, zip_bytes

RECORDER = """
import json
def handler(event, context):
    print('EVENT ' + json.dumps(event))
    return {}
"""


def recorded(logs, name: str, count: int = 1, timeout: float = 20.0) -> list[dict]:
    """The events a RECORDER-style function logged, once at least `count` arrived."""
    deadline = time.monotonic() + timeout
    found = []
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="EVENT")[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = [json.loads(e["message"].split("EVENT ", 1)[1]) for e in events]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{name} logged {len(found)} events, expected {count}")


def test_sqs_mapping_delivers_batches_and_deletes(client):
    lam, sqs, logs = client("lambda"), client("sqs"), client("logs")
    name = create(lam, RECORDER)
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(5):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"m{i}",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, MaximumBatchingWindowInSeconds=1
    )
    assert mapping["State"] == "Creating" and mapping["BatchSize"] == 10
    events = recorded(logs, name)
    records = [r for event in events for r in event["Records"]]
    assert sorted(r["body"] for r in records) == [f"m{i}" for i in range(5)]
    first = records[0]
    assert (
        first["eventSource"] == "aws:sqs"
        and first["eventSourceARN"] == arn
        and first["awsRegion"] == "us-east-1"
    )
    assert first["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    for _ in range(50):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if (
            attributes["ApproximateNumberOfMessages"]
            == attributes["ApproximateNumberOfMessagesNotVisible"]
            == "0"
        ):
            break
        time.sleep(0.1)
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"
    assert lam.delete_event_source_mapping(UUID=mapping["UUID"])["State"] == "Deleting"


def test_sqs_partial_batch_failures_return_to_queue_and_reach_dlq(client):
    lam, sqs = client("lambda"), client("sqs")
    source = (
        "def handler(event, context):\n"
        "    return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records']\n"
        "                                  if r['body'] == 'bad']}\n"
    )
    name = create(lam, source)
    dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=unique("q"),
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="good")
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    body = None
    for _ in range(150):
        messages = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            body = messages[0]["Body"]
            break
        time.sleep(0.1)
    assert body == "bad"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_dynamodb_stream_mapping_and_on_failure_destination(client):
    lam, ddb, sqs, logs = client("lambda"), client("dynamodb"), client("sqs"), client("logs")
    table = unique("tbl")
    stream_arn = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}})
    name = create(lam, RECORDER)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName=name, StartingPosition="TRIM_HORIZON", BatchSize=100
    )
    assert mapping["StartingPosition"] == "TRIM_HORIZON" and mapping["BisectBatchOnFunctionError"] is False
    assert mapping["StateTransitionReason"] == "User action"
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}, "n": {"N": "1"}, "b": {"B": b"foobar"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "before"}})
    events = recorded(logs, name, 1)
    records = [r for event in events for r in event["Records"]]
    for _ in range(100):
        if len(records) >= 3:
            break
        time.sleep(0.1)
        records = [r for event in recorded(logs, name) for r in event["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT", "REMOVE"]
    assert records[1]["dynamodb"]["NewImage"] == {
        "pk": {"S": "after"},
        "n": {"N": "1"},
        "b": {"B": "Zm9vYmFy"},
    }
    assert records[0]["eventSource"] == "aws:dynamodb" and records[0]["eventSourceARN"] == stream_arn

    failing = create(lam, "def handler(event, context):\n    raise Exception('cannot process')\n")
    dlq = sqs.create_queue(QueueName=unique("ddb-fail"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName=failing,
        StartingPosition="LATEST",
        MaximumRetryAttempts=1,
        BisectBatchOnFunctionError=False,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    time.sleep(1.5)  # the LATEST position is taken when the poller starts
    ddb.put_item(TableName=table, Item={"pk": {"S": "poison"}})
    message = None
    for _ in range(150):
        messages = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            message = json.loads(messages[0]["Body"])
            break
        time.sleep(0.1)
    assert message is not None
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 2
    assert message["DDBStreamBatchInfo"]["batchSize"] == 1
    assert message["DDBStreamBatchInfo"]["streamArn"] == stream_arn
    assert message["DDBStreamBatchInfo"]["shardId"].startswith("shardId-")
    assert len(message["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"]) == len(
        "2024-01-01T00:00:00Z"
    )
    assert message["responseContext"]["functionError"] == "Unhandled"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=failing, StartingPosition="LATEST"
        )


def test_s3_notification_invokes_function(client):
    lam, s3, logs = client("lambda"), client("s3"), client("logs")
    name = create(lam, RECORDER)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    lam.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket=bucket, Key="uploads/a.csv", Body=b"1,2,3")
    record = recorded(logs, name)[0]["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket and record["s3"]["object"]["key"] == "uploads/a.csv"


def test_code_from_s3(client):
    lam, s3 = client("lambda"), client("s3")
    bucket = unique("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=bucket,
        Key="fn.zip",
        Body=zip_bytes({"handler.py": "def handler(e, c):\n    return 's3 code'\n"}),
    )
    name = unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"S3Bucket": bucket, "S3Key": "fn.zip"},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "s3 code"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(
            FunctionName=unique("fn"),
            Runtime="python3.12",
            Role=ROLE,
            Handler="handler.handler",
            Code={"S3Bucket": bucket, "S3Key": "missing.zip"},
        )


def test_logs_subscription_filter_invokes_function(client):
    lam, logs = client("lambda"), client("logs")
    name = create(lam, "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n")
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    group = f"/app/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    logs.put_subscription_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", destinationArn=arn
    )
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s1",
        logEvents=[
            {"timestamp": now, "message": "INFO fine"},
            {"timestamp": now + 1, "message": "ERROR broken"},
        ],
    )
    event = recorded(logs, name)[0]
    document = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    assert document["messageType"] == "DATA_MESSAGE" and document["logGroup"] == group
    assert document["logStream"] == "s1" and document["subscriptionFilters"] == ["errors"]
    assert [e["message"] for e in document["logEvents"]] == ["ERROR broken"]


GUIDE_HANDLER = """import json
import logging
import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.resource('dynamodb')
table = dynamodb.Table('{table}')


def lambda_handler(event, context):
    logger.info("Request ID: %s", context.aws_request_id)
    logger.info("Event: %s", json.dumps(event))

    http_method = event.get('httpMethod', 'GET')
    path_params = event.get('pathParameters') or {{}}
    user_id = path_params.get('userId')

    if not user_id:
        return _response(400, {{'error': 'userId path parameter is required'}})

    try:
        if http_method == 'GET':
            result = table.get_item(Key={{'userId': user_id}})
            user = result.get('Item')
            if not user:
                return _response(404, {{'error': 'User not found'}})
            return _response(200, user)

        elif http_method == 'DELETE':
            table.delete_item(Key={{'userId': user_id}})
            return _response(204, {{}})

        else:
            return _response(405, {{'error': f'Method {{http_method}} not allowed'}})

    except ClientError as e:
        error_code = e.response['Error']['Code']
        logger.error("DynamoDB error: %s", error_code)
        return _response(500, {{'error': 'Internal server error'}})


def _response(status_code: int, body: dict) -> dict:
    return {{
        'statusCode': status_code,
        'headers': {{
            'Content-Type': 'application/json',
            'Access-Control-Allow-Origin': '*',
        }},
        'body': json.dumps(body),
    }}
"""


def test_guide_handler_reads_its_dynamodb_table(client):
    lam, ddb = client("lambda"), client("dynamodb")
    table = unique("Users")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=table, Item={"userId": {"S": "abc123"}, "name": {"S": "Ada"}})
    name = create(lam, GUIDE_HANDLER.format(table=table), handler="handler.lambda_handler", Timeout=30)

    def call(payload):
        response = lam.invoke(FunctionName=name, Payload=json.dumps(payload))
        assert "FunctionError" not in response
        return json.loads(response["Payload"].read())

    found = call({"httpMethod": "GET", "pathParameters": {"userId": "abc123"}})
    assert found["statusCode"] == 200 and json.loads(found["body"]) == {"userId": "abc123", "name": "Ada"}
    assert call({"httpMethod": "GET", "pathParameters": {"userId": "nobody"}})["statusCode"] == 404
    assert call({"httpMethod": "GET"})["statusCode"] == 400
    assert call({"httpMethod": "DELETE", "pathParameters": {"userId": "abc123"}})["statusCode"] == 204
    assert "Item" not in ddb.get_item(TableName=table, Key={"userId": {"S": "abc123"}})
    assert call({"httpMethod": "PUT", "pathParameters": {"userId": "x"}})["statusCode"] == 405


def test_sns_subscription_invokes_function(client):
    lam, sns, logs = client("lambda"), client("sns"), client("logs")
    name = create(lam, RECORDER)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    sns.publish(
        TopicArn=topic,
        Message="hello lambda",
        Subject="greeting",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    record = recorded(logs, name)[0]["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    message = record["Sns"]
    assert message["TopicArn"] == topic and message["Message"] == "hello lambda"
    assert message["Subject"] == "greeting" and message["Type"] == "Notification"
    assert message["MessageAttributes"]["kind"] == {"Type": "String", "Value": "test"}
