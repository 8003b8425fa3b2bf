"""The data plane's own refusals: answered with the API's gateway response of that type."""

from __future__ import annotations


class GatewayError(Exception):
    """A request API Gateway answers itself with a gateway response."""

    def __init__(self, response_type: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.message = message
        self.status = status
