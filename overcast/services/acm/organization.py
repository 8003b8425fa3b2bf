"""ACM's operations for AWS Organizations: certificate inventory across an organization's
accounts and actions on member accounts' certificates and authorities. Only an organization's
management account or its delegated administrator may call them; Overcast's accounts belong
to no organization (it emulates no AWS Organizations), so ACM refuses them as it refuses a
standalone account."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.errors import ServiceError


def _refuse(context: RequestContext) -> ServiceError:
    return ServiceError(
        "AccessDeniedException",
        f"Account {context.account} is not the management account or a delegated administrator of an "
        "organization: it belongs to no organization.",
        400,
    )


class OrganizationMixin:
    def get_inventory_configuration(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def put_inventory_configuration(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def get_inventory_insights(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def list_inventory_findings(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def list_inventory_related_resources(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def list_inventory_usages(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def search_inventory(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def delete_member_certificate(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def delete_member_certificate_authority(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def renew_member_certificate(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def restore_member_certificate_authority(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def revoke_member_certificate(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def revoke_member_issued_certificate(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def update_member_certificate_authority(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)

    def update_member_certificate_options(self, context: RequestContext, params: dict) -> dict:
        raise _refuse(context)
