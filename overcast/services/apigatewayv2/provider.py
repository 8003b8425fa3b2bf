"""Amazon API Gateway, HTTP and WebSocket APIs (v2): the control plane (every operation of its
model) and the data plane that serves their stages on port 4566 (dataplane.py, websocket.py).

State: table "apis" holds one document per API, keyed by its id in the account and region's
scope: the API itself and its routes, route responses, integrations, integration responses,
authorizers, models, stages and deployments (a deployment keeps a snapshot of what its stages
serve). Domain names, VPC links and portals have tables of their own. An API id names no
account, so the data plane finds an API through `api_homes` (id → scope), rebuilt at start."""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from overcast.common import pagination
from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.services.apigatewayv2.apis import ApisMixin
from overcast.services.apigatewayv2.authorizers import AuthorizersMixin
from overcast.services.apigatewayv2.common import bad_request, fitted, new_id, not_found
from overcast.services.apigatewayv2.dataplane import DataPlaneMixin
from overcast.services.apigatewayv2.domains import DomainsMixin
from overcast.services.apigatewayv2.events import EventsMixin
from overcast.services.apigatewayv2.openapi import OpenApiMixin
from overcast.services.apigatewayv2.portals import PortalsMixin
from overcast.services.apigatewayv2.stages import StagesMixin
from overcast.services.apigatewayv2.websocket import WebSocketMixin
from overcast.services.base import BaseProvider, HostRoute
from overcast.store import scope as store_scope

#: `{api-id}.execute-api.localhost.localstack.cloud` and `{api-id}.execute-api.{region}.amazonaws.com`.
API_HOST = re.compile(
    r"^(?P<api_id>[a-z0-9]{10})\.execute-api\.(?:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.)?"
    r"(?:localhost\.localstack\.cloud|amazonaws\.com|localhost)(?::\d+)?$"
)
#: Custom domain names: matched against the stored domain names on each request.
ANY_HOST = re.compile(r"^(?P<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?$")
#: The path form for clients that cannot set a Host: the stage is optional for `$default`.
EXECUTE_API_PATH = re.compile(r"^/_aws/execute-api/(?P<api_id>[A-Za-z0-9]+)(?P<path>/.*)?$")

#: What a deployment freezes of an API: what its stages serve until the next deployment.
DEPLOYED = (
    "Routes",
    "RouteResponses",
    "Integrations",
    "IntegrationResponses",
    "Authorizers",
    "Models",
)


@fitted
class Provider(
    ApisMixin,
    StagesMixin,
    DomainsMixin,
    PortalsMixin,
    OpenApiMixin,
    DataPlaneMixin,
    AuthorizersMixin,
    EventsMixin,
    WebSocketMixin,
    BaseProvider,
):
    service = "apigatewayv2"
    host_routes = (HostRoute(API_HOST, "serve_host"), HostRoute(ANY_HOST, "serve_domain"))
    path_routes = (HostRoute(EXECUTE_API_PATH, "serve_path"),)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.apis = self.store.table("apigatewayv2", "apis")
        self.domains = self.store.table("apigatewayv2", "domain_names")
        self.vpc_links = self.store.table("apigatewayv2", "vpc_links")
        self.portals = self.store.table("apigatewayv2", "portals")
        self.products = self.store.table("apigatewayv2", "portal_products")
        self._lock = threading.RLock()
        #: api id → scope, for the data plane (an invoke URL names no account).
        self.api_homes: dict[str, str] = {}
        #: api id → its stored document, for the data plane's reads; dropped on every write.
        self.cache: dict[str, dict[str, Any]] = {}
        #: domain name → scope, and → its record (cached, dropped on every write), for the data plane.
        self.domain_homes: dict[str, str] = {}
        self.domain_records: dict[str, dict[str, Any]] = {}
        self.init_dataplane()
        self.init_websocket()

    def start(self) -> None:
        self._index()

    def _index(self) -> None:
        self.api_homes.clear()
        self.cache.clear()
        self.domain_homes.clear()
        self.domain_records.clear()
        for scope in self.apis.scopes():
            for api_id, _ in self.apis.scan(scope):
                self.api_homes[api_id] = scope
        for scope in self.domains.scopes():
            for name, _ in self.domains.scan(scope):
                self.domain_homes[name] = scope

    def reset(self) -> None:
        self.api_homes.clear()
        self.cache.clear()
        self.domain_homes.clear()
        self.domain_records.clear()
        self.reset_dataplane()
        self.reset_websocket()

    def state_replaced(self) -> None:
        self._index()

    def close(self) -> None:
        self.reset_websocket()

    # -- the store -------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def websocket_stages(self, account: str, region: str, api_id: str) -> list[str] | None:
        """The stage names of a WebSocket API of the account (None: it has no such API); the
        REST API service's usage plans name them."""
        doc = self.apis.get(store_scope(account, region), api_id)
        if doc is None or doc["Api"]["ProtocolType"] != "WEBSOCKET":
            return None
        return list(doc["Stages"])

    def knows_api(self, api_id: str) -> bool:
        """Whether an HTTP or WebSocket API has this id (the REST API data plane asks)."""
        return api_id in self.api_homes

    def fresh_api_id(self) -> str:
        others = self.runtime.providers.get("apigateway")
        while True:
            api_id = new_id(10)
            if api_id in self.api_homes:
                continue
            if others is not None and api_id in getattr(others, "api_homes", {}):
                continue
            return api_id

    def load(self, context: RequestContext, api_id: str) -> dict[str, Any]:
        """The API's document (a copy the caller may change and save); NotFoundException."""
        doc = self.apis.get(self.scope_of(context), api_id)
        if doc is None:
            raise not_found(f"Invalid API identifier specified {api_id}", "Api")
        return doc

    def save(self, context: RequestContext, doc: dict[str, Any]) -> None:
        api_id = doc["Api"]["ApiId"]
        scope = self.scope_of(context)
        self.apis.put(scope, api_id, doc)
        self.api_homes[api_id] = scope
        self.cache.pop(api_id, None)

    def drop(self, context: RequestContext, api_id: str) -> None:
        self.apis.delete(self.scope_of(context), api_id)
        self.api_homes.pop(api_id, None)
        self.cache.pop(api_id, None)

    def served_document(self, api_id: str) -> tuple[str, dict[str, Any]] | None:
        """(scope, document) of an API for the data plane, cached; never changed by readers."""
        scope = self.api_homes.get(api_id)
        if scope is None:
            return None
        doc = self.cache.get(api_id)
        if doc is None:
            doc = self.apis.get(scope, api_id)
            if doc is None:
                return None
            self.cache[api_id] = doc
        return scope, doc

    def page(self, operation: str, params: dict[str, Any], items: list[Any]) -> dict[str, Any]:
        """One page of a Get*s answer (MaxResults is a string in this API's model)."""
        limit = params.get("MaxResults")
        paging = dict(params)
        if limit is not None:
            try:
                paging["MaxResults"] = int(limit)
            except ValueError:
                raise bad_request("MaxResults must be a number") from None
            if paging["MaxResults"] < 1:
                raise bad_request("MaxResults must be at least 1")
        return pagination.paginate_list(
            self.store,
            "apigatewayv2",
            operation,
            paging,
            items,
            bad_token=lambda: bad_request("Invalid NextToken"),
            default_limit=100,
        )

    @staticmethod
    def snapshot(doc: dict[str, Any]) -> dict[str, Any]:
        """What a deployment freezes of an API."""
        api = doc["Api"]
        return copy.deepcopy(
            {key: doc.get(key) or {} for key in DEPLOYED}
            | {
                "CorsConfiguration": api.get("CorsConfiguration"),
                "RouteSelectionExpression": api.get("RouteSelectionExpression"),
                "ApiKeySelectionExpression": api.get("ApiKeySelectionExpression"),
            }
        )

    @staticmethod
    def arn(region: str, path: str) -> str:
        return f"arn:{partition(region)}:apigateway:{region}::{path}"
