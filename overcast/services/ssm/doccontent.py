"""SSM document content: parsing JSON/YAML/TEXT, the validation AWS applies per document type
(schemaVersion, parameters, mainSteps/runtimeConfig), the parameters and platforms
DescribeDocument derives from it, and conversion between JSON and YAML."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from overcast.common import jsontext
from overcast.errors import ServiceError

#: Where a document type takes its content in structured form, the schema versions AWS
#: accepts for it (None: no schemaVersion check, e.g. free-form configuration documents).
SCHEMA_VERSIONS: dict[str, tuple[str, ...] | None] = {
    "Command": ("1.2", "2.0", "2.2"),
    "Policy": ("2.0",),
    "Automation": ("0.3",),
    "Automation.ChangeTemplate": ("0.3",),
    "Session": ("1.0",),
    "Package": ("2.0",),
    "ProblemAnalysis": ("0.3",),
    "ProblemAnalysisTemplate": ("0.3",),
    "ApplicationConfiguration": None,
    "ApplicationConfigurationSchema": None,
    "DeploymentStrategy": None,
    "CloudFormation": None,
    "ConformancePackTemplate": None,
    "QuickSetup": None,
    "ManualApprovalPolicy": None,
    "AutoApprovalPolicy": None,
    "ChangeCalendar": None,
}
#: Types whose content is not structured data (ChangeCalendar: an iCalendar file).
TEXT_TYPES = frozenset({"ChangeCalendar", "ApplicationConfiguration", "ApplicationConfigurationSchema"})
#: Types whose documents need `Requires` (an ApplicationConfiguration names its schema).
NEEDS_REQUIRES = frozenset({"ApplicationConfiguration"})
#: Types whose content names its steps in `mainSteps` (or `runtimeConfig` for schema 1.2).
STEPPED = frozenset({"Command", "Policy", "Automation", "Automation.ChangeTemplate"})
PARAMETER_TYPES = frozenset(
    {"String", "StringList", "Integer", "Boolean", "MapList", "StringMap", "AWS::EC2::Instance::Id"}
)
ALL_PLATFORMS = ("Windows", "Linux", "MacOS")
#: The platforms each Command plugin runs on (the "Command document plugin reference").
PLUGIN_PLATFORMS: dict[str, tuple[str, ...]] = {
    "aws:applications": ("Windows",),
    "aws:cloudWatch": ("Windows",),
    "aws:configureDocker": ("Windows", "Linux"),
    "aws:configurePackage": ALL_PLATFORMS,
    "aws:domainJoin": ("Windows", "Linux"),
    "aws:downloadContent": ALL_PLATFORMS,
    "aws:psModule": ("Windows",),
    "aws:refreshAssociation": ALL_PLATFORMS,
    "aws:runDockerAction": ("Windows", "Linux"),
    "aws:runDocument": ALL_PLATFORMS,
    "aws:runPowerShellScript": ("Windows", "Linux"),
    "aws:runShellScript": ("Linux", "MacOS"),
    "aws:softwareInventory": ALL_PLATFORMS,
    "aws:updateAgent": ("Windows",),
    "aws:updateSsmAgent": ALL_PLATFORMS,
}
#: precondition `platformType` values (schema 2.2) → PlatformTypes.
_PRECONDITION_PLATFORMS = {"Windows": "Windows", "Linux": "Linux", "MacOS": "MacOS"}

INVALID_CONTENT = "The content for the document is not valid."
#: The largest document content AWS accepts (the Systems Manager quota "document size").
MAX_CONTENT_BYTES = 64 * 1024


def invalid_content(message: str = INVALID_CONTENT) -> ServiceError:
    return ServiceError("InvalidDocumentContent", message)


@dataclass(frozen=True)
class Parsed:
    """What a document's content says about the document."""

    body: Any  # the parsed content (a dict), or the text for TEXT documents
    schema_version: str | None
    description: str
    parameters: list[dict[str, str]]
    platforms: tuple[str, ...]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load(content: str, document_format: str) -> Any:
    """The content parsed in its format, or AWS's InvalidDocumentContent."""
    if document_format == "TEXT":
        return content
    import yaml  # type: ignore[import-untyped]  # only documents need it: Parameter Store loads without

    try:
        body = jsontext.loads(content) if document_format == "JSON" else yaml.safe_load(content)
    except (ValueError, yaml.YAMLError):
        raise invalid_content() from None
    if not isinstance(body, dict):
        raise invalid_content()
    return body


def render(body: Any, document_format: str) -> str:
    """The content in another format (GetDocument's DocumentFormat conversion)."""
    if document_format == "TEXT" or isinstance(body, str):
        return body if isinstance(body, str) else json.dumps(body)
    if document_format == "JSON":
        return json.dumps(body, indent=2, default=str)
    import yaml

    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False)


def _default_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _parameters(body: dict) -> list[dict[str, str]]:
    declared = body.get("parameters")
    if declared is None:
        return []
    if not isinstance(declared, dict):
        raise invalid_content("parameters must be a map of parameter names to definitions.")
    out = []
    for name, definition in declared.items():
        if not isinstance(definition, dict):
            raise invalid_content(f"Parameter {name} is not a map.")
        kind = definition.get("type")
        if kind not in PARAMETER_TYPES and not (isinstance(kind, str) and kind.startswith("AWS::")):
            raise invalid_content(f"Parameter {name} has an invalid type {kind}.")
        entry = {"Name": str(name), "Type": kind}
        if "description" in definition:
            entry["Description"] = str(definition["description"])
        if "default" in definition:
            entry["DefaultValue"] = _default_text(definition["default"])
        out.append(entry)
    return out


def _steps(body: dict, schema: str | None) -> list[dict]:
    if schema == "1.2":
        config = body.get("runtimeConfig")
        if not isinstance(config, dict) or not config:
            raise invalid_content("runtimeConfig is required for a schema 1.2 document.")
        return [
            {"action": action, **(value if isinstance(value, dict) else {})}
            for action, value in config.items()
        ]
    steps = body.get("mainSteps")
    if not isinstance(steps, list) or not steps:
        raise invalid_content("mainSteps is required and must hold at least one step.")
    _check_steps(steps)
    return steps


#: Step fields and the types they must have (a check of Automation's step schema).
_STEP_FIELDS: dict[str, tuple[type, ...]] = {
    "inputs": (dict,),
    "outputs": (list,),
    "maxAttempts": (int,),
    "timeoutSeconds": (int,),
    "onFailure": (str,),
    "onCancel": (str,),
    "isEnd": (bool,),
    "isCritical": (bool,),
    "nextStep": (str,),
}


def _check_steps(steps: list) -> None:
    names: set[str] = set()
    for step in steps:
        if not isinstance(step, dict) or not isinstance(step.get("action"), str):
            raise invalid_content("Every step needs an action.")
        name = step.get("name")
        if not isinstance(name, str) or not name:
            raise invalid_content("Every step needs a name.")
        if name in names:
            raise invalid_content(f"Step name {name} is not unique.")
        names.add(name)
        for field, types in _STEP_FIELDS.items():
            value = step.get(field)
            if value is not None and (
                not isinstance(value, types) or (types == (int,) and isinstance(value, bool))
            ):
                raise invalid_content(f"Step {name}: {field} has an invalid type.")
        if isinstance(step.get("maxAttempts"), int) and step["maxAttempts"] < 1:
            raise invalid_content(f"Step {name}: maxAttempts must be at least 1.")
        for output in step.get("outputs") or []:
            if not isinstance(output, dict) or not isinstance(output.get("Name"), str):
                raise invalid_content(f"Step {name}: every output needs a Name and a Selector.")
        nested = (step.get("inputs") or {}).get("Steps") if step["action"] == "aws:loop" else None
        if nested is not None:
            if not isinstance(nested, list) or not nested:
                raise invalid_content(f"Step {name}: a loop needs Steps.")
            _check_steps(nested)


def _platforms(document_type: str, steps: list[dict]) -> tuple[str, ...]:
    if document_type not in ("Command", "Policy"):
        return ALL_PLATFORMS
    found: set[str] = set()
    for step in steps:
        precondition = step.get("precondition")
        if isinstance(precondition, dict) and isinstance(precondition.get("StringEquals"), list):
            operands = precondition["StringEquals"]
            if (
                len(operands) == 2
                and operands[0] == "platformType"
                and operands[1] in _PRECONDITION_PLATFORMS
            ):
                found.add(_PRECONDITION_PLATFORMS[operands[1]])
                continue
        found.update(PLUGIN_PLATFORMS.get(step["action"], ALL_PLATFORMS))
    return tuple(platform for platform in ALL_PLATFORMS if platform in found)


def parse(content: str, document_format: str, document_type: str) -> Parsed:
    """Validate `content` as AWS validates a document of `document_type`."""
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise ServiceError(
            "MaxDocumentSizeExceeded",
            f"The content of the document exceeds the maximum size of {MAX_CONTENT_BYTES} bytes.",
        )
    if document_type in TEXT_TYPES and document_format == "TEXT":
        if not content.strip():
            raise invalid_content()
        if document_type == "ChangeCalendar":
            from overcast.services.ssm.calendar import CalendarError
            from overcast.services.ssm.calendar import parse as parse_calendar

            try:
                parse_calendar(content)
            except CalendarError as error:
                raise invalid_content(str(error)) from None
        return Parsed(content, None, "", [], ALL_PLATFORMS)
    if document_format == "TEXT":
        raise ServiceError(
            "InvalidDocumentContent",
            f"The TEXT document format is not supported for {document_type} documents.",
        )
    body = load(content, document_format)
    schemas = SCHEMA_VERSIONS.get(document_type)
    schema = body.get("schemaVersion")
    if schemas is not None:
        if schema is None:
            raise invalid_content("schemaVersion is required.")
        schema = str(schema)
        if schema not in schemas:
            raise ServiceError(
                "InvalidDocumentSchemaVersion", f"Document schema version, {schema}, is not supported."
            )
    elif schema is not None:
        schema = str(schema)
    if "outputs" in body and not (
        isinstance(body["outputs"], list) and all(isinstance(item, str) for item in body["outputs"])
    ):
        raise invalid_content("outputs must be a list of step outputs (step.Output).")
    description = body.get("description", "")
    parameters = _parameters(body)
    steps = _steps(body, schema) if document_type in STEPPED else []
    if document_type == "Session" and not isinstance(body.get("sessionType"), str):
        raise invalid_content("sessionType is required for a Session document.")
    return Parsed(body, schema, str(description), parameters, _platforms(document_type, steps))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
