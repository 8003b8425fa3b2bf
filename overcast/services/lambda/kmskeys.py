"""A function's KMSKeyArn through this KMS: Lambda grants itself use of the key when the
function is created or changed (a key that does not exist, or an alias, is refused as
CreateGrant refuses it), and decrypts the environment variables with it on every invoke, so a
key deleted, disabled or scheduled for deletion since fails the invoke with Lambda's KMS*
errors (status 502)."""

from __future__ import annotations

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
    if not key_arn or not (config.get("Environment") or {}).get("Variables"):
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
