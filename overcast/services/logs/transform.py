"""Log transformers: the processors AWS documents, applied in order to one log event.

An event starts as {"@message": text}; a parser turns its source into fields (at the root, or
under `destination`), and the mutators then work on those fields by dotted path. The
transformed event is the resulting JSON object.
"""

from __future__ import annotations

import csv as csv_module
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overcast.common import jsontext

MESSAGE = "@message"
MAX_PROCESSORS = 20
MAX_PARSERS = 5
#: Parsers of AWS vended log formats: at most one, and first.
VENDED_PARSERS = frozenset(
    {"parseCloudfront", "parseRoute53", "parsePostgres", "parseVPC", "parseWAF", "parseToOCSF"}
)
PARSERS = frozenset({"parseJSON", "parseKeyValue", "csv", "grok"}) | VENDED_PARSERS
#: Vended formats this emulation parses; the others are refused at configuration time.
_UNSUPPORTED = frozenset({"parseCloudfront", "parseRoute53", "parsePostgres", "parseWAF", "parseToOCSF"})


class TransformError(ValueError):
    """A processor could not apply to this event (the event then stays as it was)."""


class ConfigError(ValueError):
    """A transformer configuration AWS refuses."""


# -- paths -----------------------------------------------------------------------------------


def _get(event: dict, path: str) -> Any:
    if path in event:
        return event[path]
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _has(event: dict, path: str) -> bool:
    return _get(event, path) is not None


def _set(event: dict, path: str, value: Any) -> None:
    if path == MESSAGE or "." not in path:
        event[path] = value
        return
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _delete(event: dict, path: str) -> None:
    if path in event:
        del event[path]
        return
    parts = path.split(".")
    node: Any = event
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return
        node = node.get(part)
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def _place(event: dict, source: str, parsed: dict, destination: str | None) -> None:
    """Put a parser's fields at the root (replacing the parsed message) or under destination."""
    if source == MESSAGE:
        event.pop(MESSAGE, None)
    if destination:
        _set(event, destination, parsed)
    else:
        for key, value in parsed.items():
            event[key] = value


def _source_text(event: dict, config: dict) -> tuple[str, str]:
    source = config.get("source") or MESSAGE
    value = _get(event, source)
    if not isinstance(value, str):
        raise TransformError(f"source {source} is not a string")
    return source, value


# -- parsers ---------------------------------------------------------------------------------


def _parse_json(event: dict, config: dict) -> None:
    source, text = _source_text(event, config)
    try:
        parsed = jsontext.loads(text)
    except ValueError:
        raise TransformError("not JSON") from None
    if not isinstance(parsed, dict):
        raise TransformError("not a JSON object")
    _place(event, source, parsed, config.get("destination"))


def _parse_key_value(event: dict, config: dict) -> None:
    source, text = _source_text(event, config)
    field_sep = config.get("fieldDelimiter") or "&"
    pair_sep = config.get("keyValueDelimiter") or "="
    prefix = config.get("keyPrefix") or ""
    parsed: dict[str, Any] = {}
    for part in text.split(field_sep):
        if not part:
            continue
        key, found, value = part.partition(pair_sep)
        if not found:
            if config.get("nonMatchValue") is None:
                continue
            value = config["nonMatchValue"]
        name = prefix + key.strip()
        if name in parsed and not config.get("overwriteIfExists"):
            continue
        parsed[name] = value
    _place(event, source, parsed, config.get("destination"))


def _parse_csv(event: dict, config: dict) -> None:
    source, text = _source_text(event, config)
    delimiter = config.get("delimiter") or ","
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1:
        raise TransformError("delimiter must be one character")
    quote = config.get("quoteCharacter") or '"'
    rows = list(csv_module.reader([text], delimiter=delimiter, quotechar=quote))
    values = rows[0] if rows else []
    columns = config.get("columns") or [f"column_{i + 1}" for i in range(len(values))]
    parsed = dict(zip(columns, values, strict=False))
    _place(event, source, parsed, config.get("destination"))


_GROK = {
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "INT": r"[+-]?\d+",
    "POSINT": r"\b[1-9]\d*\b",
    "NONNEGINT": r"\b\d+\b",
    "NUMBER": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "BASE10NUM": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "IPV4": r"(?:\d{1,3}\.){3}\d{1,3}",
    "IPV6": r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+",
    "IP": r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z\-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z\-]{0,62})*\.?\b",
    "IPORHOST": r"(?:(?:\d{1,3}\.){3}\d{1,3}|\b[0-9A-Za-z][0-9A-Za-z.\-]*\b)",
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"[a-zA-Z0-9._-]+",
    "EMAILADDRESS": r"[a-zA-Z0-9_.+-=:]+@[0-9A-Za-z][0-9A-Za-z.\-]*",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+",
    "URIPATHPARAM": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+(?:\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*)?",
    "URI": r"[A-Za-z][A-Za-z0-9+\-.]*://\S+",
    "QUOTEDSTRING": r'"(?:[^"\\]|\\.)*"',
    "QS": r'"(?:[^"\\]|\\.)*"',
    "LOGLEVEL": r"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)",
    "TIMESTAMP_ISO8601": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
    "HTTPDATE": r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}",
    "MONTH": r"\b(?:[Jj]an(?:uary)?|[Ff]eb(?:ruary)?|[Mm]ar(?:ch)?|[Aa]pr(?:il)?|[Mm]ay|[Jj]une?|[Jj]uly?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo]ct(?:ober)?|[Nn]ov(?:ember)?|[Dd]ec(?:ember)?)\b",
    "MONTHDAY": r"(?:0[1-9]|[12]\d|3[01]|[1-9])",
    "YEAR": r"\d{4}",
    "TIME": r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?",
    "SYSLOGTIMESTAMP": r"\w{3} +\d{1,2} \d{2}:\d{2}:\d{2}",
}
_GROK_REFERENCE = re.compile(r"%\{(\w+)(?::([\w.@\-]+))?(?::(int|float))?\}")


def compile_grok(pattern: str) -> tuple[re.Pattern[str], dict[str, tuple[str, str | None]]]:
    """A grok pattern as a regular expression, and its captures: group → (field, conversion)."""
    captures: dict[str, tuple[str, str | None]] = {}
    out = []
    at = 0
    for index, found in enumerate(_GROK_REFERENCE.finditer(pattern)):
        out.append(pattern[at : found.start()])
        name, field, conversion = found.groups()
        if name not in _GROK:
            raise ConfigError(f"Unknown grok pattern: {name}")
        if field:
            group = f"g{index}"
            captures[group] = (field, conversion)
            out.append(f"(?P<{group}>{_GROK[name]})")
        else:
            out.append(f"(?:{_GROK[name]})")
        at = found.end()
    out.append(pattern[at:])
    try:
        return re.compile("".join(out), re.DOTALL), captures
    except re.error as error:
        raise ConfigError(f"Invalid grok pattern: {error}") from None


def _grok(event: dict, config: dict) -> None:
    source, text = _source_text(event, config)
    regex, captures = compile_grok(config["match"])
    found = regex.search(text)
    if found is None:
        raise TransformError("grok pattern did not match")
    parsed: dict[str, Any] = {}
    for group, (field, conversion) in captures.items():
        value: Any = found.group(group)
        if value is None:
            continue
        if conversion == "int":
            value = int(float(value))
        elif conversion == "float":
            value = float(value)
        _set(parsed, field, value)
    if source == MESSAGE:
        event.pop(MESSAGE, None)
    for key, value in parsed.items():
        event[key] = value


_VPC_FIELDS = [
    "version",
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
]


def _parse_vpc(event: dict, config: dict) -> None:
    """A VPC flow log record in the default (version 2) format."""
    source, text = _source_text(event, config)
    values = text.split()
    if len(values) != len(_VPC_FIELDS):
        raise TransformError("not a default-format VPC flow log record")
    parsed: dict[str, Any] = {}
    for name, value in zip(_VPC_FIELDS, values, strict=True):
        parsed[name] = int(value) if value.isdigit() and name not in ("account_id",) else value
    _place(event, source, parsed, None)


# -- mutators --------------------------------------------------------------------------------


def _add_keys(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        if not _has(event, entry["key"]) or entry.get("overwriteIfExists"):
            _set(event, entry["key"], entry["value"])


def _copy_value(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["source"])
        if value is None:
            continue
        if not _has(event, entry["target"]) or entry.get("overwriteIfExists"):
            _set(event, entry["target"], json.loads(json.dumps(value)))


def _delete_keys(event: dict, config: dict) -> None:
    for key in config["withKeys"]:
        _delete(event, key)


def _move_keys(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["source"])
        if value is None:
            continue
        if _has(event, entry["target"]) and not entry.get("overwriteIfExists"):
            continue
        _delete(event, entry["source"])
        _set(event, entry["target"], value)


def _rename_keys(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["key"])
        if value is None:
            continue
        parent = entry["key"].rsplit(".", 1)[0] + "." if "." in entry["key"] else ""
        target = parent + entry["renameTo"]
        if _has(event, target) and not entry.get("overwriteIfExists"):
            continue
        _delete(event, entry["key"])
        _set(event, target, value)


def _string_keys(change: Callable[[str], str]) -> Callable[[dict, dict], None]:
    def apply(event: dict, config: dict) -> None:
        for key in config["withKeys"]:
            value = _get(event, key)
            if isinstance(value, str):
                _set(event, key, change(value))

    return apply


def _split_string(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["source"])
        if isinstance(value, str):
            delimiter = "\t" if entry["delimiter"] == "\\t" else entry["delimiter"]
            _set(event, entry["source"], value.split(delimiter))


def _substitute_string(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["source"])
        if isinstance(value, str):
            try:
                _set(event, entry["source"], re.sub(entry["from"], entry["to"], value))
            except re.error as error:
                raise TransformError(str(error)) from None


def _convert(value: Any, kind: str) -> Any:
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    text = str(value).strip()
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise TransformError(f"not a boolean: {text}")
    try:
        return int(float(text)) if kind == "integer" else float(text)
    except ValueError:
        raise TransformError(f"not a number: {text}") from None


def _type_converter(event: dict, config: dict) -> None:
    for entry in config["entries"]:
        value = _get(event, entry["key"])
        if value is not None:
            _set(event, entry["key"], _convert(value, entry["type"]))


_JAVA_DATE_TOKENS = (
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSSSSS", "%f"),
    ("SSS", "%f"),
    ("a", "%p"),
    ("XXX", "%z"),
    ("Z", "%z"),
    ("z", "%Z"),
)


def _java_format(pattern: str) -> tuple[str, bool]:
    """A Java DateTimeFormatter pattern as strftime's (and whether it has milliseconds)."""
    out = []
    index = 0
    millis = False
    while index < len(pattern):
        if pattern[index] == "'":
            end = pattern.find("'", index + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[index + 1 : end].replace("%", "%%"))
            index = end + 1
            continue
        for token, code in _JAVA_DATE_TOKENS:
            if pattern.startswith(token, index):
                out.append(code)
                millis = millis or token == "SSS"
                index += len(token)
                break
        else:
            out.append(pattern[index].replace("%", "%%"))
            index += 1
    return "".join(out), millis


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformError(f"unknown time zone: {name}") from None


def _date_time_converter(event: dict, config: dict) -> None:
    value = _get(event, config["source"])
    if value is None:
        return
    text = str(value)
    source_zone, target_zone = _zone(config.get("sourceTimezone")), _zone(config.get("targetTimezone"))
    moment = None
    for pattern in config["matchPatterns"]:
        if pattern == "UNIX_MILLIS" or pattern == "UNIX_SECONDS" or pattern == "epoch_millis":
            try:
                number = float(text)
            except ValueError:
                continue
            seconds = number / 1000 if pattern in ("UNIX_MILLIS", "epoch_millis") else number
            moment = datetime.fromtimestamp(seconds, source_zone)
            break
        strptime_format, _ = _java_format(pattern)
        try:
            moment = datetime.strptime(text, strptime_format)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=source_zone)
        break
    if moment is None:
        raise TransformError(f"no pattern matched {text}")
    target_format, millis = _java_format(config.get("targetFormat") or "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
    local = moment.astimezone(target_zone)
    rendered = local.strftime(target_format)
    if millis:
        rendered = rendered.replace(local.strftime("%f"), local.strftime("%f")[:3], 1)
    _set(event, config["target"], rendered)


def _list_to_map(event: dict, config: dict) -> None:
    items = _get(event, config["source"])
    if not isinstance(items, list):
        raise TransformError("source is not a list")
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or config["key"] not in item:
            continue
        key = str(item[config["key"]])
        value = item.get(config["valueKey"]) if config.get("valueKey") else item
        if config.get("flatten"):
            if config.get("flattenedElement", "first") == "first" and key in out:
                continue
            out[key] = value
        else:
            out.setdefault(key, []).append(value)
    if config.get("target"):
        _set(event, config["target"], out)
    else:
        event.update(out)


PROCESSORS: dict[str, Callable[[dict, dict], None]] = {
    "parseJSON": _parse_json,
    "parseKeyValue": _parse_key_value,
    "csv": _parse_csv,
    "grok": _grok,
    "parseVPC": _parse_vpc,
    "addKeys": _add_keys,
    "copyValue": _copy_value,
    "deleteKeys": _delete_keys,
    "moveKeys": _move_keys,
    "renameKeys": _rename_keys,
    "lowerCaseString": _string_keys(str.lower),
    "upperCaseString": _string_keys(str.upper),
    "trimString": _string_keys(str.strip),
    "splitString": _split_string,
    "substituteString": _substitute_string,
    "typeConverter": _type_converter,
    "dateTimeConverter": _date_time_converter,
    "listToMap": _list_to_map,
}


def check_config(config: list[dict]) -> None:
    """AWS's rules for a transformer: 1-20 processors, each naming one processor; a parser first;
    at most five parsers, one grok, and one vended-log parser (which must be first)."""
    if not config or len(config) > MAX_PROCESSORS:
        raise ConfigError(f"A transformer must have between 1 and {MAX_PROCESSORS} processors.")
    kinds = []
    for processor in config:
        named = [name for name, value in processor.items() if value is not None]
        if len(named) != 1:
            raise ConfigError("Each processor in a transformer must specify exactly one processor type.")
        kinds.append(named[0])
    if kinds[0] not in PARSERS:
        raise ConfigError("The first processor in a transformer must be a parser.")
    if sum(kind in PARSERS for kind in kinds) > MAX_PARSERS:
        raise ConfigError(f"A transformer can have at most {MAX_PARSERS} parsers.")
    if kinds.count("grok") > 1:
        raise ConfigError("A transformer can have at most one grok processor.")
    vended = [index for index, kind in enumerate(kinds) if kind in VENDED_PARSERS]
    if len(vended) > 1 or (vended and vended[0] != 0):
        raise ConfigError("A parser for vended logs must be the only one, and the first processor.")
    for kind, processor in zip(kinds, config, strict=True):
        if kind in VENDED_PARSERS and (processor[kind] or {}).get("source", MESSAGE) != MESSAGE:
            raise ConfigError(f"No other value than @message is allowed for source in {kind}.")
        if kind in _UNSUPPORTED:
            raise ConfigError(f"The {kind} processor is not supported by this emulation.")
        if kind == "grok":
            compile_grok(processor[kind]["match"])


def transform(config: list[dict], message: str) -> str | None:
    """The transformed message (the event as JSON), or None when a processor failed."""
    event: dict[str, Any] = {MESSAGE: message}
    for processor in config:
        for kind, settings in processor.items():
            if settings is None:
                continue
            try:
                PROCESSORS[kind](event, settings)
            except (TransformError, OverflowError, OSError, ValueError, IndexError, re.error):
                # A value the processor cannot take (a time past the calendar, an infinite
                # number, a substitution naming a missing group) fails this event only.
                return None
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
