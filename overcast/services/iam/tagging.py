"""Tag<X>, Untag<X> and List<X>Tags for every taggable IAM resource, from one table: which
request member names the resource, how to load its record, and how to store it back."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from overcast.services.iam.base import IamBase, merge_tags


class Taggable(NamedTuple):
    member: str
    load: Callable  # (provider, account, name) -> record, or raises NoSuchEntity
    save: Callable  # (provider, account, record) -> None
    #: Listing tags may see more than tagging can change (AWS managed policies list no tags).
    load_for_list: Callable | None = None


def _by(table: str, key: str) -> Callable:
    return lambda self, account, record: self._put(table, account, record[key], record)


TAGGABLE: dict[str, Taggable] = {
    "user": Taggable(
        "UserName", lambda s, a, n: s.entity("user", a, n), lambda s, a, r: s._save("user", a, r)
    ),
    "role": Taggable(
        "RoleName", lambda s, a, n: s.entity("role", a, n), lambda s, a, r: s._save("role", a, r)
    ),
    "policy": Taggable(
        "PolicyArn",
        lambda s, a, n: s._customer_policy(a, n),
        _by("policies", "PolicyName"),
        lambda s, a, n: s._policy(a, n),
    ),
    "instance_profile": Taggable(
        "InstanceProfileName",
        lambda s, a, n: s._profile(a, n),
        _by("instance_profiles", "InstanceProfileName"),
    ),
    "open_id_connect_provider": Taggable(
        "OpenIDConnectProviderArn", lambda s, a, n: s._oidc(a, n), _by("oidc_providers", "Arn")
    ),
    "saml_provider": Taggable("SAMLProviderArn", lambda s, a, n: s._saml(a, n), _by("saml_providers", "Arn")),
    "server_certificate": Taggable(
        "ServerCertificateName",
        lambda s, a, n: s._server_certificate(a, n),
        _by("server_certificates", "ServerCertificateName"),
    ),
    "workload_identity_provider": Taggable(
        "WorkloadIdentityProviderArn",
        lambda s, a, n: s._workload_provider(a, n),
        lambda s, a, r: s._save_workload_provider(a, r),
    ),
    "workload_identity_template": Taggable(
        "WorkloadIdentityTemplateArn",
        lambda s, a, n: s._workload_template(a, n),
        lambda s, a, r: s._save_workload_template(a, r),
    ),
    "mfa_device": Taggable("SerialNumber", lambda s, a, n: s._mfa(a, n), _by("mfa_devices", "SerialNumber")),
}


class TaggingMixin(IamBase):
    def _tag(self, kind: str, context, params) -> dict:
        spec = TAGGABLE[kind]
        record = spec.load(self, context.account, params[spec.member])
        record["Tags"] = merge_tags(record.get("Tags") or [], params["Tags"])
        spec.save(self, context.account, record)
        return {}

    def _untag(self, kind: str, context, params) -> dict:
        spec = TAGGABLE[kind]
        record = spec.load(self, context.account, params[spec.member])
        remove = set(params["TagKeys"])
        record["Tags"] = [t for t in record.get("Tags") or [] if t["Key"] not in remove]
        spec.save(self, context.account, record)
        return {}

    def _list_tags(self, kind: str, context, params) -> dict:
        spec = TAGGABLE[kind]
        record = (spec.load_for_list or spec.load)(self, context.account, params[spec.member])
        return self.paginate(record.get("Tags") or [], params, "Tags")


def _bind(method_name: str, kind: str):
    def handler(self, context, params):
        return getattr(self, method_name)(kind, context, params)

    handler.__name__ = f"{method_name}_{kind}"
    return handler


for _kind in TAGGABLE:
    setattr(TaggingMixin, f"tag_{_kind}", _bind("_tag", _kind))
    setattr(TaggingMixin, f"untag_{_kind}", _bind("_untag", _kind))
    setattr(TaggingMixin, f"list_{_kind}_tags", _bind("_list_tags", _kind))
