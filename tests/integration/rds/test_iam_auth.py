"""IAM database authentication on PostgreSQL: a user granted rds_iam logs in with a token from
generate_db_auth_token as its password; a tampered, expired or misdirected token is refused,
and so is the user once the instance has IAM authentication disabled."""

from __future__ import annotations

import time

import pytest

from tests.integration.rds.conftest import create_postgres, delete, pg, unique, wait_status


def connect(instance: dict, user: str, password: str):
    import pg8000.native

    return pg8000.native.Connection(
        user,
        host=instance["Endpoint"]["Address"],
        port=instance["Endpoint"]["Port"],
        password=password,
        database="myapp",
        timeout=10,
    )


def refused(instance: dict, user: str, password: str) -> str:
    import pg8000.native

    with pytest.raises(pg8000.native.DatabaseError) as error:
        connect(instance, user, password).close()
    return str(error.value)


def short_lived_token(rds, instance: dict, user: str, seconds: int) -> str:
    """A token as generate_db_auth_token makes it, but valid for `seconds` only."""
    from botocore.awsrequest import prepare_request_dict

    request = {
        "url_path": "/",
        "query_string": "",
        "headers": {},
        "body": {"Action": "connect", "DBUser": user},
        "method": "GET",
    }
    endpoint = instance["Endpoint"]
    prepare_request_dict(request, f"https://{endpoint['Address']}:{endpoint['Port']}")
    url = rds._request_signer.generate_presigned_url(
        operation_name="connect",
        request_dict=request,
        region_name="us-east-1",
        expires_in=seconds,
        signing_name="rds-db",
    )
    return url[len("https://") :]


@pytest.fixture(scope="module")
def iam_instance(rds):
    identifier = unique("iam")
    instance = create_postgres(rds, identifier, EnableIAMDatabaseAuthentication=True)
    assert instance["IAMDatabaseAuthenticationEnabled"] is True
    admin = pg(instance)
    admin.run("CREATE USER jane WITH PASSWORD 'janes-own-password'")
    admin.run("GRANT rds_iam TO jane")
    admin.run("CREATE USER bob WITH PASSWORD 'bobs-password'")
    admin.run("GRANT SELECT ON ALL TABLES IN SCHEMA public TO jane")
    admin.close()
    yield instance
    delete(rds, identifier)


def test_a_token_logs_in_an_rds_iam_user(rds, iam_instance):
    endpoint = iam_instance["Endpoint"]
    token = rds.generate_db_auth_token(
        DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane", Region="us-east-1"
    )
    conn = connect(iam_instance, "jane", token)
    assert conn.run("SELECT current_user") == [["jane"]]
    conn.close()
    # The token is good for its whole life, for as many connections.
    connect(iam_instance, "jane", token).close()
    # Other users keep their passwords; an rds_iam user cannot use one.
    connect(iam_instance, "bob", "bobs-password").close()
    assert "jane" in refused(iam_instance, "jane", "janes-own-password")
    # The master user is unaffected.
    pg(iam_instance).close()


def test_bad_tokens_are_refused(rds, iam_instance):
    endpoint = iam_instance["Endpoint"]
    token = rds.generate_db_auth_token(
        DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane"
    )
    head, _, signature = token.rpartition("X-Amz-Signature=")
    tampered = head + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]
    refused(iam_instance, "jane", tampered)
    # A token for another user.
    bobs = rds.generate_db_auth_token(DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="bob")
    refused(iam_instance, "jane", bobs)
    # An expired one.
    brief = short_lived_token(rds, iam_instance, "jane", 4)
    connect(iam_instance, "jane", brief).close()
    time.sleep(5.2)
    refused(iam_instance, "jane", brief)


def test_disabling_iam_authentication_shuts_rds_iam_users_out(rds, iam_instance):
    identifier = iam_instance["DBInstanceIdentifier"]
    endpoint = iam_instance["Endpoint"]
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, EnableIAMDatabaseAuthentication=False, ApplyImmediately=True
    )
    described = wait_status(rds, identifier)
    assert described["IAMDatabaseAuthenticationEnabled"] is False
    token = rds.generate_db_auth_token(
        DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane"
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            connect(iam_instance, "jane", token).close()
        except Exception:
            break
        assert time.monotonic() < deadline, "jane still logs in with IAM authentication disabled"
        time.sleep(0.1)
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, EnableIAMDatabaseAuthentication=True, ApplyImmediately=True
    )
    wait_status(rds, identifier)
    deadline = time.monotonic() + 10
    while True:
        try:
            connect(iam_instance, "jane", token).close()
            break
        except Exception:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_under_enforce_iam_the_signer_needs_rds_db_connect(enforced):
    import json

    import boto3

    root = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    rds = root.client("rds", endpoint_url=enforced.endpoint)
    iam = root.client("iam", endpoint_url=enforced.endpoint)
    identifier = unique("iamenf")
    instance = create_postgres(rds, identifier, EnableIAMDatabaseAuthentication=True)
    try:
        admin = pg(instance)
        admin.run("CREATE USER jane")
        admin.run("GRANT rds_iam TO jane")
        admin.close()
        resource = instance["DbiResourceId"]

        def keys_allowed(user: str) -> dict:
            name = unique("dbuser")
            iam.create_user(UserName=name)
            iam.put_user_policy(
                UserName=name,
                PolicyName="connect",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "rds-db:connect",
                                "Resource": f"arn:aws:rds-db:us-east-1:000000000000:dbuser:{resource}/{user}",
                            }
                        ],
                    }
                ),
            )
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

        endpoint = instance["Endpoint"]
        allowed = boto3.client(
            "rds", region_name="us-east-1", endpoint_url=enforced.endpoint, **keys_allowed("jane")
        )
        token = allowed.generate_db_auth_token(
            DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane"
        )
        connect(instance, "jane", token).close()
        # Allowed to connect as someone else only: refused as jane.
        other = boto3.client(
            "rds", region_name="us-east-1", endpoint_url=enforced.endpoint, **keys_allowed("bob")
        )
        token = other.generate_db_auth_token(
            DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane"
        )
        refused(instance, "jane", token)
        # A key nobody issued.
        stranger = boto3.client(
            "rds",
            region_name="us-east-1",
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="x",
        )
        token = stranger.generate_db_auth_token(
            DBHostname=endpoint["Address"], Port=endpoint["Port"], DBUsername="jane"
        )
        refused(instance, "jane", token)
    finally:
        delete(rds, identifier)
