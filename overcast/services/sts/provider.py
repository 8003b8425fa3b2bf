"""AWS Security Token Service. GetCallerIdentity only, until the IAM issue brings the rest."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.services.base import BaseProvider


class Provider(BaseProvider):
    service = "sts"

    def get_caller_identity(self, context: RequestContext, params: dict) -> dict:
        return {
            "UserId": context.principal_id,
            "Account": context.account,
            "Arn": context.principal_arn,
        }
