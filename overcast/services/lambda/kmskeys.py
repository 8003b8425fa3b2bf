"""A function's KMSKeyArn through this KMS: Lambda grants itself use of the key when the
function is created or changed (a key that does not exist, or an alias, is refused as
CreateGrant refuses it), and decrypts the environment variables with it on every invoke, so a
key deleted, disabled or scheduled for deletion since fails the invoke with Lambda's KMS*
errors (status 502). The variables themselves are stored encrypted (SealedEnvironments)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: KMS's error at invoke → (Lambda's error code, why Lambda says it could not decrypt).
_INVOKE_ERRORS = {
    "NotFoundException": ("KMSNotFoundException", "the KMS key was not found"),
    "DisabledException": ("KMSDisabledException", "the KMS key used is disabled"),
    "KMSInvalidStateException": (
        "KMSInvalidStateException",
        "the KMS key used is in an invalid state for Decrypt",
    ),
}


def _grant_refusal(kms_code: str, kms_message: str) -> ServiceError:
    return ServiceError(
        "InvalidParameterValueException",
        "Lambda was unable to configure access to your environment variables because the KMS key is invalid "
        f"for CreateGrant. Please check your KMS key settings. KMS Exception: {kms_code} KMS Message: {kms_message}",
    )


def check_function_key(runtime: Runtime, account: str, region: str, key_arn: str) -> None:
    """Refuse a KMSKeyArn Lambda could not create a grant on (CreateFunction/UpdateFunctionConfiguration)."""
    if ":alias/" in key_arn or key_arn.startswith("alias/"):
        raise _grant_refusal("InvalidArnException", "Key Aliases are not supported for this operation.")
    try:
        runtime.provider("kms").key_arn_for(account, region, key_arn)
    except ServiceError as error:
        if error.code != "DisabledException":  # a grant on a disabled key is allowed
            raise _grant_refusal(error.code, error.message) from None


def check_invoke_key(runtime: Runtime, account: str, region: str, config: dict) -> None:
    """Before an invoke: the key that protects the function's environment variables must be
    usable, or the invoke fails as Lambda's does."""
    key_arn = config.get("KMSKeyArn")
    environment = config.get("Environment") or {}
    if not key_arn or not (environment.get("Variables") or environment.get("Error")):
        return
    try:
        runtime.provider("kms").key_arn_for(account, region, key_arn)
    except ServiceError as error:
        code, reason = _INVOKE_ERRORS.get(error.code, ("KMSAccessDeniedException", "KMS access was denied"))
        raise ServiceError(
            code,
            f"Lambda was unable to decrypt the environment variables because {reason}. Please check the "
            f"function's KMS key settings. KMS Exception: {error.code}KMS Message: {error.message}",
            502,
            Type="User",
        ) from None


#: The key that protects a function's environment variables when it names none of its own.
AWS_MANAGED_KEY = "alias/aws/lambda"
#: The record field holding the encrypted variables (outside the configuration, never answered).
SEALED_FIELD = "SealedEnvironment"


def _unqualified(function_arn: str) -> str:
    return ":".join(function_arn.split(":")[:7])


class SealedEnvironments:
    """The functions or versions table, whose rows keep the environment variables encrypted by
    KMS under the function's KMSKeyArn (else the AWS managed key aws/lambda), bound to the
    function's ARN as Lambda binds them. A row read has them decrypted into its configuration
    again; one whose key is no longer usable has the configuration's Environment.Error instead,
    as GetFunctionConfiguration answers it, and keeps its sealed copy when written back."""

    def __init__(self, table, runtime: Runtime) -> None:
        self._table = table
        self._runtime = runtime
        #: Rows as get_shared gives them, for the invoke path: dropped when written.
        self._shared: dict[tuple[str, str], dict] = {}

    def __getattr__(self, name: str):
        return getattr(self._table, name)

    def get(self, scope: str, key: str, default=None):
        value = self._table.get(scope, key)
        return default if value is None else self._open(scope, value)

    def get_shared(self, scope: str, key: str):
        """The row as get opens it, or None, kept between calls until the row is written
        through this table (or the state is reset): for readers that never change it, such as
        every invoke, which would otherwise read and decode the function's row each time."""
        found = self._shared.get((scope, key))
        if found is not None:
            return found
        value = self.get(scope, key)
        if isinstance(value, dict):
            # Inside a transaction the row may yet be undone: kept only once it commits.
            self._runtime.store.after_commit(lambda: self._shared.__setitem__((scope, key), value))
        return value

    def forget(self) -> None:
        self._shared.clear()

    def _written(self, scope: str, key: str) -> None:
        shared = self._shared
        shared.pop((scope, key), None)

        def drop() -> None:
            shared.pop((scope, key), None)

        # A get_shared inside the same transaction keeps its row at commit: drop it after.
        self._runtime.store.after_commit(drop)

    def put(self, scope: str, key: str, value) -> None:
        self._written(scope, key)
        self._table.put(scope, key, self._seal(scope, value))

    def delete(self, scope: str, key: str) -> bool:
        self._written(scope, key)
        return self._table.delete(scope, key)

    def scan(self, scope: str, *args, **kwargs):
        for key, value in self._table.scan(scope, *args, **kwargs):
            yield key, self._open(scope, value)

    def _context(self, config: dict) -> dict[str, str]:
        return {"aws:lambda:FunctionArn": _unqualified(config["FunctionArn"])}

    def _seal(self, scope: str, record):
        config = record.get("config") if isinstance(record, dict) else None
        if not isinstance(config, dict):
            return record
        environment = config.get("Environment")
        stored = {name: value for name, value in record.items() if name != SEALED_FIELD}
        if environment is None:
            return stored
        variables = environment.get("Variables")
        if variables is None and record.get(SEALED_FIELD):  # could not be opened: kept as it was
            stored[SEALED_FIELD] = record[SEALED_FIELD]
            stored["config"] = {name: value for name, value in config.items() if name != "Environment"}
            return stored
        if not variables:
            return stored
        account, region = scope.split("/", 1)
        try:
            arn, blob = self._runtime.provider("kms").encrypt_data(
                account,
                region,
                config.get("KMSKeyArn") or AWS_MANAGED_KEY,
                json.dumps(variables).encode(),
                self._context(config),
            )
        except ServiceError as error:
            raise ServiceError(
                "InvalidParameterValueException",
                "Lambda was unable to encrypt your environment variables because the KMS key is invalid for "
                f"Encrypt. Please check your KMS key settings. KMS Exception: {error.code} KMS Message: "
                f"{error.message}",
            ) from None
        stored[SEALED_FIELD] = {"Blob": base64.b64encode(blob).decode(), "KeyArn": arn}
        stored["config"] = {name: value for name, value in config.items() if name != "Environment"}
        return stored

    def _open(self, scope: str, record):
        if not isinstance(record, dict) or not record.get(SEALED_FIELD):
            return record
        account, region = scope.split("/", 1)
        config = record["config"]
        try:
            _arn, plaintext = self._runtime.provider("kms").decrypt_data(
                account, region, base64.b64decode(record[SEALED_FIELD]["Blob"]), self._context(config)
            )
        except ServiceError as error:
            code, reason = _INVOKE_ERRORS.get(
                error.code, ("KMSAccessDeniedException", "KMS access was denied")
            )
            message = (
                f"Lambda was unable to decrypt the environment variables because {reason}. Please check the "
                f"function's KMS key settings. KMS Exception: {error.code}KMS Message: {error.message}"
            )
            return {
                **record,
                "config": {**config, "Environment": {"Error": {"ErrorCode": code, "Message": message}}},
            }
        opened = {name: value for name, value in record.items() if name != SEALED_FIELD}
        opened["config"] = {**config, "Environment": {"Variables": json.loads(plaintext)}}
        return opened
