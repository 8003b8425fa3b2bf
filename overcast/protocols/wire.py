"""A service's wire quirks: what AWS does on the wire that the service's botocore model does not
say, kept as data beside the service (`overcast/services/<service>/wire.py`, a `WIRE = Wire(...)`
table) so that nothing in `protocols/` names a service.

An overlay is found by the service's name and imported on its own, never through the service's
provider: loading a model must not load the service's code. It is resolved once per service
(`wire_of`), when the model loads, and read by the parsers, serializers, validation and routing
when they compile a plan, not per request.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where the services live: `<here>/<service>/wire.py`.
_SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


@dataclass(frozen=True)
class ValidationStyle:
    """How a service words the input validation errors it answers (see `validation.py`)."""

    #: The code Coral-style constraint messages carry.
    code: str
    #: The code an operation answers instead when its model lists `code` among none of its
    #: errors but lists this one (a service whose newer operations speak ValidationException).
    unmodelled_code_fallback: str = ""
    #: (code, message template) for a missing required member when the service does not use
    #: Coral's "Value null at ..." for it; `{name}` is the member's wire name/path.
    missing: tuple[str, str] | None = None
    #: "coral": all problems in one message; "first": the first only, in `constraint_message`;
    #: None: no constraint checks (the service validates its own way, in the provider).
    constraints: str | None = "coral"
    constraint_code: str = ""
    #: Template for a "first"-style constraint error: {value}, {name}, {reason}.
    constraint_message: str = ""
    #: Name body members from the operation's Coral input type: 'createRestApiInput.name'.
    prefix_input: bool = False
    #: Leave the value out: "Value at 'userName' failed to satisfy constraint: ...", and an
    #: enum's value set: "Member must satisfy enum value set".
    hide_values: bool = False
    #: List "Member must not be null" among a list/map member's constraints.
    member_not_null: bool = False
    #: (code, message template) for a missing required member by where it travels: "header",
    #: "querystring", "uri", "body" (a top-level body member) or "nested" (inside the body);
    #: `{name}` is its wire name. A location not listed falls back to `missing`.
    missing_by_location: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NoRouteError:
    """The error a rest service answers for a request no operation's route matches."""

    code: str
    message: str
    status: int
    #: Extra error fields: `{method}` is the request's method, `{resource}` one of
    #: `resource_kinds` picked by the path's depth (no segment, one, more).
    fields: dict[str, str] = field(default_factory=dict)
    resource_kinds: tuple[str, str, str] = ("", "", "")


@dataclass(frozen=True)
class Wire:
    """One service's wire quirks. Every field's default is "no quirk".

    The query API of a service whose current model speaks JSON (its query traits were dropped):
      * `query_namespace`: the XML namespace its query answers are in.
      * `query_shape_traits`: per shape, the traits it had in the last query model: keys are
        member names; "@shape", "@member", "@key" and "@value" address the shape itself and the
        member/key/value references of lists and maps. Query responses are written from the
        model with these traits, and query requests are read by both the current and these
        names (old SDKs send the latter).
      * `query_errors`: per error shape, its `error` trait (awsQueryError code, status, fault).
      * `unmodelled_errors`: errors AWS answers that no model names, as (JSON shape name,
        query code).
      * `query_error_messages`: the query API's own wording of a message the JSON API words
        differently.
      * `query_error_detail`: its XML errors carry the (empty) `<Detail/>` element.
      * `query_path_member`: a member read from the request path when the form leaves it out
        (query clients post to the resource's URL itself).
      * `query_json`: a query client that sends `Accept: application/json` gets its answer
        (and errors) in JSON (`serializers/query_json`); `query_json_names` renames, per
        (shape, member), the members AWS's JSON spells otherwise than the model.
      * `bare_unknown_operation`: a query request that names no Action gets AWS's bare
        `<UnknownOperationException/>` (404) rather than MissingAction.

    The JSON protocols:
      * `json_error_namespace`: put before a JSON error's `__type` (clients strip it).
      * `json_omit_empty_message`: an error with no message has no `message` member at all
        (KMS's InvalidCiphertextException, KMSInvalidSignatureException).

    rest-xml:
      * `root_elements`: per operation, the name of its response document when it is not the
        output shape's (botocore's parser ignores it; other clients may not).
      * `root_text`: per operation, the member whose text is the whole document
        (`<LocationConstraint>eu-west-1</LocationConstraint>`; empty, `<LocationConstraint/>`).
      * `root_member_orders`: per operation, the order of its response document's members
        where AWS's is not the model's (members not named keep model order, after these).
      * `host_id`: responses carry `x-amz-request-id` and the `x-amz-id-2` host id rather than
        `x-amzn-RequestId`, and XML errors are a bare `<Error>` document ending in `<HostId>`.
      * `timestamp_millis`: XML timestamps always print milliseconds.

    Routing (rest protocols):
      * `query_routed`: a required query member is part of an operation's route, not just
        input (no route matches without it).
      * `demoted_operations`: operations that lose ties against another with the same route.
      * `no_route_error`: what a request no route matches gets (default: 404
        UnknownOperationException).
      * `unknown_action_message`: the query API's InvalidAction message for an unknown Action
        (`{action}` is its name).

    Input errors:
      * `validation`: how validation errors are worded (default: the protocol's).
      * `missing_messages`: per (operation, top-level member), the (code, message) a missing
        required member gets instead.
      * `service_checked_enums`: enum shapes the service checks itself, in its own words.
      * `provider_checked_missing`: (operation, top-level member) pairs whose absence the
        provider reports itself, because AWS checks other input first.
      * `enum_orders`: per enum shape, the order AWS lists its values in a validation message
        where that is not the model's (the service's own model orders them otherwise).
      * `checked_patterns`: string shapes (with a min or max) whose model `pattern` the service
        checks with the other constraints, in the same message (patterns Python reads as Java
        does; see validation.py for why patterns are otherwise not checked).
      * `malformed_errors`: (code for the body, code for a label/header/query parameter) for
        input that does not decode, instead of the protocol's.

    Shapes and operations the model lacks:
      * `extra_shapes`: shapes added to the model when it loads (botocore's JSON form).
      * `extra_members`: per existing shape, members added to it when the model loads (a
        header AWS sends that the model does not describe).
      * `unrouted_operations`: operations the service answers outside the API (never routed to,
        so never in the model's operation names), serialized from the model like any other:
        botocore's JSON form of an operation, naming its output among the model's shapes.
    """

    query_namespace: str = ""
    query_shape_traits: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    query_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmodelled_errors: tuple[tuple[str, str], ...] = ()
    query_error_messages: dict[str, str] = field(default_factory=dict)
    query_error_detail: bool = False
    query_path_member: str = ""
    query_json: bool = False
    query_json_names: dict[tuple[str, str], str] = field(default_factory=dict)
    bare_unknown_operation: bool = False
    json_error_namespace: str = ""
    json_omit_empty_message: bool = False
    root_elements: dict[str, str] = field(default_factory=dict)
    root_text: dict[str, str] = field(default_factory=dict)
    root_member_orders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    host_id: bool = False
    timestamp_millis: bool = False
    query_routed: bool = False
    demoted_operations: frozenset[str] = frozenset()
    no_route_error: NoRouteError | None = None
    #: The message of a query API's InvalidAction for an action the service does not have.
    unknown_action_message: str = "The action {action} is not valid for this web service."
    validation: ValidationStyle | None = None
    missing_messages: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    service_checked_enums: frozenset[str] = frozenset()
    provider_checked_missing: frozenset[tuple[str, str]] = frozenset()
    enum_orders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checked_patterns: frozenset[str] = frozenset()
    malformed_errors: tuple[str, str] | None = None
    extra_shapes: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra_members: dict[str, dict[str, Any]] = field(default_factory=dict)
    unrouted_operations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def legacy_query(self) -> bool:
        """Whether query clients speak a model other than the current one."""
        return bool(self.query_shape_traits or self.query_errors or self.unmodelled_errors)


NO_QUIRKS = Wire()

_lock = threading.Lock()
_wires: dict[str, Wire] = {}


def wire_of(service: str) -> Wire:
    """The service's overlay (`NO_QUIRKS` when it has none), imported once."""
    wire = _wires.get(service)
    if wire is None:
        with _lock:
            wire = _wires.get(service)
            if wire is None:
                wire = _wires[service] = _load(service)
    return wire


def _load(service: str) -> Wire:
    if not service.isidentifier() or not (_SERVICES_DIR / service / "wire.py").is_file():
        return NO_QUIRKS
    module = importlib.import_module(f"overcast.services.{service}.wire")
    wire = module.WIRE
    if not isinstance(wire, Wire):
        raise TypeError(f"overcast.services.{service}.wire.WIRE is not a Wire")
    return wire
