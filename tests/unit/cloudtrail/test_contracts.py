"""CloudTrail's Python interface to other services: Logs' import tasks read an event data
store's events through event_data_store_events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from overcast.context import RequestContext
from overcast.store import scope

ACCOUNT, REGION = "000000000000", "us-east-1"


def test_event_data_store_events_are_the_stores_events_oldest_first(runtime):
    cloudtrail = runtime.provider("cloudtrail")
    context = RequestContext.internal("cloudtrail", ACCOUNT, REGION)
    store = cloudtrail.create_event_data_store(context, {"Name": "contract-store", "StartIngestion": False})
    arn, store_id = store["EventDataStoreArn"], store["EventDataStoreArn"].rsplit("/", 1)[1]
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now - timedelta(hours=2), now - timedelta(hours=1)]
    for n, moment in enumerate(reversed(times)):
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {"eventID": f"e{n}", "eventTime": stamp, "eventName": "PutObject"}
        cloudtrail.lake_imported.put(scope(ACCOUNT, REGION), f"{store_id}/{stamp}/e{n}", event)
    status, events = cloudtrail.event_data_store_events(ACCOUNT, REGION, arn)
    assert status == "STOPPED_INGESTION"
    assert [(ms, event["eventID"]) for ms, event in events] == [
        (int(times[0].timestamp() * 1000), "e1"),
        (int(times[1].timestamp() * 1000), "e0"),
    ]
    # A window keeps what falls in it; another account or region has no such store.
    start = int((now - timedelta(minutes=90)).timestamp() * 1000)
    assert [e["eventID"] for _, e in cloudtrail.event_data_store_events(ACCOUNT, REGION, arn, start)[1]] == [
        "e0"
    ]
    assert cloudtrail.event_data_store_events("111111111111", REGION, arn) is None
    assert cloudtrail.event_data_store_events(ACCOUNT, "eu-west-1", arn) is None
    assert cloudtrail.event_data_store_events(ACCOUNT, REGION, arn[:-4] + "0000") is None


def test_api_call_event_renders_a_management_call_at_once(runtime):
    """EventBridge's "AWS API Call via CloudTrail" detail: the CloudTrail event of a call just
    answered, without waiting for the recorder's flush; None for what is no management event."""
    cloudtrail = runtime.provider("cloudtrail")
    sqs = runtime.provider("sqs")
    context = RequestContext.internal("sqs", ACCOUNT, REGION)
    context.service_model = runtime_model("sqs")
    context.operation = context.service_model.operation_model("CreateQueue")
    output = sqs.create_queue(context, {"QueueName": "contract-queue"})
    event = cloudtrail.api_call_event(context, {"QueueName": "contract-queue"}, output, None)
    assert event is not None
    assert event["eventSource"] == "sqs.amazonaws.com" and event["eventName"] == "CreateQueue"
    assert event["requestParameters"] == {"queueName": "contract-queue"} and event["readOnly"] is False
    assert event["recipientAccountId"] == ACCOUNT and event["eventType"] == "AwsApiCall"
    context.operation = context.service_model.operation_model("SendMessage")
    assert cloudtrail.api_call_event(context, {}, {}, None) is None  # a data event


def runtime_model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)
