"""Workload identity providers, their outbound signers and resource policy, and the templates
under them (a preview API: stored and returned as given, validated against the model and the
rules its reference states).

An X.509 signer's status follows from its times, read when asked, so nothing runs in the
background: IN_TRANSITION until StartSigningTime, ACTIVE until EndSigningTime, VALIDATING
until DiscoveryExpirationTime (12 hours later), then INACTIVE. Without AWS Private CA a
certificate authority's key algorithm is unknown, so a provider has one X.509 slot."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.services.iam.base import (
    IamBase,
    already_exists,
    delete_conflict,
    encode_document,
    invalid_input,
    limit_exceeded,
    malformed,
    no_such_entity,
    now,
    tag_list,
)
from overcast.services.iam.features import no_organization

#: The JWT signers IAM creates with every provider: signing algorithm → key algorithm.
JWT_SIGNERS = {"RS256": "RSA_2048", "ES256": "ECC_NIST_P256"}
VALIDATION_WINDOW = timedelta(hours=12)
DEFAULT_SIGNING_DELAY_HOURS = 24
ENTRIES_PER_SLOT = 5
_PROVIDER_FIELDS = ("Arn", "ResourceScope", "ProviderName", "ProviderId", "Description", "Scheme")
_TEMPLATE_FIELDS = (
    "Name",
    "TemplateId",
    "Description",
    "ResourceScope",
    "Arn",
    "WorkloadIdentityProviderArn",
    "PathPrefix",
    "PathPattern",
    "CreateDate",
)


def signer_status(entry: dict, at: datetime) -> str:
    if entry.get("EndSigningTime") is not None and entry["EndSigningTime"] <= at:
        return "INACTIVE" if entry["DiscoveryExpirationTime"] <= at else "VALIDATING"
    return "IN_TRANSITION" if entry["StartSigningTime"] > at else "ACTIVE"


def _check_document(text: str) -> None:
    try:
        document = jsontext.loads(text)
    except ValueError:
        raise malformed("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise malformed("Syntax errors in policy.")


def _scope(params: dict) -> str:
    scope = params.get("ResourceScope") or "ACCOUNT"
    if scope == "ORGANIZATION":
        raise no_organization()
    return scope


class WorkloadIdentityMixin(IamBase):
    # -- records ------------------------------------------------------------------------------------

    def _workload_provider(self, account: str, arn: str) -> dict:
        record = self._get("preview", account, f"wip/{arn}")
        if record is None:
            raise no_such_entity(f"Workload identity provider {arn} does not exist.")
        return record

    def _save_workload_provider(self, account: str, record: dict) -> None:
        with self.store.transaction():
            self._put("preview", account, f"wip/{record['Arn']}", record)

    def _workload_template(self, account: str, arn: str) -> dict:
        record = self._get("preview", account, f"wit/{arn}")
        if record is None:
            raise no_such_entity(f"Workload identity template {arn} does not exist.")
        return record

    def _save_workload_template(self, account: str, record: dict) -> None:
        with self.store.transaction():
            self._put("preview", account, f"wit/{record['Arn']}", record)

    def _scan_preview(self, account: str, kind: str) -> list[dict]:
        return [r for r in self._all("preview", account) if r.get("Kind") == kind]

    def _provider_shape(self, record: dict, at: datetime) -> dict:
        shape = {k: record[k] for k in _PROVIDER_FIELDS if record.get(k) is not None}
        if record.get("WorkloadIdentityDomain"):
            shape["WorkloadIdentityDomain"] = record["WorkloadIdentityDomain"]
        live = [e for e in record["X509"] if signer_status(e, at) != "INACTIVE"][:10]
        shape["OutboundSigners"] = {
            "X509": [_x509_detail(e, at) for e in live],
            "Jwt": [dict(j) for j in record["Jwt"]],
        }
        shape["Tags"] = record["Tags"]
        shape["CreateDate"] = record["CreateDate"]
        return shape

    # -- providers ----------------------------------------------------------------------------------

    def create_workload_identity_provider(self, context: RequestContext, params: dict) -> dict:
        scope = _scope(params)
        name = params["ProviderName"]
        if any(r["ProviderName"] == name for r in self._scan_preview(context.account, "provider")):
            raise already_exists(f"Workload identity provider {name} already exists.")
        created = now()
        record: dict[str, Any] = {
            "Kind": "provider",
            "Arn": self.arn(context, context.account, f"workload-identity-provider/{name}"),
            "ResourceScope": scope,
            "ProviderName": name,
            "ProviderId": uuid.uuid4().hex,
            "Description": params.get("Description"),
            "Scheme": params["Scheme"],
            "WorkloadIdentityDomain": params.get("WorkloadIdentityDomain"),
            "Tags": tag_list(params.get("Tags")),
            "CreateDate": created,
            "X509": [],
            "Jwt": [
                {"SigningAlgorithm": alg, "Configuration": {"KeyAlgorithm": key}, "StartSigningTime": created}
                for alg, key in JWT_SIGNERS.items()
            ],
        }
        self._save_workload_provider(context.account, record)
        return self._provider_shape(record, created)

    def get_workload_identity_provider(self, context: RequestContext, params: dict) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        return self._provider_shape(record, now())

    def list_workload_identity_providers(self, context: RequestContext, params: dict) -> dict:
        scope = params.get("ResourceScope") or "ACCOUNT"
        records = sorted(self._scan_preview(context.account, "provider"), key=lambda r: r["ProviderName"])
        keys = (*_PROVIDER_FIELDS, "WorkloadIdentityDomain", "CreateDate")
        listed = [
            {k: r[k] for k in keys if r.get(k) is not None} for r in records if r["ResourceScope"] == scope
        ]
        return self.paginate(listed, params, "WorkloadIdentityProviders")

    def delete_workload_identity_provider(self, context: RequestContext, params: dict) -> dict:
        arn = params["WorkloadIdentityProviderArn"]
        record = self._workload_provider(context.account, arn)
        if any(
            t["WorkloadIdentityProviderArn"] == arn for t in self._scan_preview(context.account, "template")
        ):
            raise delete_conflict("A workload identity template still references the provider.")
        if record["X509"]:
            raise delete_conflict("Delete every X.509 outbound signer of the provider first.")
        task = uuid.uuid4().hex
        with self.store.transaction():
            self._delete("preview", context.account, f"wip/{arn}")
            expires = now() + timedelta(hours=24)
            self._put("preview", context.account, f"wip-task/{task}", {"Arn": arn, "Expires": expires})
        return {"DeletionTaskId": task}

    def get_workload_identity_provider_deletion_status(self, context: RequestContext, params: dict) -> dict:
        task = self._get("preview", context.account, f"wip-task/{params['DeletionTaskId']}")
        if task is None or task["Expires"] <= now():
            raise no_such_entity(f"Deletion task {params['DeletionTaskId']} does not exist.")
        return {"WorkloadIdentityProviderArn": task["Arn"], "Status": "SUCCEEDED"}

    # -- the provider's resource policy ---------------------------------------------------------------

    def put_workload_identity_provider_resource_policy(self, context: RequestContext, params: dict) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        _check_document(params["PolicyDocument"])
        record["PolicyDocument"] = params["PolicyDocument"]
        self._save_workload_provider(context.account, record)
        return {}

    def get_workload_identity_provider_resource_policy(self, context: RequestContext, params: dict) -> dict:
        arn = params["WorkloadIdentityProviderArn"]
        record = self._workload_provider(context.account, arn)
        if record.get("PolicyDocument") is None:
            raise no_such_entity(f"Workload identity provider {arn} has no resource policy.")
        return {"Arn": arn, "PolicyDocument": encode_document(record["PolicyDocument"])}

    def delete_workload_identity_provider_resource_policy(
        self, context: RequestContext, params: dict
    ) -> dict:
        arn = params["WorkloadIdentityProviderArn"]
        record = self._workload_provider(context.account, arn)
        if record.pop("PolicyDocument", None) is None:
            raise no_such_entity(f"Workload identity provider {arn} has no resource policy.")
        self._save_workload_provider(context.account, record)
        return {}

    # -- X.509 outbound signers -------------------------------------------------------------------------

    def _x509_of(self, params: dict) -> dict:
        configuration = (params.get("OutboundSigner") or {}).get("X509")
        if not configuration:
            raise invalid_input("OutboundSigner must name an X509 certificate authority.")
        return configuration

    def create_workload_identity_provider_outbound_signer(
        self, context: RequestContext, params: dict
    ) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        configuration = self._x509_of(params)
        if record["X509"]:
            raise already_exists("The X.509 outbound signer slot already holds a signer.")
        record["X509"].append(_new_entry(configuration, now(), params.get("SigningDelayInHours")))
        self._save_workload_provider(context.account, record)
        return {}

    def update_workload_identity_provider_outbound_signer(
        self, context: RequestContext, params: dict
    ) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        configuration = self._x509_of(params)
        at = now()
        entries: list[dict] = record["X509"]
        if not entries:
            raise no_such_entity("The provider has no X.509 outbound signer to rotate.")
        start = at + timedelta(hours=params.get("SigningDelayInHours") or DEFAULT_SIGNING_DELAY_HOURS)
        current = next((e for e in entries if signer_status(e, at) == "ACTIVE"), None)
        incoming = next((e for e in entries if signer_status(e, at) == "IN_TRANSITION"), None)
        named = next((e for e in entries if e["Configuration"] == configuration), None)
        if named is not None and named is current:
            if incoming is not None:  # cancel the pending rotation: the current signer keeps on
                incoming.update(EndSigningTime=at, DiscoveryExpirationTime=at, NeverSigned=True)
                current.pop("EndSigningTime", None)
                current.pop("DiscoveryExpirationTime", None)
        elif named is not None and named is incoming:
            named["StartSigningTime"] = start
            if current is not None:
                current.update(EndSigningTime=start, DiscoveryExpirationTime=start + VALIDATION_WINDOW)
        else:
            if named is not None:  # a stopped entry attaches again as the incoming signer
                named.update(StartSigningTime=start)
                named.pop("EndSigningTime", None)
                named.pop("DiscoveryExpirationTime", None)
                named.pop("NeverSigned", None)
            else:
                _make_room(entries, at)
                entries.append(_new_entry(configuration, at, params.get("SigningDelayInHours")))
            if current is not None:
                current.update(EndSigningTime=start, DiscoveryExpirationTime=start + VALIDATION_WINDOW)
        self._save_workload_provider(context.account, record)
        return {}

    def disable_workload_identity_provider_outbound_signer(
        self, context: RequestContext, params: dict
    ) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        if params["SignerType"] != "X509":
            raise invalid_input("Only X.509 signing can be disabled.")
        at = now()
        for entry in record["X509"]:
            status = signer_status(entry, at)
            if status in ("ACTIVE", "IN_TRANSITION"):
                entry.update(EndSigningTime=at, DiscoveryExpirationTime=at + VALIDATION_WINDOW)
                entry["StoppedAt"] = at
        self._save_workload_provider(context.account, record)
        return {}

    def enable_workload_identity_provider_outbound_signer(
        self, context: RequestContext, params: dict
    ) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        if params["SignerType"] != "X509":
            raise invalid_input("Only X.509 signing can be enabled.")
        at = now()
        entries = record["X509"]
        if any(signer_status(e, at) in ("ACTIVE", "IN_TRANSITION") for e in entries):
            return {}  # signing already: nothing stopped to resume
        # Resume the entry that stopped most recently; a cancelled rotation's never-signed one stays out.
        stopped = [e for e in entries if e.get("StoppedAt") is not None and not e.get("NeverSigned")]
        if stopped:
            entry = max(stopped, key=lambda e: e["StoppedAt"])
            delay = params.get("SigningDelayInHours") or DEFAULT_SIGNING_DELAY_HOURS
            entry["StartSigningTime"] = at + timedelta(hours=delay)
            for field in ("EndSigningTime", "DiscoveryExpirationTime", "StoppedAt"):
                entry.pop(field, None)
        self._save_workload_provider(context.account, record)
        return {}

    def delete_workload_identity_provider_outbound_signer(
        self, context: RequestContext, params: dict
    ) -> dict:
        arn = params["WorkloadIdentityProviderArn"]
        record = self._workload_provider(context.account, arn)
        configuration = self._x509_of(params)
        entry = next((e for e in record["X509"] if e["Configuration"] == configuration), None)
        if entry is None:
            raise no_such_entity("The provider has no outbound signer with that certificate authority.")
        if signer_status(entry, now()) in ("ACTIVE", "IN_TRANSITION"):
            raise invalid_input("Disable the outbound signer before deleting it.")
        record["X509"].remove(entry)
        self._save_workload_provider(context.account, record)
        return {
            "WorkloadIdentityProviderArn": arn,
            "OutboundSigner": {"X509": configuration},
            "Status": "SUCCEEDED",
        }

    def list_workload_identity_provider_outbound_signers(self, context: RequestContext, params: dict) -> dict:
        record = self._workload_provider(context.account, params["WorkloadIdentityProviderArn"])
        at = now()
        signers = [
            {
                "SignerType": "X509",
                "Configuration": {"X509": e["Configuration"]},
                **_times(e),
                "Status": signer_status(e, at),
            }
            for e in record["X509"]
        ]
        signers += [
            {
                "SignerType": "JWT",
                "Configuration": {"Jwt": j["Configuration"]},
                "SigningAlgorithm": j["SigningAlgorithm"],
                "StartSigningTime": j["StartSigningTime"],
                "Status": "ACTIVE",
            }
            for j in record["Jwt"]
        ]
        return self.paginate(signers, params, "OutboundSigners")

    # -- templates ---------------------------------------------------------------------------------------

    def create_workload_identity_template(self, context: RequestContext, params: dict) -> dict:
        if params.get("TemplateDefinition") is not None:
            direct = [
                m for m in ("Name", "WorkloadIdentityProviderArn", "PathPattern") if params.get(m) is not None
            ]
            if direct:
                raise invalid_input(f"{direct[0]} cannot be given with TemplateDefinition.")
            # Template definitions are AWS-owned; none exists in an Overcast account.
            arn = params["TemplateDefinition"]["TemplateDefinitionArn"]
            raise no_such_entity(f"Workload identity template definition {arn} does not exist.")
        for member in ("Name", "WorkloadIdentityProviderArn", "PathPattern"):
            if not params.get(member):
                raise invalid_input(f"{member} is required when TemplateDefinition is not given.")
        provider_arn = params["WorkloadIdentityProviderArn"]
        self._workload_provider(context.account, provider_arn)
        name = params["Name"]
        arn = self.arn(context, context.account, f"workload-identity-template/{name}")
        if self._get("preview", context.account, f"wit/{arn}") is not None:
            raise already_exists(f"Workload identity template {name} already exists.")
        if params.get("AttestationPolicy") is not None:
            _check_document(params["AttestationPolicy"])
        record: dict[str, Any] = {
            "Kind": "template",
            "Name": name,
            "TemplateId": uuid.uuid4().hex,
            "Description": params.get("Description"),
            "ResourceScope": _scope(params),
            "Arn": arn,
            "WorkloadIdentityProviderArn": provider_arn,
            "PathPrefix": params.get("PathPrefix"),
            "PathPattern": params["PathPattern"],
            "AttestationPolicy": params.get("AttestationPolicy"),
            "Tags": tag_list(params.get("Tags")),
            "CreateDate": now(),
        }
        self._save_workload_template(context.account, record)
        shape = _template_shape(record)
        if record["AttestationPolicy"] is not None:
            shape["AttestationPolicy"] = encode_document(record["AttestationPolicy"])
        return shape

    def get_workload_identity_template(self, context: RequestContext, params: dict) -> dict:
        # The attestation policy is left out: it has its own Get operation.
        return _template_shape(
            self._workload_template(context.account, params["WorkloadIdentityTemplateArn"])
        )

    def list_workload_identity_templates(self, context: RequestContext, params: dict) -> dict:
        provider_arn = params["WorkloadIdentityProviderArn"]
        self._workload_provider(context.account, provider_arn)
        scope = params.get("ResourceScope") or "ACCOUNT"
        text = params.get("Filter") or ""
        records = sorted(self._scan_preview(context.account, "template"), key=lambda r: r["Name"])
        listed = [
            {k: v for k, v in _template_shape(r).items() if k not in ("TemplateId", "Tags")}
            for r in records
            if r["WorkloadIdentityProviderArn"] == provider_arn
            and r["ResourceScope"] == scope
            and text in r["Name"]
        ]
        return self.paginate(listed, params, "WorkloadIdentityTemplates")

    def delete_workload_identity_template(self, context: RequestContext, params: dict) -> dict:
        arn = params["WorkloadIdentityTemplateArn"]
        self._workload_template(context.account, arn)
        with self.store.transaction():
            self._delete("preview", context.account, f"wit/{arn}")
        return {"WorkloadIdentityTemplateArn": arn, "Status": "SUCCEEDED"}

    def put_workload_identity_template_attestation_policy(
        self, context: RequestContext, params: dict
    ) -> dict:
        record = self._workload_template(context.account, params["WorkloadIdentityTemplateArn"])
        _check_document(params["AttestationPolicy"])
        record["AttestationPolicy"] = params["AttestationPolicy"]
        self._save_workload_template(context.account, record)
        return {}

    def get_workload_identity_template_attestation_policy(
        self, context: RequestContext, params: dict
    ) -> dict:
        arn = params["WorkloadIdentityTemplateArn"]
        record = self._workload_template(context.account, arn)
        if record.get("AttestationPolicy") is None:
            raise no_such_entity(f"Workload identity template {arn} has no attestation policy.")
        return {
            "WorkloadIdentityTemplateArn": arn,
            "AttestationPolicy": encode_document(record["AttestationPolicy"]),
        }

    def delete_workload_identity_template_attestation_policy(
        self, context: RequestContext, params: dict
    ) -> dict:
        arn = params["WorkloadIdentityTemplateArn"]
        record = self._workload_template(context.account, arn)
        if record.get("AttestationPolicy") is None:
            raise no_such_entity(f"Workload identity template {arn} has no attestation policy.")
        record["AttestationPolicy"] = None
        self._save_workload_template(context.account, record)
        return {}


def _new_entry(configuration: dict, at: datetime, delay_hours: int | None) -> dict:
    return {
        "Configuration": dict(configuration),
        "StartSigningTime": at + timedelta(hours=delay_hours or DEFAULT_SIGNING_DELAY_HOURS),
    }


def _make_room(entries: list[dict], at: datetime) -> None:
    """A slot holds five entries: the oldest INACTIVE ones go first, else the rotation fails."""
    while len(entries) >= ENTRIES_PER_SLOT:
        inactive = [e for e in entries if signer_status(e, at) == "INACTIVE"]
        if not inactive:
            raise limit_exceeded(f"An outbound signer slot holds at most {ENTRIES_PER_SLOT} entries.")
        entries.remove(min(inactive, key=lambda e: e["StartSigningTime"]))


def _times(entry: dict) -> dict:
    keys = ("StartSigningTime", "EndSigningTime", "DiscoveryExpirationTime")
    return {k: entry[k] for k in keys if entry.get(k) is not None}


def _x509_detail(entry: dict, at: datetime) -> dict:
    return {"Configuration": entry["Configuration"], "Status": signer_status(entry, at), **_times(entry)}


def _template_shape(record: dict) -> dict:
    shape = {k: record[k] for k in _TEMPLATE_FIELDS if record.get(k) is not None}
    shape["Tags"] = record["Tags"]
    return shape
