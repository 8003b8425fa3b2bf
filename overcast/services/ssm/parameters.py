"""The Parameter Store operations: writes (PutParameter, deletes, labels) and reads (by name,
by path, history, DescribeParameters)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import errors, filters, names, policies, public, references, secure
from overcast.services.ssm.names import Selector

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

STANDARD_MAX_BYTES = 4096
ADVANCED_MAX_BYTES = 8192
MAX_VERSIONS = 100
MAX_LABELS = 10
#: Standard parameters an account may hold in a region.
STANDARD_LIMIT = 10_000
ADVANCED_LIMIT = 100_000
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
DEFAULT_KEY = "alias/aws/ssm"
#: A parameter can be changed neither to nor from these data types.
_FIXED_DATA_TYPES = frozenset({"aws:ec2:image", "aws:ssm:integration"})
_IMAGE_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_LABEL = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
#: What PutParameter keeps from the previous version when the request leaves it out.
_KEPT = ("Description", "AllowedPattern", "DataType")


def _bad_token() -> ServiceError:
    return ServiceError("ValidationException", "The nextToken is not valid.")


def _version_key(key: str, version: int) -> str:
    # A space sorts before every character a name may hold: a name's versions are contiguous.
    return f"{key} {version:010d}"


def _label_valid(label: str) -> bool:
    return (
        bool(_LABEL.match(label)) and not label[0].isdigit() and not label.lower().startswith(("aws", "ssm"))
    )


def _fits_pattern(pattern: str, value: str) -> bool:
    try:
        compiled = re.compile(pattern)
    except re.error:
        raise ServiceError(
            "InvalidAllowedPatternException",
            "The parameter AllowedPattern is not a valid regular expression.",
        ) from None
    return compiled.fullmatch(value) is not None


class ParameterMixin:
    # -- PutParameter ----------------------------------------------------------------------------

    def put_parameter(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = names.from_arn(params["Name"])
        names.check_new(name)
        value = params["Value"]
        if value == "":
            raise errors.validation(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1."
            )
        overwrite = bool(params.get("Overwrite"))
        if overwrite and params.get("Tags"):
            raise errors.validation(errors.TAGS_WITH_OVERWRITE)
        where, key = self._scope(context), names.key(name)
        with self.store.transaction():
            existing = self._live(where, key)
            if existing is not None and not overwrite:
                raise ServiceError("ParameterAlreadyExists", errors.ALREADY_EXISTS)
            record = self._new_version(context, params, name, value, existing)
            image_missing = record["DataType"] == "aws:ec2:image" and not self._image_exists(context, value)
            if image_missing:
                # AWS checks the image after answering and, when it does not exist, creates
                # nothing (the failure is an EventBridge event): the version is never stored.
                return {"Version": record["Version"], "Tier": record["Tier"]}
            if record["Type"] == "SecureString" and secure.available(self.runtime):
                arn = self._arn(context, record["Name"])
                record["Value"] = secure.encrypt(
                    self.runtime, context.account, context.region, record["KeyId"], arn, value
                )
                record["encrypted"] = True
            self._store_version(where, key, record, existing)
        return {"Version": record["Version"], "Tier": record["Tier"]}

    def _new_version(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict, name: str, value: str, existing: dict | None
    ) -> dict[str, Any]:
        previous = existing or {}
        parameter_type = params.get("Type") or previous.get("Type")
        if parameter_type is None:
            raise errors.validation("A parameter type is required when you create a parameter.")
        data_type = params.get("DataType") or previous.get("DataType") or "text"
        if data_type not in DATA_TYPES:
            raise errors.validation(
                f"The following data type is not supported: {data_type} (Data type names are all lowercase.)"
            )
        fixed = {data_type, previous.get("DataType", data_type)} & _FIXED_DATA_TYPES
        if existing is not None and previous.get("DataType") != data_type and fixed:
            raise errors.validation(
                f"You can't change the data type of a parameter to or from {sorted(fixed)[0]}."
            )
        if data_type == "aws:ec2:image":
            if parameter_type != "String":
                raise errors.validation(
                    "The following data type is not supported for this parameter type: aws:ec2:image"
                )
            if not _IMAGE_ID.match(value):
                raise errors.validation(
                    f"Parameter value, {value}, must be in the format ami-12345abcdeEXAMPLE "
                    "with 8 or 17 characters after the hyphen."
                )
        pattern = params.get("AllowedPattern", previous.get("AllowedPattern"))
        if pattern is not None and not _fits_pattern(pattern, value):
            raise ServiceError(
                "ParameterPatternMismatchException",
                f"Parameter value, {value}, failed to satisfy constraint specified in the AllowedPattern: {pattern}",
            )
        inline, expires = policies.parse(params["Policies"]) if params.get("Policies") else ([], None)
        tier = self._tier(context, params.get("Tier"), previous.get("Tier"), value, inline)
        record: dict[str, Any] = {
            "Name": name if existing is None else existing["Name"],
            "Type": parameter_type,
            "Value": value,
            "Version": previous.get("Version", 0) + 1,
            "Tier": tier,
            "DataType": data_type,
            "Policies": inline,
            "LastModifiedDate": time.time(),
            "LastModifiedUser": context.principal_arn,
        }
        for field in _KEPT:
            given = params.get(field, previous.get(field))
            if given is not None:
                record[field] = given
        if parameter_type == "SecureString":
            record["KeyId"] = params.get("KeyId") or previous.get("KeyId") or DEFAULT_KEY
        elif params.get("KeyId"):
            raise errors.validation(f"KeyId is not supported for parameter type {parameter_type}.")
        record["expires"] = expires
        record["tags"] = previous.get("tags") or self._checked_tags(params.get("Tags"))
        record["labels"] = dict(previous.get("labels") or {})
        record["resource_policies"] = list(previous.get("resource_policies") or [])
        record["oldest"] = previous.get("oldest", 1)
        return record

    def _tier(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        given: str | None,
        previous: str | None,
        value: str,
        inline: list,
    ) -> str:
        size = len(value.encode())
        if given is None:
            given = (
                "Advanced"
                if previous == "Advanced"
                else self._setting_value(context, "default-parameter-tier")
            )
        if given == "Intelligent-Tiering":
            given = (
                "Advanced" if size > STANDARD_MAX_BYTES or inline or previous == "Advanced" else "Standard"
            )
        if given == "Standard":
            if previous == "Advanced":
                raise errors.validation(errors.NO_DOWNGRADE)
            if size > STANDARD_MAX_BYTES:
                raise errors.validation(errors.STANDARD_TOO_LARGE)
            if inline:
                raise errors.validation(errors.POLICIES_NEED_ADVANCED)
        elif size > ADVANCED_MAX_BYTES:
            raise errors.validation(
                "Advanced tier parameters support a maximum parameter value of 8192 characters."
            )
        return given

    def _image_exists(self: Provider, context: RequestContext, image_id: str) -> bool:  # type: ignore[misc]
        # The images a region has are AWS's public ones until EC2 exists here.
        return any(image["ImageId"] == image_id for image in public.amazon_linux_images(context.region))

    def _store_version(  # type: ignore[misc]
        self: Provider, where: str, key: str, record: dict[str, Any], existing: dict | None
    ) -> None:
        version = record["Version"]
        if existing is None:
            limit = STANDARD_LIMIT if record["Tier"] == "Standard" else ADVANCED_LIMIT
            if self.parameters.count(where) >= limit:
                raise ServiceError(
                    "ParameterLimitExceeded",
                    f"You have exceeded the number of parameters for this AWS account. Delete unnecessary "
                    f"parameters and try again. (limit: {limit})",
                )
            record["oldest"] = version
        elif version - record["oldest"] >= MAX_VERSIONS:
            oldest = self.versions.get(where, _version_key(key, record["oldest"]))
            if oldest and oldest["Labels"]:
                raise errors.max_versions(record["Name"], record["oldest"])
            self.versions.delete(where, _version_key(key, record["oldest"]))
            record["oldest"] += 1
        history = {field: record[field] for field in _HISTORY_FIELDS if field in record}
        history["Labels"] = []
        history["encrypted"] = record.get("encrypted", False)
        self.versions.put(where, _version_key(key, version), history)
        self.parameters.put(where, key, record)
        if record["expires"] is not None:
            self.expiring.put(where, key, record["expires"])
            at = record["expires"]
            self.store.after_commit(lambda: self._schedule_expiry(where, key, at))
        elif existing is not None and existing.get("expires") is not None:
            self.expiring.delete(where, key)

    # -- reads -----------------------------------------------------------------------------------

    def _live(self: Provider, where: str, key: str) -> dict | None:  # type: ignore[misc]
        """The parameter's record, or None; an expired one is deleted here, at the first read
        after its time, should its timer not have run yet."""
        record: dict | None = self.parameters.get(where, key)
        if record is not None and self._expired(record):
            with self.store.transaction():
                self._remove(where, key)
            return None
        return record

    def _remove(self: Provider, where: str, key: str) -> None:  # type: ignore[misc]
        self.parameters.delete(where, key)
        self.expiring.delete(where, key)
        for version_key, _ in list(self.versions.scan(where, prefix=key + " ")):
            self.versions.delete(where, version_key)

    def _read(self: Provider, context: RequestContext, given: str, decrypt: bool) -> dict:  # type: ignore[misc]
        """GetParameter's Parameter for `given` (a name, ARN, or either with a selector)."""
        selector = names.parse_selector(given)
        if selector.name.startswith(names.REFERENCE_PREFIX):
            return references.secret_parameter(self.runtime, context, selector, decrypt)
        if selector.name.startswith(names.PUBLIC_PREFIX):
            found = public.parameter(context.region, selector.name)
            if found is None or selector.label is not None or selector.version not in (None, 1):
                raise errors.not_found(given)
            return self._rendered(context, found, selector, selector.name, decrypt)
        if not names.well_formed(selector.name):
            raise errors.validation(errors.INVALID_NAME)
        where, key = self._scope(context), names.key(selector.name)
        record = self._live(where, key)
        if record is None:
            raise errors.not_found(given)
        # A read by name echoes the name as asked ("x" or "/x"); a read by ARN, the parameter's own.
        shown = record["Name"] if given.startswith("arn:") else selector.name
        version = selector.version
        if selector.label is not None:
            version = record["labels"].get(selector.label)
            if version is None:
                raise errors.not_found(given)
        if version is not None and version != record["Version"]:
            row = self.versions.get(where, _version_key(key, version))
            if row is None:
                raise errors.version_not_found(selector.name, version)
            return self._rendered(context, row, selector, shown, decrypt)
        return self._rendered(context, record, selector, shown, decrypt)

    def _rendered(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        row: dict,
        selector: Selector | None,
        name: str,
        decrypt: bool,
    ) -> dict[str, Any]:
        out = {
            "Name": name,
            "Type": row["Type"],
            "Value": self._value(context, row, decrypt),
            "Version": row["Version"],
            "LastModifiedDate": row["LastModifiedDate"],
            "ARN": self._arn(context, name),
            "DataType": row.get("DataType", "text"),
        }
        if selector is not None and selector.text is not None:
            out["Selector"] = selector.text
        return out

    def _value(self: Provider, context: RequestContext, row: dict, decrypt: bool) -> str:  # type: ignore[misc]
        if not (decrypt and row.get("encrypted")):
            return str(row["Value"])
        arn = self._arn(context, row["Name"])
        return secure.decrypt(self.runtime, context.account, context.region, arn, row["Value"])

    @staticmethod
    def _arn(context: RequestContext, name: str) -> str:
        return build_arn("ssm", context.region, context.account, names.arn_resource(name))

    def get_parameter(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"Parameter": self._read(context, params["Name"], bool(params.get("WithDecryption")))}

    def get_parameters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found: list[dict] = []
        invalid: list[str] = []
        for given in dict.fromkeys(params["Names"]):
            try:
                found.append(self._read(context, given, bool(params.get("WithDecryption"))))
            except ServiceError as error:
                if error.code not in ("ParameterNotFound", "ParameterVersionNotFound", "ValidationException"):
                    raise
                invalid.append(given)
        return {"Parameters": found, "InvalidParameters": invalid}

    def get_parameters_by_path(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        path = params["Path"]
        recursive = bool(params.get("Recursive"))
        decrypt = bool(params.get("WithDecryption"))
        if (path != "/" and not names.well_formed(path.rstrip("/"))) or not path.startswith("/"):
            raise errors.validation(filters.PATH_REQUIREMENTS)
        if path.count("/") > names.MAX_LEVELS:
            raise ServiceError("HierarchyLevelLimitExceededException", errors.HIERARCHY_LIMIT)
        checks = filters.check(params.get("ParameterFilters") or [], by_path=True)
        bind = repr((path, recursive, params.get("ParameterFilters")))
        if path.startswith(names.PUBLIC_PREFIX):
            items = [p for p in public.under(context.region, path, recursive) if filters.matches(p, checks)]
            return paginate_list(
                self.store, "ssm", "GetParametersByPath", params, items, bad_token=_bad_token,
                default_limit=10, bind=bind,
                render=lambda p: self._rendered(context, p, None, p["Name"], False),
            )  # fmt: skip
        where = self._scope(context)
        prefix = "" if path == "/" else path.rstrip("/") + "/"
        in_path = [("Path", "Recursive" if recursive else "OneLevel", [path])]

        def scan(after: str | None) -> Any:
            for key, record in self.parameters.scan(where, prefix=prefix, start_after=after):
                if not self._expired(record) and filters.matches(record, in_path + checks):
                    yield key, record

        return paginate_keys(
            self.store, "ssm", "GetParametersByPath", params, scan, bad_token=_bad_token,
            default_limit=10, bind=bind,
            render=lambda key, record: self._rendered(context, record, None, record["Name"], decrypt),
        )  # fmt: skip

    def describe_parameters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        legacy = params.get("Filters") or []
        given = params.get("ParameterFilters") or []
        if legacy and given:
            raise errors.validation("You can use either Filters or ParameterFilters in a single request.")
        checks = filters.check(given, by_path=False)
        where = self._scope(context)
        bind = repr((legacy, given, params.get("Shared")))

        def scan(after: str | None) -> Any:
            if params.get("Shared"):
                return  # parameters shared through AWS RAM: Overcast has no RAM
            for key, record in self.parameters.scan(where, start_after=after):
                if self._expired(record):
                    continue
                if filters.matches(record, checks) and filters.legacy_matches(record, legacy):
                    yield key, record

        return paginate_keys(
            self.store, "ssm", "DescribeParameters", params, scan, bad_token=_bad_token,
            default_limit=10, bind=bind, render=lambda key, record: self._metadata(context, record),
        )  # fmt: skip

    def _metadata(self: Provider, context: RequestContext, record: dict) -> dict:  # type: ignore[misc]
        out = {field: record[field] for field in _METADATA_FIELDS if field in record}
        out["ARN"] = self._arn(context, record["Name"])
        return out

    def get_parameter_history(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params["Name"]
        name = names.from_arn(given)
        where, key = self._scope(context), names.key(name)
        if self._live(where, key) is None:
            raise errors.not_found(given)

        def scan(after: str | None) -> Any:
            return self.versions.scan(where, prefix=key + " ", start_after=after)

        decrypt = bool(params.get("WithDecryption"))

        def render(version_key: str, row: dict) -> dict:
            out = {field: row[field] for field in _HISTORY_FIELDS if field in row}
            out["Value"] = self._value(context, row, decrypt)
            out["Name"] = name
            out["Labels"] = row["Labels"]
            return out

        return paginate_keys(
            self.store, "ssm", "GetParameterHistory", params, scan, bad_token=_bad_token,
            default_limit=50, bind=key, render=render,
        )  # fmt: skip

    # -- deletes ---------------------------------------------------------------------------------

    def delete_parameter(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params["Name"]
        where, key = self._scope(context), names.key(names.from_arn(given))
        with self.store.transaction():
            if self._live(where, key) is None:
                raise errors.not_found(given)
            self._remove(where, key)
        return {}

    def delete_parameters(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        where = self._scope(context)
        deleted: list[str] = []
        invalid: list[str] = []
        with self.store.transaction():
            for given in dict.fromkeys(params["Names"]):
                key = names.key(names.from_arn(given))
                if self._live(where, key) is None:
                    invalid.append(given)
                else:
                    self._remove(where, key)
                    deleted.append(given)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    # -- labels ----------------------------------------------------------------------------------

    def label_parameter_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params["Name"]
        where, key = self._scope(context), names.key(names.from_arn(given))
        with self.store.transaction():
            record = self._live(where, key)
            if record is None:
                raise errors.not_found(given)
            version = params.get("ParameterVersion") or record["Version"]
            row = self.versions.get(where, _version_key(key, version))
            if row is None:
                raise errors.version_not_found(names.from_arn(given), version)
            labels = list(dict.fromkeys(params["Labels"]))
            invalid = [label for label in labels if not _label_valid(label)]
            wanted = [label for label in labels if _label_valid(label) and label not in row["Labels"]]
            if len(row["Labels"]) + len(wanted) > MAX_LABELS:
                raise ServiceError("ParameterVersionLabelLimitExceeded", errors.LABEL_LIMIT)
            for label in wanted:
                moved_from = record["labels"].get(label)
                if moved_from is not None and moved_from != version:
                    self._drop_label(where, key, moved_from, label)
                record["labels"][label] = version
            row["Labels"] = row["Labels"] + wanted
            self.versions.put(where, _version_key(key, version), row)
            self.parameters.put(where, key, record)
        return {"InvalidLabels": invalid, "ParameterVersion": version}

    def _drop_label(self: Provider, where: str, key: str, version: int, label: str) -> None:  # type: ignore[misc]
        row = self.versions.get(where, _version_key(key, version))
        if row is not None and label in row["Labels"]:
            row["Labels"] = [have for have in row["Labels"] if have != label]
            self.versions.put(where, _version_key(key, version), row)

    def unlabel_parameter_version(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        given = params["Name"]
        where, key = self._scope(context), names.key(names.from_arn(given))
        version = params["ParameterVersion"]
        with self.store.transaction():
            record = self._live(where, key)
            if record is None:
                raise errors.not_found(given)
            row = self.versions.get(where, _version_key(key, version))
            if row is None:
                raise errors.version_not_found(names.from_arn(given), version)
            labels = list(dict.fromkeys(params["Labels"]))
            removed = [label for label in labels if label in row["Labels"]]
            invalid = [label for label in labels if label not in row["Labels"]]
            row["Labels"] = [have for have in row["Labels"] if have not in removed]
            for label in removed:
                record["labels"].pop(label, None)
            self.versions.put(where, _version_key(key, version), row)
            self.parameters.put(where, key, record)
        return {"RemovedLabels": removed, "InvalidLabels": invalid}


_HISTORY_FIELDS = (
    "Name", "Type", "KeyId", "LastModifiedDate", "LastModifiedUser", "Description", "Value",
    "AllowedPattern", "Version", "Labels", "Tier", "Policies", "DataType",
)  # fmt: skip
_METADATA_FIELDS = (
    "Name", "Type", "KeyId", "LastModifiedDate", "LastModifiedUser", "Description", "AllowedPattern",
    "Version", "Tier", "Policies", "DataType",
)  # fmt: skip
