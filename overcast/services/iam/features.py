"""Account-wide IAM settings: account properties, the STS global endpoint token version,
outbound web identity federation; and the Organizations features, which a standalone account
(every Overcast account: there is no Organizations) is refused with AWS's documented error."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.iam.base import IamBase, invalid_input, no_such_entity

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider

#: GlobalEndpointTokenVersion as SetSecurityTokenServicePreferences names it → as GetAccountSummary counts it.
TOKEN_VERSIONS = {"v1Token": 1, "v2Token": 2}


def no_organization() -> ServiceError:
    return ServiceError(
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
        400,
    )


class FeaturesMixin(IamBase):
    def _feature(self, account: str, name: str) -> dict | None:
        return self._get("features", account, name)

    def _set_feature(self, account: str, name: str, value: dict | None) -> None:
        with self.store.transaction():
            if value is None:
                self._delete("features", account, name)
            else:
                self._put("features", account, name, value)

    # -- account properties ----------------------------------------------------------------------

    def get_account_properties(self, context: RequestContext, params: dict) -> dict:
        return {"Properties": (self._feature(context.account, "properties") or {}).get("Properties", {})}

    def put_account_properties(self, context: RequestContext, params: dict) -> dict:
        properties = params["Properties"]
        if not properties:
            raise invalid_input("Properties must not be empty.")
        namespaces = set()
        for key in properties:
            namespace, slash, name = key.partition("/")
            if not (slash and namespace and name) or "/" in name:
                raise invalid_input(f"Property {key} must be in Namespace/PropertyName format.")
            namespaces.add(namespace)
        if len(namespaces) > 1:
            raise invalid_input("All properties in a request must belong to the same namespace.")
        stored = (self._feature(context.account, "properties") or {}).get("Properties", {})
        self._set_feature(context.account, "properties", {"Properties": {**stored, **properties}})
        return {}

    # -- STS preferences -------------------------------------------------------------------------

    def set_security_token_service_preferences(self, context: RequestContext, params: dict) -> dict:
        version = TOKEN_VERSIONS[params["GlobalEndpointTokenVersion"]]
        self._set_feature(context.account, "sts-preferences", {"GlobalEndpointTokenVersion": version})
        return {}

    def global_endpoint_token_version(self, account: str) -> int:
        """1 or 2: the token version STS's global endpoint issues for this account (GetAccountSummary)."""
        return (self._feature(account, "sts-preferences") or {}).get("GlobalEndpointTokenVersion", 1)

    # -- outbound web identity federation ----------------------------------------------------------

    def enable_outbound_web_identity_federation(self, context: RequestContext, params: dict) -> dict:
        if self._feature(context.account, "outbound-federation") is not None:
            raise ServiceError(
                "FeatureEnabled",
                "Outbound identity federation is already enabled for this account.",
                409,
            )
        # Each account gets its own issuer, as AWS gives (https://<id>.tokens.sts.global.api.aws).
        issuer = f"https://{uuid.uuid4()}.tokens.sts.global.api.aws"
        self._set_feature(context.account, "outbound-federation", {"IssuerIdentifier": issuer})
        return {"IssuerIdentifier": issuer}

    def disable_outbound_web_identity_federation(self, context: RequestContext, params: dict) -> dict:
        if self._feature(context.account, "outbound-federation") is None:
            raise _federation_disabled()
        self._set_feature(context.account, "outbound-federation", None)
        return {}

    def get_outbound_web_identity_federation_info(self, context: RequestContext, params: dict) -> dict:
        record = self.outbound_federation(context.account)
        if record is None:
            raise _federation_disabled()
        return {"IssuerIdentifier": record["IssuerIdentifier"], "JwtVendingEnabled": True}

    def outbound_federation(self, account: str) -> dict | None:
        """The account's outbound federation ({"IssuerIdentifier": ...}) when enabled, else None:
        STS's GetWebIdentityToken issues tokens only then."""
        return self._feature(account, "outbound-federation")

    # -- Organizations features: no organization here ----------------------------------------------

    def _organization_only(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise no_organization()

    list_organizations_features = _organization_only
    enable_organizations_root_credentials_management = _organization_only
    disable_organizations_root_credentials_management = _organization_only
    enable_organizations_root_sessions = _organization_only
    disable_organizations_root_sessions = _organization_only
    enable_organization_level_resources = _organization_only
    disable_organization_level_resources = _organization_only
    generate_organizations_access_report = _organization_only

    def get_organizations_access_report(self, context: RequestContext, params: dict) -> dict:
        # No report can have been generated without an organization.
        raise no_such_entity(f"Job {params['JobId']} cannot be found.")


def _federation_disabled() -> ServiceError:
    return ServiceError("FeatureDisabled", "Outbound identity federation is disabled for this account.", 404)
