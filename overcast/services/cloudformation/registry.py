"""The CloudFormation registry's private side: extensions (resource types, modules, hooks)
registered from a schema handler package in S3, their versions and default version,
configurations, publishers, testing and publishing, and the activation of public third-party
extensions in an account.

Overcast reads a package's schema (schema.json in the zip the CloudFormation CLI builds) and
keeps its handler code (ResourceProvider.zip, run as .rpdk-config says): a stack resource of a
registered resource type runs it through the Lambda runtime (typehandlers.py). TestType's
contract tests are not run (they need the CLI's test suite). Modules have no handlers: a template using one gets the module's fragment expanded in
its place (expand_modules); their tests pass and they can be published.

Tables: "types" (per account and region) keyed "{category}/{TypeName}", each record holding
its versions; "registrations" the RegisterType tokens; "publishers" (one scope, by publisher id)
each account's publisher; "public_types" (per region, every account's published extensions)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from typing import TYPE_CHECKING, Any

from overcast.common import pagination
from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.handlers import ResourceFailed, call
from overcast.services.cloudformation.template import validation
from overcast.services.cloudformation.typehandlers import read_handler
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.runtime import Runtime

_CATEGORIES = {"RESOURCE": "resource", "MODULE": "module", "HOOK": "hook"}
#: The scope of table "publishers": publisher ids are unique across accounts.
_PUBLISHERS = "publishers"
_RESERVED = ("AWS", "Alexa", "Amazon", "ASK", "AWSQuickStart", "Custom", "Dev")
_NAME = {
    "RESOURCE": re.compile(r"^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$"),
    "HOOK": re.compile(r"^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$"),
    "MODULE": re.compile(r"^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::MODULE$"),
}
CONTRACT_TESTS_NOT_RUN = (
    "Overcast runs a registered type's handlers for stack resources but does not run the "
    "CloudFormation CLI's contract tests"
)


def registry_error(message: str) -> ServiceError:
    return ServiceError("CFNRegistryException", message, 400)


def type_not_found(name: str) -> ServiceError:
    return ServiceError("TypeNotFoundException", f"The type '{name}' cannot be found.", 404)


def _now(seconds: float) -> Any:
    from overcast.services.cloudformation.provider import timestamp

    return timestamp(seconds)


def publisher_id(account: str) -> str:
    """The account's publisher id: AWS's is 40 hexadecimal characters, stable per account."""
    return hashlib.sha1(f"publisher/{account}".encode()).hexdigest()


def _version_id(number: int) -> str:
    return f"{number:08d}"


def _type_arn(context: RequestContext, category: str, name: str) -> str:
    return (
        f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:"
        f"type/{_CATEGORIES[category]}/{name.replace('::', '-')}"
    )


def _public_arn(region: str, category: str, publisher: str, name: str) -> str:
    return (
        f"arn:{partition(region)}:cloudformation:{region}::type/{_CATEGORIES[category]}/"
        f"{publisher}/{name.replace('::', '-')}"
    )


def _provisioning(schema: dict[str, Any], category: str) -> str:
    if category != "RESOURCE":
        return "NON_PROVISIONABLE"
    handlers = schema.get("handlers") or {}
    if "create" not in handlers:
        return "NON_PROVISIONABLE"
    return "FULLY_MUTABLE" if "update" in handlers else "IMMUTABLE"


def read_package(data: bytes, category: str, name: str) -> dict[str, Any]:
    """The extension's schema from its package (a module's template fragment under the key
    "fragment" beside it); CFNRegistryException's words when the package is not one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise registry_error("The schema handler package is not a valid zip file") from None
    with archive:
        names = set(archive.namelist())
        if "schema.json" not in names:
            raise registry_error("The schema handler package does not contain schema.json")
        try:
            schema = json.loads(archive.read("schema.json"))
        except ValueError as error:
            raise registry_error(f"schema.json is not valid JSON: {error}") from None
        fragment = None
        handler = read_handler(archive) if category == "RESOURCE" else None
        if category == "MODULE":
            fragments = sorted(
                item for item in names if item.startswith("fragments/") and not item.endswith("/")
            )
            if not fragments:
                raise registry_error("A module package must contain its template fragment under fragments/")
            from overcast.services.cloudformation import template as tpl

            try:
                fragment = tpl.parse(archive.read(fragments[0]).decode())
            except (ServiceError, UnicodeDecodeError) as error:
                raise registry_error(f"The module's template fragment is not a template: {error}") from None
            if not isinstance(fragment.get("Resources"), dict) or not fragment["Resources"]:
                raise registry_error("The module's template fragment must declare Resources")
    if not isinstance(schema, dict):
        raise registry_error("schema.json must hold a JSON object")
    if schema.get("typeName") != name:
        raise registry_error(
            f"The typeName in the schema ({schema.get('typeName')}) does not match the TypeName {name}"
        )
    if category == "RESOURCE" and not isinstance(schema.get("properties"), dict):
        raise registry_error("The resource schema must declare its properties")
    if "description" not in schema:
        raise registry_error("The schema must have a description")
    return {"schema": schema, "fragment": fragment, "handler": handler}


class TypeRegistry:
    runtime: Runtime

    if TYPE_CHECKING:

        @staticmethod
        def scope_of(context: RequestContext) -> str: ...
    # -- records ---------------------------------------------------------------------------------------

    def _types(self) -> Any:
        return self.runtime.store.table("cloudformation", "types")

    def _lookup_type(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any] | None:
        """The account's private or activated extension named by Arn or Type + TypeName."""
        arn = params.get("Arn") or params.get("TypeArn")
        if arn:
            parts = arn.split(":", 5)
            if len(parts) < 6 or not parts[5].startswith("type/"):
                raise validation(f"Invalid type ARN {arn}")
            _, category_word, rest = parts[5].split("/", 2)
            category = {v: k for k, v in _CATEGORIES.items()}.get(category_word, "")
            name = rest.split("/", 1)[0].replace("-", "::")
        else:
            category = params.get("Type") or "RESOURCE"
            name = params.get("TypeName") or ""
            if not name:
                raise validation("Either TypeName with Type, or Arn, must be specified")
        record: dict[str, Any] | None = self._types().get(self.scope_of(context), f"{category}/{name}")
        return record

    def private_type(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record = self._lookup_type(context, params)
        if record is None:
            raise type_not_found(params.get("TypeName") or params.get("Arn") or params.get("TypeArn") or "")
        return record

    def _save_type(self, context: RequestContext, record: dict[str, Any]) -> None:
        self._types().put(self.scope_of(context), f"{record['Type']}/{record['TypeName']}", record)

    def module_fragment(self, context: RequestContext, name: str) -> dict[str, Any] | None:
        """The template fragment of the account's module of that name (its default version)."""
        record = self._types().get(self.scope_of(context), f"MODULE/{name}")
        if record is None:
            return None
        fragment: dict[str, Any] | None = record["Versions"][record["DefaultVersionId"]].get("Fragment")
        return fragment

    def registered_resource_type(
        self,
        account: str,
        region: str,
        name: str,
    ) -> dict[str, Any] | None:
        """The private resource type of that name in the account, for the engine."""
        record: dict[str, Any] | None = self._types().get(store_scope(account, region), f"RESOURCE/{name}")
        return record

    # -- registration ---------------------------------------------------------------------------------

    async def register_type(self, context: RequestContext, params: dict) -> dict:
        category = params.get("Type") or "RESOURCE"
        name = params["TypeName"]
        if not _NAME[category].match(name):
            raise validation(
                f"1 validation error detected: Value '{name}' at 'typeName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: "
                "[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}(::MODULE){0,1}"
            )
        if name.split("::", 1)[0] in _RESERVED:
            raise registry_error(f"The type name {name} uses a namespace reserved for AWS")
        token = fast_uuid()
        registration: dict[str, Any] = {
            "RegistrationToken": token,
            "Type": category,
            "TypeName": name,
            "ProgressStatus": "IN_PROGRESS",
            "Description": "Deployment is currently in DEPLOY_STAGE of status IN_PROGRESS",
            "TypeArn": _type_arn(context, category, name),
        }
        try:
            package = read_package(
                await self._package(context, params["SchemaHandlerPackage"]), category, name
            )
        except ServiceError as error:
            registration.update({"ProgressStatus": "FAILED", "Description": error.message})
            package = None
        if package is not None:
            record = self._lookup_type(context, {"Type": category, "TypeName": name}) or {
                "Type": category,
                "TypeName": name,
                "Versions": {},
                "Next": 1,
                "TimeCreated": time.time(),
            }
            handler = package["handler"]
            if handler is not None:
                code = handler.pop("Code")
                handler["CodeId"] = self.runtime.provider("lambda").save_hosted_code(code)
            version = _version_id(record["Next"])
            record["Next"] += 1
            record["Versions"][version] = {
                "Schema": package["schema"],
                "Fragment": package["fragment"],
                "Handler": handler,
                "TimeCreated": time.time(),
                "LoggingConfig": params.get("LoggingConfig"),
                "ExecutionRoleArn": params.get("ExecutionRoleArn"),
                "TypeTestsStatus": "NOT_TESTED",
            }
            record.setdefault("DefaultVersionId", version)
            record["LastUpdated"] = time.time()
            self._save_type(context, record)
            registration.update(
                {
                    "ProgressStatus": "COMPLETE",
                    "Description": "Deployment is currently in DEPLOY_STAGE of status COMPLETED; ",
                    "TypeVersionArn": f"{registration['TypeArn']}/{version}",
                }
            )
        self.runtime.store.table("cloudformation", "registrations").put(
            self.scope_of(context), token, registration
        )
        return {"RegistrationToken": token}

    async def _package(self, context: RequestContext, url: str) -> bytes:
        if url.startswith("s3://"):
            bucket, _, key = url[5:].partition("/")
        else:
            from overcast.services.cloudformation.sources import s3_location

            bucket, key = s3_location(url)
        if not bucket or not key:
            raise registry_error(f"The schema handler package {url} is not an S3 location")
        try:
            output = await call(
                self.runtime,
                "s3",
                "GetObject",
                context.account,
                context.region,
                {"Bucket": bucket, "Key": key},
            )
        except ResourceFailed as error:
            raise registry_error(f"The schema handler package {url} cannot be read: {error}") from None
        body = output.get("Body", b"")
        if hasattr(body, "read"):
            try:
                return bytes(body.read())
            finally:
                if hasattr(body, "close"):
                    body.close()
        return bytes(body)

    def describe_type_registration(self, context: RequestContext, params: dict) -> dict:
        record = self.runtime.store.table("cloudformation", "registrations").get(
            self.scope_of(context), params["RegistrationToken"]
        )
        if record is None:
            raise registry_error(f"Registration token {params['RegistrationToken']} was not found")
        return {
            key: record[key]
            for key in ("ProgressStatus", "Description", "TypeArn", "TypeVersionArn")
            if key in record
        }

    def list_type_registrations(self, context: RequestContext, params: dict) -> dict:
        category = params.get("Type") or "RESOURCE"
        name = params.get("TypeName")
        arn = params.get("TypeArn")
        # Without a filter AWS lists the registrations still in progress.
        wanted = params.get("RegistrationStatusFilter") or "IN_PROGRESS"
        tokens = [
            record["RegistrationToken"]
            for _, record in self.runtime.store.table("cloudformation", "registrations").scan(
                self.scope_of(context)
            )
            if (arn is None or record["TypeArn"] == arn)
            and (name is None or (record["TypeName"] == name and record["Type"] == category))
            and record["ProgressStatus"] == wanted
        ]
        return self.page(params, "ListTypeRegistrations", "RegistrationTokenList", tokens)

    def page(
        self, params: dict[str, Any], operation: str, key: str, items: list[Any], bind: str = ""
    ) -> dict:
        """One page of a listing botocore has no paginator for (MaxResults, NextToken)."""
        start = 0
        if params.get("NextToken"):
            try:
                start = int(pagination.decode_token(self.runtime.store, operation, params["NextToken"], bind))
            except (ValueError, TypeError):
                raise validation("Invalid NextToken") from None
        end = start + (params.get("MaxResults") or 100)
        output: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            output["NextToken"] = pagination.encode_token(self.runtime.store, operation, end, bind)
        return output

    # -- reading a private extension ------------------------------------------------------------------

    def private_description(
        self, context: RequestContext, record: dict[str, Any], version_id: str | None
    ) -> dict[str, Any]:
        version_id = version_id or record["DefaultVersionId"]
        version = record["Versions"].get(version_id)
        if version is None:
            raise type_not_found(record["TypeName"])
        arn = _type_arn(context, record["Type"], record["TypeName"])
        schema = version["Schema"]
        output: dict[str, Any] = {
            "Arn": f"{arn}/{version_id}",
            "Type": record["Type"],
            "TypeName": record["TypeName"],
            "DefaultVersionId": record["DefaultVersionId"],
            "IsDefaultVersion": version_id == record["DefaultVersionId"],
            "TypeTestsStatus": version["TypeTestsStatus"],
            "Description": schema.get("description", ""),
            "Schema": json.dumps(schema),
            "ProvisioningType": _provisioning(schema, record["Type"]),
            "DeprecatedStatus": "LIVE",
            "Visibility": "PRIVATE",
            "LastUpdated": _now(record["LastUpdated"]),
            "TimeCreated": _now(version["TimeCreated"]),
        }
        if version.get("TypeTestsStatusDescription"):
            output["TypeTestsStatusDescription"] = version["TypeTestsStatusDescription"]
        for key in ("LoggingConfig", "ExecutionRoleArn"):
            if version.get(key):
                output[key] = version[key]
        for key in ("sourceUrl", "documentationUrl"):
            if schema.get(key):
                output[key[0].upper() + key[1:]] = schema[key]
        if isinstance(schema.get("typeConfiguration"), dict):
            output["ConfigurationSchema"] = json.dumps(schema["typeConfiguration"])
        if record.get("Activated"):
            output.update(
                {
                    "IsActivated": True,
                    "PublisherId": record["Activated"]["PublisherId"],
                    "OriginalTypeName": record["Activated"]["OriginalTypeName"],
                    "OriginalTypeArn": record["Activated"]["OriginalTypeArn"],
                    "PublicVersionNumber": record["Activated"]["PublicVersionNumber"],
                    "LatestPublicVersion": record["Activated"]["PublicVersionNumber"],
                    "AutoUpdate": record["Activated"]["AutoUpdate"],
                    "Visibility": "PUBLIC",
                }
            )
        return output

    def private_summaries(
        self,
        context: RequestContext,
        params: dict[str, Any],
    ) -> list[dict[str, Any]]:
        category = params.get("Type") or "RESOURCE"
        summaries = []
        for _, record in self._types().scan(self.scope_of(context)):
            if record["Type"] != category:
                continue
            version = record["Versions"][record["DefaultVersionId"]]
            summary: dict[str, Any] = {
                "Type": record["Type"],
                "TypeName": record["TypeName"],
                "DefaultVersionId": record["DefaultVersionId"],
                "TypeArn": _type_arn(context, record["Type"], record["TypeName"]),
                "LastUpdated": _now(record["LastUpdated"]),
                "Description": version["Schema"].get("description", ""),
            }
            if record.get("Activated"):
                summary.update(
                    {
                        "IsActivated": True,
                        "PublisherId": record["Activated"]["PublisherId"],
                        "OriginalTypeName": record["Activated"]["OriginalTypeName"],
                        "PublicVersionNumber": record["Activated"]["PublicVersionNumber"],
                    }
                )
            summaries.append(summary)
        return sorted(summaries, key=lambda item: item["TypeName"])

    def private_versions(
        self,
        context: RequestContext,
        record: dict[str, Any],
    ) -> list[dict[str, Any]]:
        arn = _type_arn(context, record["Type"], record["TypeName"])
        return [
            {
                "Type": record["Type"],
                "TypeName": record["TypeName"],
                "VersionId": version_id,
                "IsDefaultVersion": version_id == record["DefaultVersionId"],
                "Arn": f"{arn}/{version_id}",
                "TimeCreated": _now(version["TimeCreated"]),
                "Description": version["Schema"].get("description", ""),
            }
            for version_id, version in sorted(record["Versions"].items())
        ]

    # -- versions -------------------------------------------------------------------------------------

    @staticmethod
    def _version_of(params: dict[str, Any]) -> str | None:
        version: str | None = params.get("VersionId")
        arn = params.get("Arn") or ""
        if version is None and arn.count("/") >= 3:
            version = arn.rsplit("/", 1)[1]
        return version

    def set_type_default_version(self, context: RequestContext, params: dict) -> dict:
        record = self.private_type(context, params)
        version = self._version_of(params)
        if version is None:
            raise validation("Either VersionId or a version ARN must be specified")
        if version not in record["Versions"]:
            raise type_not_found(f"{record['TypeName']}/{version}")
        record["DefaultVersionId"] = version
        record["LastUpdated"] = time.time()
        self._save_type(context, record)
        return {}

    def deregister_type(self, context: RequestContext, params: dict) -> dict:
        record = self.private_type(context, params)
        if record.get("Activated"):
            raise registry_error(
                f"{record['TypeName']} is an activated public extension: deactivate it with DeactivateType"
            )
        version = self._version_of(params)
        key = f"{record['Type']}/{record['TypeName']}"
        if version is None:
            if len(record["Versions"]) > 1:
                raise registry_error(
                    "This type has more than one active version. Please deregister non-default active "
                    "versions before attempting to deregister the type."
                )
            self._types().delete(self.scope_of(context), key)
            return {}
        if version not in record["Versions"]:
            raise registry_error("TypeName is invalid")
        if version == record["DefaultVersionId"]:
            raise registry_error(
                f"Version '{version}' is the default version and cannot be deregistered. "
                f"Deregister the resource type '{record['TypeName']}' instead."
            )
        del record["Versions"][version]
        self._save_type(context, record)
        return {}

    # -- configuration --------------------------------------------------------------------------------

    def set_type_configuration(self, context: RequestContext, params: dict) -> dict:
        record = self.private_type(context, params)
        alias = params.get("ConfigurationAlias") or "default"
        try:
            configuration = json.loads(params["Configuration"])
        except ValueError:
            raise validation("Configuration must be a JSON object") from None
        schema = record["Versions"][record["DefaultVersionId"]]["Schema"].get("typeConfiguration")
        if not isinstance(configuration, dict):
            raise validation("Configuration must be a JSON object")
        if isinstance(schema, dict):
            problem = _configuration_problem(configuration, schema)
            if problem:
                raise registry_error(f"Type configuration does not match the schema: {problem}")
        arn = _type_arn(context, record["Type"], record["TypeName"])
        configuration_arn = arn.replace(":type/", ":type-configuration/", 1) + f"/{alias}"
        record.setdefault("Configurations", {})[alias] = {
            "Arn": configuration_arn,
            "Alias": alias,
            "Configuration": params["Configuration"],
            "LastUpdated": time.time(),
        }
        self._save_type(context, record)
        return {"ConfigurationArn": configuration_arn}

    def batch_describe_type_configurations(self, context: RequestContext, params: dict) -> dict:
        found: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for identifier in params["TypeConfigurationIdentifiers"]:
            configuration = None
            record = None
            try:
                record = self._lookup_type(
                    context,
                    {
                        "Arn": identifier.get("TypeArn"),
                        "Type": identifier.get("Type"),
                        "TypeName": identifier.get("TypeName"),
                    },
                )
            except ServiceError:
                record = None
            if record is not None:
                configurations = record.get("Configurations") or {}
                wanted = identifier.get("TypeConfigurationAlias") or "default"
                if identifier.get("TypeConfigurationArn"):
                    wanted = identifier["TypeConfigurationArn"].rsplit("/", 1)[1]
                configuration = configurations.get(wanted)
            if configuration is None or record is None:
                errors.append(
                    {
                        "ErrorCode": "TypeConfigurationNotFoundException",
                        "ErrorMessage": "Type configuration not found",
                        "TypeConfigurationIdentifier": identifier,
                    }
                )
                continue
            found.append(
                {
                    "Arn": configuration["Arn"],
                    "Alias": configuration["Alias"],
                    "Configuration": configuration["Configuration"],
                    "LastUpdated": _now(configuration["LastUpdated"]),
                    "TypeArn": _type_arn(context, record["Type"], record["TypeName"]),
                    "TypeName": record["TypeName"],
                    "IsDefaultConfiguration": configuration["Alias"] == "default",
                }
            )
        return {"Errors": errors, "UnprocessedTypeConfigurations": [], "TypeConfigurations": found}

    # -- testing and publishing -----------------------------------------------------------------------

    def test_type(self, context: RequestContext, params: dict) -> dict:
        record = self.private_type(context, params)
        if record.get("Activated"):
            raise registry_error("Only extensions registered in this account can be tested")
        version = self._version_of(params) or record["DefaultVersionId"]
        if version not in record["Versions"]:
            raise type_not_found(f"{record['TypeName']}/{version}")
        if params.get("LogDeliveryBucket"):
            self._check_bucket(context, params["LogDeliveryBucket"])
        entry = record["Versions"][version]
        if record["Type"] == "MODULE":
            entry["TypeTestsStatus"] = "PASSED"
            entry["TypeTestsStatusDescription"] = "The module's template fragment is valid"
        else:
            entry["TypeTestsStatus"] = "FAILED"
            entry["TypeTestsStatusDescription"] = f"Contract tests could not run: {CONTRACT_TESTS_NOT_RUN}"
        self._save_type(context, record)
        return {"TypeVersionArn": f"{_type_arn(context, record['Type'], record['TypeName'])}/{version}"}

    def _check_bucket(self, context: RequestContext, bucket: str) -> None:
        handler = self.runtime.handler("s3", "HeadBucket")
        if handler is None:
            return
        try:
            handler(
                RequestContext.internal("cloudformation", context.account, context.region), {"Bucket": bucket}
            )
        except ServiceError:
            raise registry_error(f"The log delivery bucket {bucket} does not exist") from None

    def publish_type(self, context: RequestContext, params: dict) -> dict:
        publisher = self.runtime.store.table("cloudformation", "publishers").get(
            _PUBLISHERS, publisher_id(context.account)
        )
        if publisher is None:
            raise registry_error(
                "Register as a publisher with RegisterPublisher before publishing extensions"
            )
        record = self.private_type(context, params)
        if record.get("Activated"):
            raise registry_error("An activated public extension cannot be published again")
        version = record["Versions"][record["DefaultVersionId"]]
        if version["TypeTestsStatus"] != "PASSED":
            raise registry_error(
                f"The default version of {record['TypeName']} must pass TestType before it is published "
                f"(its tests are {version['TypeTestsStatus']})"
            )
        published = self.runtime.store.table("cloudformation", "public_types")
        key = f"{record['Type']}/{publisher['PublisherId']}/{record['TypeName']}"
        existing = published.get(context.region, key)
        number = params.get("PublicVersionNumber")
        if number is None:
            number = "1.0.0" if existing is None else _next_minor(existing["PublicVersionNumber"])
        elif not re.match(r"^[0-9]+\.[0-9]+\.[0-9]+$", number):
            raise validation("PublicVersionNumber must be in the form MAJOR.MINOR.PATCH")
        if existing is not None and _semver(number) <= _semver(existing["PublicVersionNumber"]):
            raise registry_error(
                f"Public version {number} must be greater than the latest version {existing['PublicVersionNumber']}"
            )
        public_arn = _public_arn(context.region, record["Type"], publisher["PublisherId"], record["TypeName"])
        published.put(
            context.region,
            key,
            {
                "Type": record["Type"],
                "TypeName": record["TypeName"],
                "PublisherId": publisher["PublisherId"],
                "PublicVersionNumber": number,
                "Schema": version["Schema"],
                "Fragment": version.get("Fragment"),
                "PublicTypeArn": public_arn,
                "Published": time.time(),
            },
        )
        return {"PublicTypeArn": f"{public_arn}/{number}"}

    # -- publishers -----------------------------------------------------------------------------------

    def register_publisher(self, context: RequestContext, params: dict) -> dict:
        if not params.get("AcceptTermsAndConditions"):
            raise registry_error("You must accept the terms and conditions to register as a publisher")
        table = self.runtime.store.table("cloudformation", "publishers")
        existing = table.get(_PUBLISHERS, publisher_id(context.account))
        if existing is not None:
            raise registry_error(
                f"Account {context.account} is already registered as publisher {existing['PublisherId']}"
            )
        connection = params.get("ConnectionArn")
        provider = "AWS_Marketplace"
        if connection:
            provider = "Bitbucket" if "bitbucket" in connection.lower() else "GitHub"
        record = {
            "PublisherId": publisher_id(context.account),
            "PublisherStatus": "VERIFIED",
            "IdentityProvider": provider,
            "Account": context.account,
        }
        table.put(_PUBLISHERS, record["PublisherId"], record)
        return {"PublisherId": record["PublisherId"]}

    def describe_publisher(self, context: RequestContext, params: dict) -> dict:
        wanted = params.get("PublisherId")
        record = self.runtime.store.table("cloudformation", "publishers").get(
            _PUBLISHERS, wanted or publisher_id(context.account)
        )
        if record is None:
            if wanted is None:
                return {}
            raise registry_error(f"Publisher {wanted} not found")
        output = {key: record[key] for key in ("PublisherId", "PublisherStatus", "IdentityProvider")}
        return output

    # -- activating public extensions -----------------------------------------------------------------

    def _public(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        published = self.runtime.store.table("cloudformation", "public_types")
        arn = params.get("PublicTypeArn")
        if arn:
            tail = arn.split(":", 5)[-1]
            pieces = tail.split("/")
            if len(pieces) < 4:
                raise type_not_found(arn)
            category = {v: k for k, v in _CATEGORIES.items()}.get(pieces[1], "")
            key = f"{category}/{pieces[2]}/{pieces[3].replace('-', '::')}"
        else:
            if not params.get("PublisherId") or not params.get("TypeName"):
                raise validation("Specify PublicTypeArn, or PublisherId with TypeName")
            key = f"{params.get('Type') or 'RESOURCE'}/{params['PublisherId']}/{params['TypeName']}"
        record: dict[str, Any] | None = published.get(context.region, key)
        if record is None:
            raise type_not_found(arn or params.get("TypeName", ""))
        return record

    def activate_type(self, context: RequestContext, params: dict) -> dict:
        public = self._public(context, params)
        name = params.get("TypeNameAlias") or public["TypeName"]
        if public["Type"] == "MODULE" and not name.endswith("::MODULE"):
            raise validation("A module's alias must end with ::MODULE")
        if not _NAME[public["Type"]].match(name):
            raise validation(f"Invalid TypeNameAlias {name}")
        existing = self._lookup_type(context, {"Type": public["Type"], "TypeName": name})
        if existing is not None and not existing.get("Activated"):
            raise registry_error(f"A private extension named {name} is already registered in this account")
        record = {
            "Type": public["Type"],
            "TypeName": name,
            "Versions": {
                "00000001": {
                    "Schema": {**public["Schema"], "typeName": name},
                    "Fragment": public.get("Fragment"),
                    "TimeCreated": time.time(),
                    "LoggingConfig": params.get("LoggingConfig"),
                    "ExecutionRoleArn": params.get("ExecutionRoleArn"),
                    "TypeTestsStatus": "PASSED",
                }
            },
            "Next": 2,
            "DefaultVersionId": "00000001",
            "TimeCreated": time.time(),
            "LastUpdated": time.time(),
            "Activated": {
                "PublisherId": public["PublisherId"],
                "OriginalTypeName": public["TypeName"],
                "OriginalTypeArn": public["PublicTypeArn"],
                "PublicVersionNumber": public["PublicVersionNumber"],
                "AutoUpdate": params.get("AutoUpdate", True),
            },
        }
        self._save_type(context, record)
        return {"Arn": _type_arn(context, public["Type"], name)}

    def deactivate_type(self, context: RequestContext, params: dict) -> dict:
        record = self.private_type(context, params)
        if not record.get("Activated"):
            raise registry_error(
                f"{record['TypeName']} is a registered private extension: use DeregisterType"
            )
        self._types().delete(self.scope_of(context), f"{record['Type']}/{record['TypeName']}")
        return {}

    # -- handler progress -----------------------------------------------------------------------------

    def record_handler_progress(self, context: RequestContext, params: dict) -> dict:
        # Only a running extension handler holds a bearer token, and Overcast runs none.
        raise ServiceError(
            "ConditionalCheckFailed",
            f"No handler operation is in progress for bearer token {params['BearerToken']}",
            400,
        )


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _next_minor(text: str) -> str:
    major, minor, _ = _semver(text)
    return f"{major}.{minor + 1}.0"


def _configuration_problem(configuration: dict[str, Any], schema: dict[str, Any]) -> str:
    """The first way the configuration breaks its schema ('' when it fits), by jsonschema."""
    try:
        import jsonschema
    except ImportError:
        return ""
    try:
        jsonschema.validate(configuration, schema)
    except jsonschema.ValidationError as error:
        return str(error.message)
    except jsonschema.SchemaError:
        return ""
    return ""


def expand_modules(document: dict[str, Any], fragment_of: Any) -> dict[str, Any]:
    """The template with each resource of a module type replaced by the module's resources,
    named {logical id}{fragment's logical id}, its parameters taken from the resource's
    Properties (Ref and ${} in Fn::Sub), as CloudFormation expands modules."""
    resources = document.get("Resources")
    if not isinstance(resources, dict) or not any(
        isinstance(item, dict) and str(item.get("Type", "")).endswith("::MODULE")
        for item in resources.values()
    ):
        return document
    expanded: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        type_name = resource.get("Type", "") if isinstance(resource, dict) else ""
        if not type_name.endswith("::MODULE"):
            expanded[logical_id] = resource
            continue
        fragment = fragment_of(type_name)
        if fragment is None:
            raise validation(f"Template format error: Unrecognized resource types: [{type_name}]")
        values = resource.get("Properties") or {}
        declared = fragment.get("Parameters") or {}
        missing = [name for name in declared if name not in values and "Default" not in declared[name]]
        if missing:
            raise validation(f"Module {logical_id} ({type_name}) needs the parameter(s) {', '.join(missing)}")
        parameters = {name: values.get(name, (declared.get(name) or {}).get("Default")) for name in declared}
        names = {name: f"{logical_id}{name}" for name in fragment["Resources"]}
        for name, body in fragment["Resources"].items():
            expanded[names[name]] = _rename(json.loads(json.dumps(body)), parameters, names)
    return {**document, "Resources": expanded}


def _rename(node: Any, parameters: dict[str, Any], names: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rename(item, parameters, names) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and isinstance(node["Ref"], str):
        if node["Ref"] in parameters:
            return parameters[node["Ref"]]
        if node["Ref"] in names:
            return {"Ref": names[node["Ref"]]}
    if set(node) == {"Fn::GetAtt"} and isinstance(node["Fn::GetAtt"], list) and node["Fn::GetAtt"]:
        target = node["Fn::GetAtt"][0]
        if target in names:
            return {"Fn::GetAtt": [names[target], *node["Fn::GetAtt"][1:]]}
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        text = node["Fn::Sub"]
        for name, value in parameters.items():
            if isinstance(value, str):
                text = text.replace("${" + name + "}", value)
        for name, renamed in names.items():
            text = text.replace("${" + name + "}", "${" + renamed + "}").replace(
                "${" + name + ".", "${" + renamed + "."
            )
        return {"Fn::Sub": text}
    renamed_node = {key: _rename(value, parameters, names) for key, value in node.items()}
    if isinstance(renamed_node.get("DependsOn"), str | list):
        depends = renamed_node["DependsOn"]
        items = depends if isinstance(depends, list) else [depends]
        renamed_node["DependsOn"] = [names.get(item, item) for item in items]
    return renamed_node
