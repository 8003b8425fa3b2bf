"""Runs the evaluation corpus (corpus.py) through the policy engine."""

from __future__ import annotations

import pytest

from overcast import policy
from tests.unit.policy.corpus import ACCOUNT, CASES, ROLE_ARN


def principal_for(spec: str, tags: dict) -> policy.Principal:
    kind, _, arg = spec.partition(":")
    if kind == "user":
        account = arg or ACCOUNT
        return policy.Principal(
            f"arn:aws:iam::{account}:user/alice", account, policy.USER, "AIDAEXAMPLEALICE", "alice", tags=tags
        )
    if kind == "root":
        account = arg or ACCOUNT
        return policy.Principal(f"arn:aws:iam::{account}:root", account, policy.ROOT, account)
    if kind == "role":
        return policy.Principal(
            f"arn:aws:sts::{ACCOUNT}:assumed-role/DeployRole/deploy",
            ACCOUNT,
            policy.ASSUMED_ROLE,
            "AROAEXAMPLEROLE:deploy",
            role_arn=ROLE_ARN,
            tags=tags,
        )
    if kind == "anonymous":
        return policy.Principal.anonymous()
    if kind == "service":
        return policy.Principal.service(arg)
    if kind == "federated":
        return policy.Principal(arg, "", policy.WEB_IDENTITY, name=arg)
    raise ValueError(spec)


def decide(case: dict) -> policy.Decision:
    request = policy.AuthorizationRequest(
        principal_for(case.get("principal", "user"), case.get("principal_tags", {})),
        case["action"],
        case["resource_arn"],
        case.get("resource_account"),
        case.get("context", {}),
        case.get("region", "us-east-1"),
    )
    resource_kind = policy.TRUST if case["action"].startswith("sts:Assume") else policy.RESOURCE
    return policy.evaluate(
        request,
        [policy.parse(d, policy_id=f"identity-{i}") for i, d in enumerate(case.get("identity", []))],
        policy.parse(case["resource"], resource_kind) if "resource" in case else None,
        [policy.parse(d) for d in case["boundary"]] if "boundary" in case else None,
        [policy.parse(d) for d in case["session"]] if "session" in case else None,
        resource_required=case.get("trust", False),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus(case):
    assert decide(case).decision == case["expect"]


def test_every_operator_is_in_the_corpus():
    import json

    from overcast.policy.conditions import OPERATORS

    text = json.dumps([[*c.get("identity", []), c.get("resource", {})] for c in CASES])
    for operator in OPERATORS:
        assert f'"{operator}' in text or f":{operator}" in text, operator
        if operator != "Null":
            assert f"{operator}IfExists" in text or operator in {
                "StringNotEquals",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
                "StringLike",
                "StringNotLike",
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThanEquals",
                "NumericGreaterThan",
                "NumericGreaterThanEquals",
                "DateEquals",
                "DateNotEquals",
                "DateLessThanEquals",
                "DateGreaterThan",
                "DateGreaterThanEquals",
                "BinaryEquals",
                "NotIpAddress",
                "ArnEquals",
                "ArnNotEquals",
                "ArnNotLike",
            }, operator


def test_matched_statements_name_policy_and_position():
    case = next(c for c in CASES if c["name"] == "guide: read object in my-app-bucket")
    decision = decide(case)
    assert [(m.policy_id, m.sid, m.effect) for m in decision.matched] == [
        ("identity-0", "AllowS3ReadOnMyBucket", "Allow")
    ]


def test_explicit_deny_reports_the_deny_statement():
    case = next(c for c in CASES if c["name"].startswith("guide: delete in prod outside"))
    decision = decide(case)
    assert [m.sid for m in decision.matched] == ["DenyDeleteFromProd"]


def test_missing_context_values_are_reported():
    case = next(c for c in CASES if c["name"] == "StringEquals key missing")
    assert decide(case).missing_context_values == ["s3:prefix"]
