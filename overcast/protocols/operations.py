"""Which operation a request is, read from the model the way each protocol addresses it.

  * json: the `X-Amz-Target: Prefix.Operation` header;
  * query / ec2: the `Action` parameter (form body merged over the query string);
  * smithy-rpc-v2-cbor: the path `/service/{Service}/operation/{Operation}`;
  * rest-json / rest-xml: a route table compiled once per service from every operation's
    `http.method` + `requestUri`.

The rest route table is a trie per HTTP method over path segments: a literal child (dict
lookup), one label child and greedy (`{Key+}`) routes. Matching walks the request's segments
trying the literal before the label, so the most literal route wins and the walk costs a few
dict lookups, not a regex per operation. Routes that end on the same node (S3's many
`GET /{Bucket}?<subresource>` operations) are told apart by the query keys their requestUri
names (`?acl`, `?list-type=2`), then by the required query/header members the request carries
(`?uploadId` makes ListParts of `GET /{Bucket}/{Key+}`, `x-amz-copy-source` makes CopyObject
of a PUT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast.errors import ServiceError
from overcast.protocols.models import wire
from overcast.protocols.wire import Wire

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

    from overcast.http import Request


def match_operation(
    model: ServiceModel, protocol: str, request: Request
) -> tuple[OperationModel, dict[str, str]]:
    return MATCHERS[protocol](model, request)


# ---------------------------------------------------------------------------- json


_targets: dict[int, tuple[Any, dict[str, Any]]] = {}


def _match_json(model: Any, request: Any) -> tuple[Any, dict[str, str]]:
    entry = _targets.get(id(model))
    if entry is None or entry[0] is not model:
        prefix = model.metadata.get("targetPrefix", "")
        table = {f"{prefix}.{name}": model.operation_model(name) for name in model.operation_names}
        entry = _targets[id(model)] = (model, table)
    target = request.headers.get("x-amz-target", "")
    operation = entry[1].get(target)
    if operation is None:
        # Coral answers an unknown target with a bare UnknownOperationException.
        raise ServiceError("UnknownOperationException", "", 400)
    return operation, {}


# ---------------------------------------------------------------------------- query / ec2


def _match_query(model: Any, request: Any) -> tuple[Any, dict[str, str]]:
    actions = request.form.get("Action")
    if not actions or not actions[0]:
        if wire(model).bare_unknown_operation:
            raise ServiceError("UnknownOperationException", "", 404)
        raise ServiceError("MissingAction", "Missing Action", 400)
    action = actions[0]
    if action in _operation_names(model):
        return model.operation_model(action), {}
    raise ServiceError("InvalidAction", wire(model).unknown_action_message.format(action=action), 400)


_names: dict[int, tuple[Any, frozenset[str]]] = {}


def _operation_names(model: Any) -> frozenset[str]:
    entry = _names.get(id(model))
    if entry is None or entry[0] is not model:
        entry = _names[id(model)] = (model, frozenset(model.operation_names))
    return entry[1]


# ---------------------------------------------------------------------------- smithy rpc v2


def _match_rpc_v2(model: Any, request: Any) -> tuple[Any, dict[str, str]]:
    parts = request.raw_path.split("/")
    # ['', 'service', '<Service>', 'operation', '<Operation>']; a path prefix may precede.
    if len(parts) >= 5 and parts[-4] == "service" and parts[-2] == "operation":
        name = unquote(parts[-1])
        if name in _operation_names(model):
            return model.operation_model(name), {}
    # The Smithy RPC v2 spec: an unknown operation is a 404 UnknownOperationException.
    raise ServiceError("UnknownOperationException", "Unknown operation", 404)


# ---------------------------------------------------------------------------- rest


@dataclass
class Route:
    operation: Any
    #: Label names by position, for the labels before any greedy one.
    labels: list[tuple[int, str]]
    #: A greedy label: its name, and the segments the template has after it.
    greedy: str | None = None
    greedy_index: int = 0
    suffix: list[str | None] = field(default_factory=list)
    #: Query keys the requestUri names, with the value it fixes ('' when just present).
    literal_query: dict[str, str | None] = field(default_factory=dict)
    required_query: tuple[str, ...] = ()
    required_headers: tuple[str, ...] = ()
    #: The required query members must be present for the route to match (`Wire.query_routed`).
    query_required_to_match: bool = False
    #: Loses ties against a route that is otherwise as good (a deprecated twin, or one of the
    #: overlay's `demoted_operations`).
    demoted: bool = False


@dataclass
class RouteGroup:
    """The routes ending at one node, indexed by the first query key their requestUri names:
    a request scores only the routes without one plus those its own query keys select (S3 has
    forty-odd `/{Bucket}?<subresource>` operations on one node)."""

    plain: list[Route] = field(default_factory=list)
    by_key: dict[str, list[Route]] = field(default_factory=dict)

    def add(self, route: Route) -> None:
        if route.literal_query:
            self.by_key.setdefault(next(iter(route.literal_query)), []).append(route)
        else:
            self.plain.append(route)

    def __bool__(self) -> bool:
        return bool(self.plain or self.by_key)

    def candidates(self, query: dict[str, list[str]]) -> list[Route]:
        if not query or not self.by_key:
            return self.plain
        selected = self.plain
        for key in query:
            routes = self.by_key.get(key)
            if routes:
                selected = selected + routes
        return selected


@dataclass
class Node:
    literals: dict[str, Node] = field(default_factory=dict)
    label: Node | None = None
    routes: RouteGroup = field(default_factory=RouteGroup)
    greedy: RouteGroup = field(default_factory=RouteGroup)


def _segments(path: str) -> list[str]:
    """Path segments, without the leading '/' and without one trailing empty segment: '/a/' and
    '/a' route alike (Lambda's `/2015-03-31/functions/` is sent with the slash)."""
    parts = path.split("/")[1:]
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def _compile_route(operation: Any, overlay: Wire) -> tuple[str, list[str | None], Route]:
    http = operation.http
    method = http.get("method", "POST").upper()
    path, _, query = http.get("requestUri", "/").partition("?")
    template: list[str | None] = []  # None is a label
    labels: list[tuple[int, str]] = []
    greedy = None
    greedy_index = 0
    suffix: list[str | None] = []
    for index, segment in enumerate(_segments(path)):
        if greedy is not None:
            suffix.append(None if segment.startswith("{") else segment)
            continue
        if segment.startswith("{") and segment.endswith("+}"):
            greedy = segment[1:-2]
            greedy_index = index
        elif segment.startswith("{") and segment.endswith("}"):
            labels.append((index, segment[1:-1]))
            template.append(None)
        else:
            template.append(segment)
    literal_query: dict[str, str | None] = {}
    for part in query.split("&"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if key == "x-id":
            continue  # names the operation for logs; AWS does not route on it
        literal_query[key] = value if eq else None
    required_query: list[str] = []
    required_headers: list[str] = []
    shape = operation.input_shape
    if shape is not None:
        for name in shape.required_members:
            member = shape.members[name]
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "querystring":
                required_query.append(wire)
            elif location == "header":
                required_headers.append(wire.lower())
    route = Route(
        operation=operation,
        labels=labels,
        greedy=greedy,
        greedy_index=greedy_index,
        suffix=suffix,
        literal_query=literal_query,
        required_query=tuple(required_query),
        required_headers=tuple(required_headers),
        query_required_to_match=overlay.query_routed,
        demoted=bool(operation.deprecated) or operation.name in overlay.demoted_operations,
    )
    return method, template, route


def build_routes(model: Any) -> dict[str, Node]:
    roots: dict[str, Node] = {}
    overlay = wire(model)
    for name in model.operation_names:
        operation = model.operation_model(name)
        method, template, route = _compile_route(operation, overlay)
        node = roots.setdefault(method, Node())
        for segment in template:
            if segment is None:
                if node.label is None:
                    node.label = Node()
                node = node.label
            else:
                node = node.literals.setdefault(segment, Node())
        (node.greedy if route.greedy is not None else node.routes).add(route)
    return roots


_routes: dict[int, tuple[Any, dict[str, Node]]] = {}


def routes_for(model: Any) -> dict[str, Node]:
    entry = _routes.get(id(model))
    if entry is None or entry[0] is not model:
        entry = _routes[id(model)] = (model, build_routes(model))
    return entry[1]


def _best(
    candidates: list[Route], request: Any, query: dict[str, list[str]], segments: list[str], index: int
) -> Route | None:
    """The best of the routes that matched the path so far, or None. A route is out if its
    greedy suffix does not fit or a query key its requestUri names is absent; among the rest,
    the one botocore's `x-id` names, then the most literal, then the one whose required query
    and header members the request carries."""
    if not candidates:
        return None
    named = query.get("x-id") if query else None
    wanted = named[0] if named else None
    headers = request.headers
    best, best_score = None, None
    for route in candidates:
        if route.greedy is not None and not _greedy_fits(route, segments, index):
            continue
        literal = route.literal_query
        if literal and not all(_has_query(query, key, value) for key, value in literal.items()):
            continue
        present = missing = 0
        for key in route.required_query:
            if key in query:
                present += 1
            else:
                missing += 1
        if missing and route.query_required_to_match:
            continue
        for key in route.required_headers:
            if key in headers:
                present += 1
            else:
                missing += 1
        score = (
            route.operation.name == wanted,
            # After a greedy label, more literal segments is more specific
            # (`/instances/{name+}/policy` before `/instances/{name+}`).
            len(route.suffix),
            len(literal),
            present,
            -missing,
            not route.demoted,
        )
        if best_score is None or score > best_score:
            best, best_score = route, score
    return best


def _has_query(query: dict[str, list[str]], key: str, value: str | None) -> bool:
    values = query.get(key)
    return values is not None and (value is None or value in values)


def _walk(node: Node, segments: list[str], index: int, request: Any, query: dict) -> Route | None:
    if index == len(segments):
        if node.routes:
            found = _best(node.routes.candidates(query), request, query, segments, index)
            if found is not None:
                return found
    else:
        child = node.literals.get(segments[index])
        if child is not None:
            found = _walk(child, segments, index + 1, request, query)
            if found is not None:
                return found
        if node.label is not None and segments[index]:
            found = _walk(node.label, segments, index + 1, request, query)
            if found is not None:
                return found
    if node.greedy and index < len(segments):
        return _best(node.greedy.candidates(query), request, query, segments, index)
    return None


def _greedy_fits(route: Route, segments: list[str], index: int) -> bool:
    suffix = route.suffix
    if not suffix:
        return True  # the caller checked that at least one segment is left
    if len(segments) - index < len(suffix) + 1:
        return False
    tail = segments[len(segments) - len(suffix) :]
    return all(expected is None or expected == actual for expected, actual in zip(suffix, tail, strict=False))


def _uri_params(route: Route, raw_path: str, segments: list[str]) -> dict[str, str]:
    params = {label: unquote(segments[index]) for index, label in route.labels}
    if route.greedy is not None:
        start = route.greedy_index
        # The greedy value keeps its '/'s and a trailing '/' (S3 keys "dir/"), so cut it from
        # the raw path rather than from the trimmed segment list.
        raw = raw_path.split("/")[1:]
        end = len(raw) - len(route.suffix)
        if route.suffix and raw and raw[-1] == "":
            end -= 1
        params[route.greedy] = unquote("/".join(raw[start:end]))
    return params


def _match_rest(model: Any, request: Any) -> tuple[Any, dict[str, str]]:
    root = routes_for(model).get(request.method.upper())
    segments = _segments(request.raw_path)
    query = request.query if request.query_string else {}
    route = _walk(root, segments, 0, request, query) if root is not None else None
    if route is None:
        raise _no_route(model, request, segments)
    return route.operation, _uri_params(route, request.raw_path, segments)


def _no_route(model: Any, request: Any, segments: list[str]) -> ServiceError:
    answer = wire(model).no_route_error
    if answer is None:
        # API Gateway-fronted REST services answer an unrouted request this way.
        return ServiceError("UnknownOperationException", "Unknown operation", 404)
    resource = answer.resource_kinds[min(len(segments), 2)]
    error = ServiceError(answer.code, answer.message, answer.status)
    error.fields = {
        name: template.format(method=request.method.upper(), resource=resource)
        for name, template in answer.fields.items()
    }
    return error


MATCHERS = {
    "json": _match_json,
    "json-cbor": _match_json,
    "query": _match_query,
    "ec2": _match_query,
    "smithy-rpc-v2-cbor": _match_rpc_v2,
    "rest-json": _match_rest,
    "rest-xml": _match_rest,
}
