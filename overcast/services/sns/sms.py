"""SMS: the account's SMS settings, its opt-out list and its SMS sandbox.

* Settings (Get/SetSMSAttributes): validated and stored per account and region; an account
  that set nothing has AWS's default MonthlySpendLimit of 1 (USD).
* Opt-outs: a recipient opts out by answering STOP, which Overcast cannot receive; the internal
  route POST /_overcast/sns/sms/opt-outs {"phoneNumber", "accountId"?, "region"?} plays that
  reply. OptInPhoneNumber takes a number off the list, at most once every 30 days per number
  (https://docs.aws.amazon.com/sns/latest/api/API_OptInPhoneNumber.html). An SMS to an
  opted-out number is recorded as failed, with the provider response AWS's delivery logs give.
* Sandbox (https://docs.aws.amazon.com/sns/latest/dg/sns-sms-sandbox.html): every account
  starts in it (there is no API to leave it: on AWS that is a support case). A destination
  number is added Pending, with a one-time password "sent" to it: recorded in the messages
  table like every other SMS (GET /_overcast/sns/messages?phone_number=...), so a developer
  reads it there; VerifySMSSandboxPhoneNumber with that password makes it Verified. At most
  10 numbers; a number can be deleted once 24 hours have passed since its last verification
  attempt (OVERCAST_SNS_SANDBOX_DELETE_SECONDS shortens that wait).
* Origination numbers are bought and registered in AWS End User Messaging, which Overcast does
  not emulate: the account has none, and ListOriginationNumbers answers that empty state.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING

from overcast.common.times import iso_millis
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.sns.models import bad_token, invalid
from overcast.store import scope

from .pages import paginate_keys

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sns.provider import Provider

#: E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9]\d{1,14}")
DEFAULT_ATTRIBUTES = {"MonthlySpendLimit": "1"}
OPT_IN_INTERVAL = 30 * 24 * 3600.0
SANDBOX_LIMIT = 10
OPTED_OUT_PAGE = 100
#: What AWS's SMS delivery status logs say of a message to an opted-out number.
OPTED_OUT_RESPONSE = "Phone is currently opted out"
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _is_percentage(value: str) -> bool:
    return value.isdigit() and int(value) <= 100


#: Each settable SMS attribute and the test its value passes.
_ATTRIBUTE_CHECKS = {
    "MonthlySpendLimit": str.isdigit,
    "DeliveryStatusIAMRole": lambda value: value == "" or bool(_ROLE_ARN.fullmatch(value)),
    "DeliveryStatusSuccessSamplingRate": _is_percentage,
    "DefaultSenderID": lambda value: bool(_SENDER_ID.fullmatch(value)),
    "DefaultSMSType": lambda value: value in ("Promotional", "Transactional"),
    "UsageReportS3Bucket": lambda value: value == "" or bool(_BUCKET.fullmatch(value)),
}


def badly_formatted() -> ServiceError:
    return invalid("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")


def check_phone_number(number: str) -> str:
    if not E164.fullmatch(number):
        raise badly_formatted()
    return number


def _sandbox_number_not_found() -> ServiceError:
    return ServiceError("ResourceNotFound", "Phone number does not exist in the sandbox.", 404)


class SmsOperations:
    def init_sms(self: Provider) -> None:  # type: ignore[misc]
        store = self.store
        self.t_sms_settings = store.table("sns", "sms_settings")
        self.t_opted_out = store.table("sns", "sms_opted_out")
        self.t_opt_ins = store.table("sns", "sms_opt_ins")
        self.t_sandbox = store.table("sns", "sms_sandbox")

    # -- settings -----------------------------------------------------------------------------

    def set_sms_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        requested = params["attributes"]
        for name, value in requested.items():
            check = _ATTRIBUTE_CHECKS.get(name)
            if check is None:
                raise invalid(f"{name} is not a valid attribute")
            if not check(value):
                raise invalid(f"{name} is invalid")
        sc = scope(context.account, context.region)
        with self.store.transaction():
            current = self.t_sms_settings.get(sc, "attributes") or {}
            self.t_sms_settings.put(sc, "attributes", {**current, **requested})
        return {}

    def get_sms_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stored = self.t_sms_settings.get(scope(context.account, context.region), "attributes") or {}
        attributes = {**DEFAULT_ATTRIBUTES, **{k: v for k, v in stored.items() if v != ""}}
        wanted = params.get("attributes")
        if wanted:
            attributes = {name: value for name, value in attributes.items() if name in wanted}
        return {"attributes": attributes}

    # -- the opt-out list ---------------------------------------------------------------------

    def check_if_phone_number_is_opted_out(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        number = check_phone_number(params["phoneNumber"])
        return {"isOptedOut": self.is_opted_out(context.account, context.region, number)}

    def is_opted_out(self: Provider, account: str, region: str, number: str) -> bool:  # type: ignore[misc]
        return self.t_opted_out.get(scope(account, region), number) is not None

    def list_phone_numbers_opted_out(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        sc = scope(context.account, context.region)
        return paginate_keys(
            self.store, "sns", "ListPhoneNumbersOptedOut", params,
            lambda after: self.t_opted_out.scan(sc, start_after=after), bad_token=bad_token,
            default_limit=OPTED_OUT_PAGE, render=lambda number, _: number,
        )  # fmt: skip

    def opt_in_phone_number(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        number = check_phone_number(params["phoneNumber"])
        sc = scope(context.account, context.region)
        if self.t_opted_out.get(sc, number) is None:
            return {}  # a number that is not opted out is already opted in, as on AWS
        now = time.time()
        last = self.t_opt_ins.get(sc, number)
        if last is not None and now - last["at"] < OPT_IN_INTERVAL:
            raise invalid(
                "Invalid parameter: PhoneNumber Reason: a phone number can be opted in only once every 30 days"
            )
        with self.store.transaction():
            self.t_opted_out.delete(sc, number)
            self.t_opt_ins.put(sc, number, {"at": now})
        return {}

    def opt_out(self: Provider, account: str, region: str, number: str) -> None:  # type: ignore[misc]
        """The recipient answered STOP: the number goes on the account's opt-out list."""
        self.t_opted_out.put(scope(account, region), check_phone_number(number), {"since": iso_millis()})

    # -- the sandbox --------------------------------------------------------------------------

    def get_sms_sandbox_account_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"IsInSandbox": True}

    def create_sms_sandbox_phone_number(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        number = check_phone_number(params["PhoneNumber"])
        sc = scope(context.account, context.region)
        if self.is_opted_out(context.account, context.region, number):
            raise ServiceError("OptedOut", f"Phone number {number} is opted out.", 400)
        existing = self.t_sandbox.get(sc, number)
        if existing is not None and existing["status"] == "Verified":
            return {}
        if existing is None and self.t_sandbox.count(sc) >= SANDBOX_LIMIT:
            raise ServiceError(
                "UserError", f"You can have at most {SANDBOX_LIMIT} destination phone numbers in the SMS sandbox.", 400
            )  # fmt: skip
        password = f"{secrets.randbelow(1_000_000):06d}"
        now = time.time()
        with self.store.transaction():
            self.t_sandbox.put(sc, number, {
                "status": "Pending", "password": password, "language": params.get("LanguageCode") or "en-US",
                "attempted": now,
            })  # fmt: skip
            self.record(context.account, context.region, {
                "Type": "SMSSandboxVerification", "MessageId": secrets.token_hex(16), "PhoneNumber": number,
                "Protocol": "sms", "Message": f"Your Amazon SNS verification code is: {password}",
                "OneTimePassword": password, "Timestamp": iso_millis(),
            })  # fmt: skip
        return {}

    def verify_sms_sandbox_phone_number(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        number = check_phone_number(params["PhoneNumber"])
        sc = scope(context.account, context.region)
        entry = self.t_sandbox.get(sc, number)
        if entry is None:
            raise _sandbox_number_not_found()
        if entry["status"] == "Verified":
            return {}
        entry["attempted"] = time.time()
        if params["OneTimePassword"] != entry["password"]:
            self.t_sandbox.put(sc, number, entry)
            raise ServiceError("VerificationException", "Invalid one-time password.", 400)
        entry["status"] = "Verified"
        self.t_sandbox.put(sc, number, entry)
        return {}

    def delete_sms_sandbox_phone_number(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        number = check_phone_number(params["PhoneNumber"])
        sc = scope(context.account, context.region)
        entry = self.t_sandbox.get(sc, number)
        if entry is None:
            raise _sandbox_number_not_found()
        if time.time() - entry["attempted"] < tuning("OVERCAST_SNS_SANDBOX_DELETE_SECONDS"):
            raise ServiceError(
                "UserError",
                "You can delete a destination phone number only 24 hours after its last verification attempt.",
                400,
            )
        self.t_sandbox.delete(sc, number)
        return {}

    def list_sms_sandbox_phone_numbers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        sc = scope(context.account, context.region)
        return paginate_keys(
            self.store, "sns", "ListSMSSandboxPhoneNumbers", params,
            lambda after: self.t_sandbox.scan(sc, start_after=after), bad_token=bad_token,
            default_limit=SANDBOX_LIMIT,
            render=lambda number, entry: {"PhoneNumber": number, "Status": entry["status"]},
        )  # fmt: skip

    def list_origination_numbers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return paginate_keys(
            self.store, "sns", "ListOriginationNumbers", params, lambda after: iter(()),
            bad_token=bad_token, default_limit=30,
        )  # fmt: skip
