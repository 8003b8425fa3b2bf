"""AWS Lambda: functions that run for real (environment.py), their versions and aliases, and
Invoke. Permissions, URLs, layers, concurrency and event invoke configs are in settings.py;
asynchronous invocation and event source mappings in events.py.

Tables (scope = account/region):
  functions   name → {"config": FunctionConfiguration of $LATEST, "code": file id, ...}
  versions    name SEP 0000000001 → {"config": ..., "code": file id}
  aliases     name SEP alias → AliasConfiguration (aliases.py)
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import re
import uuid
from typing import Any

from overcast.common.httpsfront import front_for
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.common.tagging import tag_map
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.protocols.models import operation_model
from overcast.services.base import HostRoute
from overcast.services.lambda_interface import LambdaProvider
from overcast.store import scope as store_scope

from . import names
from .aliases import AliasesMixin, version_key
from .capacity import CapacityMixin
from .code import CodeStore
from .codesigning import CodeSigningMixin
from .cross_account import CrossAccountMixin
from .durable import DurableMixin
from .environment import FunctionSpec, Pool
from .events import EventsMixin
from .function_settings import FunctionSettingsMixin, runtime_version_arn
from .invocation import InvocationMixin
from .isolation import isolation_for
from .kmskeys import SealedEnvironments, check_function_key
from .layer_policies import LayerPoliciesMixin
from .names import conflict, function_arn, function_not_found, invalid
from .resource_policies import ResourcePoliciesMixin
from .roles import RolesMixin
from .settings import SettingsMixin
from .urls import URL_HOST, URL_PATH, UrlsMixin

log = logging.getLogger(__name__)

SEP = "\x01"

DEPRECATED = {
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs4.3-edge",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "ruby2.5",
    "ruby2.7",
    "go1.x",
    "java8",
}


#: Configuration fields ListFunctions leaves out (AWS: "use GetFunction" for them).
LISTED_WITHOUT = frozenset(
    {
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
        "RuntimeVersionConfig",
    }
)
#: The runtimes AWS's runtime error lists (its own wording, in its own order).
RUNTIME_CHOICES = (
    "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, "
    "python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, "
    "dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2"
)


#: Lambda's documented package and environment limits.
MAX_ZIPPED = 50 * 1024 * 1024
#: A layer version ARN as the model constrains it; AWS prints the pattern without its outer group.
_LAYER_VERSION_PATTERN = str(
    operation_model("lambda", "GetLayerVersionByArn").input_shape.members["Arn"].metadata["pattern"]
)
if _LAYER_VERSION_PATTERN.startswith("((") and _LAYER_VERSION_PATTERN.endswith("))"):
    _LAYER_VERSION_PATTERN = _LAYER_VERSION_PATTERN[1:-1]
_LAYER_VERSION_ARN = re.compile(_LAYER_VERSION_PATTERN)
MAX_ENVIRONMENT = 4096


def logging_config(current: dict, given: dict | None) -> dict:
    """A LoggingConfig with `given` applied: JSON logs have application and system log levels
    (INFO unless given), text logs have none, as AWS keeps them."""
    merged = {**current, **(given or {})}
    if merged.get("LogFormat") == "JSON":
        merged.setdefault("ApplicationLogLevel", "INFO")
        merged.setdefault("SystemLogLevel", "INFO")
    else:
        merged.pop("ApplicationLogLevel", None)
        merged.pop("SystemLogLevel", None)
    return merged


def now_iso() -> str:
    """LastModified in Lambda's format: 2024-01-01T12:00:00.000+0000."""
    return iso_millis(zone="+0000")


class Provider(
    AliasesMixin,
    SettingsMixin,
    CodeSigningMixin,
    CrossAccountMixin,
    CapacityMixin,
    DurableMixin,
    FunctionSettingsMixin,
    LayerPoliciesMixin,
    ResourcePoliciesMixin,
    InvocationMixin,
    UrlsMixin,
    EventsMixin,
    RolesMixin,
    LambdaProvider,
):
    service = "lambda"
    host_routes = (HostRoute(URL_HOST, "serve_url"),)
    path_routes = (HostRoute(URL_PATH, "serve_url_path"),)

    def start(self) -> None:
        # Environment variables are encrypted by KMS in these rows (kmskeys.SealedEnvironments).
        self.functions = SealedEnvironments(self.store.table("lambda", "functions"), self.runtime)
        self.versions = SealedEnvironments(self.store.table("lambda", "versions"), self.runtime)
        self.aliases = self.store.table("lambda", "aliases")
        self.code = CodeStore(self.store.files_dir("lambda"))
        self.pool = Pool(self._write_logs, self._endpoint_env)
        self.pool.isolation = isolation_for(self.store.files_dir("lambda").parents[1])
        self._specs: dict[tuple, FunctionSpec] = {}
        #: Invocations running, in all and by function: AWS/Lambda ConcurrentExecutions.
        self._in_flight: dict[tuple[str, str], int] = {}
        self._activations: dict[tuple, asyncio.Future] = {}
        #: Bumped when the state is reset or replaced, so work begun for the old state ends.
        self._generation = 0
        self.runtime.every(5, self.pool.reap, "lambda idle environments")
        self.start_settings()
        self.start_code_signing()
        self.start_capacity()
        self.start_durable()
        self.start_urls()
        self.start_events()

    def reset(self) -> None:
        self._forget_state_work()
        self.reset_urls()
        self.reset_events()

    def state_replaced(self) -> None:
        self._forget_state_work()
        self.reset_urls()
        self.reset_events()
        self.resume_events()

    def _forget_state_work(self) -> None:
        """End what was running for the state being dropped: its environments, the unpacking
        of its code, its event source mapping pollers and queued invocations."""
        self._generation += 1
        self.pool.close()
        self._specs.clear()
        self.functions.forget()
        self.versions.forget()
        for future in self._activations.values():
            if not future.done():
                future.set_result(None)
        self._activations.clear()

    def close(self) -> None:
        self.pool.closed = True
        self.pool.close()

    def check_request(self, context: RequestContext, params: dict) -> None:
        """Lambda checks FunctionName and Qualifier against the operation's model pattern
        before anything else, as one Coral validation error."""
        if context.operation is not None:
            violations = names.pattern_violations(context.operation, params)
            violations += names.runtime_enum_violations(context.operation, params)
            if violations:
                raise names.validation_error(violations)
        self.act_as_owner(context, params)

    # -- helpers ---------------------------------------------------------------------------

    def endpoint(self) -> str:
        config = self.runtime.config
        host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{config.port}"

    def _endpoint_env(self) -> dict[str, str]:
        endpoint = self.endpoint()
        return {
            "AWS_ENDPOINT_URL": endpoint,
            "LOCALSTACK_HOSTNAME": endpoint.split("//")[1].rsplit(":", 1)[0],
            "EDGE_PORT": str(self.runtime.config.port),
            **self._xray_daemon_env(),
            # Trust Overcast's https front (custom resource ResponseURLs are https on port 443).
            **front_for(self.runtime.config.host, self.runtime.config.port).trust_env(),
        }

    def _xray_daemon_env(self) -> dict[str, str]:
        """Where the handler's X-Ray SDK sends segments: Overcast's daemon address."""
        address = self.runtime.config.xray_daemon
        if address is None:
            return {}
        host, port = address
        host = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return {
            "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
            "_AWS_XRAY_DAEMON_ADDRESS": host,
            "_AWS_XRAY_DAEMON_PORT": str(port),
        }

    @staticmethod
    def _scope(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def _function(
        self, context: RequestContext, value: str, qualifier: str | None = None
    ) -> tuple[dict, str | None]:
        name, qualifier = names.parse_function(value, qualifier, context.account, context.region)
        record = self.functions.get(self._scope(context), name)
        if record is None:
            raise function_not_found(context.account, context.region, name, qualifier)
        return record, qualifier

    def function_exists(self, arn: str) -> bool:
        parts = arn.split(":")
        if len(parts) < 7:
            return False
        return self.functions.get(store_scope(parts[4], parts[3]), parts[6]) is not None

    def _version_record(self, context: RequestContext, record: dict, qualifier: str | None) -> dict:
        """The record ({"config", "code"}) a qualifier names: $LATEST, a version or an alias
        (its primary version)."""
        name = record["config"]["FunctionName"]
        if qualifier in (None, "$LATEST"):
            return record
        scope = self._scope(context)
        if qualifier.isdigit():
            found = self.versions.get(scope, version_key(name, qualifier))
            if found is None:
                raise function_not_found(context.account, context.region, name, qualifier)
            return found
        alias = self.aliases.get(scope, name + SEP + qualifier)
        if alias is None:
            raise function_not_found(context.account, context.region, name, qualifier)
        return self._version_record(context, record, alias["FunctionVersion"])

    # -- create / read / update / delete -----------------------------------------------------

    def _check_runtime(self, runtime: str | None) -> None:
        known = operation_model("lambda", "CreateFunction").input_shape.members["Runtime"].enum
        if runtime is not None and runtime not in known:
            raise invalid(
                f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{RUNTIME_CHOICES}] or be a valid ARN"
            )
        if runtime in DEPRECATED:
            raise invalid(
                f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
                "functions. We recommend you use a supported runtime while creating or updating functions."
            )

    def _layers(self, context: RequestContext, arns: list[str] | None) -> list[dict]:
        if arns and not all(_LAYER_VERSION_ARN.fullmatch(arn) for arn in arns):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '[{', '.join(arns)}]' at 'layers' failed to satisfy "
                "constraint: Member must satisfy constraint: [Member must have length less than or equal to "
                "2048, Member must have length greater than or equal to 1, Member must satisfy regular "
                f"expression pattern: {_LAYER_VERSION_PATTERN}, Member must not be null]",
                400,
            )
        layers = []
        seen: dict[str, str] = {}
        for arn in arns or ():
            parts = arn.split(":")
            if len(parts) == 8 and parts[3] != context.region:
                raise invalid(
                    f"Layers are not in the same region as the function. Layers are expected to be in region "
                    f"{context.region}."
                )
            unversioned = arn.rsplit(":", 1)[0]
            if unversioned in seen:
                raise invalid(
                    "Two different versions of the same layer are not allowed to be referenced in the same "
                    f"function. {seen[unversioned]} and {arn} are versions of the same layer."
                )
            seen[unversioned] = arn
            layer = self.layer_version_by_arn(arn)
            if layer is None or not self.layer_shared_with(context, arn, layer):
                raise invalid(f"Layer version {arn} does not exist.")
            layers.append({"Arn": arn, "CodeSize": layer["Content"]["CodeSize"]})
        if len(layers) > 5:
            raise invalid("Cannot reference more than 5 layers.")
        return layers

    def _code_from(self, context: RequestContext, params: dict) -> dict:
        if params.get("ZipFile") is not None:
            data = params["ZipFile"]
            if isinstance(data, str):
                data = data.encode()
            if len(data) > MAX_ZIPPED:
                raise ServiceError(
                    "RequestEntityTooLargeException",
                    f"Zipped size must be smaller than {MAX_ZIPPED} bytes",
                    413,
                )
            return self._save_code(data)
        if params.get("S3Bucket") or params.get("S3Key"):
            data = self.read_s3(
                context, params.get("S3Bucket"), params.get("S3Key"), params.get("S3ObjectVersion")
            )
            return self._save_code(data)
        if params.get("ImageUri"):
            raise ServiceError(
                "InvalidParameterValueException",
                "Container image functions are not supported by Overcast's local Lambda.",
                400,
            )
        raise invalid("Please provide a source for function code.")

    def _save_code(self, data: bytes) -> dict:
        return self.code.save(data)  # refuses a package past the unzipped limit, unexpanded

    @staticmethod
    def _check_environment(environment: dict | None) -> None:
        variables = (environment or {}).get("Variables") or {}
        measured = json.dumps(variables, separators=(",", ":"))
        if len(measured.encode()) > MAX_ENVIRONMENT:
            raise invalid(
                "Lambda was unable to configure your environment variables because the environment variables you "
                f"have provided exceeded the 4KB limit. String measured: {measured}"
            )

    def read_s3(
        self, context: RequestContext, bucket: str | None, key: str | None, version: str | None
    ) -> bytes:
        """A deployment package from S3, read through S3's own GetObject handler."""
        from overcast import services

        if not bucket or not key:
            raise invalid("Please provide a source for function code.")
        if "s3" not in services.implemented() or not self.runtime.config.service_enabled("s3"):
            raise invalid(
                "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: "
                "The specified bucket does not exist"
            )
        s3 = self.runtime.provider("s3")
        internal = RequestContext.internal("s3", context.account, context.region)
        params = {"Bucket": bucket, "Key": key}
        if version:
            params["VersionId"] = version
        try:
            output = s3.get_object(internal, params)
        except ServiceError as error:
            raise invalid(
                f"Error occurred while GetObject. S3 Error Code: {error.code}. "
                f"S3 Error Message: {error.message}"
            ) from None
        body = output.get("Body", b"")
        if hasattr(body, "read"):
            try:
                return body.read()
            finally:
                getattr(body, "close", lambda: None)()
        return bytes(body)

    def create_function(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        name, qualifier = names.parse_function(params["FunctionName"], None, context.account, context.region)
        if qualifier is not None:
            raise names._bad_name(params["FunctionName"])
        names.check_new_name(name)
        role = params["Role"]
        if not names.ROLE.match(role):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must "
                r"satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
                400,
            )
        package_type = params.get("PackageType") or "Zip"
        if package_type == "Zip" and (not params.get("Runtime") or not params.get("Handler")):
            raise invalid(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )
        self._check_runtime(params.get("Runtime"))
        # The layers are checked before the name is (AWS recorded a layer in another region
        # refused for a function that exists).
        layers = self._layers(context, params.get("Layers"))
        if self.functions.get(scope, name) is not None:
            raise conflict(f"Function already exist: {name}")
        self.check_execution_role(context, role)
        self._check_environment(params.get("Environment"))
        arn = function_arn(context.account, context.region, name)
        csc_arn = params.get("CodeSigningConfigArn")
        if csc_arn:
            self.attach_code_signing(context, csc_arn)
            self.check_code_signature(context, csc_arn, arn)
        code = self._code_from(context, params.get("Code") or {})
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": arn,
            "Runtime": params.get("Runtime"),
            "Role": role,
            "Handler": params.get("Handler"),
            "CodeSize": code["size"],
            "Description": params.get("Description") or "",
            "Timeout": params.get("Timeout") or 3,
            "MemorySize": params.get("MemorySize") or 128,
            "LastModified": now_iso(),
            "CodeSha256": code["sha256"],
            "Version": "$LATEST",
            "TracingConfig": {"Mode": (params.get("TracingConfig") or {}).get("Mode") or "PassThrough"},
            "RevisionId": str(uuid.uuid4()),
            "State": "Pending",
            "StateReason": "The function is being created.",
            "StateReasonCode": "Creating",
            "PackageType": package_type,
            "Architectures": params.get("Architectures") or ["x86_64"],
            "EphemeralStorage": params.get("EphemeralStorage") or {"Size": 512},
            "SnapStart": {
                "ApplyOn": (params.get("SnapStart") or {}).get("ApplyOn") or "None",
                "OptimizationStatus": "Off",
            },
            "LoggingConfig": logging_config(
                {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}, params.get("LoggingConfig")
            ),
        }
        if config["Runtime"] is None:
            del config["Runtime"]
        else:
            config["RuntimeVersionConfig"] = {
                "RuntimeVersionArn": runtime_version_arn(context.region, config["Runtime"])
            }
        for key in ("DurableConfig", "CapacityProviderConfig", "TenancyConfig"):
            if params.get(key):
                config[key] = copy.deepcopy(params[key])
        self.check_capacity_provider(context, config)
        if config["Handler"] is None:
            del config["Handler"]
        if params.get("Environment") is not None:
            config["Environment"] = {"Variables": dict((params["Environment"] or {}).get("Variables") or {})}
        if layers:
            config["Layers"] = layers
        if params.get("DeadLetterConfig", {}).get("TargetArn"):
            config["DeadLetterConfig"] = {"TargetArn": params["DeadLetterConfig"]["TargetArn"]}
        if params.get("KMSKeyArn"):
            check_function_key(self.runtime, context.account, context.region, params["KMSKeyArn"])
            config["KMSKeyArn"] = params["KMSKeyArn"]
        if params.get("VpcConfig"):
            config["VpcConfig"] = self._vpc_config(context, params["VpcConfig"])
        record = {
            "config": config,
            "code": code["file"],
            "tags": tag_map(params.get("Tags"), names.TAG_RULES),
            "next_version": 1,
        }
        if csc_arn:
            record["code_signing"] = csc_arn
        self.functions.put(scope, name, record)
        output = copy.deepcopy(config)
        self._activate(context.account, context.region, name, code["file"], "create")
        if params.get("Publish"):
            # The answer describes the version published, as AWS's does.
            published = self._publish(context, scope, record, None)
            output["Version"] = published["Version"]
        return output

    def _activate(self, account: str, region: str, name: str, file_id: str, kind: str) -> None:
        """Unpack the code off the request path, then mark the function Active (after a create)
        or its update Successful, as AWS does once the package is ready."""
        scope = store_scope(account, region)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._activations[(scope, name)] = future

        generation = self._generation

        async def activate() -> None:
            try:
                try:
                    await asyncio.to_thread(self.code.unpacked, file_id)
                except OSError:
                    if generation != self._generation:
                        return  # the state was reset or replaced: its code went with it
                    raise
                if generation != self._generation:
                    return
                record = self.functions.get(scope, name)
                if record is not None and record["code"] == file_id:
                    config = record["config"]
                    config["State"] = "Active"
                    config["RevisionId"] = str(uuid.uuid4())  # every state change is a revision
                    for key in (
                        "StateReason",
                        "StateReasonCode",
                        "LastUpdateStatusReason",
                        "LastUpdateStatusReasonCode",
                    ):
                        config.pop(key, None)
                    config["LastUpdateStatus"] = "Successful"
                    self.functions.put(scope, name, record)
            finally:
                if not future.done():
                    future.set_result(None)
                if self._activations.get((scope, name)) is future:
                    del self._activations[(scope, name)]

        self.runtime.spawn(activate(), name=f"lambda activate {name}")

    async def _wait_active(self, scope: str, name: str) -> None:
        pending = self._activations.get((scope, name))
        if pending is not None:
            await asyncio.wait_for(asyncio.shield(pending), 30)

    def _config_out(self, context: RequestContext, record: dict) -> dict:
        return copy.deepcopy(record["config"])

    def get_function(self, context: RequestContext, params: dict) -> dict:
        record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
        target = self._version_record(context, record, qualifier)
        config = copy.deepcopy(target["config"])
        if qualifier and not qualifier.isdigit():  # an alias, or $LATEST named explicitly
            config["FunctionArn"] = function_arn(
                context.account, context.region, config["FunctionName"], qualifier
            )
        host = context.request.headers.get("host") or self.endpoint().split("//")[1]
        out: dict[str, Any] = {
            "Configuration": config,
            "Code": {
                "RepositoryType": "S3",
                "Location": self.code.location(host, target["code"]),
            },
        }
        if record.get("tags"):
            out["Tags"] = dict(record["tags"])
        if record.get("reserved") is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": record["reserved"]}
        return out

    def get_function_configuration(self, context: RequestContext, params: dict) -> dict:
        record, qualifier = self._function(context, params["FunctionName"], params.get("Qualifier"))
        config = copy.deepcopy(self._version_record(context, record, qualifier)["config"])
        if qualifier and not qualifier.isdigit():
            config["FunctionArn"] = function_arn(
                context.account, context.region, config["FunctionName"], qualifier
            )
        return config

    def list_functions(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        all_versions = params.get("FunctionVersion") == "ALL"

        def configs(name: str, record: dict) -> list[dict]:
            latest = copy.deepcopy(record["config"])
            if not all_versions:
                return [latest]
            # Listing every version names $LATEST by its qualified ARN, as AWS does.
            latest["FunctionArn"] += ":$LATEST"
            versions = self.versions.scan(scope, prefix=name + SEP)
            return [latest, *(copy.deepcopy(version["config"]) for _, version in versions)]

        out = paginate_keys(
            self.store, "lambda", "ListFunctions", params,
            lambda after: self.functions.scan(scope, start_after=after),
            bad_token=names.bad_marker, default_limit=50, render=configs, bind=str(all_versions),
        )  # fmt: skip
        # ListFunctions answers a subset of each configuration, as AWS documents: the state
        # fields and RuntimeVersionConfig come from GetFunction only.
        out["Functions"] = [
            {k: v for k, v in config.items() if k not in LISTED_WITHOUT}
            for group in out["Functions"]
            for config in group
        ]
        return out

    def _vpc_config(self, context: RequestContext, vpc: dict) -> dict:
        """A VpcConfig checked as Lambda does: the ids' form (the model's patterns, in its
        validation words), then, through EC2, that the security groups and subnets exist; the
        VpcId is the subnets'."""
        subnets, groups = list(vpc.get("SubnetIds") or []), list(vpc.get("SecurityGroupIds") or [])
        for ids, member, pattern in (
            (subnets, "vpcConfig.subnetIds", "subnet-[0-9a-z]*"),
            (groups, "vpcConfig.securityGroupIds", "sg-[0-9a-zA-Z]*"),
        ):
            if any(not re.fullmatch(pattern, each) or len(each) > 1024 for each in ids):
                raise ServiceError(
                    "ValidationException",
                    f"1 validation error detected: Value '[{', '.join(ids)}]' at '{member}' failed to satisfy "
                    "constraint: Member must satisfy constraint: [Member must have length less than or equal to "
                    "1024, Member must have length greater than or equal to 0, Member must satisfy regular "
                    f"expression pattern: {pattern}]",
                    400,
                )
        vpc_id = ""
        if self.runtime.serves("ec2") and (subnets or groups):
            ec2 = self.runtime.provider("ec2")
            for group in groups:
                if ec2.find_security_group(context.account, context.region, group) is None:
                    raise invalid(
                        "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. "
                        f"EC2 Error Message: The security group '{group}' does not exist"
                    )
            for subnet_id in subnets:
                subnet = ec2.find_subnet(context.account, context.region, subnet_id)
                if subnet is None:
                    raise invalid(
                        "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. "
                        f"EC2 Error Message: The subnet ID '{subnet_id}' does not exist"
                    )
                vpc_id = vpc_id or subnet.get("VpcId", "")
        return {
            "SubnetIds": subnets,
            "SecurityGroupIds": groups,
            "VpcId": vpc_id,
            "Ipv6AllowedForDualStack": bool(vpc.get("Ipv6AllowedForDualStack")),
        }

    def _check_revision(self, config: dict, revision: str | None) -> None:
        if revision is not None and revision != config["RevisionId"]:
            raise ServiceError(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
                "to retrieve the latest Revision Id",
                412,
                Type="User",
            )

    def _check_updatable(self, config: dict) -> None:
        if config.get("LastUpdateStatus") == "InProgress" or config.get("State") == "Pending":
            raise conflict(
                "The operation cannot be performed at this time. An update is in progress for resource: "
                f"{config['FunctionArn']}"
            )

    def update_function_code(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        record, _qualifier = self._function(context, params["FunctionName"])
        config = record["config"]
        self._check_revision(config, params.get("RevisionId"))
        self.check_code_signature(context, record.get("code_signing"), config["FunctionArn"])
        code = self._code_from(context, params)
        if params.get("Architectures"):
            config["Architectures"] = params["Architectures"]
        if params.get("DryRun"):
            preview = copy.deepcopy(config)
            preview.update(CodeSha256=code["sha256"], CodeSize=code["size"])
            return preview
        config.update(
            CodeSha256=code["sha256"],
            CodeSize=code["size"],
            LastModified=now_iso(),
            RevisionId=str(uuid.uuid4()),
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason="The function is being created.",
            LastUpdateStatusReasonCode="Creating",
        )
        record["code"] = code["file"]
        self.functions.put(scope, config["FunctionName"], record)
        output = copy.deepcopy(config)
        self._activate(context.account, context.region, config["FunctionName"], code["file"], "update")
        self.pool.retire(context.account, context.region, config["FunctionName"], "$LATEST")
        if params.get("Publish"):
            return self._publish(context, scope, record, None)
        return output

    def update_function_configuration(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        config = record["config"]
        self._check_revision(config, params.get("RevisionId"))
        if "Role" in params and not names.ROLE.match(params["Role"]):
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{params['Role']}' at 'role' failed to satisfy constraint: "
                r"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
                400,
            )
        if "Runtime" in params:
            self._check_runtime(params["Runtime"])
        if params.get("Role"):
            self.check_execution_role(context, params["Role"])
        if params.get("KMSKeyArn"):
            check_function_key(self.runtime, context.account, context.region, params["KMSKeyArn"])
        for key in ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime", "KMSKeyArn"):
            if key in params and params[key] is not None:
                config[key] = params[key]
        if params.get("Runtime"):
            config["RuntimeVersionConfig"] = {
                "RuntimeVersionArn": runtime_version_arn(context.region, params["Runtime"])
            }
        for key in ("DurableConfig", "CapacityProviderConfig"):
            if params.get(key):
                config[key] = copy.deepcopy(params[key])
        if "Environment" in params:
            self._check_environment(params["Environment"])
            config["Environment"] = {"Variables": dict((params["Environment"] or {}).get("Variables") or {})}
        if "Layers" in params:
            layers = self._layers(context, params["Layers"])
            if layers:
                config["Layers"] = layers
            else:
                config.pop("Layers", None)
        if "DeadLetterConfig" in params:
            target = (params["DeadLetterConfig"] or {}).get("TargetArn")
            if target:
                config["DeadLetterConfig"] = {"TargetArn": target}
            else:
                config.pop("DeadLetterConfig", None)
        if "TracingConfig" in params:
            config["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode") or "PassThrough"}
        if params.get("VpcConfig") is not None:
            vpc_config = self._vpc_config(context, params["VpcConfig"])
            if vpc_config["SubnetIds"] or vpc_config["SecurityGroupIds"]:
                config["VpcConfig"] = vpc_config
            else:
                config.pop("VpcConfig", None)  # empty lists detach the function from its VPC
        if "EphemeralStorage" in params:
            config["EphemeralStorage"] = params["EphemeralStorage"]
        if params.get("SnapStart") is not None:
            config["SnapStart"] = {
                "ApplyOn": params["SnapStart"].get("ApplyOn") or "None",
                "OptimizationStatus": "Off",
            }
        if "LoggingConfig" in params:
            config["LoggingConfig"] = logging_config(config.get("LoggingConfig", {}), params["LoggingConfig"])
        config.update(
            LastModified=now_iso(),
            RevisionId=str(uuid.uuid4()),
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason="The function is being created.",
            LastUpdateStatusReasonCode="Creating",
        )
        self.functions.put(scope, config["FunctionName"], record)
        output = copy.deepcopy(config)
        # The update is applied off the request path, as AWS's is: Successful once done.
        self._activate(context.account, context.region, config["FunctionName"], record["code"], "update")
        self.pool.retire(context.account, context.region, config["FunctionName"], "$LATEST")
        return output

    def delete_function(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        name, qualifier = names.parse_function(
            params["FunctionName"], params.get("Qualifier"), context.account, context.region
        )
        if qualifier == "$LATEST":
            raise invalid("$LATEST version cannot be deleted without deleting the function.")
        if qualifier is not None and names.ALIAS.match(qualifier):
            raise invalid("Deletion of aliases is not currently supported.")
        record = self.functions.get(scope, name)
        if record is None:
            raise function_not_found(context.account, context.region, name)
        context.status = 204  # the model says 200; AWS answers 204
        if qualifier is not None:
            for _, alias in self.aliases.scan(scope, prefix=name + SEP):
                weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                if alias["FunctionVersion"] == qualifier or qualifier in weights:
                    raise conflict(
                        f"Unable to delete version because the following aliases reference it: "
                        f"[{alias['Name']}]"
                    )
            # Deleting a version that does not exist succeeds, as it does on AWS.
            self.versions.delete(scope, version_key(name, qualifier))
            self.pool.retire(context.account, context.region, name, qualifier)
            return {}
        with self.store.transaction():
            for table in (self.versions, self.aliases):
                for key, _ in list(table.scan(scope, prefix=name + SEP)):
                    table.delete(scope, key)
            self.delete_function_settings(scope, name)
            self.functions.delete(scope, name)
        self.pool.retire(context.account, context.region, name)
        self.forget_function_urls(scope, name)
        return {}

    # -- versions ---------------------------------------------------------------------------

    def publish_version(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        config = record["config"]
        sha = params.get("CodeSha256")
        if sha is not None and sha != config["CodeSha256"]:
            raise invalid(
                f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
                f"({config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
            )
        self._check_revision(config, params.get("RevisionId"))
        if config.get("LastUpdateStatus") == "InProgress" or config.get("State") == "Pending":
            pending = self._activations.get((scope, config["FunctionName"]))
            if pending is None or not pending.done():
                # The package is still being unpacked: AWS answers this with a conflict.
                raise conflict(
                    "The operation cannot be performed at this time. An update is in progress for resource: "
                    f"{config['FunctionArn']}"
                )
        return self._publish(context, scope, record, params.get("Description"))

    @staticmethod
    def _fingerprint(config: dict) -> str:
        skip = {
            "Version",
            "FunctionArn",
            "LastModified",
            "RevisionId",
            "State",
            "StateReason",
            "StateReasonCode",
            "LastUpdateStatus",
            "LastUpdateStatusReason",
            "LastUpdateStatusReasonCode",
        }
        # A digest, not the text: the configuration holds the environment variables, which are
        # stored only encrypted.
        text = json.dumps({k: v for k, v in config.items() if k not in skip}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _publish(self, context: RequestContext, scope: str, record: dict, description: str | None) -> dict:
        config = record["config"]
        name = config["FunctionName"]
        fingerprint = self._fingerprint(config)
        last = record.get("next_version", 1) - 1
        if last >= 1:
            previous = self.versions.get(scope, version_key(name, str(last)))
            if previous is not None and previous.get("fingerprint") == fingerprint:
                return copy.deepcopy(previous["config"])
        number = str(record.get("next_version", 1))
        published = copy.deepcopy(config)
        published.update(
            Version=number,
            FunctionArn=function_arn(context.account, context.region, name, number),
            RevisionId=str(uuid.uuid4()),
            State="Active",
            LastUpdateStatus="Successful",
            LastModified=now_iso(),
        )
        for key in ("StateReason", "StateReasonCode", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
            published.pop(key, None)
        if description is not None:
            published["Description"] = description
        record["next_version"] = int(number) + 1
        config["RevisionId"] = str(uuid.uuid4())
        with self.store.transaction():
            self.versions.put(
                scope,
                version_key(name, number),
                {"config": published, "code": record["code"], "fingerprint": fingerprint},
            )
            self.functions.put(scope, name, record)
        return copy.deepcopy(published)

    def list_versions_by_function(self, context: RequestContext, params: dict) -> dict:
        scope = self._scope(context)
        record, _ = self._function(context, params["FunctionName"])
        name = record["config"]["FunctionName"]
        latest = copy.deepcopy(record["config"])
        latest["FunctionArn"] += ":$LATEST"
        items = [
            {k: v for k, v in config.items() if k not in LISTED_WITHOUT}
            for config in [latest] + [v["config"] for _, v in self.versions.scan(scope, prefix=name + SEP)]
        ]
        return paginate_list(
            self.store, "lambda", "ListVersionsByFunction", params, items,
            bad_token=names.bad_marker, default_limit=50, bind=name,
        )  # fmt: skip

    # -- internal routes ------------------------------------------------------------------------

    def engines(self) -> list[dict[str, Any]]:
        """The function's execution environments: one child process each."""
        rows = []
        for env in list(self.pool.all):
            state = "dead" if env.dead else ("provisioned" if env.provisioned else "warm")
            rows.append(
                {
                    "kind": "lambda environment",
                    "name": f"{env.spec.name}:{env.spec.version}",
                    "state": state,
                    "pid": env.process.pid if env.process else None,
                    "rss_kb": env.rss_kb,
                    "id": env.id,
                    "account": env.spec.account,
                    "region": env.spec.region,
                }
            )
        return rows

    def internal_request(self, request, subpath: str):
        from overcast.http import Response

        if subpath.startswith("code/") and subpath.endswith(".zip"):
            file_id = subpath[len("code/") : -len(".zip")]
            if re.fullmatch(r"[0-9a-f]{64}", file_id):
                if not self.code.location_valid(file_id, request.query):
                    message = "Request has expired or its signature does not match"
                    return Response(
                        403, {"Content-Type": "application/json"}, json.dumps({"error": message}).encode()
                    )
                path = self.code.zip_path(file_id)
                if path.exists():
                    body = path.read_bytes()
                    return Response(200, {"Content-Type": "application/zip"}, body)
        if subpath == "environments":
            rows = [
                {
                    "function": env.spec.name,
                    "version": env.spec.version,
                    "pid": env.process.pid if env.process else None,
                    "rss_kb": env.rss_kb,
                    "provisioned": env.provisioned,
                    "dead": env.dead,
                }
                for env in list(self.pool.all)
            ]
            return Response(200, {"Content-Type": "application/json"}, json.dumps(rows).encode())
        return None
