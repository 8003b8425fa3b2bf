"""SNS: Publish to a topic that fans out to three SQS queues (the guide's pattern; each publish
signs one envelope and enqueues three messages), and to a topic with no subscribers (the
request path alone)."""

from scenarios import AwsCall, ClientFactory, Scenario

TOPIC_ARN = "arn:aws:sns:us-east-1:000000000000:{}"
MESSAGE = '{"orderId":"abc123","userId":"user456","total":99.99}'


def _topic(name: str, queues: int):
    def setup(client: ClientFactory) -> None:
        sns, sqs = client("sns"), client("sqs")
        arn = sns.create_topic(Name=name)["TopicArn"]
        for i in range(queues):
            url = sqs.create_queue(QueueName=f"{name}-{i}")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)

    return setup


def _publish(name: str) -> AwsCall:
    return AwsCall("sns", "Publish", {"TopicArn": TOPIC_ARN.format(name), "Message": MESSAGE})


SCENARIOS = (
    Scenario(
        name="sns-publish-fanout-3",
        summary="SNS Publish to a topic with three SQS subscribers (signed envelope, three enqueues)",
        setup=_topic("bench-fanout", 3),
        requests=(_publish("bench-fanout"),),
    ),
    Scenario(
        name="sns-publish-no-subscribers",
        summary="SNS Publish to a topic with no subscriptions (query protocol in, XML out)",
        setup=_topic("bench-empty", 0),
        requests=(_publish("bench-empty"),),
    ),
)
