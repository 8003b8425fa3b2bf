"""The API Gateway management API (`@connections`): how a backend pushes to, inspects and
closes a client's WebSocket connection. Signed for `execute-api` at
`/@connections/{connectionId}`; the connections live in the WebSocket APIs' server
(services/apigatewayv2/websocket.py). The same calls on an API's own endpoint
(`/{stage}/@connections/{id}`) are served there."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider


class Provider(BaseProvider):
    service = "apigatewaymanagementapi"

    def _websockets(self):
        if not self.runtime.serves("apigatewayv2"):
            raise ServiceError("ForbiddenException", "Forbidden", 403)
        return self.runtime.provider("apigatewayv2")

    async def post_to_connection(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        data = params.get("Data") or b""
        if isinstance(data, str):
            data = data.encode()
        await self._websockets().post_to_connection_id(params["ConnectionId"], bytes(data))
        return {}

    def get_connection(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._websockets().describe_connection(params["ConnectionId"])

    async def delete_connection(self, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self._websockets().delete_connection_id(params["ConnectionId"])
        return {}
