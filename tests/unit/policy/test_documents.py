"""Policy documents are validated as IAM validates them, with AWS's messages."""

from __future__ import annotations

import json

import pytest

from overcast import policy


def statement(**fields):
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **fields}


def doc(*statements, **top):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


@pytest.mark.parametrize(
    "text, kind, message",
    [
        ("{not json", policy.IDENTITY, "Syntax errors in policy."),
        ("[]", policy.IDENTITY, "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17"}), policy.IDENTITY, "Syntax errors in policy."),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [statement()], "Extra": 1}),
            policy.IDENTITY,
            "Syntax errors in policy.",
        ),
        (
            json.dumps({"Version": "2010-01-01", "Statement": [statement()]}),
            policy.IDENTITY,
            "Policy document must be version 2012-10-17 or greater.",
        ),
        (doc(statement(Effect="allow")), policy.IDENTITY, "Syntax errors in policy."),
        (doc(statement(Bogus=1)), policy.IDENTITY, "Syntax errors in policy."),
        (doc(statement(NotAction="s3:*")), policy.IDENTITY, "Syntax errors in policy."),
        (
            doc({"Effect": "Allow", "Resource": "*"}),
            policy.IDENTITY,
            "Policy statement must contain actions.",
        ),
        (
            doc({"Effect": "Allow", "Action": "s3:*"}),
            policy.IDENTITY,
            "Policy statement must contain resources.",
        ),
        (
            doc(statement(Sid="a"), statement(Sid="a")),
            policy.IDENTITY,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            doc(statement(Action="GetObject")),
            policy.IDENTITY,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            doc(statement(Action="s3:Get:Object")),
            policy.IDENTITY,
            "Actions/Condition can contain only one colon.",
        ),
        (doc(statement(Action="s 3:GetObject")), policy.IDENTITY, "Vendor s 3 is not valid"),
        (doc(statement(Resource="bucket")), policy.IDENTITY, 'Resource bucket must be in ARN format or "*".'),
        (
            doc(statement(Resource="arn:aws")),
            policy.IDENTITY,
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            doc(statement(Resource="arn:foo:s3:::b")),
            policy.IDENTITY,
            'Partition "foo" is not valid for resource "arn:foo:s3:::b".',
        ),
        (
            doc(statement(Resource="arn:aws:iam:us-east-1::user/a")),
            policy.IDENTITY,
            "IAM resource arn:aws:iam:us-east-1::user/a cannot contain region information.",
        ),
        (doc(statement(Principal="*")), policy.IDENTITY, "Policy document should not specify a principal."),
        (
            doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
            policy.TRUST,
            "Missing required field Principal",
        ),
        (
            doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Resource": "*"}),
            policy.TRUST,
            "Has prohibited field Resource.",
        ),
        (
            doc({"Effect": "Allow", "Action": "s3:GetObject", "Principal": "*"}),
            policy.TRUST,
            "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
        ),
        (
            doc(statement(Condition={"StringEqualz": {"aws:username": "a"}})),
            policy.IDENTITY,
            "Syntax errors in policy.",
        ),
        (
            doc(statement(Condition={"NullIfExists": {"aws:username": "true"}})),
            policy.IDENTITY,
            "Syntax errors in policy.",
        ),
    ],
)
def test_malformed(text, kind, message):
    with pytest.raises(policy.MalformedPolicy) as caught:
        policy.parse(text, kind)
    assert str(caught.value) == message


def test_valid_forms():
    parsed = policy.parse(json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))
    assert parsed.version == "2008-10-17" and len(parsed.statements) == 1
    trust = policy.parse(
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com"]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ),
        policy.TRUST,
    )
    assert trust.statements[0].principals == {"Service": ("lambda.amazonaws.com",)}
    conditions = policy.parse(
        doc(statement(Condition={"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", 1, True]}}))
    )
    assert conditions.statements[0].conditions == (
        ("StringLike", "ForAnyValue", True, "aws:TagKeys", ("a*", "1", "true")),
    )


def test_statement_positions_for_matched_statements():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "*", "Resource": "*"}\n  ]\n}'
    parsed = policy.parse(text)
    assert parsed.statements[0].start == (4, 5)
    assert parsed.statements[0].end == (4, 56)  # just past the closing brace


@pytest.mark.parametrize(
    "principal, message",
    [
        ({"AWS": "bob"}, 'Invalid principal in policy: "AWS":"bob"'),
        ({"AWS": "arn:aws:iam::12345:root"}, 'Invalid principal in policy: "AWS":"arn:aws:iam::12345:root"'),
        ({"Service": "not a service"}, 'Invalid principal in policy: "SERVICE":"not a service"'),
    ],
)
def test_invalid_principals(principal, message):
    with pytest.raises(policy.MalformedPolicy) as caught:
        policy.parse(
            doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}), policy.TRUST
        )
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": "123456789012"},
        {"AWS": "arn:aws:iam::123456789012:root"},
        {"AWS": ["arn:aws:iam::123456789012:user/path/alice", "arn:aws:iam::123456789012:role/R"]},
        {"AWS": "arn:aws:sts::123456789012:assumed-role/R/session"},
        {"AWS": "AIDAJQABLZS4A3QDU576Q"},
        {"Service": ["lambda.amazonaws.com", "states.us-east-1.amazonaws.com"]},
        {"Federated": "arn:aws:iam::123456789012:saml-provider/corp"},
        {"Federated": "accounts.google.com"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ],
)
def test_valid_principals(principal):
    policy.parse(doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}), policy.TRUST)


def test_lenient_forms_aws_accepts():
    """A condition key without a vendor prefix (it matches no request value), empty condition
    blocks whatever their operator, and a null among resources (ignored)."""
    parsed = policy.parse(
        doc(
            statement(Condition={"StringEquals": {"team": "a"}, "x": {}}),
            statement(Resource=["arn:aws:kms:*:123456789012:key/*", None]),
        )
    )
    assert parsed.statements[0].conditions == (("StringEquals", None, False, "team", ("a",)),)
    assert parsed.statements[1].resources == ("arn:aws:kms:*:123456789012:key/*",)
    with pytest.raises(policy.MalformedPolicy):
        policy.parse(doc(statement(Resource=[None])))
