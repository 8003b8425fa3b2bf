"""The request log behind the dashboard and `overcast logs`: reading it, and the one request path
that writes more than a tuple to it (a failure keeps its error and parsed input)."""

from scenarios import AwsCall, ClientFactory, HttpRequest, Scenario


def _some_requests(client: ClientFactory) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="bench-log")["QueueUrl"]
    for index in range(200):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {index}")


SCENARIOS = (
    Scenario(
        name="request-log-read-50",
        summary="GET /_overcast/requests?limit=50: the newest 50 of the request log, as JSON",
        setup=_some_requests,
        requests=(HttpRequest("GET", "/_overcast/requests?limit=50"),),
    ),
    Scenario(
        name="sqs-get-queue-url-missing",
        summary="SQS GetQueueUrl of a queue that does not exist: a failure, logged with its input",
        requests=(AwsCall("sqs", "GetQueueUrl", {"QueueName": "no-such-queue"}),),
    ),
)
