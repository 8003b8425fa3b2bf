"""Which accounts a bus policy lets put events on the bus (bus-to-bus delivery across
accounts): PutPermission's statements and policies written by hand."""

from __future__ import annotations

import json

from overcast.services.events.delivery import policy_allows

BUS = "arn:aws:events:us-east-1:111111111111:event-bus/shared"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, **extra) -> dict:
    return {
        "Sid": "s",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "events:PutEvents",
        "Resource": BUS,
        **extra,
    }


def test_no_policy_lets_no_other_account_in():
    assert not policy_allows(None, "222222222222")


def test_an_account_named_by_its_root_its_id_or_everyone():
    assert policy_allows(policy(allow({"AWS": "arn:aws:iam::222222222222:root"})), "222222222222")
    assert policy_allows(policy(allow({"AWS": ["333333333333", "222222222222"]})), "222222222222")
    assert policy_allows(policy(allow("*")), "222222222222")
    assert not policy_allows(policy(allow({"AWS": "arn:aws:iam::333333333333:root"})), "222222222222")


def test_conditions_and_denials():
    by_account = allow("*", Condition={"StringEquals": {"aws:PrincipalAccount": ["222222222222"]}})
    assert policy_allows(policy(by_account), "222222222222")
    assert not policy_allows(policy(by_account), "333333333333")
    by_organization = allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
    assert not policy_allows(policy(by_organization), "222222222222")  # no organization here
    deny = {**allow({"AWS": "222222222222"}), "Effect": "Deny"}
    assert not policy_allows(policy(allow("*"), deny), "222222222222")
    other_action = {**allow("*"), "Action": "events:DescribeRule"}
    assert not policy_allows(policy(other_action), "222222222222")
