"""The policy-evaluation corpus: each case is policies + a request + the decision AWS documents.

A case is a dict:
  identity:  identity policy documents (list)        resource: a resource policy document
  boundary:  permissions boundary documents (list)   session:  session policy documents (list)
  principal: "user" | "root" | "role" | "anonymous" | "service:<name>" | "other-user" | ...
  action, resource_arn, resource_account, context: the request
  expect:    "allowed" | "explicitDeny" | "implicitDeny"
"""

from __future__ import annotations

ACCOUNT = "111122223333"
OTHER = "444455556666"
BUCKET = "arn:aws:s3:::my-app-bucket"
OBJECT = "arn:aws:s3:::my-app-bucket/reports/q1.csv"


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def cond(operator, key, value, action="s3:GetObject", effect="Allow"):
    return doc({"Effect": effect, "Action": action, "Resource": "*", "Condition": {operator: {key: value}}})


# The guide's example policy (IAM > Policy Structure).
GUIDE_POLICY = doc(
    {
        "Sid": "AllowS3ReadOnMyBucket",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::my-app-bucket", "arn:aws:s3:::my-app-bucket/*"],
    },
    {
        "Sid": "DenyDeleteFromProd",
        "Effect": "Deny",
        "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::prod-bucket/*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
    },
)
GUIDE_EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
GUIDE_CROSS_ACCOUNT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::987654321098:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ],
}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/DeployRole"


def case(name, expect, **fields):
    fields.setdefault("action", "s3:GetObject")
    fields.setdefault("resource_arn", OBJECT)
    return {"name": name, "expect": expect, **fields}


A, E, I = "allowed", "explicitDeny", "implicitDeny"  # noqa: E741 (the corpus reads as a table)

CASES = [
    # -- the guide's examples ---------------------------------------------------------------
    case("guide: read object in my-app-bucket", A, identity=[GUIDE_POLICY]),
    case(
        "guide: list my-app-bucket", A, identity=[GUIDE_POLICY], action="s3:ListBucket", resource_arn=BUCKET
    ),
    case("guide: put is not allowed (implicit deny)", I, identity=[GUIDE_POLICY], action="s3:PutObject"),
    case(
        "guide: delete in prod outside us-east-1 is denied",
        E,
        identity=[GUIDE_POLICY, doc(allow())],
        action="s3:DeleteObject",
        resource_arn="arn:aws:s3:::prod-bucket/x",
        region="eu-west-1",
    ),
    case(
        "guide: delete in prod from us-east-1 is allowed by admin",
        A,
        identity=[GUIDE_POLICY, doc(allow())],
        action="s3:DeleteObject",
        resource_arn="arn:aws:s3:::prod-bucket/x",
        region="us-east-1",
    ),
    case(
        "guide: explicit deny overrides allow in another policy",
        E,
        identity=[doc(allow("s3:*")), doc(deny("s3:GetObject", OBJECT))],
    ),
    case("guide: no policy at all is an implicit deny", I, identity=[]),
    case(
        "guide: ec2 trust lets ec2.amazonaws.com assume",
        A,
        resource=GUIDE_EC2_TRUST,
        principal="service:ec2.amazonaws.com",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "guide: ec2 trust refuses lambda.amazonaws.com",
        I,
        resource=GUIDE_EC2_TRUST,
        principal="service:lambda.amazonaws.com",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "guide: cross-account trust with MFA",
        A,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        principal="root:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"aws:MultiFactorAuthPresent": "true"},
    ),
    case(
        "guide: cross-account trust without MFA",
        I,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        principal="root:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
    ),
    case(
        "guide: cross-account trust with MFA false",
        I,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        principal="root:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"aws:MultiFactorAuthPresent": "false"},
    ),
    case(
        "guide: cross-account user needs its own allow too",
        I,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        principal="user:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"aws:MultiFactorAuthPresent": "true"},
    ),
    case(
        "guide: cross-account user with its own allow",
        A,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        identity=[doc(allow("sts:AssumeRole", ROLE_ARN))],
        principal="user:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"aws:MultiFactorAuthPresent": "true"},
    ),
    case(
        "guide: another account is not trusted",
        I,
        resource=GUIDE_CROSS_ACCOUNT_TRUST,
        principal="root:123456789012",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"aws:MultiFactorAuthPresent": "true"},
    ),
    # -- Action / NotAction / Resource / NotResource ----------------------------------------
    case("action wildcard s3:Get*", A, identity=[doc(allow("s3:Get*"))]),
    case("action is case-insensitive", A, identity=[doc(allow("S3:getobject"))]),
    case("action ? wildcard", A, identity=[doc(allow("s3:GetObjec?"))]),
    case("action wildcard does not match other service", I, identity=[doc(allow("sqs:*"))]),
    case(
        "NotAction allows everything else",
        A,
        identity=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
    ),
    case(
        "NotAction excludes the listed",
        I,
        identity=[doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})],
    ),
    case(
        "Deny with NotAction denies the rest",
        E,
        identity=[
            doc(allow()),
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}],
            },
        ],
    ),
    case("resource wildcard in bucket", A, identity=[doc(allow("s3:GetObject", "arn:aws:s3:::my-app-*/*"))]),
    case(
        "resource is case-sensitive", I, identity=[doc(allow("s3:GetObject", "arn:aws:s3:::MY-APP-BUCKET/*"))]
    ),
    case("bucket ARN does not cover objects", I, identity=[doc(allow("s3:GetObject", BUCKET))]),
    case(
        "NotResource",
        A,
        identity=[doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})],
    ),
    case(
        "NotResource excludes",
        I,
        identity=[doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::my-app-bucket/*"})],
    ),
    case(
        "resource '*' request needs '*' in policy",
        I,
        identity=[doc(allow("s3:ListAllMyBuckets", "arn:aws:s3:::*"))],
        action="s3:ListAllMyBuckets",
        resource_arn="*",
    ),
    case(
        "resource '*' request with '*' policy",
        A,
        identity=[doc(allow("s3:ListAllMyBuckets", "*"))],
        action="s3:ListAllMyBuckets",
        resource_arn="*",
    ),
    case(
        "ARN wildcard stays in its component",
        I,
        identity=[doc(allow("sqs:*", "arn:aws:sqs:us-*:q"))],
        action="sqs:SendMessage",
        resource_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
    ),
    case(
        "a short ARN pattern reads as if the rest were *",
        A,
        identity=[doc(allow("sqs:*", "arn:aws:sqs:us-east-1:*"))],
        action="sqs:SendMessage",
        resource_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
    ),
    case(
        "ARN wildcard per component",
        A,
        identity=[doc(allow("sqs:*", "arn:aws:sqs:*:*:q"))],
        action="sqs:SendMessage",
        resource_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
    ),
    # -- policy variables ------------------------------------------------------------------
    case(
        "${aws:username} in resource",
        A,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))],
        resource_arn="arn:aws:s3:::home/alice/notes.txt",
    ),
    case(
        "${aws:username} for another user's folder",
        I,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))],
        resource_arn="arn:aws:s3:::home/bob/notes.txt",
    ),
    case(
        "variables are literal text under version 2008-10-17",
        I,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"), version="2008-10-17")],
        resource_arn="arn:aws:s3:::home/alice/notes.txt",
    ),
    case(
        "variable with default value",
        A,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:PrincipalTag/team, 'none'}/*"))],
        resource_arn="arn:aws:s3:::home/none/x",
    ),
    case(
        "variable without value never matches",
        I,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:PrincipalTag/team}/*"))],
        resource_arn="arn:aws:s3:::home/x",
    ),
    case(
        "${aws:PrincipalTag/team} from principal tags",
        A,
        identity=[doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:PrincipalTag/team}/*"))],
        principal_tags={"team": "blue"},
        resource_arn="arn:aws:s3:::home/blue/x",
    ),
    case(
        "variable in condition value",
        A,
        identity=[cond("StringLike", "s3:prefix", "home/${aws:username}/*")],
        context={"s3:prefix": "home/alice/a"},
    ),
    case(
        "${*} is a literal star",
        A,
        identity=[cond("StringEquals", "s3:prefix", "${*}")],
        context={"s3:prefix": "*"},
    ),
    # -- String operators --------------------------------------------------------------------
    case(
        "StringEquals match",
        A,
        identity=[cond("StringEquals", "aws:RequestedRegion", "us-east-1")],
        region="us-east-1",
    ),
    case(
        "StringEquals is case-sensitive",
        I,
        identity=[cond("StringEquals", "s3:prefix", "Home")],
        context={"s3:prefix": "home"},
    ),
    case(
        "StringEquals any of the values",
        A,
        identity=[cond("StringEquals", "aws:RequestedRegion", ["eu-west-1", "us-east-1"])],
        region="us-east-1",
    ),
    case("StringEquals key missing", I, identity=[cond("StringEquals", "s3:prefix", "a")]),
    case(
        "StringNotEquals match",
        A,
        identity=[cond("StringNotEquals", "s3:prefix", "a")],
        context={"s3:prefix": "b"},
    ),
    case(
        "StringNotEquals no match",
        I,
        identity=[cond("StringNotEquals", "s3:prefix", ["a", "b"])],
        context={"s3:prefix": "b"},
    ),
    case(
        "StringNotEquals key missing is true",
        A,
        identity=[cond("StringNotEquals", "aws:SourceVpce", "vpce-1")],
    ),
    case(
        "StringEqualsIgnoreCase",
        A,
        identity=[cond("StringEqualsIgnoreCase", "s3:prefix", "HOME")],
        context={"s3:prefix": "home"},
    ),
    case(
        "StringNotEqualsIgnoreCase",
        I,
        identity=[cond("StringNotEqualsIgnoreCase", "s3:prefix", "HOME")],
        context={"s3:prefix": "home"},
    ),
    case(
        "StringLike",
        A,
        identity=[cond("StringLike", "s3:prefix", "home/*")],
        context={"s3:prefix": "home/a/b"},
    ),
    case(
        "StringLike ?",
        I,
        identity=[cond("StringLike", "s3:prefix", "home/?")],
        context={"s3:prefix": "home/ab"},
    ),
    case(
        "StringNotLike",
        A,
        identity=[cond("StringNotLike", "s3:prefix", "home/*")],
        context={"s3:prefix": "tmp/a"},
    ),
    case(
        "StringNotLike excluded",
        I,
        identity=[cond("StringNotLike", "s3:prefix", "home/*")],
        context={"s3:prefix": "home/a"},
    ),
    case(
        "condition key names are case-insensitive",
        A,
        identity=[cond("StringEquals", "AWS:requestedREGION", "us-east-1")],
        region="us-east-1",
    ),
    case(
        "keys in one block are ANDed",
        I,
        identity=[
            doc(
                allow(
                    "s3:GetObject",
                    Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1", "s3:prefix": "a"}},
                )
            )
        ],
        region="us-east-1",
        context={"s3:prefix": "b"},
    ),
    case(
        "operators are ANDed",
        A,
        identity=[
            doc(
                allow(
                    "s3:GetObject",
                    Condition={
                        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                        "Bool": {"aws:SecureTransport": "true"},
                    },
                )
            )
        ],
        region="us-east-1",
        context={"aws:SecureTransport": "true"},
    ),
    # -- Numeric ------------------------------------------------------------------------------
    case(
        "NumericEquals",
        A,
        identity=[cond("NumericEquals", "s3:max-keys", "10")],
        context={"s3:max-keys": "10"},
    ),
    case(
        "NumericEquals decimal forms",
        A,
        identity=[cond("NumericEquals", "s3:max-keys", "10.0")],
        context={"s3:max-keys": "10"},
    ),
    case(
        "NumericNotEquals",
        A,
        identity=[cond("NumericNotEquals", "s3:max-keys", "10")],
        context={"s3:max-keys": "11"},
    ),
    case(
        "NumericLessThan",
        A,
        identity=[cond("NumericLessThan", "s3:max-keys", "10")],
        context={"s3:max-keys": "9"},
    ),
    case(
        "NumericLessThan equal fails",
        I,
        identity=[cond("NumericLessThan", "s3:max-keys", "10")],
        context={"s3:max-keys": "10"},
    ),
    case(
        "NumericLessThanEquals",
        A,
        identity=[cond("NumericLessThanEquals", "s3:max-keys", "10")],
        context={"s3:max-keys": "10"},
    ),
    case(
        "NumericGreaterThan",
        A,
        identity=[cond("NumericGreaterThan", "aws:MultiFactorAuthAge", "3600")],
        context={"aws:MultiFactorAuthAge": "7200"},
    ),
    case(
        "NumericGreaterThanEquals",
        I,
        identity=[cond("NumericGreaterThanEquals", "s3:max-keys", "10")],
        context={"s3:max-keys": "9"},
    ),
    case(
        "Numeric with a non-number",
        I,
        identity=[cond("NumericEquals", "s3:max-keys", "10")],
        context={"s3:max-keys": "ten"},
    ),
    # -- Date ------------------------------------------------------------------------------------
    case(
        "DateLessThan current time",
        A,
        identity=[cond("DateLessThan", "aws:CurrentTime", "2999-01-01T00:00:00Z")],
    ),
    case(
        "DateGreaterThan current time",
        I,
        identity=[cond("DateGreaterThan", "aws:CurrentTime", "2999-01-01T00:00:00Z")],
    ),
    case(
        "DateEquals",
        A,
        identity=[cond("DateEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z")],
        context={"aws:TokenIssueTime": "2020-01-01T00:00:00+00:00"},
    ),
    case(
        "DateNotEquals",
        A,
        identity=[cond("DateNotEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z")],
        context={"aws:TokenIssueTime": "2021-01-01T00:00:00Z"},
    ),
    case(
        "DateLessThanEquals epoch",
        A,
        identity=[cond("DateLessThanEquals", "aws:EpochTime", "1577836800")],
        context={"aws:EpochTime": "1577836800"},
    ),
    case(
        "DateGreaterThanEquals", A, identity=[cond("DateGreaterThanEquals", "aws:CurrentTime", "2020-01-01")]
    ),
    case(
        "Date window",
        A,
        identity=[
            doc(
                allow(
                    "s3:GetObject",
                    Condition={
                        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                        "DateLessThan": {"aws:CurrentTime": "2999-12-31T23:59:59Z"},
                    },
                )
            )
        ],
    ),
    # -- Bool, Binary, IP, ARN, Null -------------------------------------------------------------
    case(
        "Bool true",
        A,
        identity=[cond("Bool", "aws:SecureTransport", "true")],
        context={"aws:SecureTransport": "true"},
    ),
    case(
        "Bool JSON boolean",
        A,
        identity=[cond("Bool", "aws:SecureTransport", True)],
        context={"aws:SecureTransport": "true"},
    ),
    case(
        "Bool false vs true",
        I,
        identity=[cond("Bool", "aws:SecureTransport", "true")],
        context={"aws:SecureTransport": "false"},
    ),
    case(
        "deny insecure transport",
        E,
        identity=[doc(allow()), cond("Bool", "aws:SecureTransport", "false", effect="Deny")],
        context={"aws:SecureTransport": "false"},
    ),
    case(
        "BinaryEquals",
        A,
        identity=[cond("BinaryEquals", "s3:x-amz-content", "QmluYXJ5VmFsdWU=")],
        context={"s3:x-amz-content": "QmluYXJ5VmFsdWU="},
    ),
    case(
        "BinaryEquals differs",
        I,
        identity=[cond("BinaryEquals", "s3:x-amz-content", "QmluYXJ5VmFsdWU=")],
        context={"s3:x-amz-content": "b3RoZXI="},
    ),
    case(
        "IpAddress in CIDR",
        A,
        identity=[cond("IpAddress", "aws:SourceIp", "203.0.113.0/24")],
        context={"aws:SourceIp": "203.0.113.7"},
    ),
    case(
        "IpAddress outside",
        I,
        identity=[cond("IpAddress", "aws:SourceIp", ["203.0.113.0/24"])],
        context={"aws:SourceIp": "198.51.100.1"},
    ),
    case(
        "IpAddress single host",
        A,
        identity=[cond("IpAddress", "aws:SourceIp", "127.0.0.1")],
        context={"aws:SourceIp": "127.0.0.1"},
    ),
    case(
        "IpAddress IPv6",
        A,
        identity=[cond("IpAddress", "aws:SourceIp", "2001:db8::/32")],
        context={"aws:SourceIp": "2001:db8::1"},
    ),
    case(
        "NotIpAddress deny outside corp",
        E,
        identity=[doc(allow()), cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", effect="Deny")],
        context={"aws:SourceIp": "8.8.8.8"},
    ),
    case(
        "NotIpAddress inside corp",
        A,
        identity=[doc(allow()), cond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", effect="Deny")],
        context={"aws:SourceIp": "10.1.2.3"},
    ),
    case(
        "ArnEquals",
        A,
        identity=[cond("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t")],
        context={"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"},
    ),
    case(
        "ArnLike",
        A,
        identity=[cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::my-*")],
        context={"aws:SourceArn": "arn:aws:s3:::my-bucket"},
    ),
    case(
        "ArnLike wrong service",
        I,
        identity=[cond("ArnLike", "aws:SourceArn", "arn:aws:s3:::*")],
        context={"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"},
    ),
    case(
        "ArnNotEquals",
        A,
        identity=[cond("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:us-east-1:1:a")],
        context={"aws:SourceArn": "arn:aws:sns:us-east-1:1:b"},
    ),
    case(
        "ArnNotLike",
        I,
        identity=[cond("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:1:*")],
        context={"aws:SourceArn": "arn:aws:sns:us-east-1:1:b"},
    ),
    case("Null true: key absent", A, identity=[cond("Null", "aws:TokenIssueTime", "true")]),
    case(
        "Null true: key present",
        I,
        identity=[cond("Null", "aws:TokenIssueTime", "true")],
        context={"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
    ),
    case(
        "Null false: key present",
        A,
        identity=[cond("Null", "aws:TokenIssueTime", "false")],
        context={"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
    ),
    case("Null false: key absent", I, identity=[cond("Null", "aws:TokenIssueTime", "false")]),
    # -- IfExists ------------------------------------------------------------------------------
    case(
        "StringEqualsIfExists absent",
        A,
        identity=[cond("StringEqualsIfExists", "ec2:InstanceType", "t3.micro")],
    ),
    case(
        "StringEqualsIfExists present mismatch",
        I,
        identity=[cond("StringEqualsIfExists", "ec2:InstanceType", "t3.micro")],
        context={"ec2:InstanceType": "m5.large"},
    ),
    case(
        "NumericLessThanIfExists present",
        A,
        identity=[cond("NumericLessThanIfExists", "s3:max-keys", "5")],
        context={"s3:max-keys": "1"},
    ),
    case("BoolIfExists absent", A, identity=[cond("BoolIfExists", "aws:MultiFactorAuthPresent", "true")]),
    case(
        "deny without MFA via BoolIfExists false",
        E,
        identity=[doc(allow()), cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false", effect="Deny")],
    ),
    case(
        "deny without MFA spares MFA sessions",
        A,
        identity=[doc(allow()), cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false", effect="Deny")],
        context={"aws:MultiFactorAuthPresent": "true"},
    ),
    case("IpAddressIfExists absent", A, identity=[cond("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")]),
    case(
        "DateLessThanIfExists present",
        I,
        identity=[cond("DateLessThanIfExists", "aws:TokenIssueTime", "2000-01-01T00:00:00Z")],
        context={"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
    ),
    case("ArnLikeIfExists absent", A, identity=[cond("ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::x")]),
    # -- multi-valued keys ----------------------------------------------------------------------
    case(
        "ForAllValues subset",
        A,
        identity=[cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"])],
        context={"aws:TagKeys": ["env"]},
    ),
    case(
        "ForAllValues extra key",
        I,
        identity=[cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"])],
        context={"aws:TagKeys": ["env", "cost"]},
    ),
    case(
        "ForAllValues absent key is true",
        A,
        identity=[cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"])],
    ),
    case(
        "ForAllValues empty list is true",
        A,
        identity=[cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"])],
        context={"aws:TagKeys": []},
    ),
    case(
        "ForAnyValue one matches",
        A,
        identity=[cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"])],
        context={"aws:TagKeys": ["cost", "env"]},
    ),
    case(
        "ForAnyValue none match",
        I,
        identity=[cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"])],
        context={"aws:TagKeys": ["cost"]},
    ),
    case(
        "ForAnyValue absent key is false",
        I,
        identity=[cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"])],
    ),
    case(
        "ForAnyValue:StringLike",
        A,
        identity=[cond("ForAnyValue:StringLike", "aws:TagKeys", "te*")],
        context={"aws:TagKeys": ["team"]},
    ),
    case(
        "ForAllValues:StringNotEquals",
        A,
        identity=[cond("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"])],
        context={"aws:TagKeys": ["env", "team"]},
    ),
    case(
        "ForAllValues:StringNotEquals one forbidden",
        I,
        identity=[cond("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"])],
        context={"aws:TagKeys": ["env", "secret"]},
    ),
    case(
        "ForAnyValue:StringNotLike",
        A,
        identity=[cond("ForAnyValue:StringNotLike", "aws:TagKeys", "a*")],
        context={"aws:TagKeys": ["abc", "xyz"]},
    ),
    case(
        "ForAllValues:StringEqualsIfExists",
        A,
        identity=[cond("ForAllValues:StringEqualsIfExists", "aws:TagKeys", "env")],
    ),
    case(
        "Null on multi-valued key present",
        A,
        identity=[cond("Null", "aws:TagKeys", "false")],
        context={"aws:TagKeys": ["a"]},
    ),
    # -- global keys -------------------------------------------------------------------------------
    case(
        "aws:PrincipalArn",
        A,
        identity=[cond("ArnEquals", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:user/alice")],
    ),
    case(
        "aws:PrincipalArn of a role session is the role",
        A,
        principal="role",
        identity=[cond("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:role/*")],
    ),
    case("aws:PrincipalAccount", A, identity=[cond("StringEquals", "aws:PrincipalAccount", ACCOUNT)]),
    case("aws:PrincipalType", A, identity=[cond("StringEquals", "aws:PrincipalType", "User")]),
    case("aws:username", A, identity=[cond("StringEquals", "aws:username", "alice")]),
    case(
        "aws:username absent for roles",
        I,
        principal="role",
        identity=[cond("StringEquals", "aws:username", "alice")],
    ),
    case("aws:userid", A, identity=[cond("StringLike", "aws:userid", "AIDA*")]),
    case(
        "aws:userid of role session",
        A,
        principal="role",
        identity=[cond("StringLike", "aws:userid", "AROA*:deploy")],
    ),
    case(
        "aws:PrincipalTag",
        A,
        principal_tags={"dept": "eng"},
        identity=[cond("StringEquals", "aws:PrincipalTag/dept", "eng")],
    ),
    case(
        "aws:PrincipalTag key case-insensitive",
        A,
        principal_tags={"Dept": "eng"},
        identity=[cond("StringEquals", "aws:PrincipalTag/dept", "eng")],
    ),
    case(
        "aws:ResourceTag",
        A,
        identity=[cond("StringEquals", "aws:ResourceTag/env", "dev")],
        context={"aws:ResourceTag/env": "dev"},
    ),
    case(
        "aws:RequestTag",
        I,
        identity=[cond("StringEquals", "aws:RequestTag/env", "dev")],
        context={"aws:RequestTag/env": "prod"},
    ),
    case(
        "ABAC: principal tag equals resource tag",
        A,
        principal_tags={"project": "x"},
        identity=[cond("StringEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}")],
        context={"aws:ResourceTag/project": "x"},
    ),
    case(
        "ABAC: mismatched tags",
        I,
        principal_tags={"project": "x"},
        identity=[cond("StringEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}")],
        context={"aws:ResourceTag/project": "y"},
    ),
    case(
        "aws:RequestedRegion",
        E,
        identity=[
            doc(allow()),
            cond("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "us-west-2"], effect="Deny"),
        ],
        region="eu-central-1",
    ),
    case(
        "aws:SourceArn",
        A,
        identity=[cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:topic")],
        context={"aws:SourceArn": "arn:aws:sns:us-east-1:1:topic"},
    ),
    case(
        "aws:SourceAccount",
        A,
        identity=[cond("StringEquals", "aws:SourceAccount", ACCOUNT)],
        context={"aws:SourceAccount": ACCOUNT},
    ),
    case("aws:ResourceAccount", A, identity=[cond("StringEquals", "aws:ResourceAccount", ACCOUNT)]),
    # -- permission boundaries and session policies ----------------------------------------------
    case("boundary allows", A, identity=[doc(allow())], boundary=[doc(allow("s3:*"))]),
    case("boundary does not allow", I, identity=[doc(allow())], boundary=[doc(allow("sqs:*"))]),
    case("boundary alone grants nothing", I, identity=[], boundary=[doc(allow())]),
    case("boundary deny", E, identity=[doc(allow())], boundary=[doc(allow(), deny("s3:GetObject"))]),
    case(
        "session policy narrows", I, principal="role", identity=[doc(allow())], session=[doc(allow("sqs:*"))]
    ),
    case(
        "session policy allows",
        A,
        principal="role",
        identity=[doc(allow())],
        session=[doc(allow("s3:GetObject"))],
    ),
    case("session policy alone grants nothing", I, principal="role", identity=[], session=[doc(allow())]),
    # -- resource policies -------------------------------------------------------------------------
    case(
        "same account: resource policy naming the user grants alone",
        A,
        identity=[],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"})),
    ),
    case(
        "same account: naming the user is not limited by a boundary",
        A,
        identity=[],
        boundary=[doc(allow("sqs:*"))],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"})),
    ),
    case(
        "same account: a role grant is limited by the session policy",
        I,
        principal="role",
        identity=[],
        session=[doc(allow("sqs:*"))],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": ROLE_ARN})),
    ),
    case(
        "same account: a role grant reaches its sessions",
        A,
        principal="role",
        identity=[],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": ROLE_ARN})),
    ),
    case(
        "same account: the account principal delegates to identity policies",
        I,
        identity=[],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})),
    ),
    case(
        "same account: account principal, bare account id, for root",
        A,
        principal="root",
        identity=[],
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": ACCOUNT})),
    ),
    case(
        "resource policy explicit deny beats identity allow",
        E,
        identity=[doc(allow())],
        resource=doc(deny("s3:GetObject", OBJECT, Principal="*")),
    ),
    case(
        "resource policy deny for another principal does not apply",
        A,
        identity=[doc(allow())],
        resource=doc(deny("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"})),
    ),
    case(
        "NotPrincipal deny spares the named principal",
        A,
        identity=[doc(allow())],
        resource=doc(
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
    ),
    case(
        "NotPrincipal deny hits everyone else",
        E,
        principal="role",
        identity=[doc(allow())],
        resource=doc(
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
    ),
    case(
        "cross account: resource allow alone is not enough",
        I,
        principal="user:444455556666",
        identity=[],
        resource_account=ACCOUNT,
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": OTHER})),
    ),
    case(
        "cross account: both sides allow",
        A,
        principal="user:444455556666",
        identity=[doc(allow("s3:GetObject"))],
        resource_account=ACCOUNT,
        resource=doc(allow("s3:GetObject", OBJECT, Principal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
    ),
    case(
        "cross account: identity allow alone is not enough",
        I,
        principal="user:444455556666",
        identity=[doc(allow("s3:GetObject"))],
        resource_account=ACCOUNT,
    ),
    case(
        "anonymous: public bucket policy",
        A,
        principal="anonymous",
        resource=doc(allow("s3:GetObject", "arn:aws:s3:::my-app-bucket/*", Principal="*")),
        resource_account=ACCOUNT,
    ),
    case(
        "anonymous: Principal AWS * is everyone",
        A,
        principal="anonymous",
        resource=doc(allow("s3:GetObject", "arn:aws:s3:::my-app-bucket/*", Principal={"AWS": "*"})),
        resource_account=ACCOUNT,
    ),
    case(
        "anonymous: no public statement",
        I,
        principal="anonymous",
        resource=doc(allow("s3:GetObject", "arn:aws:s3:::my-app-bucket/*", Principal={"AWS": ACCOUNT})),
        resource_account=ACCOUNT,
    ),
    case(
        "anonymous: public read with IP condition",
        A,
        principal="anonymous",
        context={"aws:SourceIp": "10.0.0.5"},
        resource=doc(
            allow("s3:GetObject", "*", Principal="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        ),
    ),
    case(
        "service principal: SNS may send to the queue from its topic",
        A,
        principal="service:sns.amazonaws.com",
        action="sqs:SendMessage",
        resource_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
        context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"},
        resource=doc(
            allow(
                "sqs:SendMessage",
                f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
                Principal={"Service": "sns.amazonaws.com"},
                Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}},
            )
        ),
    ),
    case(
        "service principal: from another topic",
        I,
        principal="service:sns.amazonaws.com",
        action="sqs:SendMessage",
        resource_arn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
        context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:other"},
        resource=doc(
            allow(
                "sqs:SendMessage",
                f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
                Principal={"Service": "sns.amazonaws.com"},
                Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}},
            )
        ),
    ),
    case(
        "web identity: federated principal",
        A,
        principal="federated:accounts.google.com",
        action="sts:AssumeRoleWithWebIdentity",
        resource_arn=ROLE_ARN,
        context={"accounts.google.com:aud": "my-app"},
        resource={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "accounts.google.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {"accounts.google.com:aud": "my-app"}},
                }
            ],
        },
    ),
    case(
        "trust: external id required",
        I,
        principal="root:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        resource={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "987654321098"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "xyz"}},
                }
            ],
        },
    ),
    case(
        "trust: external id given",
        A,
        principal="root:987654321098",
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
        resource_account=ACCOUNT,
        context={"sts:ExternalId": "xyz"},
        resource={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "987654321098"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "xyz"}},
                }
            ],
        },
    ),
    case("root is allowed without identity policies", A, principal="root", identity=[]),
    case(
        "trust: same-account root needs the trust policy",
        I,
        principal="root",
        trust=True,
        identity=[],
        resource=GUIDE_EC2_TRUST,
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "trust: same-account root named by the trust policy",
        A,
        principal="root",
        trust=True,
        identity=[],
        resource={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
        },
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "trust: account principal delegates to the user's own policies",
        I,
        trust=True,
        identity=[],
        resource={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
        },
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "trust: account principal and the user's allow",
        A,
        trust=True,
        identity=[doc(allow("sts:AssumeRole"))],
        resource={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
        },
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "trust: the user named in the trust policy needs nothing else",
        A,
        trust=True,
        identity=[],
        resource={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "trust: identity allow without trust is not enough",
        I,
        trust=True,
        identity=[doc(allow())],
        resource=GUIDE_EC2_TRUST,
        action="sts:AssumeRole",
        resource_arn=ROLE_ARN,
    ),
    case(
        "root is still bound by explicit deny in a resource policy",
        E,
        principal="root",
        resource=doc(deny("s3:GetObject", "*", Principal="*")),
    ),
]
