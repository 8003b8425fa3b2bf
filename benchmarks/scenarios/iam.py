import json

from scenarios import AwsCall, Scenario

_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::my-app-bucket", "arn:aws:s3:::my-app-bucket/*"],
            },
            {
                "Sid": "NoProdDelete",
                "Effect": "Deny",
                "Action": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::prod-bucket/*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
            },
        ],
    }
)


def _role(client_for):
    iam = client_for("iam")
    try:
        iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=_TRUST)
    except iam.exceptions.EntityAlreadyExistsException:
        pass


SCENARIOS = (
    Scenario(
        name="iam-get-role",
        summary="IAM GetRole: query protocol, one store read, URL-encoded trust policy out",
        requests=(AwsCall("iam", "GetRole", {"RoleName": "bench-role"}),),
        setup=_role,
    ),
    Scenario(
        name="iam-simulate-custom-policy",
        summary="IAM SimulateCustomPolicy: parse a two-statement policy, evaluate 2 actions x 2 resources",
        requests=(
            AwsCall(
                "iam",
                "SimulateCustomPolicy",
                {
                    "PolicyInputList": [_POLICY],
                    "ActionNames": ["s3:GetObject", "s3:DeleteObject"],
                    "ResourceArns": ["arn:aws:s3:::my-app-bucket/a", "arn:aws:s3:::prod-bucket/b"],
                },
            ),
        ),
    ),
)
