"""Custom domain names and their base path mappings (served on their Host by the data plane),
domain name access associations, client certificates, VPC links, the account's settings and
tags on every taggable resource."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.services.apigateway.common import (
    apply_patch,
    bad_request,
    conflict,
    new_id,
    not_found,
    now,
    public,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider

NO_BASE_PATH = "(none)"


def _self_signed_pem(common_name: str) -> tuple[str, float]:
    """A real self-signed certificate (the PEM a client certificate's backend would present)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime.now(dt.UTC)
    expires = start + dt.timedelta(days=365)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(expires)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), expires.timestamp()


class DomainsMixin:
    # -- domain names ----------------------------------------------------------------------------

    def index_domains(self: Provider) -> None:  # type: ignore[misc]
        self.index_keys()
        self.domain_homes: dict[str, str] = {}
        #: domain name → its stored record, for the data plane; dropped on every write.
        self.domain_records: dict[str, dict[str, Any]] = {}
        for scope in self.domains.scopes():
            for name, _ in self.domains.scan(scope):
                self.domain_homes[name] = scope

    def served_domain(self: Provider, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        record = self.domain_records.get(name)
        if record is None:
            scope = self.domain_homes.get(name)
            record = self.domains.get(scope, name) if scope is not None else None
            if record is not None:
                self.domain_records[name] = record
        return record

    def put_domain(self: Provider, context: RequestContext, record: dict[str, Any]) -> None:  # type: ignore[misc]
        """Stored (and found by Host) under the lower-cased name; answered as it was given."""
        key = record["domainName"].lower()
        self.domains.put(self.scope_of(context), key, record)
        self.domain_homes[key] = self.scope_of(context)
        self.domain_records.pop(key, None)

    def create_domain_name(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        name = params["domainName"]
        if not name:
            raise bad_request("No Domain Name specified")
        if self.domains.get(scope, name.lower()) is not None:
            raise conflict("The domain name you provided already exists.")
        endpoint = params.get("endpointConfiguration") or {"types": ["EDGE"]}
        kind = (endpoint.get("types") or ["EDGE"])[0]
        digest = hashlib.sha1(name.encode()).hexdigest()[:14]
        record: dict[str, Any] = {
            "domainName": name,
            "domainNameArn": f"arn:{partition(context.region)}:apigateway:{context.region}::/domainnames/{name}",
            "endpointConfiguration": endpoint,
            "domainNameStatus": "AVAILABLE",
            "securityPolicy": params.get("securityPolicy") or "TLS_1_2",
            "tags": dict(params.get("tags") or {}),
            "_mappings": {},
        }
        if kind == "REGIONAL":
            record["regionalDomainName"] = f"d-{digest[:10]}.execute-api.{context.region}.amazonaws.com"
            record["regionalHostedZoneId"] = "Z1UJRXOUMOOFQ8"
        else:
            record["distributionDomainName"] = f"d{digest}.cloudfront.net"
            record["distributionHostedZoneId"] = "Z2FDTNDATAQYW2"
        for key in (
            "certificateName",
            "certificateArn",
            "regionalCertificateName",
            "regionalCertificateArn",
            "endpointAccessMode",
            "mutualTlsAuthentication",
            "ownershipVerificationCertificateArn",
            "policy",
            "routingMode",
        ):
            if params.get(key) is not None:
                record[key] = params[key]
        if params.get("certificateBody"):
            record["certificateUploadDate"] = now()
        self.put_domain(context, record)
        return public(record)

    def domain(self: Provider, context: RequestContext, name: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.domains.get(self.scope_of(context), name.lower())
        if record is None:
            raise not_found("Invalid domain name identifier specified")
        return record

    def get_domain_name(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return public(self.domain(context, params["domainName"]))

    def get_domain_names(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        items = [public(record) for _, record in self.domains.scan(self.scope_of(context))]
        return self.page("GetDomainNames", params, items)

    def update_domain_name(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.domain(context, params["domainName"])
        patched = apply_patch(
            record,
            params.get("patchOperations"),
            "DomainName",
            readonly=("domainName", "domainNameArn", "domainNameStatus", "tags"),
        )
        self.put_domain(context, patched)
        return public(patched)

    def delete_domain_name(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.domain(context, params["domainName"])
        key = record["domainName"].lower()
        self.domains.delete(self.scope_of(context), key)
        self.domain_homes.pop(key, None)
        self.domain_records.pop(key, None)
        return {}

    # -- base path mappings ----------------------------------------------------------------------

    def create_base_path_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.domain(context, params["domainName"])
        doc = self._mapped_api(context, params["restApiId"], params.get("stage"))
        stage = params.get("stage")
        base = params.get("basePath") or NO_BASE_PATH
        if "/" in base:
            raise bad_request(
                "API Gateway V1 doesn't support the slash character (/) in base path mappings. "
                "To create a multi-level base path mapping, use API Gateway V2."
            )
        if base in record["_mappings"]:
            raise conflict("Base path already exists for this domain name")
        mapping = {"basePath": base, "restApiId": doc["api"]["id"]}
        if stage:
            mapping["stage"] = stage
        record["_mappings"][base] = mapping
        self.put_domain(context, record)
        return mapping

    def _mapped_api(  # type: ignore[misc]
        self: Provider, context: RequestContext, api_id: str, stage: str | None
    ) -> dict[str, Any]:
        """The API (and stage) a base path mapping names: a bad request when missing."""
        doc = self.apis.get(self.scope_of(context), api_id)
        if doc is None:
            raise bad_request("Invalid REST API identifier specified")
        if stage and stage not in doc["stages"]:
            raise bad_request("Invalid stage identifier specified")
        return doc

    def _mapping(self: Provider, context: RequestContext, params: dict) -> tuple[dict, dict]:  # type: ignore[misc]
        record = self.domain(context, params["domainName"])
        base = unquote(params["basePath"]) or NO_BASE_PATH
        mapping = record["_mappings"].get(base)
        if mapping is None:
            raise not_found("Invalid base path mapping identifier specified")
        return record, mapping

    def get_base_path_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._mapping(context, params)[1])

    def get_base_path_mappings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.domain(context, params["domainName"])
        return self.page("GetBasePathMappings", params, list(record["_mappings"].values()))

    def update_base_path_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, mapping = self._mapping(context, params)
        operations = [
            # The documented patch path is /restapiId.
            {**op, "path": "/restApiId"} if op.get("path") == "/restapiId" else op
            for op in params.get("patchOperations") or []
        ]
        patched = apply_patch(mapping, operations, "BasePathMapping", readonly=())
        self._mapped_api(context, patched["restApiId"], patched.get("stage"))
        new_base = patched.get("basePath") or NO_BASE_PATH
        del record["_mappings"][mapping["basePath"]]
        patched["basePath"] = new_base
        record["_mappings"][new_base] = patched
        self.put_domain(context, record)
        return patched

    def delete_base_path_mapping(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record, mapping = self._mapping(context, params)
        del record["_mappings"][mapping["basePath"]]
        self.put_domain(context, record)
        return {}

    # -- domain name access associations (private custom domains) ------------------------------------

    def create_domain_name_access_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["domainNameArn"]
        name = arn.rsplit("/", 1)[-1].split("+")[0]
        self.domain(context, name)
        if params["accessAssociationSourceType"] != "VPCE":
            raise bad_request("Invalid access association source type. Valid options are VPCE")
        association_arn = f"{arn}+{new_id(10)}".replace(
            "/domainnames/", "/domainnameaccessassociations/domainname/"
        )
        record = {
            "domainNameAccessAssociationArn": association_arn,
            "domainNameArn": arn,
            "accessAssociationSourceType": "VPCE",
            "accessAssociationSource": params["accessAssociationSource"],
            "tags": dict(params.get("tags") or {}),
        }
        self.associations.put(self.scope_of(context), association_arn.replace("/", "|"), record)
        return record

    def get_domain_name_access_associations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        items = [record for _, record in self.associations.scan(self.scope_of(context))]
        if params.get("resourceOwner") == "OTHER_ACCOUNTS":
            items = []
        return {"items": items}

    def delete_domain_name_access_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key = params["domainNameAccessAssociationArn"].replace("/", "|")
        if not self.associations.delete(self.scope_of(context), key):
            raise not_found("Invalid domain name access association identifier specified")
        return {}

    def reject_domain_name_access_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Rejecting is the domain owner's refusal of another account's association: no such
        # association reaches this account's domains from another account here.
        raise not_found("Invalid domain name access association identifier specified")

    # -- client certificates ---------------------------------------------------------------------

    def generate_client_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        certificate_id = new_id(6)
        pem, expires = _self_signed_pem(f"apigateway-{certificate_id}")
        record: dict[str, Any] = {
            "clientCertificateId": certificate_id,
            "pemEncodedCertificate": pem,
            "createdDate": now(),
            "expirationDate": expires,
            "tags": dict(params.get("tags") or {}),
        }
        if params.get("description") is not None:
            record["description"] = params["description"]
        self.certificates.put(self.scope_of(context), certificate_id, record)
        return record

    def certificate(self: Provider, context: RequestContext, certificate_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.certificates.get(self.scope_of(context), certificate_id)
        if record is None:
            raise not_found("Invalid Client Certificate identifier specified")
        return record

    def get_client_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.certificate(context, params["clientCertificateId"])

    def get_client_certificates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        items = [record for _, record in self.certificates.scan(self.scope_of(context))]
        return self.page("GetClientCertificates", params, items)

    def update_client_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.certificate(context, params["clientCertificateId"])
        patched = apply_patch(
            record,
            params.get("patchOperations"),
            "ClientCertificate",
            readonly=(
                "clientCertificateId",
                "pemEncodedCertificate",
                "createdDate",
                "expirationDate",
                "tags",
            ),
        )
        self.certificates.put(self.scope_of(context), record["clientCertificateId"], patched)
        return patched

    def delete_client_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.certificate(context, params["clientCertificateId"])
        self.certificates.delete(self.scope_of(context), record["clientCertificateId"])
        return {}

    # -- VPC links -------------------------------------------------------------------------------

    def create_vpc_link(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if not params["name"]:
            raise bad_request("Name cannot be empty")
        for arn in params["targetArns"]:
            if not arn.startswith("arn:") or arn.count(":") < 5:
                raise bad_request(f"Invalid ARN. ARN is not well formed {arn}")
        if not params["targetArns"]:
            raise bad_request("Target ARNs must contain one Network Load Balancer ARN")
        record: dict[str, Any] = {
            "id": new_id(6),
            "name": params["name"],
            "targetArns": params["targetArns"],
            "status": "AVAILABLE",
            "statusMessage": "Your vpc link is ready for use",
            "tags": dict(params.get("tags") or {}),
        }
        if params.get("description") is not None:
            record["description"] = params["description"]
        self.vpc_links.put(self.scope_of(context), record["id"], record)
        return record

    def vpc_link(self: Provider, context: RequestContext, link_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.vpc_links.get(self.scope_of(context), link_id)
        if record is None:
            raise not_found("VPCLink not found")
        return record

    def get_vpc_link(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.vpc_link(context, params["vpcLinkId"])

    def get_vpc_links(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        items = [record for _, record in self.vpc_links.scan(self.scope_of(context))]
        return self.page("GetVpcLinks", params, items)

    def update_vpc_link(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.vpc_link(context, params["vpcLinkId"])
        patched = apply_patch(
            record,
            params.get("patchOperations"),
            "VpcLink",
            readonly=("id", "status", "statusMessage", "tags"),
        )
        self.vpc_links.put(self.scope_of(context), record["id"], patched)
        return patched

    def delete_vpc_link(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.vpc_link(context, params["vpcLinkId"])
        self.vpc_links.delete(self.scope_of(context), record["id"])
        return {}

    # -- the account -----------------------------------------------------------------------------

    def account_settings(self: Provider, context: RequestContext) -> dict[str, Any]:  # type: ignore[misc]
        return self.settings.get(self.scope_of(context), "account") or {
            "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
            "features": ["UsagePlans"],
            "apiKeyVersion": "4",
        }

    def get_account(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self.account_settings(context)

    def update_account(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.account_settings(context)

        def features(out: dict, operation: dict, segments: list[str]) -> None:
            value = operation.get("value")
            if value != "UsagePlans":
                raise bad_request(f"Invalid feature {value}")
            items = list(out.get("features") or [])
            if operation.get("op") == "add" and value not in items:
                items.append(value)
            elif operation.get("op") == "remove":
                raise bad_request("Usage Plans cannot be disabled once enabled")
            out["features"] = items

        patched = apply_patch(
            record,
            params.get("patchOperations"),
            "Account",
            readonly=("throttleSettings", "apiKeyVersion"),
            special={"features": features},
        )
        role = patched.get("cloudwatchRoleArn")
        if role is not None and role and not role.startswith("arn:"):
            raise bad_request(f"The role ARN is not well formed: {role}")
        self.settings.put(self.scope_of(context), "account", patched)
        return patched

    # -- tags ------------------------------------------------------------------------------------

    def _tagged(self: Provider, context: RequestContext, arn: str) -> tuple[Any, str, dict[str, Any], Any]:  # type: ignore[misc]
        """(table, key, record, where the tags live in the record) of a taggable resource."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "apigateway" or not parts[5].startswith("/"):
            raise bad_request(f"Invalid ARN specified in the request - {arn}")
        if parts[3] != context.region:
            raise bad_request(f"Invalid ARN specified in the request - {arn}")
        segments = parts[5].strip("/").split("/")
        scope = self.scope_of(context)
        kind = segments[0]
        if kind == "restapis" and len(segments) == 2:
            doc = self.load(context, segments[1])
            return self.apis, segments[1], doc, doc["api"]
        if kind == "restapis" and len(segments) == 4 and segments[2] == "stages":
            doc = self.load(context, segments[1])
            return self.apis, segments[1], doc, self.stage_of(doc, segments[3])
        tables = {
            "apikeys": (self.keys, "Invalid API Key identifier specified"),
            "usageplans": (self.plans, "Invalid Usage Plan ID specified"),
            "domainnames": (self.domains, "Invalid domain name identifier specified"),
            "clientcertificates": (self.certificates, "Invalid Client Certificate identifier specified"),
            "vpclinks": (self.vpc_links, "VPCLink not found"),
        }
        if kind in tables and len(segments) == 2:
            table, missing = tables[kind]
            key = segments[1].lower() if kind == "domainnames" else segments[1]
            record = table.get(scope, key)
            if record is None:
                raise not_found(missing)
            return table, key, record, record
        raise bad_request(f"Invalid ARN specified in the request - {arn}")

    def _store_tagged(self: Provider, context: RequestContext, table: Any, key: str, record: dict) -> None:  # type: ignore[misc]
        if table is self.apis:
            self.save(context, record)
        elif table is self.domains:
            self.put_domain(context, record)
        else:
            table.put(self.scope_of(context), key, record)

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        table, key, record, holder = self._tagged(context, params["resourceArn"])
        tags = dict(holder.get("tags") or {})
        tags.update(params["tags"])
        if len(tags) > 50:
            raise bad_request("Too many tags: a resource has at most 50")
        holder["tags"] = tags
        self._store_tagged(context, table, key, record)
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        table, key, record, holder = self._tagged(context, params["resourceArn"])
        holder["tags"] = {k: v for k, v in (holder.get("tags") or {}).items() if k not in params["tagKeys"]}
        self._store_tagged(context, table, key, record)
        return {}

    def get_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, _, holder = self._tagged(context, params["resourceArn"])
        return {"tags": dict(holder.get("tags") or {})}
