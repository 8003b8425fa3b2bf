"""Developer portals and portal products, with their pages and sharing policies: a control
plane that keeps what it is given, with the states AWS moves them through."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.apigatewayv2.common import bad_request, given, new_id, not_found, now, public

if TYPE_CHECKING:
    from overcast.services.apigatewayv2.provider import Provider

_PRIVATE = ("Pages", "EndpointPages", "Policy", "EndpointRequest")


def _out(record: dict[str, Any]) -> dict[str, Any]:
    return public({k: v for k, v in record.items() if k not in _PRIVATE})


def _endpoint_configuration(
    portal_id: str, region: str, given_configuration: dict[str, Any]
) -> dict[str, Any]:
    out = {"PortalDefaultDomainName": f"{portal_id}.portal.execute-api.{region}.amazonaws.com"}
    managed = given_configuration.get("AcmManaged")
    if managed:
        out.update(
            CertificateArn=managed.get("CertificateArn"),
            DomainName=managed.get("DomainName"),
            PortalDomainHostedZoneId="Z2FDTNDATAQYW2",
        )
    return out


def _endpoint_display(record: dict[str, Any], given_content: dict[str, Any] | None) -> dict[str, Any]:
    identifier = ((record.get("RestEndpointIdentifier") or {}).get("IdentifierParts")) or {}
    shown = {
        "Endpoint": f"{identifier.get('Method', 'GET')} {identifier.get('Path', '/')}",
        "OperationName": identifier.get("Method", "GET").lower()
        + identifier.get("Path", "/").replace("/", "_"),
    }
    shown.update({k: v for k, v in ((given_content or {}).get("Overrides") or {}).items() if v is not None})
    return shown


class PortalsMixin:
    # -- portals ---------------------------------------------------------------------------------

    def _portal(self: Provider, context: RequestContext, portal_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.portals.get(self.scope_of(context), portal_id)
        if record is None:
            raise not_found(f"Invalid Portal identifier specified {portal_id}", "Portal")
        return record

    def _put_portal(self: Provider, context: RequestContext, record: dict[str, Any]) -> None:  # type: ignore[misc]
        record["LastModified"] = now()
        self.portals.put(self.scope_of(context), record["PortalId"], record)

    def create_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        portal_id = new_id(12)
        record = given(params, "EndpointConfiguration")
        record.update(
            PortalId=portal_id,
            PortalArn=f"arn:aws:apigateway:{context.region}:{context.account}:/portals/{portal_id}",
            EndpointConfiguration=_endpoint_configuration(
                portal_id, context.region, params["EndpointConfiguration"]
            ),
            EndpointRequest=params["EndpointConfiguration"],
            PublishStatus="UNPUBLISHED",
            IncludedPortalProductArns=list(params.get("IncludedPortalProductArns") or []),
            Tags=dict(params.get("Tags") or {}),
        )
        self._put_portal(context, record)
        return _out(record)

    def get_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return _out(self._portal(context, params["PortalId"]))

    def list_portals(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        items = [_out(r) for _, r in self.portals.scan(self.scope_of(context))]
        return self.page("ListPortals", params, items)

    def update_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._portal(context, params["PortalId"])
        changes = given(params, "PortalId", "EndpointConfiguration")
        record.update(changes)
        if params.get("EndpointConfiguration"):
            record["EndpointRequest"] = params["EndpointConfiguration"]
            record["EndpointConfiguration"] = _endpoint_configuration(
                record["PortalId"], context.region, params["EndpointConfiguration"]
            )
        self._put_portal(context, record)
        return _out(record)

    def delete_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._portal(context, params["PortalId"])
        self.portals.delete(self.scope_of(context), record["PortalId"])
        return {}

    def publish_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._portal(context, params["PortalId"])
        record.update(PublishStatus="PUBLISHED", LastPublished=now())
        if params.get("Description") is not None:
            record["LastPublishedDescription"] = params["Description"]
        self._put_portal(context, record)
        return {}

    def disable_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._portal(context, params["PortalId"])
        if record.get("PublishStatus") != "PUBLISHED":
            raise bad_request("Only a published portal can be disabled.")
        record["PublishStatus"] = "DISABLED"
        self._put_portal(context, record)
        return {}

    def preview_portal(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        record = self._portal(context, params["PortalId"])
        record["Preview"] = {
            "PreviewStatus": "PREVIEW_READY",
            "PreviewUrl": f"https://{record['PortalId']}.portal-preview.execute-api.{context.region}.amazonaws.com",
        }
        self._put_portal(context, record)
        return {}

    # -- portal products -------------------------------------------------------------------------

    def _product(self: Provider, context: RequestContext, product_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.products.get(self.scope_of(context), product_id)
        if record is None:
            raise not_found(f"Invalid PortalProduct identifier specified {product_id}", "PortalProduct")
        return record

    def _put_product(self: Provider, context: RequestContext, record: dict[str, Any]) -> None:  # type: ignore[misc]
        record["LastModified"] = now()
        self.products.put(self.scope_of(context), record["PortalProductId"], record)

    def create_portal_product(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product_id = new_id(12)
        record = given(params)
        record.update(
            PortalProductId=product_id,
            PortalProductArn=f"arn:aws:apigateway:{context.region}:{context.account}:/portalproducts/{product_id}",
            Tags=dict(params.get("Tags") or {}),
            Description=params.get("Description") or "",
            DisplayOrder={"Contents": []},
            Pages={},
            EndpointPages={},
        )
        self._put_product(context, record)
        return _out(record)

    def get_portal_product(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return _out(self._product(context, params["PortalProductId"]))

    def list_portal_products(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        items = [_out(r) for _, r in self.products.scan(self.scope_of(context))]
        return self.page("ListPortalProducts", params, items)

    def update_portal_product(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._product(context, params["PortalProductId"])
        record.update(given(params, "PortalProductId"))
        self._put_product(context, record)
        return _out(record)

    def delete_portal_product(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._product(context, params["PortalProductId"])
        self.products.delete(self.scope_of(context), record["PortalProductId"])
        return {}

    def put_portal_product_sharing_policy(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._product(context, params["PortalProductId"])
        try:
            json.loads(params["PolicyDocument"])
        except ValueError:
            raise bad_request("The policy document is not valid JSON.") from None
        record["Policy"] = params["PolicyDocument"]
        self._put_product(context, record)
        return {}

    def get_portal_product_sharing_policy(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._product(context, params["PortalProductId"])
        if not record.get("Policy"):
            raise not_found("The portal product has no sharing policy.", "PortalProductSharingPolicy")
        return {"PolicyDocument": record["Policy"], "PortalProductId": record["PortalProductId"]}

    def delete_portal_product_sharing_policy(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._product(context, params["PortalProductId"])
        if not record.get("Policy"):
            raise not_found("The portal product has no sharing policy.", "PortalProductSharingPolicy")
        record.pop("Policy")
        self._put_product(context, record)
        return {}

    # -- product pages ---------------------------------------------------------------------------

    def _page_of(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any], member: str, id_member: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        product = self._product(context, params["PortalProductId"])
        page = product[member].get(params[id_member])
        if page is None:
            raise not_found(f"Invalid page identifier specified {params[id_member]}", id_member[:-2])
        return product, page

    def create_product_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product = self._product(context, params["PortalProductId"])
        page_id = new_id(12)
        page = {
            "ProductPageId": page_id,
            "ProductPageArn": f"{product['PortalProductArn']}/productpages/{page_id}",
            "DisplayContent": params["DisplayContent"],
            "LastModified": now(),
        }
        product["Pages"][page_id] = page
        self._put_product(context, product)
        return public(page)

    def get_product_page(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        return public(self._page_of(context, params, "Pages", "ProductPageId")[1])

    def list_product_pages(self: Provider, context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        product = self._product(context, params["PortalProductId"])
        items = [
            {
                "PageTitle": page["DisplayContent"].get("Title"),
                "ProductPageArn": page["ProductPageArn"],
                "ProductPageId": page["ProductPageId"],
                "LastModified": page["LastModified"],
            }
            for page in product["Pages"].values()
        ]
        return self.page("ListProductPages", params, items)

    def update_product_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product, page = self._page_of(context, params, "Pages", "ProductPageId")
        if params.get("DisplayContent"):
            page["DisplayContent"] = {**page["DisplayContent"], **params["DisplayContent"]}
        page["LastModified"] = now()
        self._put_product(context, product)
        return public(page)

    def delete_product_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product, page = self._page_of(context, params, "Pages", "ProductPageId")
        del product["Pages"][page["ProductPageId"]]
        self._put_product(context, product)
        return {}

    # -- product REST endpoint pages -------------------------------------------------------------

    def create_product_rest_endpoint_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product = self._product(context, params["PortalProductId"])
        page_id = new_id(12)
        page: dict[str, Any] = {
            "ProductRestEndpointPageId": page_id,
            "ProductRestEndpointPageArn": f"{product['PortalProductArn']}/productrestendpointpages/{page_id}",
            "RestEndpointIdentifier": params["RestEndpointIdentifier"],
            "TryItState": params.get("TryItState") or "DISABLED",
            "Status": "AVAILABLE",
            "LastModified": now(),
            "Raw": params.get("DisplayContent") or {"None": {}},
        }
        page["DisplayContent"] = _endpoint_display(page, params.get("DisplayContent"))
        product["EndpointPages"][page_id] = page
        self._put_product(context, product)
        return public({k: v for k, v in page.items() if k != "Raw"})

    def get_product_rest_endpoint_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        _, page = self._page_of(context, params, "EndpointPages", "ProductRestEndpointPageId")
        out = public({k: v for k, v in page.items() if k != "Raw"})
        if str(params.get("IncludeRawDisplayContent") or "").upper() == "TRUE":
            out["RawDisplayContent"] = json.dumps(page.get("Raw") or {})
        return out

    def list_product_rest_endpoint_pages(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product = self._product(context, params["PortalProductId"])
        items = []
        for page in product["EndpointPages"].values():
            items.append(
                {
                    "Endpoint": page["DisplayContent"]["Endpoint"],
                    "OperationName": page["DisplayContent"].get("OperationName"),
                    "ProductRestEndpointPageArn": page["ProductRestEndpointPageArn"],
                    "ProductRestEndpointPageId": page["ProductRestEndpointPageId"],
                    "RestEndpointIdentifier": page["RestEndpointIdentifier"],
                    "Status": page["Status"],
                    "TryItState": page["TryItState"],
                    "LastModified": page["LastModified"],
                }
            )
        return self.page("ListProductRestEndpointPages", params, items)

    def update_product_rest_endpoint_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product, page = self._page_of(context, params, "EndpointPages", "ProductRestEndpointPageId")
        if params.get("TryItState"):
            page["TryItState"] = params["TryItState"]
        if params.get("DisplayContent"):
            page["Raw"] = params["DisplayContent"]
            page["DisplayContent"] = _endpoint_display(page, params["DisplayContent"])
        page["LastModified"] = now()
        self._put_product(context, product)
        return public({k: v for k, v in page.items() if k != "Raw"})

    def delete_product_rest_endpoint_page(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        product, page = self._page_of(context, params, "EndpointPages", "ProductRestEndpointPageId")
        del product["EndpointPages"][page["ProductRestEndpointPageId"]]
        self._put_product(context, product)
        return {}
