"""RTMP (streaming) distributions, as CloudFront answers them since it discontinued them on
December 31, 2020: none exists any more and none can be created. The listing is empty, a
streaming distribution named by id does not exist, and a new one is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

_DISCONTINUED = (
    "RTMP distributions are no longer supported: CloudFront discontinued them on December 31, 2020. "
    "Serve media over HTTP with a web distribution instead."
)


def _refused() -> Exception:
    return error("AccessDenied", _DISCONTINUED, 403)


def _missing() -> Exception:
    return error("NoSuchStreamingDistribution", "The specified streaming distribution does not exist.", 404)


class Streaming:
    def create_streaming_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _refused()

    def create_streaming_distribution_with_tags(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        raise _refused()

    def get_streaming_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _missing()

    def get_streaming_distribution_config(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _missing()

    def update_streaming_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _missing()

    def delete_streaming_distribution(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise _missing()

    def list_streaming_distributions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"StreamingDistributionList": common.listing([], params)}
