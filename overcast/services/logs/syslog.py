"""Syslog configurations: a log group that takes syslog through a VPC endpoint.

Overcast has no VPCs, so no VPC endpoint exists to name: a configuration that names one is
refused as AWS refuses a missing endpoint. One without an endpoint is stored and listed.

Table (scope = account/region): syslog  group SEP endpoint → configuration
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.common.times import epoch_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

from .paging import page_keys

if TYPE_CHECKING:
    from .provider import Provider

SEP = "\x01"
_DEFAULT_PAGE = 50


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


class SyslogMixin:
    @property
    def _syslog(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "syslog")

    def _syslog_group(self: Provider, context: RequestContext, identifier: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = self._scope(context)
        name = self._group_name({"logGroupIdentifier": identifier})
        return scope, self._group(scope, name)

    def put_syslog_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, group = self._syslog_group(context, params["logGroupIdentifier"])
        endpoint = params.get("vpcEndpointId")
        if endpoint:
            raise _not_found(f"The VPC endpoint {endpoint} does not exist.")
        key = group["logGroupName"] + SEP
        existing = self._syslog.get(scope, key)
        configuration = {
            "logGroupArn": group["logGroupArn"],
            "createdAt": existing["createdAt"] if existing else epoch_millis(),
        }
        self._syslog.put(scope, key, configuration)
        return {}

    def delete_syslog_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, group = self._syslog_group(context, params["logGroupIdentifier"])
        key = group["logGroupName"] + SEP + (params.get("vpcEndpointId") or "")
        if not self._syslog.delete(scope, key):
            raise _not_found("The specified syslog configuration does not exist.")
        return {}

    def list_syslog_configurations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        prefix = ""
        if params.get("logGroupIdentifier"):
            _, group = self._syslog_group(context, params["logGroupIdentifier"])
            prefix = group["logGroupName"] + SEP
        endpoint = params.get("vpcEndpointId")

        def configurations(after: str | None):
            for key, configuration in self._syslog.scan(scope, prefix=prefix, start_after=after):
                if endpoint is None or configuration.get("vpcEndpointId") == endpoint:
                    yield key, configuration

        return page_keys(
            self.store, "ListSyslogConfigurations", params, configurations,
            result_key="syslogConfigurations", limit=params.get("maxResults") or _DEFAULT_PAGE,
            bad_token=lambda: ServiceError("InvalidParameterException", "The specified nextToken is invalid.", 400),
            bind=f"{prefix}{SEP}{endpoint}",
        )  # fmt: skip
