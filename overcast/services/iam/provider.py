"""AWS Identity and Access Management (global: state is scoped by account only).

The operations live in mixins by subject: entities.py (users, groups, roles and what they
share), policies.py (managed policies), credentials.py (access keys, passwords, MFA),
account.py (instance profiles, alias, password policy, identity providers, service-linked
roles, summaries), keys.py (SSH keys, signing certificates, service-specific credentials),
certificates.py (server certificates), features.py (account properties, STS preferences, outbound
federation, Organizations features), access.py (service last accessed, policies granting
access), delegation.py (delegation requests, role templates), workload.py (workload
identity providers and templates), simulate.py (the policy simulator), authz.py (principals and their
policies, for STS and enforcement), tagging.py (tags of every taggable resource)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.services.iam.access import AccessMixin
from overcast.services.iam.account import AccountMixin
from overcast.services.iam.authz import AuthorizationMixin
from overcast.services.iam.base import GLOBAL
from overcast.services.iam.certificates import ServerCertificatesMixin
from overcast.services.iam.credentials import CredentialReportMixin, CredentialsMixin
from overcast.services.iam.delegation import DelegationMixin
from overcast.services.iam.entities import EntitiesMixin
from overcast.services.iam.features import FeaturesMixin
from overcast.services.iam.keys import KeysMixin
from overcast.services.iam.policies import PoliciesMixin
from overcast.services.iam.simulate import SimulateMixin
from overcast.services.iam.tagging import TaggingMixin
from overcast.services.iam.workload import WorkloadIdentityMixin

if TYPE_CHECKING:
    from overcast.enforcement import Enforcer


class Provider(
    EntitiesMixin,
    PoliciesMixin,
    CredentialsMixin,
    CredentialReportMixin,
    AccountMixin,
    SimulateMixin,
    AuthorizationMixin,
    TaggingMixin,
    KeysMixin,
    ServerCertificatesMixin,
    FeaturesMixin,
    AccessMixin,
    DelegationMixin,
    WorkloadIdentityMixin,
):
    service = "iam"

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        #: key id → (generation, credential record or None): identify() runs on every request.
        self._key_cache: dict[str, tuple[int, dict | None]] = {}

    def start(self) -> None:
        #: Under --enforce-iam, authorizes every request (check_any_request); kept for the
        #: checks a service makes per item of a batch (S3 DeleteObjects).
        self.enforcer: Enforcer | None = None
        if getattr(self.runtime.config, "enforce_iam", False):
            from overcast.enforcement import Enforcer

            self.enforcer = Enforcer(self.runtime, self)

    def check_any_request(self, context, params) -> None:
        if self.enforcer is not None:
            self.enforcer.check(context, params)

    def authorize(self, context: RequestContext, params: dict | None, targets: list[tuple[str, str]]) -> None:
        """For a service that authorizes the items of a batch one by one (S3 DeleteObjects):
        raise the service's AccessDenied unless the caller may do each (action, resource).
        Without --enforce-iam nothing is refused."""
        if self.enforcer is not None:
            self.enforcer.authorize(context, params, targets)

    def service_may_deliver(
        self, service_principal: str, action: str, target_arn: str, source_arn: str, source_account: str
    ) -> bool:
        """Under --enforce-iam, whether a service delivering on behalf of another account's
        resource (SNS for a topic, to a queue) may do `action` on the target: the target's
        resource policy must allow the service principal, with aws:SourceArn and
        aws:SourceAccount naming the source. Without enforcement, always."""
        if self.enforcer is None:
            return True
        return self.enforcer.service_may(service_principal, action, target_arn, source_arn, source_account)

    def observe_any_request(self, context, params, output, error) -> None:
        """GetAccessKeyLastUsed: long-term keys record the service and region they were last
        used with (throttled in note_key_used, so this costs a dict lookup per request)."""
        identity = context.extra.get("identity")
        if identity is not None and identity.get("Kind") in ("user", "root"):
            self.note_key_used(identity["AccessKeyId"], identity, context.service, context.region)
        if identity is not None:
            self.note_access(context, params)

    def state_replaced(self) -> None:
        self.generation += 1
        self._key_cache.clear()
        self._policy_cache.clear()

    def resolve_key(self, key_id: str) -> dict | None:
        """The credential record behind an access key id IAM or STS issued (with AccessKeyId),
        or None."""
        cached = self._key_cache.get(key_id)
        if cached is not None and cached[0] == self.generation:
            return cached[1]
        record = self.tables["credentials"].get(GLOBAL, key_id)
        if record is not None:
            record["AccessKeyId"] = key_id
            if record["Kind"] == "root":
                record.setdefault("Arn", self.arn("us-east-1", record["Account"], "root"))
                record.setdefault("UserId", record["Account"])
            elif record["Kind"] == "user" and "Arn" not in record:
                user = self._get("users", record["Account"], record["UserName"]) or {}
                record["Arn"] = user.get(
                    "Arn", self.arn("us-east-1", record["Account"], f"user/{record['UserName']}")
                )
        if len(self._key_cache) > 10000:
            self._key_cache.clear()
        self._key_cache[key_id] = (self.generation, record)
        return record

    def secret_for(self, key_id: str) -> str | None:
        record = self.resolve_key(key_id) if len(key_id) == 20 else None
        return record["Secret"] if record else None
