"""Enforcement mode (--enforce-iam): requests across services are authorized by IAM policies,
resource policies, boundaries and session policies, signed correctly by live credentials, and
refused in each service's own words."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, now_step, totp, trust, unique

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def root(enforced, signed):
    def make(service, account_key="test", secret="test"):
        return signed(service, account_key, secret, server_endpoint=enforced.endpoint)

    return make


@pytest.fixture(scope="module")
def new_user(root, signed, enforced):
    """`new_user(policies=[...], managed=[...], account_key="test")` → (name, make_client)."""

    def make(policies=(), managed=(), account_key="test", boundary=None):
        iam = root("iam", account_key)
        name = unique("enf")
        iam.create_user(UserName=name, **({"PermissionsBoundary": boundary} if boundary else {}))
        for index, document in enumerate(policies):
            iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=document)
        for arn in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]

        def client(service, **kwargs):
            return signed(
                service,
                key["AccessKeyId"],
                key["SecretAccessKey"],
                server_endpoint=enforced.endpoint,
                **kwargs,
            )

        client.key = key
        client.arn = iam.get_user(UserName=name)["User"]["Arn"]
        return name, client

    return make


def denied(error: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


# -- S3 ----------------------------------------------------------------------------------------


def test_s3_list_bucket_is_the_action_for_list_objects(root, new_user):
    bucket = unique("enf-bucket")
    root("s3").create_bucket(Bucket=bucket)
    root("s3").put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"data")
    _, user = new_user()
    with pytest.raises(ClientError) as error:
        user("s3").list_objects_v2(Bucket=bucket)
    assert denied(error) == (
        "AccessDenied",
        f"User: {user.arn} is not authorized to perform: s3:ListBucket on resource: "
        f'"arn:aws:s3:::{bucket}" because no identity-based policy allows the s3:ListBucket action',
        403,
    )
    _, reader = new_user(
        [
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        }
                    ],
                }
            )
        ]
    )
    assert [o["Key"] for o in reader("s3").list_objects_v2(Bucket=bucket)["Contents"]] == ["reports/q1.csv"]
    assert reader("s3").get_object(Bucket=bucket, Key="reports/q1.csv")["Body"].read() == b"data"
    with pytest.raises(ClientError) as error:
        reader("s3").put_object(Bucket=bucket, Key="x", Body=b"")
    assert denied(error)[0] == "AccessDenied"
    with pytest.raises(ClientError) as error:
        reader("s3").list_buckets()
    assert denied(error)[1] == (
        f"User: {reader.arn} is not authorized to perform: s3:ListAllMyBuckets "
        "because no identity-based policy allows the s3:ListAllMyBuckets action"
    )


def test_s3_prefix_condition_and_explicit_deny(root, new_user):
    bucket = unique("enf-prefix")
    root("s3").create_bucket(Bucket=bucket)
    _, user = new_user(
        [
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:ListBucket",
                            "Resource": f"arn:aws:s3:::{bucket}",
                            "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
                        },
                        {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"},
                        {
                            "Effect": "Deny",
                            "Action": "s3:DeleteObject",
                            "Resource": f"arn:aws:s3:::{bucket}/*",
                        },
                    ],
                }
            )
        ]
    )
    name = user.arn.rsplit("/", 1)[-1]
    user("s3").list_objects_v2(Bucket=bucket, Prefix=f"home/{name}/")
    with pytest.raises(ClientError):
        user("s3").list_objects_v2(Bucket=bucket, Prefix="home/someone-else/")
    user("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    with pytest.raises(ClientError) as error:
        user("s3").delete_object(Bucket=bucket, Key="k")
    assert denied(error)[1] == (
        f"User: {user.arn} is not authorized to perform: s3:DeleteObject on resource: "
        f'"arn:aws:s3:::{bucket}/k" with an explicit deny in an identity-based policy'
    )


def test_s3_bucket_policy_grants_in_the_same_account_and_across_accounts(root, new_user):
    bucket = unique("enf-shared")
    root("s3").create_bucket(Bucket=bucket)
    root("s3").put_object(Bucket=bucket, Key="doc", Body=b"shared")
    _, same = new_user()
    _, other = new_user([allow("s3:GetObject")], account_key="666677778888")
    _, stranger = new_user([allow("s3:GetObject")], account_key="666677779999")
    root("s3").put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": [same.arn, "arn:aws:iam::666677778888:root"]},
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    assert same("s3").get_object(Bucket=bucket, Key="doc")["Body"].read() == b"shared"
    assert other("s3").get_object(Bucket=bucket, Key="doc")["Body"].read() == b"shared"
    with pytest.raises(ClientError) as error:
        stranger("s3").get_object(Bucket=bucket, Key="doc")
    # S3 explains a denial only to the bucket owner's account; another account reads "Access Denied".
    assert denied(error)[:2] == ("AccessDenied", "Access Denied")


def test_root_is_allowed_everything(root):
    bucket = unique("enf-root")
    root("s3").create_bucket(Bucket=bucket)
    root("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
    root("iam", "111122223333").create_user(UserName=unique("r"))
    assert root("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"


# -- credentials and signatures ---------------------------------------------------------------------


def test_signatures_and_dead_credentials_are_refused(root, new_user, signed, enforced):
    name, user = new_user()
    key = user.key
    assert user("sts").get_caller_identity()["Arn"] == user.arn  # GetCallerIdentity needs no permission
    with pytest.raises(ClientError) as error:
        signed(
            "sts", key["AccessKeyId"], "not-the-secret", server_endpoint=enforced.endpoint
        ).get_caller_identity()
    assert denied(error)[0] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as error:
        signed("sqs", key["AccessKeyId"], "not-the-secret", server_endpoint=enforced.endpoint).list_queues()
    assert denied(error)[0] in ("SignatureDoesNotMatch", "InvalidSignatureException")
    root("iam").update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as error:
        user("sts").get_caller_identity()
    assert denied(error)[0] == "InvalidClientTokenId"
    root("iam").delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as error:
        user("s3").list_buckets()
    assert denied(error)[0] == "InvalidAccessKeyId"  # S3's word for a key it has no record of


def test_session_credentials_need_their_token(root, signed, enforced):
    iam = root("iam")
    role = unique("tok")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    credentials = root("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="s1"
    )["Credentials"]
    with pytest.raises(ClientError) as error:
        signed(
            "sts",
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            "forged-token",
            server_endpoint=enforced.endpoint,
        ).get_caller_identity()
    assert denied(error)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as error:
        signed(
            "dynamodb",
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            server_endpoint=enforced.endpoint,
        ).list_tables()
    assert denied(error)[0] == "UnrecognizedClientException"


# -- roles, session policies, boundaries ----------------------------------------------------------


def test_role_session_permissions_and_session_policy(root, signed, enforced):
    iam = root("iam")
    role = unique("app")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"

    def session(**kwargs):
        c = root("sts").assume_role(RoleArn=arn, RoleSessionName="app", **kwargs)["Credentials"]
        return lambda service: signed(
            service,
            c["AccessKeyId"],
            c["SecretAccessKey"],
            c["SessionToken"],
            server_endpoint=enforced.endpoint,
        )

    full = session()
    full("iam").list_roles()
    with pytest.raises(ClientError) as error:
        full("iam").create_user(UserName=unique("no"))
    code, message, status = denied(error)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/app is not authorized to perform: "
        "iam:CreateUser on resource: arn:aws:iam::"
    )
    narrowed = session(Policy=allow("iam:GetRole"))
    narrowed("iam").get_role(RoleName=role)
    with pytest.raises(ClientError) as error:
        narrowed("iam").list_roles()
    assert "because no session policy allows the iam:ListRoles action" in denied(error)[1]


def test_permissions_boundary_limits_a_user(new_user):
    _, user = new_user(
        managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
        boundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    user("s3").list_buckets()
    with pytest.raises(ClientError) as error:
        user("iam").list_users()
    assert "because no permissions boundary allows the iam:ListUsers action" in denied(error)[1]


def test_iam_itself(new_user):
    _, reader = new_user(managed=["arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
    reader("iam").list_users()
    with pytest.raises(ClientError) as error:
        reader("iam").create_role(RoleName=unique("r"), AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    assert denied(error)[0] == "AccessDenied"
    _, admin = new_user(managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    admin("iam").create_user(UserName=unique("made-by-admin"))


def test_cross_account_role_with_mfa_under_enforcement(root, new_user):
    trusting = root("iam", "123400001111")
    role = unique("xacct")
    trusting.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123400002222:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    trusting.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    role_arn = f"arn:aws:iam::123400001111:role/{role}"
    name, user = new_user([allow("sts:AssumeRole", role_arn)], account_key="123400002222")
    _, unpermitted = new_user([], account_key="123400002222")
    home = root("iam", "123400002222")
    device = home.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    seed, serial = device["Base32StringSeed"], device["SerialNumber"]
    step = now_step()
    home.enable_mfa_device(
        UserName=name,
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, step - 1),
        AuthenticationCode2=totp(seed, step),
    )
    with pytest.raises(ClientError):
        user("sts").assume_role(RoleArn=role_arn, RoleSessionName="nomfa")
    with pytest.raises(ClientError):  # MFA is not enough without the caller's own allow
        unpermitted("sts").assume_role(RoleArn=role_arn, RoleSessionName="mfa")
    out = user("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="mfa", SerialNumber=serial, TokenCode=totp(seed, step + 1)
    )
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::123400001111:assumed-role/{role}/mfa"


# -- the other services' own denials ----------------------------------------------------------


def test_sqs_denial_and_queue_policy(root, new_user):
    url = root("sqs").create_queue(QueueName=unique("enf-q"))["QueueUrl"]
    queue_arn = root("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    _, user = new_user()
    with pytest.raises(ClientError) as error:
        user("sqs").send_message(QueueUrl=url, MessageBody="hi")
    code, message, status = denied(error)
    assert code in ("AccessDenied", "AccessDeniedException") and status == 403
    assert message == (
        f"User: {user.arn} is not authorized to perform: sqs:SendMessage on resource: {queue_arn} "
        "because no identity-based policy allows the sqs:SendMessage action"
    )
    root("sqs").set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": user.arn},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                        }
                    ],
                }
            )
        },
    )
    user("sqs").send_message(QueueUrl=url, MessageBody="hi")
    with pytest.raises(ClientError):
        user("sqs").receive_message(QueueUrl=url)


def test_dynamodb_denial_shape(root, new_user):
    table = unique("enf-t")
    root("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _, user = new_user([allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}")])
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}"
    with pytest.raises(ClientError) as error:
        user("dynamodb").put_item(TableName=table, Item={"id": {"S": "1"}})
    assert denied(error) == (
        "AccessDeniedException",
        f"User: {user.arn} is not authorized to perform: dynamodb:PutItem "
        f"on resource: {table_arn} because no identity-based policy allows the dynamodb:PutItem action",
        400,
    )
    assert "Item" not in user("dynamodb").get_item(TableName=table, Key={"id": {"S": "1"}})


def test_lambda_and_logs_and_sns_denials(new_user):
    _, user = new_user()
    with pytest.raises(ClientError) as error:
        user("lambda").get_function(FunctionName="some-function")
    code, message, status = denied(error)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (
        f"User: {user.arn} is not authorized to perform: lambda:GetFunction on resource: "
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:some-function because no identity-based policy "
        "allows the lambda:GetFunction action"
    )
    with pytest.raises(ClientError) as error:
        user("logs").create_log_group(logGroupName="/enf/group")
    assert denied(error)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as error:
        user("sns").publish(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:t", Message="m")
    code, message, status = denied(error)
    assert (code, status) == ("AuthorizationError", 403)
    assert "SNS:Publish" in message


def test_lambda_allowed_by_identity_policy(new_user):
    _, user = new_user([allow("lambda:ListFunctions")])
    assert "Functions" in user("lambda").list_functions()


def test_handing_a_role_to_a_function_needs_pass_role(new_user):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    role = f"arn:aws:iam::{ACCOUNT}:role/lambda-exec"
    _, user = new_user([allow("lambda:CreateFunction")])
    with pytest.raises(ClientError) as error:
        user("lambda").create_function(
            FunctionName=unique("fn"),
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    assert denied(error)[1] == (
        f"User: {user.arn} is not authorized to perform: iam:PassRole on resource: {role} "
        "because no identity-based policy allows the iam:PassRole action"
    )


def test_enforcement_holds_when_iam_is_not_among_the_enabled_services(signed):
    from tests.conftest import Server

    server = Server("--ephemeral", "--quiet", "--services", "s3", env={"ENFORCE_IAM": "1"})
    try:
        with pytest.raises(ClientError) as error:
            signed("s3", "AKIAZZZZZZZZZZZZZZZZ", "secret", server_endpoint=server.endpoint).list_buckets()
        assert denied(error)[0] == "InvalidAccessKeyId"
        with pytest.raises(ClientError) as error:
            signed("s3", "test", "wrong-secret", server_endpoint=server.endpoint).list_buckets()
        assert denied(error)[0] == "SignatureDoesNotMatch"
        signed("s3", server_endpoint=server.endpoint).list_buckets()
    finally:
        server.stop()


def test_resource_tags_of_iam_roles(root, new_user):
    iam = root("iam")
    blue, red = unique("blue"), unique("red")
    iam.create_role(
        RoleName=blue,
        AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}),
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    iam.create_role(
        RoleName=red, AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}), Tags=[{"Key": "team", "Value": "red"}]
    )
    _, user = new_user(
        [
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "iam:GetRole",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}},
                        }
                    ],
                }
            )
        ]
    )
    assert user("iam").get_role(RoleName=blue)["Role"]["RoleName"] == blue
    with pytest.raises(ClientError):
        user("iam").get_role(RoleName=red)


# -- the root user and resource policies ------------------------------------------------------------


def _deny_all(resource, principal="*", **extra) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyNonHTTPS",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "*" if not extra else extra["action"],
                    "Resource": resource,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def test_an_explicit_deny_in_a_bucket_policy_reaches_root_but_never_locks_it_out(root):
    bucket = unique("enf-rootdeny")
    s3 = root("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    # The guide's DenyNonHTTPS policy: over plain HTTP even root is denied, as on AWS.
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyNonHTTPS",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as error:
        s3.get_object(Bucket=bucket, Key="k")
    assert denied(error) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: "
        f's3:GetObject on resource: "arn:aws:s3:::{bucket}/k" with an explicit deny in a '
        "resource-based policy",
        403,
    )
    with pytest.raises(ClientError):
        s3.list_objects_v2(Bucket=bucket)
    # The bucket owner's root may always read, replace and delete the bucket policy.
    assert "DenyNonHTTPS" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.put_bucket_policy(Bucket=bucket, Policy=_deny_all(f"arn:aws:s3:::{bucket}/*", action="s3:PutObject"))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k2", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"  # only PutObject is denied now
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k2", Body=b"v")


def test_a_deny_naming_another_principal_does_not_reach_root(root):
    bucket = unique("enf-rootother")
    s3 = root("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=_deny_all(
            f"arn:aws:s3:::{bucket}/*", principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone"}
        ),
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=_deny_all(f"arn:aws:s3:::{bucket}/*", principal={"AWS": ACCOUNT})
    )
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")


def test_queue_and_topic_policies_deny_root_too(root):
    sqs = root("sqs")
    url = sqs.create_queue(QueueName=unique("enf-rootq"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _deny_all(arn, action="sqs:SendMessage")})
    with pytest.raises(ClientError) as error:
        sqs.send_message(QueueUrl=url, MessageBody="m")
    assert denied(error)[1] == (
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sqs:SendMessage on "
        f"resource: {arn} with an explicit deny in a resource-based policy"
    )
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # other actions still work
    sns = root("sns")
    topic = sns.create_topic(Name=unique("enf-roott"))["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=_deny_all(topic, action="SNS:Publish")
    )
    with pytest.raises(ClientError) as error:
        sns.publish(TopicArn=topic, Message="m")
    assert denied(error)[0] == "AuthorizationError"
    sns.get_topic_attributes(TopicArn=topic)
