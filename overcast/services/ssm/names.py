"""Parameter names as AWS reads them: the characters and hierarchy allowed, the reserved
prefixes, ARN-form names, and the `name:version` / `name:label` selectors of a read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.errors import ServiceError
from overcast.services.ssm import errors

MAX_LEVELS = 15
_NAME = re.compile(r"^/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(/.*)$")
_RESERVED = ("aws", "ssm")
#: Public parameters and references live under these; AWS owns them.
PUBLIC_PREFIX = "/aws/service/"
REFERENCE_PREFIX = "/aws/reference/secretsmanager/"


def from_arn(name: str) -> str:
    """The name an ARN-form name stands for (`.../parameter/a/b` → `/a/b`, `.../parameter/x` → `x`)."""
    found = _ARN.match(name)
    if not found:
        return name
    path = found.group(1)
    return path if path.count("/") > 1 else path[1:]


def key(name: str) -> str:
    """The store key of a name: a one-level name is the same parameter with or without its slash."""
    return name[1:] if name.startswith("/") and name.count("/") == 1 else name


def arn_resource(name: str) -> str:
    return "parameter/" + name.lstrip("/")


def check_new(name: str) -> None:
    """Raise AWS's error when PutParameter may not create a parameter of this name."""
    if name.startswith("arn:"):
        name = from_arn(name)
    bare = name.lstrip("/").lower()
    if bare.startswith(_RESERVED):
        if name.lower().startswith("/aws") and name.count("/") > 1:
            raise ServiceError("AccessDeniedException", f"No access to reserved parameter name: {name}.")
        raise errors.validation(errors.RESERVED_PREFIX if name.count("/") <= 1 else errors.INVALID_NAME)
    if not _NAME.match(name) or ("/" in name and not name.startswith("/")):
        raise errors.validation(errors.INVALID_NAME)
    if name.count("/") > MAX_LEVELS:
        raise ServiceError("HierarchyLevelLimitExceededException", errors.HIERARCHY_LIMIT)


def well_formed(name: str) -> bool:
    return bool(_NAME.match(name)) and ("/" not in name or name.startswith("/"))


@dataclass(frozen=True)
class Selector:
    """What a read names: the parameter, and optionally a version or a label after a colon."""

    name: str
    version: int | None = None
    label: str | None = None

    @property
    def text(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        return f":{self.label}" if self.label is not None else None


def parse_selector(given: str) -> Selector:
    """`name`, `name:3` or `name:label`, where `name` may be an ARN. ValidationException for more
    than one selector, as AWS answers."""
    text = given
    if text.startswith("arn:"):
        # The ARN's own colons are not selectors: only what follows its resource part.
        head, _, resource = text.partition(":parameter/")
        base, colon, rest = resource.partition(":")
        text = from_arn(f"{head}:parameter/{base}") + (colon + rest)
    name, colon, selector = text.partition(":")
    if not colon:
        return Selector(name)
    if ":" in selector or not selector:
        raise errors.validation(
            f"Invalid parameter name. Please ensure that the parameter name is valid: {given}"
        )
    if selector.isdigit():
        return Selector(name, version=int(selector))
    return Selector(name, label=selector)
