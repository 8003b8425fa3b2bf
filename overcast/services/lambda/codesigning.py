"""Code signing configurations and the functions they are attached to.

Overcast has no AWS Signer, so no deployment package it receives carries a signature: under
a configuration whose UntrustedArtifactOnDeployment is Enforce a code deployment is refused
(CodeVerificationFailedException), as AWS refuses unsigned code; under Warn it is accepted,
as AWS accepts it with a warning.

Tables (scope = account/region):
  code_signing  configuration id → {"config": CodeSigningConfig, "tags": {...}}
A function's configuration ARN is kept in its record ("code_signing").
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.common.tagging import tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .names import TAG_RULES, conflict
from .names import bad_marker as names_bad_marker

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider


def csc_not_found(arn: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"The Lambda code signing configuration {arn} can not be found.", 404
    )


def code_verification_failed(function_arn: str) -> ServiceError:
    return ServiceError(
        "CodeVerificationFailedException",
        "Lambda cannot deploy the function. The function or layer might be signed using a signature that the "
        f"client is not configured to accept. Check the provided signature for {function_arn}.",
        400,
        Type="User",
    )


class CodeSigningMixin:
    def start_code_signing(self: Provider) -> None:  # type: ignore[misc]
        self.code_signing = self.store.table("lambda", "code_signing")

    def _csc_id(self: Provider, context: RequestContext, arn: str) -> str:  # type: ignore[misc]
        """The id an ARN names in the caller's account and region, or ResourceNotFound."""
        prefix = build_arn("lambda", context.region, context.account, "code-signing-config:")
        if not arn.startswith(prefix):
            raise csc_not_found(arn)
        return arn[len(prefix) :]

    def _csc(self: Provider, context: RequestContext, arn: str) -> dict:  # type: ignore[misc]
        found = self.code_signing.get(self._scope(context), self._csc_id(context, arn))
        if found is None:
            raise csc_not_found(arn)
        return found["config"]

    def create_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        csc_id = "csc-" + os.urandom(9).hex()[:17]
        config = {
            "CodeSigningConfigId": csc_id,
            "CodeSigningConfigArn": build_arn(
                "lambda", context.region, context.account, f"code-signing-config:{csc_id}"
            ),
            "Description": params.get("Description") or "",
            "AllowedPublishers": {
                "SigningProfileVersionArns": list(params["AllowedPublishers"]["SigningProfileVersionArns"])
            },
            "CodeSigningPolicies": {
                "UntrustedArtifactOnDeployment": (params.get("CodeSigningPolicies") or {}).get(
                    "UntrustedArtifactOnDeployment"
                )
                or "Warn"
            },
            "LastModified": self._now(),
        }
        record = {"config": config, "tags": tag_map(params.get("Tags"), TAG_RULES)}
        self.code_signing.put(self._scope(context), csc_id, record)
        return {"CodeSigningConfig": copy.deepcopy(config)}

    def get_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"CodeSigningConfig": copy.deepcopy(self._csc(context, params["CodeSigningConfigArn"]))}

    def update_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = self._csc(context, params["CodeSigningConfigArn"])
        changed = False
        if params.get("Description") is not None:
            config["Description"], changed = params["Description"], True
        if params.get("AllowedPublishers") is not None:
            config["AllowedPublishers"] = {
                "SigningProfileVersionArns": list(params["AllowedPublishers"]["SigningProfileVersionArns"])
            }
            changed = True
        policy = (params.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment")
        if policy is not None:
            config["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": policy}
            changed = True
        if changed:
            config["LastModified"] = self._now()
            scope, key = self._scope(context), config["CodeSigningConfigId"]
            self.code_signing.put(scope, key, {**self.code_signing.get(scope, key), "config": config})
        return {"CodeSigningConfig": copy.deepcopy(config)}

    def _functions_using(self: Provider, context: RequestContext, arn: str) -> list[str]:  # type: ignore[misc]
        return [
            record["config"]["FunctionArn"]
            for _, record in self.functions.scan(self._scope(context))
            if record.get("code_signing") == arn
        ]

    def delete_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["CodeSigningConfigArn"]
        config = self._csc(context, arn)
        if self._functions_using(context, arn):
            raise conflict(
                f"The code signing configuration {arn} cannot be deleted because it is used by one or more functions."
            )
        self.code_signing.delete(self._scope(context), config["CodeSigningConfigId"])
        return {}

    def list_code_signing_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        return paginate_keys(
            self.store, "lambda", "ListCodeSigningConfigs", params,
            lambda after: self.code_signing.scan(scope, start_after=after),
            bad_token=names_bad_marker, default_limit=50, render=lambda key, record: copy.deepcopy(record["config"]),
        )  # fmt: skip

    def list_functions_by_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["CodeSigningConfigArn"]
        self._csc(context, arn)
        return paginate_list(
            self.store, "lambda", "ListFunctionsByCodeSigningConfig", params,
            self._functions_using(context, arn), bad_token=names_bad_marker, default_limit=50, bind=arn,
        )  # fmt: skip

    # -- a function's configuration ------------------------------------------------------------

    def attach_code_signing(self: Provider, context: RequestContext, arn: str) -> str:  # type: ignore[misc]
        """The ARN, once the configuration it names exists (CodeSigningConfigNotFound otherwise)."""
        try:
            self._csc(context, arn)
        except ServiceError:
            raise ServiceError(
                "CodeSigningConfigNotFoundException",
                "The code signing configuration cannot be found. Check that the provided configuration is not "
                f"deleted: {arn}.",
                404,
                Type="User",
            ) from None
        return arn

    def check_code_signature(  # type: ignore[misc]
        self: Provider, context: RequestContext, csc_arn: str | None, function_arn: str
    ) -> None:
        """Refuse unsigned code under an Enforce policy (every package here is unsigned)."""
        if not csc_arn:
            return
        record = self.code_signing.get(self._scope(context), self._csc_id(context, csc_arn))
        policies = record["config"]["CodeSigningPolicies"] if record is not None else {}
        if policies.get("UntrustedArtifactOnDeployment") == "Enforce":
            raise code_verification_failed(function_arn)

    def put_function_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = self.attach_code_signing(context, params["CodeSigningConfigArn"])
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        record["code_signing"] = arn
        self.functions.put(self._scope(context), name, record)
        return {"CodeSigningConfigArn": arn, "FunctionName": name}

    def get_function_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        if not record.get("code_signing"):
            return {}
        return {
            "CodeSigningConfigArn": record["code_signing"],
            "FunctionName": record["config"]["FunctionName"],
        }

    def delete_function_code_signing_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        if record.pop("code_signing", None) is not None:
            self.functions.put(self._scope(context), record["config"]["FunctionName"], record)
        return {}
