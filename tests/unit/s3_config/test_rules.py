"""The pure parts of S3 bucket configuration: policy validation and evaluation, CORS matching,
lifecycle and website validation, ACL grants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from overcast.errors import ServiceError
from overcast.services.s3 import acl, cors, lifecycle, policy, website

PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicReadGetObject",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site/*",
        }
    ],
}


def error_of(call, *args):
    with pytest.raises(ServiceError) as caught:
        call(*args)
    return caught.value


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "Policies must be valid JSON and the first byte must be '{'"),
        ("{bad", "This policy contains invalid Json"),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        (
            '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}',
            "Missing required field Principal",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Nope", "Resource": "arn:aws:s3:::site/*"}]}',
            "Policy has invalid action",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}',
            "Policy has invalid resource",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site"}]}',
            "Action does not apply to any resource(s) in statement",
        ),
        (
            '{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}',
            "Invalid effect: Maybe",
        ),
    ],
)
def test_malformed_policies(text, message):
    error = error_of(policy.parse_policy, text, "site", "aws")
    assert (error.code, error.status, error.message) == ("MalformedPolicy", 400, message)


def test_public_read_policy_allows_anonymous_get_only():
    text = json.dumps(PUBLIC_READ)
    document = policy.parse_policy(text, "site", "aws")

    def decide(action):
        return policy.decide_anonymous(text, action, "arn:aws:s3:::site/index.html", "1", "us-east-1", {})

    assert (decide("s3:GetObject"), decide("s3:PutObject")) == (policy.ALLOW, None)
    assert policy.is_public(document)


def test_deny_with_condition_and_source_ip_is_not_public():
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    }
    assert not policy.is_public(document)
    text = json.dumps(document)

    def decide(keys):
        return policy.decide_anonymous(text, "s3:GetObject", "arn:aws:s3:::b/k", "1", "us-east-1", keys)

    assert decide({"aws:SourceIp": "10.1.2.3", "aws:SecureTransport": "true"}) == policy.ALLOW
    assert decide({"aws:SourceIp": "10.1.2.3", "aws:SecureTransport": "false"}) == policy.DENY
    assert decide({"aws:SourceIp": "192.168.0.1", "aws:SecureTransport": "true"}) is None


def test_cors_rule_matching():
    rules = cors.validate(
        {
            "CORSRules": [
                {
                    "AllowedMethods": ["GET"],
                    "AllowedOrigins": ["https://*.example.com"],
                    "AllowedHeaders": ["x-amz-*"],
                },
                {"AllowedMethods": ["PUT"], "AllowedOrigins": ["*"]},
            ]
        }
    )
    assert cors.matching_rule(rules, "https://www.example.com", "GET", ["x-amz-date"]) is rules[0]
    assert cors.matching_rule(rules, "https://www.example.com", "GET", ["authorization"]) is None
    assert cors.matching_rule(rules, "http://evil.test", "GET", []) is None
    assert cors.matching_rule(rules, "http://any.test", "PUT", []) is rules[1]
    error = error_of(cors.validate, {"CORSRules": [{"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]})
    assert error.message == "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"


def test_lifecycle_validation():
    guide_rule = {
        "ID": "archive-and-expire",
        "Status": "Enabled",
        "Filter": {"Prefix": "logs/"},
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": 365},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    }
    assert lifecycle.validate({"Rules": [guide_rule]})
    short = {**guide_rule, "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]}
    assert error_of(lifecycle.validate, {"Rules": [short]}).code == "InvalidArgument"
    no_action = {"ID": "x", "Status": "Enabled", "Filter": {}}
    assert (
        error_of(lifecycle.validate, {"Rules": [no_action]}).message
        == "At least one action needs to be specified in a rule"
    )
    zero = {"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}
    assert (
        error_of(lifecycle.validate, {"Rules": [zero]}).message
        == "'Days' for Expiration action must be a positive integer"
    )


def test_lifecycle_days_round_to_midnight_only_for_real_days():
    start = datetime(2024, 1, 1, 15, 30, tzinfo=UTC)
    assert lifecycle.due(start, 1, 86400) == datetime(2024, 1, 3, tzinfo=UTC)
    assert lifecycle.due(start, 3, 1.0) == start + timedelta(seconds=3)


def test_website_validation():
    assert website.validate({"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}})
    assert (
        error_of(website.validate, {}).message
        == "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
    )
    both = {
        "IndexDocument": {"Suffix": "i.html"},
        "RoutingRules": [{"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}],
    }
    assert error_of(website.validate, both).code == "InvalidRequest"


def test_grant_headers_and_canned_acls():
    user = "ab" * 32  # a canonical user id is 64 hex digits
    grants = acl.grants_from_request(
        {"GrantRead": f'uri="http://acs.amazonaws.com/groups/global/AllUsers", id="{user}"'},
        "111111111111",
        acl.BUCKET_CANNED,
    )
    assert grants == [
        {"Grantee": {"Type": "Group", "URI": acl.ALL_USERS}, "Permission": "READ"},
        {"Grantee": {"Type": "CanonicalUser", "ID": user}, "Permission": "READ"},
    ]
    error = error_of(acl.grants_from_request, {"GrantRead": 'id="abc"'}, "1", acl.BUCKET_CANNED)
    assert (error.code, error.message) == ("InvalidArgument", "Invalid id")
    assert acl.is_public(acl.canned("public-read", "111111111111"))
    assert acl.owner_only(acl.canned("private", "111111111111"), "111111111111")
    error = error_of(
        acl.grants_from_request, {"ACL": "private", "GrantRead": 'id="x"'}, "1", acl.BUCKET_CANNED
    )
    assert error.message == "Specifying both Canned ACLs and Header Grants is not allowed"


def test_operations_renamed_in_iam_are_not_actions():
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:HeadObject",
        "Resource": "arn:aws:s3:::site/*",
    }
    error = error_of(policy.parse_policy, json.dumps({"Statement": [statement]}), "site", "aws")
    assert error.message == "Policy has invalid action"
    for action in ("s3:GetObjectAttributes", "s3:ListBucket", "s3:GetBucketLocation", "s3:Get*"):
        policy.parse_policy(
            json.dumps(
                {
                    "Statement": [
                        {
                            **statement,
                            "Action": action,
                            "Resource": ["arn:aws:s3:::site", "arn:aws:s3:::site/*"],
                        }
                    ]
                }
            ),
            "site",
            "aws",
        )
