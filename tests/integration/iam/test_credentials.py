"""Access keys that work and are attributed to their user; passwords; virtual MFA devices."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import now_step, totp, unique


def code(error) -> str:
    return error.value.response["Error"]["Code"]


def test_access_key_works_and_is_attributed(client, signed):
    iam = client("iam")
    name = unique("keyuser")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert (
        key["AccessKeyId"].startswith("AKIA")
        and len(key["AccessKeyId"]) == 20
        and len(key["SecretAccessKey"]) == 40
    )
    as_user = signed("sts", key["AccessKeyId"], key["SecretAccessKey"])
    identity = as_user.get_caller_identity()
    assert (identity["UserId"], identity["Account"], identity["Arn"]) == (
        user["UserId"],
        "000000000000",
        user["Arn"],
    )
    assert signed("sts").get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == "000000000000"
    # The user's own key: GetUser without a name is that user.
    assert signed("iam", key["AccessKeyId"], key["SecretAccessKey"]).get_user()["User"]["UserName"] == name
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [
        (key["AccessKeyId"], "Active", name)
    ]
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == name
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as error:
        iam.create_access_key(UserName=name)
    assert code(error) == "LimitExceeded"
    assert error.value.response["Error"]["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
    with pytest.raises(ClientError) as error:
        iam.delete_user(UserName=name)
    assert code(error) == "DeleteConflict"
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as error:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert code(error) == "NoSuchEntity"


def test_keys_in_other_accounts(signed):
    iam = signed("iam", "222233334444")
    name = unique("x")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    identity = signed("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert identity["Account"] == "222233334444"
    assert identity["Arn"] == f"arn:aws:iam::222233334444:user/{name}"
    assert signed("sts").get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == "222233334444"


def test_last_used_is_recorded_under_enforcement(enforced, signed):
    root = signed("iam", server_endpoint=enforced.endpoint)
    name = unique("lu")
    root.create_user(UserName=name)
    key = root.create_access_key(UserName=name)["AccessKey"]
    signed(
        "sts", key["AccessKeyId"], key["SecretAccessKey"], server_endpoint=enforced.endpoint
    ).get_caller_identity()
    used = root.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts" and used["Region"] == "us-east-1" and "LastUsedDate" in used


def test_login_profile_and_password_policy(client):
    iam = client("iam")
    name = unique("pw")
    iam.create_user(UserName=name)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    try:
        with pytest.raises(ClientError) as error:
            iam.create_login_profile(UserName=name, Password="short")
        assert code(error) == "PasswordPolicyViolation"
        profile = iam.create_login_profile(
            UserName=name, Password="long-enough-1", PasswordResetRequired=True
        )
        assert profile["LoginProfile"]["PasswordResetRequired"] is True
        with pytest.raises(ClientError) as error:
            iam.create_login_profile(UserName=name, Password="long-enough-1")
        assert code(error) == "EntityAlreadyExists"
        iam.update_login_profile(UserName=name, PasswordResetRequired=False)
        assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        assert policy["MinimumPasswordLength"] == 12 and policy["RequireNumbers"] is True
        iam.delete_login_profile(UserName=name)
        with pytest.raises(ClientError) as error:
            iam.get_login_profile(UserName=name)
        assert code(error) == "NoSuchEntity"
    finally:
        iam.delete_account_password_policy()
    with pytest.raises(ClientError) as error:
        iam.get_account_password_policy()
    assert code(error) == "NoSuchEntity"


def test_virtual_mfa_device(client):
    iam = client("iam")
    user, device = unique("mfa-user"), unique("dev")
    iam.create_user(UserName=user)
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=device)["VirtualMFADevice"]
    serial, seed = created["SerialNumber"], created["Base32StringSeed"]
    assert serial == f"arn:aws:iam::000000000000:mfa/{device}"
    with pytest.raises(ClientError) as error:
        iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="111111"
        )
    assert code(error) == "InvalidAuthenticationCode"
    step = now_step()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1=totp(seed, step - 1),
        AuthenticationCode2=totp(seed, step),
    )
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert any(d["SerialNumber"] == serial and d["User"]["UserName"] == user for d in assigned)
    with pytest.raises(ClientError) as error:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert code(error) == "DeleteConflict"
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_user(UserName=user)


def test_credential_report_and_last_used_without_enforcement(signed):
    iam = signed("iam", "777788889999")
    iam.create_user(UserName="reported")
    key = iam.create_access_key(UserName="reported")["AccessKey"]
    signed("sqs", key["AccessKeyId"], key["SecretAccessKey"], region="eu-west-1").list_queues()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sqs", "eu-west-1")
    with pytest.raises(ClientError) as error:
        iam.get_credential_report()
    assert code(error) == "ReportNotPresent"
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    lines = report["Content"].decode().splitlines()
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled")
    row = next(line.split(",") for line in lines if line.startswith("reported,"))
    assert row[1] == "arn:aws:iam::777788889999:user/reported" and row[8] == "true" and row[12] == "sqs"
