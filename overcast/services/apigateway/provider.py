"""Amazon API Gateway, REST APIs (v1): the control plane (every operation of its model) and
the data plane that serves deployed stages on port 4566.

State: table "apis" holds one document per REST API (restapis.py), keyed by its id in the
account and region's scope; API keys, usage plans, domain names, client certificates, VPC
links and the account's settings have tables of their own. An API id names no account, so
the data plane finds an API through `api_homes` (id → scope), rebuilt at start."""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from overcast.common import pagination
from overcast.context import RequestContext
from overcast.services.apigateway.authorization import AuthorizationMixin
from overcast.services.apigateway.awscalls import AwsCallsMixin
from overcast.services.apigateway.common import bad_request, new_id, not_found
from overcast.services.apigateway.definitions import DefinitionsMixin
from overcast.services.apigateway.domains import DomainsMixin
from overcast.services.apigateway.invoke import InvokeMixin
from overcast.services.apigateway.keys import KeysMixin
from overcast.services.apigateway.openapi import OpenApiMixin
from overcast.services.apigateway.restapis import RestApisMixin
from overcast.services.apigateway.stages import StagesMixin
from overcast.services.apigateway.testinvoke import TestInvokeMixin
from overcast.services.base import BaseProvider, HostRoute
from overcast.store import scope as store_scope

#: `{api-id}.execute-api.localhost.localstack.cloud` and `{api-id}.execute-api.{region}.amazonaws.com`.
API_HOST = re.compile(
    r"^(?P<api_id>[a-z0-9]{10})\.execute-api\.(?:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.)?"
    r"(?:localhost\.localstack\.cloud|amazonaws\.com|localhost)(?::\d+)?$"
)
#: Host names of custom domains are matched against the stored domain names on each request.
ANY_HOST = re.compile(r"^(?P<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?$")
#: The path forms for clients that cannot set a Host.
USER_REQUEST_PATH = re.compile(
    r"^/restapis/(?P<api_id>[A-Za-z0-9]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$"
)
EXECUTE_API_PATH = re.compile(r"^/_aws/execute-api/(?P<api_id>[A-Za-z0-9]+)/(?P<stage>[^/]+)(?P<path>/.*)?$")


class Provider(
    RestApisMixin,
    DefinitionsMixin,
    StagesMixin,
    KeysMixin,
    DomainsMixin,
    OpenApiMixin,
    InvokeMixin,
    AuthorizationMixin,
    AwsCallsMixin,
    TestInvokeMixin,
    BaseProvider,
):
    service = "apigateway"
    host_routes = (HostRoute(API_HOST, "serve_host"), HostRoute(ANY_HOST, "serve_domain"))
    path_routes = (HostRoute(USER_REQUEST_PATH, "serve_path"), HostRoute(EXECUTE_API_PATH, "serve_path"))

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.apis = self.store.table("apigateway", "apis")
        self.keys = self.store.table("apigateway", "api_keys")
        self.plans = self.store.table("apigateway", "usage_plans")
        self.usage = self.store.table("apigateway", "usage")
        self.domains = self.store.table("apigateway", "domain_names")
        self.associations = self.store.table("apigateway", "access_associations")
        self.certificates = self.store.table("apigateway", "client_certificates")
        self.vpc_links = self.store.table("apigateway", "vpc_links")
        self.settings = self.store.table("apigateway", "account")
        self._lock = threading.Lock()
        #: api id → scope, for the data plane (an invoke URL names no account).
        self.api_homes: dict[str, str] = {}
        #: api id → its stored document, for the data plane's reads; dropped on every write.
        self.cache: dict[str, dict[str, Any]] = {}
        self.init_invoke()

    def start(self) -> None:
        self._index()

    def _index(self) -> None:
        self.api_homes.clear()
        self.cache.clear()
        for scope in self.apis.scopes():
            for api_id, _ in self.apis.scan(scope):
                self.api_homes[api_id] = scope
        self.index_domains()

    def reset(self) -> None:
        self.api_homes.clear()
        self.cache.clear()
        self.reset_invoke()

    def state_replaced(self) -> None:
        self._index()

    # -- the store -------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def fresh_api_id(self) -> str:
        while True:
            api_id = new_id(10)
            if api_id not in self.api_homes:
                return api_id

    def load(self, context: RequestContext, api_id: str) -> dict[str, Any]:
        """The API's document (a copy the caller may change and save); NotFoundException."""
        doc = self.apis.get(self.scope_of(context), api_id)
        if doc is None:
            raise not_found(f"Invalid API identifier specified {context.account}:{api_id}")
        return doc

    def save(self, context: RequestContext, doc: dict[str, Any]) -> None:
        api_id = doc["api"]["id"]
        scope = self.scope_of(context)
        self.apis.put(scope, api_id, doc)
        self.api_homes[api_id] = scope
        self.cache.pop(api_id, None)

    def drop(self, context: RequestContext, api_id: str) -> None:
        self.apis.delete(self.scope_of(context), api_id)
        self.api_homes.pop(api_id, None)
        self.cache.pop(api_id, None)

    def documents(self, context: RequestContext) -> list[dict[str, Any]]:
        return [doc for _, doc in self.apis.scan(self.scope_of(context))]

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

    def page(
        self, operation: str, params: dict[str, Any], items: list[Any], default_limit: int = 25
    ) -> dict[str, Any]:
        try:
            pagination.paginator_spec("apigateway", operation)
        except KeyError:
            return {"items": items}
        return pagination.paginate_list(
            self.store,
            "apigateway",
            operation,
            params,
            items,
            bad_token=lambda: bad_request("Invalid position parameter"),
            default_limit=default_limit,
        )

    @staticmethod
    def snapshot(doc: dict[str, Any]) -> dict[str, Any]:
        """What a deployment freezes of an API: what its stages serve until the next deployment."""
        return copy.deepcopy(
            {key: doc[key] for key in ("resources", "models", "validators", "authorizers", "responses")}
            | {
                "binaryMediaTypes": doc["api"].get("binaryMediaTypes") or [],
                "apiKeySource": doc["api"].get("apiKeySource") or "HEADER",
                "policy": doc["api"].get("policy"),
                "disableExecuteApiEndpoint": bool(doc["api"].get("disableExecuteApiEndpoint")),
            }
        )
