"""SNS topics through boto3 and the aws CLI: names, FIFO, attributes, policies, tags, data
protection policies, and the errors bad input gets."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.sns.conftest import unique


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_is_idempotent_and_listed(sns):
    name = unique()
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:000000000000:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    listed = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]]
    assert listed.count(arn) == 1


def test_topic_names_are_checked(sns):
    assert error_of(sns.create_topic, Name="bad name") == (
        "InvalidParameter",
        "Invalid parameter: Topic Name",
        400,
    )
    assert error_of(sns.create_topic, Name="x" * 257)[1] == "Invalid parameter: Topic Name"
    assert error_of(sns.create_topic, Name=unique() + ".fifo")[1] == "Invalid parameter: Topic Name"
    assert error_of(sns.create_topic, Name=unique(), Attributes={"FifoTopic": "true"})[:2] == (
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    )
    code, message, _ = error_of(sns.create_topic, Name="bad.name.fifo", Attributes={"FifoTopic": "true"})
    assert code == "InvalidParameter"
    assert message.startswith("Invalid parameter: Fifo Topic names must end with .fifo")


def test_fifo_topic_attributes(sns):
    arn = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "true"


def test_default_attributes_and_setting_them(sns, topic):
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["TopicArn"] == topic
    assert attributes["Owner"] == "000000000000"
    assert attributes["DisplayName"] == ""
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert attributes["SubscriptionsPending"] == "0"
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == topic
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attributes

    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Orders")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    delivery = {
        "http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 4}}
    }
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(delivery)
    )
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["DisplayName"] == "Orders"
    assert attributes["SignatureVersion"] == "2"
    assert json.loads(attributes["DeliveryPolicy"]) == delivery
    assert (
        json.loads(attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"]
        == 5
    )


def test_bad_topic_attributes(sns, topic):
    def set_attribute(name, value):
        return error_of(sns.set_topic_attributes, TopicArn=topic, AttributeName=name, AttributeValue=value)

    assert set_attribute("Nope", "x") == ("InvalidParameter", "Invalid parameter: AttributeName", 400)
    assert set_attribute("FifoTopic", "true")[1] == "Invalid parameter: AttributeName"
    assert set_attribute("SignatureVersion", "3")[1] == "Invalid parameter: SignatureVersion"
    assert set_attribute("Policy", "{not json")[1] == "Invalid parameter: Policy: failed to parse JSON."
    assert set_attribute("DeliveryPolicy", '{"http": {"defaultHealthyRetryPolicy": {"numRetries": 500}}}')[
        0
    ] == ("InvalidParameter")
    assert set_attribute("ContentBasedDeduplication", "true")[0] == "InvalidParameter"
    code, message, _ = error_of(sns.create_topic, Name=unique(), Attributes={"Bogus": "1"})
    assert (code, message) == ("InvalidParameter", "Invalid parameter: Attributes Reason: AttributeName")


def test_create_with_different_attributes_or_tags_fails(sns):
    name = unique()
    sns.create_topic(Name=name, Attributes={"DisplayName": "one"}, Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(sns.create_topic, Name=name, Attributes={"DisplayName": "two"})[1] == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )
    assert error_of(sns.create_topic, Name=name, Tags=[{"Key": "k", "Value": "other"}])[1] == (
        "Invalid parameter: Tags Reason: Topic already exists with different tags"
    )


def test_missing_topics(sns):
    missing = f"arn:aws:sns:us-east-1:000000000000:{unique()}"
    assert error_of(sns.get_topic_attributes, TopicArn=missing) == ("NotFound", "Topic does not exist", 404)
    assert error_of(sns.publish, TopicArn=missing, Message="m")[:2] == ("NotFound", "Topic does not exist")
    assert error_of(sns.get_topic_attributes, TopicArn="nonsense")[1] == (
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    )
    sns.delete_topic(TopicArn=missing)  # deleting what is not there succeeds


def test_delete_topic_removes_its_subscriptions(sns, make_queue):
    arn = sns.create_topic(Name=unique())["TopicArn"]
    q = make_queue()
    subscription = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    assert error_of(sns.get_topic_attributes, TopicArn=arn)[0] == "NotFound"
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=subscription)[0] == "NotFound"


def test_list_topics_pages(client):
    account = {"aws_access_key_id": "210987654321"}
    import boto3

    sns = boto3.client("sns", endpoint_url=client("sns").meta.endpoint_url, region_name="eu-west-1",
                       aws_secret_access_key="x", **account)  # fmt: skip
    created = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    assert base64.b64decode(first["NextToken"], validate=True)
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert {t["TopicArn"] for t in first["Topics"] + second["Topics"]} == created


def test_tags(sns, topic):
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "team", "Value": "b"}])
    tags = sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "b")]
    sns.untag_resource(ResourceArn=topic, TagKeys=["env"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "b"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert error_of(sns.tag_resource, ResourceArn=topic, Tags=too_many)[0] == "TagLimitExceeded"
    missing = f"arn:aws:sns:us-east-1:000000000000:{unique()}"
    assert error_of(sns.list_tags_for_resource, ResourceArn=missing)[:2] == (
        "ResourceNotFound",
        "Resource does not exist",
    )
    assert (
        error_of(
            sns.create_topic, Name=unique(), Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]
        )[1]
        == "Invalid parameter: Duplicated keys are not allowed."
    )


def test_data_protection_policy_is_stored(sns):
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    arn = sns.create_topic(Name=unique(), DataProtectionPolicy=policy)["TopicArn"]
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == policy
    other = json.dumps({"Name": "q", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=other)
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == other
    assert (
        error_of(sns.put_data_protection_policy, ResourceArn=arn, DataProtectionPolicy="{")[0]
        == "InvalidParameter"
    )


def test_permissions_edit_the_policy(sns, topic):
    sns.add_permission(TopicArn=topic, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    shared = next(s for s in statements if s["Sid"] == "share")
    assert shared["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert shared["Action"] == "SNS:Publish"
    assert error_of(
        sns.add_permission,
        TopicArn=topic,
        Label="share",
        AWSAccountId=["111122223333"],
        ActionName=["Publish"],
    ) == ("InvalidParameter", "Invalid parameter: Statement already exists", 400)
    assert error_of(sns.add_permission, TopicArn=topic, Label="other", AWSAccountId=["111122223333"],
                    ActionName=["InvalidAction"]) == (
        "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!", 400
    )  # fmt: skip
    sns.remove_permission(TopicArn=topic, Label="share")
    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]


def test_topics_through_the_cli(aws):
    name = unique()
    arn = aws("sns", "create-topic", "--name", name, "--attributes", "DisplayName=CLI")["TopicArn"]
    attributes = aws("sns", "get-topic-attributes", "--topic-arn", arn)["Attributes"]
    assert attributes["DisplayName"] == "CLI"
    aws("sns", "delete-topic", "--topic-arn", arn)
    failed = aws("sns", "get-topic-attributes", "--topic-arn", arn, check=False)
    assert failed.returncode != 0 and "NotFound" in failed.stderr


def test_a_topic_is_not_found_through_another_regions_endpoint(client, sns, topic):
    import boto3

    west = boto3.client("sns", endpoint_url=client("sns").meta.endpoint_url, region_name="eu-west-1",
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    refused = ("InvalidParameter", "Invalid parameter: TopicArn")
    calls = [
        (west.get_topic_attributes, {"TopicArn": topic}),
        (
            west.set_topic_attributes,
            {"TopicArn": topic, "AttributeName": "DisplayName", "AttributeValue": "x"},
        ),
        (west.publish, {"TopicArn": topic, "Message": "hello"}),
        (
            west.publish_batch,
            {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "1", "Message": "m"}]},
        ),
        (west.subscribe, {"TopicArn": topic, "Protocol": "email", "Endpoint": "a@example.com"}),
        (west.list_subscriptions_by_topic, {"TopicArn": topic}),
        (west.delete_topic, {"TopicArn": topic}),
    ]
    for call, params in calls:
        assert error_of(call, **params)[:2] == refused, call
    # The topic is untouched in its own region.
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName") == ""


def test_missing_and_empty_arns_are_answered_as_aws_does(client, sns):
    from botocore.config import Config

    loose = client("sns", config=Config(parameter_validation=False))
    assert error_of(loose.unsubscribe)[:2] == (
        "InvalidParameter",
        "Invalid parameter: SubscriptionArn Reason: no value for required parameter",
    )
    assert error_of(sns.publish, TopicArn="", Message="m")[:2] == (
        "InvalidParameter",
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
    )
