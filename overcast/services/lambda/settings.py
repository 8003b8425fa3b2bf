"""Lambda's per-function settings: resource policies (permissions), reserved and provisioned
concurrency, event invoke configs, tags, layers and the account's settings.

Tables (scope = account/region):
  policies      name SEP qualifier → policy document ("" qualifier: the unqualified function)
  provisioned   name SEP qualifier → provisioned concurrency config
  invoke_configs name SEP qualifier → event invoke config
  layers        layer SEP 0000000001 → layer version
  layer_numbers layer → {"last": the last version number it was given}
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, partition
from overcast.common.tagging import add_tags, remove_tags
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .names import TAG_RULES, conflict, function_arn, invalid, not_found

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

SEP = "\x01"
ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
#: The domains of AWS service principals (s3.amazonaws.com, alexa-appkit.amazon.com, China's);
#: a principal that is no account, ARN, "*" or service is refused.
SERVICE_PRINCIPAL_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")
_LAYER_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,140}$")
_DESTINATION_SERVICES = {"sqs", "sns", "lambda", "events", "s3"}
#: The ARNs TagResource, UntagResource and ListTags accept (AWS's own pattern, quoted in its error).
_TAGGABLE = re.compile(
    r"^arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:"
    r"(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|"
    r"code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)$"
)
_TAG_TABLES = {
    "event-source-mapping": lambda provider: provider.mappings,
    "capacity-provider": lambda provider: provider.capacity_providers,
    "code-signing-config": lambda provider: provider.code_signing,
    "layer": lambda provider: provider.layer_numbers,
}
_TAG_NOUNS = {
    "event-source-mapping": "Event source mapping",
    "capacity-provider": "Capacity provider",
    "code-signing-config": "Code signing config",
    "layer": "Layer",
}


def _check_layer_version_number(number: int) -> None:
    if number < 1:
        raise invalid("Layer Version Cannot be less than 1")


def _new_revision(record: dict) -> None:
    """A function's tags are part of its revision: changing them gives it a new RevisionId."""
    config = record.get("config")
    if isinstance(config, dict) and "RevisionId" in config:
        config["RevisionId"] = str(uuid.uuid4())


def _destination_config_text(config: dict | None) -> str:
    """A DestinationConfig as Lambda's (Java) service prints it in its error."""

    def one(kind: str) -> str:
        destination = (config or {}).get(kind)
        if destination is None:
            return "null"
        return f"{kind}(destination={destination.get('Destination')})"

    return f"DestinationConfig(onSuccess={one('OnSuccess')}, onFailure={one('OnFailure')})"


def _layer_key(name: str, version: int) -> str:
    return f"{name}{SEP}{version:010d}"


class SettingsMixin:
    def start_settings(self: Provider) -> None:  # type: ignore[misc]
        self.policies = self.store.table("lambda", "policies")
        self.provisioned = self.store.table("lambda", "provisioned")
        self.invoke_configs = self.store.table("lambda", "invoke_configs")
        self.layers = self.store.table("lambda", "layers")
        self.layer_numbers = self.store.table("lambda", "layer_numbers")
        # Provisioned environments are processes: start them again for the stored configs.
        for scope in self.provisioned.scopes():
            for key, _config in self.provisioned.scan(scope):
                name, _, qualifier = key.partition(SEP)
                account, region = scope.split("/")
                self.runtime.spawn(self._provision(account, region, name, qualifier), name="lambda provision")

    def delete_function_settings(self: Provider, scope: str, name: str) -> None:  # type: ignore[misc]
        for table in (self.policies, self.provisioned, self.invoke_configs):
            for key, _ in list(table.scan(scope, prefix=name + SEP)):
                table.delete(scope, key)

    def delete_qualifier_settings(self: Provider, scope: str, name: str, qualifier: str) -> None:  # type: ignore[misc]
        for table in (self.policies, self.provisioned, self.invoke_configs):
            table.delete(scope, name + SEP + qualifier)

    # -- permissions ---------------------------------------------------------------------------

    def _policy_target(self: Provider, context: RequestContext, params: dict) -> tuple[str, str, str, str]:  # type: ignore[misc]
        record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
        name = record["config"]["FunctionName"]
        if qualifier is not None and qualifier != "$LATEST":
            if (
                not qualifier.isdigit()
                and self.aliases.get(self._scope(context), name + SEP + qualifier) is None
            ):
                # A qualifier no alias could be named ("$" is no alias name's) names no function.
                if not re.fullmatch(r"[a-zA-Z0-9_-]+", qualifier):
                    raise not_found(
                        f"Function not found: {function_arn(context.account, context.region, name, qualifier)}"
                    )
                raise not_found(
                    f"Cannot find alias arn: {function_arn(context.account, context.region, name, qualifier)}"
                )
            self._version_record(context, record, qualifier)
        resource = function_arn(context.account, context.region, name, qualifier)
        return self._scope(context), name, qualifier or "", resource

    def add_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, name, qualifier, resource = self._policy_target(context, params)
        if qualifier == "$LATEST":
            raise invalid("We currently do not support adding policies for $LATEST.")
        key = name + SEP + qualifier
        policy = self.policies.get(scope, key) or {"Version": "2012-10-17", "Id": "default", "Statement": []}
        # The revision given may be the policy's or that of the function or alias it belongs to.
        revisions = {policy.get("RevisionId"), self._target_revision(scope, name, qualifier)}
        if params.get("RevisionId") is not None and params["RevisionId"] not in revisions:
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve "
                "the latest Revision Id",
                412,
                Type="User",
            )
        sid = params["StatementId"]
        if any(statement.get("Sid") == sid for statement in policy["Statement"]):
            raise conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                "or remove the existing statement."
            )
        action = params["Action"]
        if not re.match(r"^(lambda:[*]|lambda:[a-zA-Z]+|[*])$", action):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{action}' at 'action' failed to satisfy constraint: Member "
                r"must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
                400,
            )
        principal = params["Principal"]
        if principal == "*":
            shaped: Any = "*"
        elif re.fullmatch(r"\d{12}", principal):
            shaped = {"AWS": f"arn:{partition(context.region)}:iam::{principal}:root"}
        elif principal.startswith("arn:"):
            shaped = {"AWS": principal}
        elif principal.endswith(SERVICE_PRINCIPAL_DOMAINS):
            shaped = {"Service": principal}
        else:
            raise invalid("The provided principal was invalid. Please check the principal and try again.")
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": shaped,
            "Action": action,
            "Resource": resource,
        }
        condition: dict[str, dict] = {}
        if params.get("SourceAccount"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
        if params.get("PrincipalOrgID"):
            condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
        if params.get("EventSourceToken"):
            condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
        if params.get("FunctionUrlAuthType"):
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params[
                "FunctionUrlAuthType"
            ]
        if params.get("InvokedViaFunctionUrl"):
            condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
        if params.get("SourceArn"):
            condition.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
        if condition:
            statement["Condition"] = condition
        policy["Statement"].append(statement)
        policy["RevisionId"] = str(uuid.uuid4())
        self.policies.put(scope, key, policy)
        return {"Statement": json.dumps(statement)}

    def _target_revision(self: Provider, scope: str, name: str, qualifier: str) -> str | None:  # type: ignore[misc]
        if not qualifier or qualifier == "$LATEST":
            record = self.functions.get(scope, name)
            return record["config"]["RevisionId"] if record else None
        if qualifier.isdigit():
            from .aliases import version_key

            version = self.versions.get(scope, version_key(name, qualifier))
            return version["config"]["RevisionId"] if version else None
        alias = self.aliases.get(scope, name + SEP + qualifier)
        return alias["RevisionId"] if alias else None

    def remove_permission(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from . import names

        try:
            scope, name, qualifier, _ = self._policy_target(context, params)
        except ServiceError as error:
            if not error.message.startswith("Function not found"):
                raise
            missing, _ = names.parse_function(params["FunctionName"], None, context.account, context.region)
            raise not_found(
                f"No policy found for: {function_arn(context.account, context.region, missing)}"
            ) from None
        key = name + SEP + qualifier
        policy = self.policies.get(scope, key)
        sid = params["StatementId"]
        if policy is None:
            raise not_found("No policy is associated with the given resource.")
        if not any(s.get("Sid") == sid for s in policy["Statement"]):
            raise not_found(f"Statement {sid} is not found in resource policy.")
        if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve "
                "the latest Revision Id",
                412,
                Type="User",
            )
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid]
        if policy["Statement"]:
            policy["RevisionId"] = str(uuid.uuid4())
            self.policies.put(scope, key, policy)
        else:
            self.policies.delete(scope, key)
        return {}

    def get_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        try:
            scope, name, qualifier, _ = self._policy_target(context, params)
        except ServiceError as error:
            if error.code != "ResourceNotFoundException":
                raise
            raise not_found("The resource you requested does not exist.") from None
        policy = self.policies.get(scope, name + SEP + qualifier)
        if policy is None:
            raise not_found("The resource you requested does not exist.")
        document = {k: v for k, v in policy.items() if k != "RevisionId"}
        return {"Policy": json.dumps(document), "RevisionId": policy["RevisionId"]}

    def resource_policy(self: Provider, arn: str) -> dict | None:  # type: ignore[misc]
        """The resource-based policy of the function (or version/alias) an ARN names, for IAM
        enforcement; None when it has none."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            return None
        qualifier = parts[7] if len(parts) > 7 else ""
        policy = self.policies.get(store_scope(parts[4], parts[3]), parts[6] + SEP + qualifier)
        if policy is None:
            return None
        return {k: v for k, v in policy.items() if k != "RevisionId"}

    # -- reserved concurrency ---------------------------------------------------------------------

    def _reserved_total(self: Provider, scope: str, skip: str = "") -> int:  # type: ignore[misc]
        return sum(record.get("reserved") or 0 for name, record in self.functions.scan(scope) if name != skip)

    def put_function_concurrency(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from . import names

        name, qualifier = names.parse_function(params["FunctionName"], None, context.account, context.region)
        if qualifier is not None:
            raise invalid(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN."
            )
        if self.functions.get(self._scope(context), name) is None:
            raise names.function_not_found(context.account, context.region, name, "$LATEST")
        record, _ = self._function(context, params["FunctionName"])
        scope = self._scope(context)
        name = record["config"]["FunctionName"]
        wanted = params["ReservedConcurrentExecutions"]
        provisioned = self._provisioned_total(scope, name)
        if wanted < provisioned:
            # AWS's message, its spacing included, and (unlike most) no Type field.
            raise ServiceError(
                "InvalidParameterValueException",
                f" ReservedConcurrentExecutions  {wanted} should not be lower than function's total "
                f"provisioned concurrency [{provisioned}].",
                400,
            )
        if ACCOUNT_CONCURRENCY - self._reserved_total(scope, name) - wanted < MIN_UNRESERVED:
            # No Type field here either, as AWS records it.
            raise ServiceError(
                "InvalidParameterValueException",
                f"Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].",
                400,
            )
        record["reserved"] = wanted
        self.functions.put(scope, name, record)
        return {"ReservedConcurrentExecutions": wanted}

    def get_function_concurrency(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        if record.get("reserved") is None:
            return {}
        return {"ReservedConcurrentExecutions": record["reserved"]}

    def delete_function_concurrency(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        record.pop("reserved", None)
        self.functions.put(self._scope(context), record["config"]["FunctionName"], record)
        return {}

    def get_account_settings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        total_size, count, reserved = 0, 0, 0
        for _, record in self.functions.scan(scope):
            count += 1
            total_size += record["config"].get("CodeSize", 0)
            reserved += record.get("reserved") or 0
        # AWS's usage counts the code of every published version and every layer version too,
        # so publishing (even unchanged code) raises TotalCodeSize.
        for _, version_record in self.versions.scan(scope):
            total_size += version_record["config"].get("CodeSize", 0)
        for _, layer in self.layers.scan(scope):
            total_size += layer["Content"].get("CodeSize", 0)
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
            },
            "AccountUsage": {"TotalCodeSize": total_size, "FunctionCount": count},
        }

    # -- provisioned concurrency -------------------------------------------------------------------

    def _provisioned_target(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, putting: bool = False
    ) -> tuple[str, str, str]:
        from . import names

        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        if qualifier is None or qualifier == "$LATEST":
            raise invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
                if putting
                else "The function resource provided must be an alias or a published version."
            )
        scope = self._scope(context)
        record = self.functions.get(scope, name)
        if not qualifier.isdigit():
            if record is None or self.aliases.get(scope, name + SEP + qualifier) is None:
                raise not_found(
                    f"Cannot find alias arn: {function_arn(context.account, context.region, name, qualifier)}"
                )
        elif record is None:
            raise names.function_not_found(context.account, context.region, name, qualifier)
        self._version_record(context, record, qualifier)
        return scope, name, qualifier

    def _provisioned_total(self: Provider, scope: str, name: str, skip: str = "") -> int:  # type: ignore[misc]
        """The provisioned concurrency of all the function's versions and aliases."""
        return sum(
            config["RequestedProvisionedConcurrentExecutions"]
            for key, config in self.provisioned.scan(scope, prefix=name + SEP)
            if key != skip
        )

    def _check_unreserved(self: Provider, scope: str, key: str, wanted: int) -> None:  # type: ignore[misc]
        """Provisioned concurrency of a function without reserved concurrency comes out of the
        account's unreserved pool, as do the other such functions' provisioned configs."""
        unreserved = ACCOUNT_CONCURRENCY - self._reserved_total(scope)
        for other, config in self.provisioned.scan(scope):
            owner = self.functions.get(scope, other.partition(SEP)[0]) or {}
            if other != key and owner.get("reserved") is None:
                unreserved -= config["RequestedProvisionedConcurrentExecutions"]
        # These two refusals carry no Type field, unlike Lambda's other ones.
        if wanted > unreserved:
            raise ServiceError(
                "InvalidParameterValueException",
                f"Specified ConcurrentExecutions for function is greater than account's unreserved "
                f"concurrency [{unreserved}].",
                400,
            )
        if unreserved - wanted < MIN_UNRESERVED:
            raise ServiceError(
                "InvalidParameterValueException",
                "Specified ConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].",
                400,
            )

    def _check_provisioned_conflicts(self: Provider, scope: str, name: str, qualifier: str) -> None:  # type: ignore[misc]
        """A version is provisioned through one qualifier only: itself or an alias to it."""
        if not qualifier.isdigit():
            alias = self.aliases.get(scope, name + SEP + qualifier) or {}
            if self.provisioned.get(scope, name + SEP + str(alias.get("FunctionVersion"))) is not None:
                raise conflict(
                    "Alias can't be used for Provisioned Concurrency configuration on an already "
                    "Provisioned version"
                )
            return
        for key, alias in self.aliases.scan(scope, prefix=name + SEP):
            if alias.get("FunctionVersion") == qualifier and self.provisioned.get(scope, key) is not None:
                raise conflict("Version is pointed by a Provisioned Concurrency alias")

    def put_provisioned_concurrency_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, name, qualifier = self._provisioned_target(context, params, putting=True)
        wanted = params["ProvisionedConcurrentExecutions"]
        record = self.functions.get(scope, name)
        others = self._provisioned_total(scope, name, skip=name + SEP + qualifier)
        if record.get("reserved") is not None and others + wanted > record["reserved"]:
            raise invalid(
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                "for function"
            )
        if record.get("reserved") is None:
            self._check_unreserved(scope, name + SEP + qualifier, wanted)
        self._check_provisioned_conflicts(scope, name, qualifier)
        config = {
            "RequestedProvisionedConcurrentExecutions": wanted,
            "AvailableProvisionedConcurrentExecutions": 0,
            "AllocatedProvisionedConcurrentExecutions": 0,
            "Status": "IN_PROGRESS",
            "LastModified": self._now(),
        }
        self.provisioned.put(scope, name + SEP + qualifier, config)
        self.runtime.spawn(
            self._provision(context.account, context.region, name, qualifier), name="lambda provision"
        )
        return dict(config)

    @staticmethod
    def _now() -> str:
        from .provider import now_iso

        return now_iso()

    async def _provision(self: Provider, account: str, region: str, name: str, qualifier: str) -> None:  # type: ignore[misc]
        scope = store_scope(account, region)
        key = name + SEP + qualifier
        config = self.provisioned.get(scope, key)
        if config is None:
            return
        try:
            _, version_record, version, _ = self.resolve(account, region, name, qualifier)
            spec = self.spec_for(account, region, version_record, version)
            self.pool.retire(account, region, name, version, provisioned_only=True)
            ready = await self.pool.provision(spec, config["RequestedProvisionedConcurrentExecutions"])
        except Exception as error:
            ready, reason = 0, str(error)
        else:
            reason = (
                ""
                if ready == config["RequestedProvisionedConcurrentExecutions"]
                else ("FUNCTION_ERROR_INIT_FAILURE: the function could not be initialized")
            )
        current = self.provisioned.get(scope, key)
        if current is None:
            return
        current.update(
            AvailableProvisionedConcurrentExecutions=ready,
            AllocatedProvisionedConcurrentExecutions=ready,
            Status="READY" if not reason else "FAILED",
            LastModified=self._now(),
        )
        if reason:
            current["StatusReason"] = reason
        self.provisioned.put(scope, key, current)

    def get_provisioned_concurrency_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, name, qualifier = self._provisioned_target(context, params)
        config = self.provisioned.get(scope, name + SEP + qualifier)
        if config is None:
            raise ServiceError(
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
                404,
                Type="User",
            )
        return dict(config)

    def delete_provisioned_concurrency_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, name, qualifier = self._provisioned_target(context, params)
        self.provisioned.delete(scope, name + SEP + qualifier)
        try:
            _, _, version, _ = self.resolve(context.account, context.region, name, qualifier)
            self.pool.retire(context.account, context.region, name, version, provisioned_only=True)
        except ServiceError:
            pass
        return {}

    def list_provisioned_concurrency_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        items = []
        for key, config in self.provisioned.scan(self._scope(context), prefix=name + SEP):
            qualifier = key.split(SEP, 1)[1]
            items.append(
                {"FunctionArn": function_arn(context.account, context.region, name, qualifier), **config}
            )
        return {"ProvisionedConcurrencyConfigs": items}

    # -- event invoke configs ----------------------------------------------------------------------

    def _check_destinations(self: Provider, config: dict | None, own_arn: str) -> dict:  # type: ignore[misc]
        """The DestinationConfig as stored; AWS's refusals of a destination of a service that
        takes none, of the function itself, and of a function that does not exist."""
        shaped = {}
        for kind in ("OnSuccess", "OnFailure"):
            destination = (config or {}).get(kind) or {}
            arn = destination.get("Destination")
            if arn:
                parts = arn.split(":")
                if len(parts) < 6 or parts[0] != "arn" or parts[2] not in _DESTINATION_SERVICES:
                    raise invalid(
                        f"The provided destination config {_destination_config_text(config)} is invalid."
                    )
                if parts[2] == "lambda":
                    if parts[3:7] == own_arn.split(":")[3:7]:
                        raise invalid("You can't specify the function as a destination for itself.")
                    if not self.function_exists(arn):
                        raise invalid(f"The destination ARN {arn} is invalid.")
                shaped[kind] = {"Destination": arn}
            else:
                shaped[kind] = {}
        return shaped

    def put_function_event_invoke_config(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, update: bool = False
    ) -> dict:
        settings = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
        if not any(params.get(field) is not None for field in settings):
            raise invalid("You must specify at least one of error handling or destination setting.")
        try:
            record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
            if qualifier not in (None, "$LATEST"):
                self._version_record(context, record, qualifier)
        except ServiceError as error:
            if not error.message.startswith("Function not found"):
                raise
            raise not_found("The function doesn't exist.") from None
        name = record["config"]["FunctionName"]
        scope = self._scope(context)
        key = name + SEP + (qualifier or "$LATEST")
        existing = self.invoke_configs.get(scope, key) if update else None
        if update and existing is None:
            raise not_found(
                f"The function {function_arn(context.account, context.region, name, qualifier or '$LATEST')} "
                "doesn't have an EventInvokeConfig"
            )
        config = dict(existing or {})
        for field in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if field in params:
                config[field] = params[field]
            elif not update:
                config.pop(field, None)
        if "DestinationConfig" in params or not update:
            config["DestinationConfig"] = self._check_destinations(
                params.get("DestinationConfig"), function_arn(context.account, context.region, name)
            )
        config["FunctionArn"] = function_arn(context.account, context.region, name, qualifier or "$LATEST")
        config["LastModified"] = self._epoch()
        self.invoke_configs.put(scope, key, config)
        return dict(config)

    @staticmethod
    def _epoch():
        from datetime import datetime

        return datetime.now(UTC)

    def update_function_event_invoke_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.put_function_event_invoke_config(context, params, update=True)

    def get_function_event_invoke_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from . import names

        # A missing function has no config either, and AWS answers just that.
        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        config = self.invoke_configs.get(self._scope(context), name + SEP + (qualifier or "$LATEST"))
        if config is None:
            raise not_found(
                f"The function {function_arn(context.account, context.region, name, qualifier or '$LATEST')} "
                "doesn't have an EventInvokeConfig"
            )
        return dict(config)

    def delete_function_event_invoke_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from . import names

        # A missing function has no config either, and AWS answers just that.
        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        if not self.invoke_configs.delete(self._scope(context), name + SEP + (qualifier or "$LATEST")):
            raise not_found(
                f"The function {function_arn(context.account, context.region, name, qualifier or '$LATEST')} "
                "doesn't have an EventInvokeConfig"
            )
        return {}

    def list_function_event_invoke_configs(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.common.pagination import paginate_keys

        from .names import bad_marker

        try:
            record, _ = self._function(context, params["FunctionName"])
        except ServiceError as error:
            if not error.message.startswith("Function not found"):
                raise
            raise not_found("The function doesn't exist.") from None
        name = record["config"]["FunctionName"]
        scope = self._scope(context)
        return paginate_keys(
            self.store, "lambda", "ListFunctionEventInvokeConfigs", params,
            lambda after: self.invoke_configs.scan(scope, prefix=name + SEP, start_after=after),
            bad_token=bad_marker, default_limit=50, bind=name, render=lambda key, config: dict(config),
        )  # fmt: skip

    def invoke_config_for(self: Provider, scope: str, name: str, qualifier: str | None) -> dict:  # type: ignore[misc]
        return self.invoke_configs.get(scope, name + SEP + (qualifier or "$LATEST")) or {}

    # -- tags ------------------------------------------------------------------------------------------

    def _tag_target(self: Provider, context: RequestContext, arn: str) -> tuple[Any, str, dict]:  # type: ignore[misc]
        """(table, key, record holding "tags") of the function, event source mapping, capacity
        provider or code signing configuration an ARN names."""
        parts = arn.split(":")
        kind = parts[5] if len(parts) > 6 and parts[2] == "lambda" else ""
        if not _TAGGABLE.match(arn):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{arn}' at 'resource' failed to satisfy constraint: Member "
                f"must satisfy regular expression pattern: {_TAGGABLE.pattern[1:-1]}",
                400,
            )
        scope = self._scope(context)
        if kind == "function":
            if len(parts) > 7:
                raise invalid(
                    "Tags on function aliases and versions are not supported. Please specify a function ARN."
                )
            function, _ = self._function(context, arn)
            return self.functions, function["config"]["FunctionName"], function
        table, key = _TAG_TABLES[kind](self), parts[6]
        record = table.get(scope, key) if parts[4] == context.account and parts[3] == context.region else None
        if record is None:
            raise ServiceError(
                "ResourceNotFoundException", f"{_TAG_NOUNS[kind]} not found: {arn}", 404, Type="User"
            )
        return table, key, record

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        table, key, record = self._tag_target(context, params["Resource"])
        if not params["Tags"]:
            raise invalid("An error occurred and the request cannot be processed.")
        record["tags"] = add_tags(record.get("tags"), params["Tags"], TAG_RULES)
        _new_revision(record)
        table.put(self._scope(context), key, record)
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        table, key, record = self._tag_target(context, params["Resource"])
        record["tags"] = remove_tags(record.get("tags"), params["TagKeys"])
        _new_revision(record)
        table.put(self._scope(context), key, record)
        return {}

    def list_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._tag_target(context, params["Resource"])
        return {"Tags": dict(record.get("tags") or {})}

    # -- layers -----------------------------------------------------------------------------------------

    def _layer_arn(self: Provider, context: RequestContext, name: str, version: int | None = None) -> str:  # type: ignore[misc]
        arn = build_arn("lambda", context.region, context.account, f"layer:{name}")
        return f"{arn}:{version}" if version is not None else arn

    def _layer_name(self: Provider, value: str) -> str:  # type: ignore[misc]
        if value.startswith("arn:"):
            parts = value.split(":")
            if len(parts) < 7 or parts[5] != "layer":
                raise invalid(f"Invalid layer name: {value}")
            return parts[6]
        if not _LAYER_NAME.match(value):
            raise invalid(f"Invalid layer name: {value}")
        return value

    def publish_layer_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name = self._layer_name(params["LayerName"])
        content = params.get("Content") or {}
        if content.get("ZipFile") is not None:
            code = self.code.save(content["ZipFile"])
        else:
            code = self.code.save(
                self.read_s3(
                    context, content.get("S3Bucket"), content.get("S3Key"), content.get("S3ObjectVersion")
                )
            )
        latest = next(iter(self.layers.scan(scope, prefix=name + SEP, reverse=True, limit=1)), None)
        # A deleted version's number is never given out again, as AWS never reuses one.
        issued = (self.layer_numbers.get(scope, name) or {}).get("last", 0)
        version = max((latest[1]["Version"] if latest else 0), issued) + 1
        host = context.request.headers.get("host") or self.endpoint().split("//")[1]
        layer = {
            "Content": {
                "Location": self.code.location(host, code["file"]),
                "CodeSha256": code["sha256"],
                "CodeSize": code["size"],
            },
            "LayerArn": self._layer_arn(context, name),
            "LayerVersionArn": self._layer_arn(context, name, version),
            "Description": params.get("Description") or "",
            "CreatedDate": self._now(),
            "Version": version,
        }
        for field in ("CompatibleRuntimes", "CompatibleArchitectures"):
            if params.get(field) is not None:  # given empty, answered empty (AWS recorded)
                layer[field] = params[field]
        if params.get("LicenseInfo"):
            layer["LicenseInfo"] = params["LicenseInfo"]
        with self.store.transaction():
            self.layers.put(scope, _layer_key(name, version), {**layer, "file": code["file"]})
            self.layer_numbers.put(scope, name, {"last": version})
        return layer

    def layer_version_by_arn(self: Provider, arn: str) -> dict | None:  # type: ignore[misc]
        parts = arn.split(":")
        if len(parts) != 8 or parts[2] != "lambda" or parts[5] != "layer" or not parts[7].isdigit():
            return None
        return self.layers.get(store_scope(parts[4], parts[3]), _layer_key(parts[6], int(parts[7])))

    def _layer_out(self: Provider, context: RequestContext, layer: dict) -> dict:  # type: ignore[misc]
        out = {k: copy.deepcopy(v) for k, v in layer.items() if k not in ("file", "policy")}
        if layer.get("file") and "Location" in out.get("Content", {}):
            # A fresh download URL each time, as AWS's presigned one expires.
            host = context.request.headers.get("host") or self.endpoint().split("//")[1]
            out["Content"]["Location"] = self.code.location(host, layer["file"])
        return out

    def get_layer_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_layer_version_number(params["VersionNumber"])
        name = self._layer_name(params["LayerName"])
        given = params["LayerName"].split(":")
        # A layer ARN may name another account's layer, shared through its version policy.
        scope = store_scope(given[4], given[3]) if len(given) >= 7 else self._scope(context)
        layer = self.layers.get(scope, _layer_key(name, params["VersionNumber"]))
        if layer is None or not self.layer_shared_with(context, layer["LayerVersionArn"], layer):
            raise not_found("The resource you requested does not exist.")
        return self._layer_out(context, layer)

    def get_layer_version_by_arn(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        layer = self.layer_version_by_arn(params["Arn"])
        if layer is None or not self.layer_shared_with(context, params["Arn"], layer):
            raise not_found("The resource you requested does not exist.")
        return self._layer_out(context, layer)

    def delete_layer_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _check_layer_version_number(params["VersionNumber"])
        name = self._layer_name(params["LayerName"])
        self.layers.delete(self._scope(context), _layer_key(name, params["VersionNumber"]))
        return {}

    def _list_item(self: Provider, layer: dict) -> dict:  # type: ignore[misc]
        item = {
            k: layer[k] for k in ("LayerVersionArn", "Version", "Description", "CreatedDate") if k in layer
        }
        for field in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if field in layer:
                item[field] = layer[field]
        return item

    def _compatible(self: Provider, layer: dict, params: dict) -> bool:  # type: ignore[misc]
        runtime, arch = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
        if runtime and runtime not in layer.get("CompatibleRuntimes", ()):
            return False
        return not (arch and arch not in layer.get("CompatibleArchitectures", ()))

    def list_layer_versions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._layer_name(params["LayerName"])
        items = [
            self._list_item(layer)
            for _, layer in self.layers.scan(self._scope(context), prefix=name + SEP, reverse=True)
            if self._compatible(layer, params)
        ]
        return {"LayerVersions": items}

    def list_layers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        latest: dict[str, dict] = {}
        for key, layer in self.layers.scan(self._scope(context)):
            if self._compatible(layer, params):
                latest[key.split(SEP)[0]] = layer
        return {
            "Layers": [
                {
                    "LayerName": name,
                    "LayerArn": layer["LayerArn"],
                    "LatestMatchingVersion": self._list_item(layer),
                }
                for name, layer in latest.items()
            ]
        }
