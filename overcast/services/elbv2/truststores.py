"""Trust stores for mutual TLS: a bundle of CA certificates read from S3 (each certificate
parsed), certificate revocation lists added from S3 (their entries counted), the listeners
that verify clients against them, and presigned-style URLs that give the bundle and the
lists back (GetTrustStoreCaCertificatesBundle, GetTrustStoreRevocationContent)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from cryptography import x509

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Response
from overcast.services.elbv2 import common as c

if TYPE_CHECKING:
    from overcast.services.elbv2.provider import Provider

MAX_TRUST_STORES = 20
LOCATION_SECONDS = 600
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def not_found() -> ServiceError:
    return c.error("TrustStoreNotFound", "One or more trust stores not found")


def store_output(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": row["Name"],
        "TrustStoreArn": row["TrustStoreArn"],
        "Status": "ACTIVE",
        "NumberOfCaCertificates": row["NumberOfCaCertificates"],
        "TotalRevokedEntries": sum(r["NumberOfRevokedEntries"] for r in row["Revocations"].values()),
    }


def _certificates(data: bytes) -> int:
    """How many CA certificates a PEM bundle holds; InvalidCaCertificatesBundle when it holds
    none or one that does not parse."""
    blocks = _PEM.findall(data)
    if not blocks:
        raise c.error("InvalidCaCertificatesBundle", "The CA certificates bundle is not a valid PEM bundle")
    for block in blocks:
        try:
            x509.load_pem_x509_certificate(block)
        except ValueError:
            raise c.error(
                "InvalidCaCertificatesBundle", "The CA certificates bundle holds an invalid certificate"
            ) from None
    return len(blocks)


def _revoked_entries(data: bytes) -> int:
    try:
        crl = (
            x509.load_pem_x509_crl(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_crl(data)
        )
    except ValueError:
        raise c.error(
            "InvalidRevocationContent", "The revocation content is not a valid certificate revocation list"
        ) from None
    return len(list(crl))


class TrustStoreMixin:
    url_key: bytes

    def _s3_bytes(self: Provider, context: RequestContext, bucket: str, key: str, missing: str) -> bytes:  # type: ignore[misc]
        try:
            return self.runtime.provider("s3").read_object(context.account, context.region, bucket, key)
        except ServiceError:
            raise c.error(missing, f"The S3 object s3://{bucket}/{key} was not found") from None

    def find_trust_store(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        row = self.trust_stores.get(self.scope_of(context), arn) if c.resource_of(arn, "truststore") else None
        if row is None:
            raise not_found()
        return row

    def create_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["Name"]
        if not c.NAME.match(name):
            raise c.invalid(f"Trust store name '{name}' can contain only alphanumeric characters and hyphens")
        data = self._s3_bytes(
            context,
            params["CaCertificatesBundleS3Bucket"],
            params["CaCertificatesBundleS3Key"],
            "CaCertificatesBundleNotFound",
        )
        count = _certificates(data)
        tags = self.tags_of(context, params.get("Tags"))
        scope = self.scope_of(context)
        with self.store.transaction():
            existing = [row for _, row in self.trust_stores.scan(scope)]
            if any(row["Name"] == name for row in existing):
                raise c.error(
                    "DuplicateTrustStoreName", f"A trust store with the name '{name}' already exists"
                )
            if len(existing) >= MAX_TRUST_STORES:
                raise c.error(
                    "TooManyTrustStores", "The quota for the number of trust stores has been reached"
                )
            arn = c.arn(context.region, context.account, f"truststore/{name}/{c.new_id()}")
            row = {
                "Name": name,
                "TrustStoreArn": arn,
                "NumberOfCaCertificates": count,
                "Bundle": data.decode("ascii", "replace"),
                "Revocations": {},
                "NextRevocation": 1,
                "Tags": tags,
                "Created": time.time(),
            }
            self.trust_stores.put(scope, arn, row)
        return {"TrustStores": [store_output(row)]}

    def describe_trust_stores(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = sorted(
            (row for _, row in self.trust_stores.scan(self.scope_of(context))), key=lambda r: r["Created"]
        )
        arns, names = params.get("TrustStoreArns"), params.get("Names")
        if arns:
            by_arn = {r["TrustStoreArn"]: r for r in rows}
            if any(a not in by_arn for a in arns):
                raise not_found()
            rows = [by_arn[a] for a in dict.fromkeys(arns)]
        if names:
            by_name = {r["Name"]: r for r in rows}
            if any(n not in by_name for n in names):
                raise not_found()
            rows = [by_name[n] for n in dict.fromkeys(names)]
        return self.page("DescribeTrustStores", params, [store_output(r) for r in rows])

    def modify_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.find_trust_store(context, params["TrustStoreArn"])
        data = self._s3_bytes(
            context,
            params["CaCertificatesBundleS3Bucket"],
            params["CaCertificatesBundleS3Key"],
            "CaCertificatesBundleNotFound",
        )
        count = _certificates(data)
        with self.store.transaction():
            row = self.find_trust_store(context, params["TrustStoreArn"])
            row["Bundle"], row["NumberOfCaCertificates"] = data.decode("ascii", "replace"), count
            self.trust_stores.put(self.scope_of(context), row["TrustStoreArn"], row)
        return {"TrustStores": [store_output(row)]}

    def trust_store_users(self: Provider, scope: str, arn: str) -> list[str]:  # type: ignore[misc]
        """The load balancers whose listeners verify clients against a trust store."""
        found: dict[str, None] = {}
        for _, listener in self.listeners.scan(scope):
            if (listener.get("MutualAuthentication") or {}).get("TrustStoreArn") == arn:
                found[listener["LoadBalancerArn"]] = None
        return list(found)

    def delete_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self.find_trust_store(context, params["TrustStoreArn"])
            if self.trust_store_users(scope, row["TrustStoreArn"]):
                raise c.error(
                    "TrustStoreInUse", f"Trust store '{row['TrustStoreArn']}' is in use by a listener"
                )
            self.trust_stores.delete(scope, row["TrustStoreArn"])
        return {}

    def describe_trust_store_associations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_trust_store(context, params["TrustStoreArn"])
        users = self.trust_store_users(self.scope_of(context), row["TrustStoreArn"])
        return self.page("DescribeTrustStoreAssociations", params, [{"ResourceArn": arn} for arn in users])

    def delete_shared_trust_store_association(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_trust_store(context, params["TrustStoreArn"])
        resource = c.resource_of(params["ResourceArn"], "loadbalancer")
        if resource is not None and params["ResourceArn"].split(":")[4] == context.account:
            raise c.error(
                "DeleteAssociationSameAccount",
                "A trust store association in the trust store's own account cannot be deleted this way",
            )
        del row
        raise c.error(
            "AssociationNotFound",
            f"No association of the trust store with '{params['ResourceArn']}' was found",
        )

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["ResourceArn"]
        row = self.trust_stores.get(self.scope_of(context), arn) if c.resource_of(arn, "truststore") else None
        if row is None or not row.get("Policy"):
            raise c.error("ResourceNotFound", f"No resource policy found for '{arn}'")
        return {"Policy": row["Policy"]}

    # -- revocations -------------------------------------------------------------------------

    def add_trust_store_revocations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.find_trust_store(context, params["TrustStoreArn"])
        loaded = []
        for content in params.get("RevocationContents") or []:
            kind = content.get("RevocationType") or "CRL"
            if kind != "CRL":
                raise c.error("InvalidRevocationContent", f"Revocation type '{kind}' is not supported")
            data = self._s3_bytes(
                context,
                content.get("S3Bucket") or "",
                content.get("S3Key") or "",
                "RevocationContentNotFound",
            )
            loaded.append((kind, data, _revoked_entries(data)))
        out = []
        with self.store.transaction():
            row = self.find_trust_store(context, params["TrustStoreArn"])
            for kind, data, entries in loaded:
                revocation_id = row["NextRevocation"]
                row["NextRevocation"] += 1
                row["Revocations"][str(revocation_id)] = {
                    "RevocationType": kind,
                    "NumberOfRevokedEntries": entries,
                    "Content": data.hex(),
                }
                out.append(self._revocation_output(row, revocation_id))
            self.trust_stores.put(self.scope_of(context), row["TrustStoreArn"], row)
        return {"TrustStoreRevocations": out}

    @staticmethod
    def _revocation_output(row: dict[str, Any], revocation_id: int) -> dict[str, Any]:
        entry = row["Revocations"][str(revocation_id)]
        return {
            "TrustStoreArn": row["TrustStoreArn"],
            "RevocationId": revocation_id,
            "RevocationType": entry["RevocationType"],
            "NumberOfRevokedEntries": entry["NumberOfRevokedEntries"],
        }

    def _revocation_ids(self: Provider, row: dict[str, Any], ids: list[int]) -> list[int]:  # type: ignore[misc]
        missing = [i for i in ids if str(i) not in row["Revocations"]]
        if missing:
            raise c.error("RevocationIdNotFound", f"Revocation ID '{missing[0]}' not found")
        return ids

    def describe_trust_store_revocations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_trust_store(context, params["TrustStoreArn"])
        ids = self._revocation_ids(row, params.get("RevocationIds") or [int(i) for i in row["Revocations"]])
        return self.page(
            "DescribeTrustStoreRevocations",
            params,
            [self._revocation_output(row, i) for i in sorted(set(ids))],
        )

    def remove_trust_store_revocations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self.find_trust_store(context, params["TrustStoreArn"])
            for revocation_id in self._revocation_ids(row, params["RevocationIds"]):
                row["Revocations"].pop(str(revocation_id), None)
            self.trust_stores.put(self.scope_of(context), row["TrustStoreArn"], row)
        return {}

    # -- content URLs --------------------------------------------------------------------------

    def _location(self: Provider, context: RequestContext, row: dict[str, Any], what: str) -> str:  # type: ignore[misc]
        host = context.request.headers.get("host") if context.request is not None else None
        expires = int(time.time()) + LOCATION_SECONDS
        store_id = row["TrustStoreArn"].rsplit("/", 1)[1]
        scope = self.scope_of(context).replace("/", ":")
        path = f"trust-stores/{scope}/{store_id}/{what}"
        return f"http://{host or '127.0.0.1:4566'}/_overcast/elbv2/{path}?expires={expires}&signature={self._sign(path, expires)}"

    def _sign(self: Provider, path: str, expires: int) -> str:  # type: ignore[misc]
        return hmac.new(self.url_key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def get_trust_store_ca_certificates_bundle(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_trust_store(context, params["TrustStoreArn"])
        return {"Location": self._location(context, row, "bundle")}

    def get_trust_store_revocation_content(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self.find_trust_store(context, params["TrustStoreArn"])
        self._revocation_ids(row, [params["RevocationId"]])
        return {"Location": self._location(context, row, f"revocations/{params['RevocationId']}")}

    def internal_request(self: Provider, request: Any, subpath: str) -> Response | None:  # type: ignore[misc]
        match = re.fullmatch(
            r"trust-stores/(\d{12}):([a-z0-9-]+)/([0-9a-f]{16})/(bundle|revocations/\d+)", subpath
        )
        if match is None:
            return None
        expires, signature = request.query.get("expires", [""])[0], request.query.get("signature", [""])[0]
        if (
            not expires.isdigit()
            or len(expires) > 12
            or int(expires) < time.time()
            or not hmac.compare_digest(self._sign(subpath, int(expires)), signature)
        ):
            return Response(
                403, {"Content-Type": "text/plain"}, b"Request has expired or its signature does not match"
            )
        account, region, store_id, what = match.groups()
        scope = f"{account}/{region}"
        row = next(
            (r for arn, r in self.trust_stores.scan(scope) if arn.endswith("/" + store_id)),
            None,
        )
        if row is None:
            return Response(404, {"Content-Type": "text/plain"}, b"Not Found")
        if what == "bundle":
            return Response(200, {"Content-Type": "application/x-pem-file"}, row["Bundle"].encode())
        entry = row["Revocations"].get(what.split("/")[1])
        if entry is None:
            return Response(404, {"Content-Type": "text/plain"}, b"Not Found")
        return Response(200, {"Content-Type": "application/pkix-crl"}, bytes.fromhex(entry["Content"]))


def new_url_key() -> bytes:
    return secrets.token_bytes(32)
