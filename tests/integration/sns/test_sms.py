"""SNS's SMS operations: settings, the opt-out list, the SMS sandbox and its one-time
passwords, against the real server."""

from __future__ import annotations

import json
import random
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server


def _account() -> str:
    return str(random.randrange(10**11, 10**12))


def _number() -> str:
    return f"+1555{random.randrange(10**6, 10**7)}"


def _sns(endpoint: str, account: str, region: str = "us-east-1"):
    """A client of its own account (a 12-digit access key is that account), so each test
    starts from an untouched SMS state."""
    return boto3.client(
        "sns", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=account, aws_secret_access_key="test",
    )  # fmt: skip


@pytest.fixture
def account() -> str:
    return _account()


@pytest.fixture
def sms(endpoint, account):
    return _sns(endpoint, account)


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def _post(endpoint: str, path: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{endpoint}{path}", data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _password(recorded, number: str) -> str:
    codes = [m for m in recorded(phone_number=number) if m.get("Type") == "SMSSandboxVerification"]
    assert codes, f"no one-time password was recorded for {number}"
    return codes[-1]["OneTimePassword"]


# -- settings -------------------------------------------------------------------------------


def test_sms_attributes_default_then_set_and_filtered(sms):
    assert sms.get_sms_attributes()["attributes"] == {"MonthlySpendLimit": "1"}
    sms.set_sms_attributes(
        attributes={"DeliveryStatusSuccessSamplingRate": "100", "DefaultSenderID": "LSTest",
                    "DefaultSMSType": "Promotional"}
    )  # fmt: skip
    assert sms.get_sms_attributes()["attributes"] == {
        "DefaultSMSType": "Promotional", "DefaultSenderID": "LSTest",
        "DeliveryStatusSuccessSamplingRate": "100", "MonthlySpendLimit": "1",
    }  # fmt: skip
    some = sms.get_sms_attributes(attributes=["DefaultSenderID", "DefaultSMSType"])["attributes"]
    assert some == {"DefaultSMSType": "Promotional", "DefaultSenderID": "LSTest"}


def test_sms_attributes_are_per_region(endpoint, account):
    _sns(endpoint, account).set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    other = _sns(endpoint, account, "eu-west-1").get_sms_attributes()["attributes"]
    assert other == {"MonthlySpendLimit": "1"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("InvalidAttribute", "invalid", "InvalidAttribute is not a valid attribute"),
        ("DefaultSendID", "a" * 12, "DefaultSendID is not a valid attribute"),
        ("DefaultSMSType", "invalid", "DefaultSMSType is invalid"),
        ("DefaultSenderID", "123456789", "DefaultSenderID is invalid"),
        ("DefaultSenderID", "a" * 12, "DefaultSenderID is invalid"),
        ("DeliveryStatusSuccessSamplingRate", "101", "DeliveryStatusSuccessSamplingRate is invalid"),
        ("MonthlySpendLimit", "-1", "MonthlySpendLimit is invalid"),
    ],
)
def test_set_sms_attributes_refuses_bad_values(sms, name, value, message):
    assert _error(sms.set_sms_attributes, attributes={name: value}) == ("InvalidParameter", message)
    assert sms.get_sms_attributes()["attributes"] == {"MonthlySpendLimit": "1"}


# -- opt-outs -------------------------------------------------------------------------------


def test_opt_out_list_check_and_opt_in_once_in_30_days(endpoint, sms, account, recorded):
    number = _number()
    assert sms.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    assert sms.list_phone_numbers_opted_out()["phoneNumbers"] == []

    status, _ = _post(endpoint, "/_overcast/sns/sms/opt-outs", {"phoneNumber": number, "accountId": account})
    assert status == 200
    assert sms.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert sms.list_phone_numbers_opted_out()["phoneNumbers"] == [number]

    # An SMS to an opted-out number is not delivered.
    message_id = sms.publish(PhoneNumber=number, Message="hello")["MessageId"]
    [sent] = [m for m in recorded(phone_number=number) if m["MessageId"] == message_id]
    assert sent["DeliveryStatus"] == "FAILURE"
    assert sent["ProviderResponse"] == "Phone is currently opted out"

    sms.opt_in_phone_number(phoneNumber=number)
    assert sms.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    message_id = sms.publish(PhoneNumber=number, Message="hello again")["MessageId"]
    [sent] = [m for m in recorded(phone_number=number) if m["MessageId"] == message_id]
    assert "DeliveryStatus" not in sent

    # Opted out again: the next opt-in must wait 30 days.
    _post(endpoint, "/_overcast/sns/sms/opt-outs", {"phoneNumber": number, "accountId": account})
    code, message = _error(sms.opt_in_phone_number, phoneNumber=number)
    assert code == "InvalidParameter" and "30 days" in message
    assert sms.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True


def test_opt_in_a_number_never_opted_out_succeeds(sms):
    sms.opt_in_phone_number(phoneNumber="+4411111111")


@pytest.mark.parametrize(
    "number", ["invalid", "+44742LALALA", "4411111111", "+0441111111", "+1234567890123456"]
)
def test_phone_numbers_must_be_e164(sms, number):
    expected = ("InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
    assert _error(sms.opt_in_phone_number, phoneNumber=number) == expected
    assert _error(sms.check_if_phone_number_is_opted_out, phoneNumber=number) == expected


def test_opted_out_list_pages_by_100(endpoint, sms, account):
    numbers = sorted(f"+1555{n:07d}" for n in range(105))
    for number in numbers:
        answer = _post(endpoint, "/_overcast/sns/sms/opt-outs", {"phoneNumber": number, "accountId": account})
        assert answer[0] == 200, answer
    first = sms.list_phone_numbers_opted_out()
    assert len(first["phoneNumbers"]) == 100 and first["nextToken"]
    second = sms.list_phone_numbers_opted_out(nextToken=first["nextToken"])
    assert first["phoneNumbers"] + second["phoneNumbers"] == numbers
    assert "nextToken" not in second
    code, _ = _error(sms.list_phone_numbers_opted_out, nextToken="forged")
    assert code == "InvalidParameter"


def test_opt_out_route_refuses_bad_input(endpoint):
    assert _post(endpoint, "/_overcast/sns/sms/opt-outs", {"phoneNumber": "abc"})[0] == 400
    assert _post(endpoint, "/_overcast/sns/sms/opt-outs", {})[0] == 400


# -- the sandbox ----------------------------------------------------------------------------


def test_account_starts_in_the_sandbox(sms):
    assert sms.get_sms_sandbox_account_status()["IsInSandbox"] is True
    assert sms.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == []
    assert sms.list_origination_numbers()["PhoneNumbers"] == []


def test_sandbox_number_pending_then_verified_with_the_recorded_password(sms, recorded):
    number = _number()
    sms.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    listed = sms.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    assert listed == [{"PhoneNumber": number, "Status": "Pending"}]
    password = _password(recorded, number)
    assert len(password) == 6 and password.isdigit()

    wrong = "000000" if password != "000000" else "111111"
    code, _ = _error(sms.verify_sms_sandbox_phone_number, PhoneNumber=number, OneTimePassword=wrong)
    assert code == "VerificationException"
    assert sms.list_sms_sandbox_phone_numbers()["PhoneNumbers"][0]["Status"] == "Pending"

    sms.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=password)
    listed = sms.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
    assert listed == [{"PhoneNumber": number, "Status": "Verified"}]


def test_sandbox_errors(endpoint, sms, account):
    number = _number()
    code, _ = _error(sms.verify_sms_sandbox_phone_number, PhoneNumber=number, OneTimePassword="123456")
    assert code == "ResourceNotFound"
    code, _ = _error(sms.delete_sms_sandbox_phone_number, PhoneNumber=number)
    assert code == "ResourceNotFound"
    # Deleting waits 24 hours after the last verification attempt.
    sms.create_sms_sandbox_phone_number(PhoneNumber=number)
    code, message = _error(sms.delete_sms_sandbox_phone_number, PhoneNumber=number)
    assert code == "UserError" and "24 hours" in message
    # An opted-out number cannot be added.
    opted = _number()
    _post(endpoint, "/_overcast/sns/sms/opt-outs", {"phoneNumber": opted, "accountId": account})
    code, _ = _error(sms.create_sms_sandbox_phone_number, PhoneNumber=opted)
    assert code == "OptedOut"
    # At most ten numbers.
    for _ in range(9):
        sms.create_sms_sandbox_phone_number(PhoneNumber=_number())
    code, _ = _error(sms.create_sms_sandbox_phone_number, PhoneNumber=_number())
    assert code == "UserError"
    page = sms.list_sms_sandbox_phone_numbers(MaxResults=4)
    assert len(page["PhoneNumbers"]) == 4 and page["NextToken"]


@pytest.fixture(scope="module")
def quick_delete():
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_SNS_SANDBOX_DELETE_SECONDS": "0"})
    yield server
    server.stop()


def test_sandbox_number_deleted_once_the_wait_is_over(quick_delete, account):
    sms = _sns(quick_delete.endpoint, account)
    number = _number()
    sms.create_sms_sandbox_phone_number(PhoneNumber=number)
    sms.delete_sms_sandbox_phone_number(PhoneNumber=number)
    assert sms.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == []
