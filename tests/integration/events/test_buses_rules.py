"""Event buses, rules, targets, tags and bus policies through boto3, with AWS's errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_the_default_bus_is_always_there(events):
    bus = events.describe_event_bus()
    assert bus["Name"] == "default"
    assert bus["Arn"] == "arn:aws:events:us-east-1:000000000000:event-bus/default"
    assert "default" in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert error_of(events.delete_event_bus, Name="default") == (
        "ValidationException",
        "Cannot delete event bus default.",
    )


def test_custom_bus_lifecycle(events, name):
    arn = events.create_event_bus(Name=name, Description="orders", Tags=[{"Key": "team", "Value": "a"}])[
        "EventBusArn"
    ]
    assert arn.endswith(f":event-bus/{name}")
    assert error_of(events.create_event_bus, Name=name) == (
        "ResourceAlreadyExistsException",
        f"Event bus {name} already exists.",
    )
    described = events.describe_event_bus(Name=name)
    assert described["Description"] == "orders" and "CreationTime" in described
    assert events.describe_event_bus(Name=arn)["Name"] == name
    events.update_event_bus(Name=name, Description="changed")
    assert events.describe_event_bus(Name=name)["Description"] == "changed"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    listed = events.list_event_buses(NamePrefix=name)["EventBuses"]
    assert [bus["Name"] for bus in listed] == [name]
    events.delete_event_bus(Name=name)
    assert error_of(events.describe_event_bus, Name=name) == (
        "ResourceNotFoundException",
        f"Event bus {name} does not exist.",
    )


def test_list_event_buses_pages(events, name):
    for index in range(3):
        events.create_event_bus(Name=f"{name}-{index}")
    first = events.list_event_buses(NamePrefix=name, Limit=2)
    assert len(first["EventBuses"]) == 2 and "NextToken" in first
    second = events.list_event_buses(NamePrefix=name, Limit=2, NextToken=first["NextToken"])
    assert [bus["Name"] for bus in second["EventBuses"]] == [f"{name}-2"] and "NextToken" not in second


def test_rule_lifecycle(events, name, queue):
    pattern = json.dumps({"source": ["my.app"]})
    arn = events.put_rule(Name=name, EventPattern=pattern, Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:000000000000:rule/{name}"
    rule = events.describe_rule(Name=name)
    assert (
        rule["State"] == "ENABLED" and rule["EventPattern"] == pattern and rule["EventBusName"] == "default"
    )
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == [{"Id": "q", "Arn": queue.arn}]
    assert name in events.list_rule_names_by_target(TargetArn=queue.arn)["RuleNames"]
    assert error_of(events.delete_rule, Name=name) == (
        "ValidationException",
        "Rule can't be deleted since it has targets.",
    )
    events.remove_targets(Rule=name, Ids=["q"])
    events.delete_rule(Name=name)
    assert error_of(events.describe_rule, Name=name) == (
        "ResourceNotFoundException",
        f"Rule {name} does not exist on EventBus default.",
    )


def test_rules_on_a_custom_bus_and_paging(events, name):
    events.create_event_bus(Name=name)
    for index in range(3):
        events.put_rule(Name=f"r{index}", EventBusName=name, EventPattern='{"source": ["x"]}')
    first = events.list_rules(EventBusName=name, Limit=2)
    assert [rule["Name"] for rule in first["Rules"]] == ["r0", "r1"]
    second = events.list_rules(EventBusName=name, NextToken=first["NextToken"])
    assert [rule["Name"] for rule in second["Rules"]] == ["r2"]
    assert events.describe_rule(Name="r0", EventBusName=name)["Arn"].endswith(f":rule/{name}/r0")
    assert error_of(events.describe_rule, Name="r0") == (
        "ResourceNotFoundException",
        "Rule r0 does not exist on EventBus default.",
    )
    assert error_of(events.list_rules, EventBusName=f"{name}-missing")[0] == "ResourceNotFoundException"


def test_rule_refusals(events, name):
    assert error_of(events.put_rule, Name=name) == (
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    )
    assert error_of(events.put_rule, Name=name, ScheduleExpression="rate(5 minute)") == (
        "ValidationException",
        "Parameter ScheduleExpression is not valid.",
    )
    events.create_event_bus(Name=name)
    assert error_of(events.put_rule, Name=name, EventBusName=name, ScheduleExpression="rate(5 minutes)") == (
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
    )
    code, message = error_of(events.put_rule, Name=name, EventPattern='{"source": "x"}')
    assert (code, message) == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "source" must be an object or an array',
    )
    code, message = error_of(events.put_rule, Name="bad name!", EventPattern='{"source": ["x"]}')
    assert code == "ValidationException" and "Member must satisfy regular expression pattern" in message


def test_target_refusals(events, name, queue):
    events.put_rule(Name=name, EventPattern='{"source": ["x"]}')
    code, message = error_of(
        events.put_targets,
        Rule=name,
        Targets=[{"Id": "t", "Arn": queue.arn, "Input": "{}", "InputPath": "$.detail"}],
    )
    assert (code, message) == (
        "ValidationException",
        "Only one of Input, InputPath, or InputTransformer must be provided for target t.",
    )
    transformer = {"InputPathsMap": {"a": "$.detail"}, "InputTemplate": '{"x": <notdefinedkey>}'}
    assert error_of(
        events.put_targets,
        Rule=name,
        Targets=[{"Id": "t", "Arn": queue.arn, "InputTransformer": transformer}],
    ) == ("ValidationException", "InputTemplate for target t contains invalid placeholder notdefinedkey.")
    targets = [{"Id": f"t{index}", "Arn": queue.arn} for index in range(6)]
    assert error_of(events.put_targets, Rule=name, Targets=targets) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
    )
    assert error_of(events.put_targets, Rule=f"{name}-none", Targets=[{"Id": "t", "Arn": queue.arn}])[0] == (
        "ResourceNotFoundException"
    )


def test_rule_tags(events, name):
    arn = events.put_rule(Name=name, EventPattern='{"source": ["x"]}', Tags=[{"Key": "a", "Value": "1"}])[
        "RuleArn"
    ]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    tags = events.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert sorted((tag["Key"], tag["Value"]) for tag in tags) == [("a", "1"), ("b", "2")]
    events.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_bus_permissions(events, name):
    events.create_event_bus(Name=name)
    events.put_permission(
        EventBusName=name, Action="events:PutEvents", Principal="111122223333", StatementId="s1"
    )
    events.put_permission(
        EventBusName=name, Action="events:PutEvents", Principal="444455556666", StatementId="s2"
    )
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert [statement["Sid"] for statement in policy["Statement"]] == ["s1", "s2"]
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert policy["Statement"][0]["Action"] == "events:PutEvents"
    events.remove_permission(EventBusName=name, StatementId="s1")
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert [statement["Sid"] for statement in policy["Statement"]] == ["s2"]
    assert error_of(events.remove_permission, EventBusName=name, StatementId="s1") == (
        "ResourceNotFoundException",
        "Statement with the provided id does not exist.",
    )
    events.remove_permission(EventBusName=name, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=name)


def test_test_event_pattern(events):
    event = {
        "id": "1",
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2024-01-01T00:00:00Z",
        "detail": {"state": "stopped", "count": 7},
    }
    matching = {"source": ["aws.ec2"], "detail": {"state": ["stopped"], "count": [{"numeric": [">", 5]}]}}
    assert events.test_event_pattern(EventPattern=json.dumps(matching), Event=json.dumps(event))["Result"]
    other = {"detail": {"state": [{"anything-but": "stopped"}]}}
    assert not events.test_event_pattern(EventPattern=json.dumps(other), Event=json.dumps(event))["Result"]
    assert error_of(events.test_event_pattern, EventPattern='{"a": ["b"]}', Event='"text"') == (
        "ValidationException",
        "Parameter Event is not valid.",
    )


def test_describe_endpoint_refuses_a_home_region_outside_the_models_pattern(events):
    with pytest.raises(ClientError) as raised:
        events.describe_endpoint(Name="anything", HomeRegion="us-east/1x")
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "at 'homeRegion' failed to satisfy constraint" in error["Message"]
    with pytest.raises(ClientError) as raised:
        events.describe_endpoint(Name="missing-endpoint", HomeRegion="us-east-1")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
