"""Viewer mTLS: trust stores (CA certificate bundles read from S3 and parsed as X.509) and
connection functions (code with a DEVELOPMENT and a LIVE stage, run for real on the Node.js
worker by TestConnectionFunction), and the distributions that use them."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error, invalid
from overcast.services.cloudfront.functions import _check_config
from overcast.services.cloudfront.jsworker import FunctionFailed

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider


def _not_found(what: str) -> Exception:
    return error("EntityNotFound", f"The {what} does not exist.", 404)


def _page(items: list[dict[str, Any]], params: dict, member: str) -> dict[str, Any]:
    chosen, following, _ = common.page(
        items, {"Marker": params.get("Marker"), "MaxItems": params.get("MaxItems")}
    )
    output: dict[str, Any] = {member: chosen}
    if following:
        output["NextMarker"] = following
    return output


class Connection:
    # -- trust stores ----------------------------------------------------------------------------

    def _read_bundle(self: Provider, source: dict[str, Any]) -> int:  # type: ignore[misc]
        """How many CA certificates the bundle in S3 holds; InvalidArgument if it holds none
        or is not PEM."""
        from cryptography import x509

        location = (source or {}).get("CaCertificatesBundleS3Location") or {}
        if not location.get("Bucket") or not location.get("Key"):
            raise invalid("The CA certificates bundle source must name an S3 bucket and key.")
        s3 = self.runtime.provider("s3")
        bucket = s3.find_bucket(location["Bucket"])
        if bucket is None:
            raise invalid(f"The S3 bucket {location['Bucket']} does not exist.")
        try:
            body = s3.read_object(bucket["Account"], bucket["Region"], location["Bucket"], location["Key"])
        except Exception:
            raise invalid(
                f"The CA certificates bundle s3://{location['Bucket']}/{location['Key']} cannot be read."
            ) from None
        try:
            certificates = x509.load_pem_x509_certificates(body)
        except ValueError:
            raise invalid("The CA certificates bundle is not a PEM bundle of X.509 certificates.") from None
        return len(certificates)

    def _store_row(self: Provider, account: str, identifier: str) -> dict[str, Any]:  # type: ignore[misc]
        for _, row in self.trust_stores.scan(common.scope(account)):
            if identifier in (row["Id"], row["Name"], common.arn(account, f"trust-store/{row['Id']}")):
                return dict(row)
        raise _not_found("trust store")

    def _store_view(self: Provider, account: str, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return {
            "Id": row["Id"],
            "Arn": common.arn(account, f"trust-store/{row['Id']}"),
            "Name": row["Name"],
            "Status": "active",
            "NumberOfCaCertificates": row["Count"],
            "LastModifiedTime": row["Time"],
            "UseClientCertificateOCSPEndpoint": row.get("Ocsp", False),
        }

    def create_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        count = self._read_bundle(params.get("CaCertificatesBundleSource") or {})
        with self.store.transaction():
            for _, row in self.trust_stores.scan(common.scope(context.account)):
                if row["Name"] == params["Name"]:
                    raise error("EntityAlreadyExists", "A trust store with this name already exists.", 409)
            row = {
                "Id": "ts_" + secrets.token_hex(14),
                "Name": params["Name"],
                "Source": params["CaCertificatesBundleSource"],
                "Count": count,
                "Ocsp": bool(params.get("UseClientCertificateOCSPEndpoint")),
                "Time": common.now(),
                "ETag": common.new_etag(),
            }
            self.trust_stores.put(common.scope(context.account), row["Id"], row)
        return {"TrustStore": self._store_view(context.account, row), "ETag": row["ETag"]}

    def get_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._store_row(context.account, params["Identifier"])
        return {"TrustStore": self._store_view(context.account, row), "ETag": row["ETag"]}

    def update_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._store_row(context.account, params["Id"])
        common.check_if_match(params, row["ETag"])
        source = params.get("CaCertificatesBundleSource") or row["Source"]
        count = self._read_bundle(source)
        with self.store.transaction():
            row = self._store_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            row.update(Source=source, Count=count, Time=common.now(), ETag=common.new_etag())
            if params.get("UseClientCertificateOCSPEndpoint") is not None:
                row["Ocsp"] = params["UseClientCertificateOCSPEndpoint"]
            self.trust_stores.put(common.scope(context.account), row["Id"], row)
        return {"TrustStore": self._store_view(context.account, row), "ETag": row["ETag"]}

    def delete_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._store_row(context.account, params["Id"])
            common.check_if_match(params, row["ETag"])
            if self._by_trust_store(context.account, row["Id"]):
                raise error(
                    "CannotDeleteEntityWhileInUse", "The trust store is in use by a distribution.", 409
                )
            self.trust_stores.delete(common.scope(context.account), row["Id"])
        return {}

    def list_trust_stores(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = sorted(
            (row for _, row in self.trust_stores.scan(common.scope(context.account))), key=lambda r: r["Time"]
        )
        summaries = []
        for row in rows:
            view = self._store_view(context.account, row)
            view.pop("UseClientCertificateOCSPEndpoint", None)
            summaries.append(dict(view, ETag=row["ETag"]))
        return _page(summaries, params, "TrustStoreList")

    def _by_trust_store(self: Provider, account: str, ident: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [
            row
            for row in self.distribution_rows(account)
            if ((row["Config"].get("ViewerMtlsConfig") or {}).get("TrustStoreConfig") or {}).get(
                "TrustStoreId"
            )
            == ident
        ]

    def list_distributions_by_trust_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._store_row(context.account, params["TrustStoreIdentifier"])
        rows = self._by_trust_store(context.account, row["Id"])
        return {"DistributionList": self._summaries(context.account, rows, params)}

    # -- connection functions -----------------------------------------------------------------

    def _connection_row(self: Provider, account: str, identifier: str) -> dict[str, Any]:  # type: ignore[misc]
        for _, row in self.connection_functions.scan(common.scope(account)):
            if identifier in (
                row["Id"],
                row["Name"],
                common.arn(account, f"connection-function/{row['Id']}"),
            ):
                return dict(row)
        raise _not_found("connection function")

    def _connection_summary(  # type: ignore[misc]
        self: Provider, account: str, row: dict[str, Any], stage: str
    ) -> dict[str, Any]:
        version = row["Live"] if stage == "LIVE" else row["Development"]
        if stage == "LIVE":
            status = "DEPLOYED" if self._by_connection_function(account, row["Id"]) else "UNASSOCIATED"
        else:
            status = (
                "UNPUBLISHED"
                if row.get("Live") is None or row["Live"]["Code"] != version["Code"]
                else "UNASSOCIATED"
            )
        return {
            "Name": row["Name"],
            "Id": row["Id"],
            "ConnectionFunctionConfig": version["Config"],
            "ConnectionFunctionArn": common.arn(account, f"connection-function/{row['Id']}"),
            "Status": status,
            "Stage": stage,
            "CreatedTime": row["Created"],
            "LastModifiedTime": version["Time"],
        }

    def _stage_of(self: Provider, row: dict[str, Any], stage: str | None) -> tuple[dict[str, Any], str]:  # type: ignore[misc]
        stage = stage or "DEVELOPMENT"
        if stage == "LIVE":
            if row.get("Live") is None:
                raise _not_found("connection function's LIVE stage")
            return row["Live"], stage
        return row["Development"], stage

    async def create_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params["ConnectionFunctionConfig"]
        _check_config(config)
        code = bytes(params["ConnectionFunctionCode"])
        await self._compile(code, config["Runtime"])
        moment = common.now()
        with self.store.transaction():
            for _, existing in self.connection_functions.scan(common.scope(context.account)):
                if existing["Name"] == params["Name"]:
                    raise error(
                        "EntityAlreadyExists", "A connection function with this name already exists.", 409
                    )
            version = {"Config": config, "Code": code, "ETag": common.new_etag(), "Time": moment}
            row = {
                "Id": "cf_" + secrets.token_hex(14),
                "Name": params["Name"],
                "Created": moment,
                "Development": version,
                "Live": None,
            }
            self.connection_functions.put(common.scope(context.account), row["Id"], row)
        return {
            "ConnectionFunctionSummary": self._connection_summary(context.account, row, "DEVELOPMENT"),
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/connection-function/{row['Id']}",
            "ETag": version["ETag"],
        }

    def describe_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._connection_row(context.account, params["Identifier"])
        version, stage = self._stage_of(row, params.get("Stage"))
        return {
            "ConnectionFunctionSummary": self._connection_summary(context.account, row, stage),
            "ETag": version["ETag"],
        }

    def get_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._connection_row(context.account, params["Identifier"])
        version, _ = self._stage_of(row, params.get("Stage"))
        return {
            "ConnectionFunctionCode": version["Code"],
            "ETag": version["ETag"],
            "ContentType": "application/octet-stream",
        }

    async def update_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        config = params["ConnectionFunctionConfig"]
        _check_config(config)
        code = bytes(params["ConnectionFunctionCode"])
        await self._compile(code, config["Runtime"])
        with self.store.transaction():
            row = self._connection_row(context.account, params["Id"])
            common.check_if_match(params, row["Development"]["ETag"])
            row["Development"] = {
                "Config": config,
                "Code": code,
                "ETag": common.new_etag(),
                "Time": common.now(),
            }
            self.connection_functions.put(common.scope(context.account), row["Id"], row)
        return {
            "ConnectionFunctionSummary": self._connection_summary(context.account, row, "DEVELOPMENT"),
            "ETag": row["Development"]["ETag"],
        }

    def publish_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._connection_row(context.account, params["Id"])
            common.check_if_match(params, row["Development"]["ETag"])
            row["Live"] = dict(row["Development"], ETag=common.new_etag(), Time=common.now())
            self.connection_functions.put(common.scope(context.account), row["Id"], row)
        return {"ConnectionFunctionSummary": self._connection_summary(context.account, row, "LIVE")}

    def delete_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            row = self._connection_row(context.account, params["Id"])
            common.check_if_match(params, row["Development"]["ETag"])
            if self._by_connection_function(context.account, row["Id"]):
                raise error(
                    "CannotDeleteEntityWhileInUse",
                    "The connection function is in use by a distribution.",
                    409,
                )
            self.connection_functions.delete(common.scope(context.account), row["Id"])
        return {}

    def list_connection_functions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        wanted = params.get("Stage")
        summaries = []
        rows = sorted(
            (row for _, row in self.connection_functions.scan(common.scope(context.account))),
            key=lambda r: r["Created"],
        )
        for row in rows:
            for stage in ("DEVELOPMENT", "LIVE"):
                if (wanted and wanted != stage) or (stage == "LIVE" and row.get("Live") is None):
                    continue
                summaries.append(self._connection_summary(context.account, row, stage))
        return _page(summaries, params, "ConnectionFunctions")

    async def test_connection_function(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._connection_row(context.account, params["Id"])
        version, stage = self._stage_of(row, params.get("Stage"))
        common.check_if_match(params, version["ETag"])
        try:
            event = json.loads(bytes(params["ConnectionObject"]))
        except ValueError:
            raise invalid("The connection object is not valid JSON.") from None
        result: dict[str, Any] = {
            "ConnectionFunctionSummary": self._connection_summary(context.account, row, stage)
        }
        try:
            output, logs, micros = await self.run_function(context.account, version, event)
        except FunctionFailed as failure:
            result.update(
                ComputeUtilization="0",
                ConnectionFunctionExecutionLogs=failure.logs,
                ConnectionFunctionErrorMessage=str(failure),
                ConnectionFunctionOutput="",
            )
            return {"ConnectionFunctionTestResult": result}
        result.update(
            ComputeUtilization=str(min(100, max(1, int(micros / 10)))),
            ConnectionFunctionExecutionLogs=logs,
            ConnectionFunctionErrorMessage="",
            ConnectionFunctionOutput=json.dumps(output),
        )
        return {"ConnectionFunctionTestResult": result}

    def _by_connection_function(self: Provider, account: str, ident: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        return [
            row
            for row in self.distribution_rows(account)
            if (row["Config"].get("ConnectionFunctionAssociation") or {}).get("Id") == ident
        ]

    def list_distributions_by_connection_function(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        row = self._connection_row(context.account, params["ConnectionFunctionIdentifier"])
        params = dict(
            params, MaxItems=str(params["MaxItems"]) if params.get("MaxItems") is not None else None
        )
        return {
            "DistributionList": self._summaries(
                context.account, self._by_connection_function(context.account, row["Id"]), params
            )
        }
