"""What a REST API defines beside its resources: models (JSON Schema), request validators,
authorizers and gateway responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.services.apigateway.common import apply_patch, bad_request, conflict, new_id, not_found
from overcast.services.apigateway.restapis import (
    AUTHORIZER_TYPES,
    DEFAULT_RESPONSE_TEMPLATE,
    GATEWAY_RESPONSES,
    MODEL_NAME,
    _check_status,
)

if TYPE_CHECKING:
    from overcast.services.apigateway.provider import Provider


class DefinitionsMixin:
    def create_model(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        name = params["name"]
        if not MODEL_NAME.match(name):
            raise bad_request("Model name must be non-empty and alphanumeric")
        if name in doc["models"]:
            raise conflict("Model name already exists for this REST API")
        schema = params.get("schema")
        if schema is not None:
            _check_schema(schema)
        model: dict[str, Any] = {"id": new_id(6), "name": name, "contentType": params["contentType"]}
        for key in ("description", "schema"):
            if params.get(key) is not None:
                model[key] = params[key]
        doc["models"][name] = model
        self.save(context, doc)
        return model

    def _model(self, doc: dict, name: str) -> dict[str, Any]:
        model = doc["models"].get(name)
        if model is None:
            raise not_found("Invalid Model Name specified")
        return model

    def get_model(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._model(self.load(context, params["restApiId"]), params["modelName"]))

    def get_models(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        items = sorted(doc["models"].values(), key=lambda m: m["name"])
        return self.page("GetModels", params, items, default_limit=25)

    def get_model_template(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        from overcast.services.apigateway.openapi import model_template

        doc = self.load(context, params["restApiId"])
        model = self._model(doc, params["modelName"])
        return {"value": model_template(model, doc["models"])}

    def update_model(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        model = self._model(doc, params["modelName"])
        patched = apply_patch(
            model, params.get("patchOperations"), "Model", readonly=("id", "name", "contentType")
        )
        if patched.get("schema") is not None:
            _check_schema(patched["schema"])
        model.clear()
        model.update(patched)
        self.save(context, doc)
        return dict(model)

    def delete_model(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        name = params["modelName"]
        self._model(doc, name)
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if name in (method.get("requestModels") or {}).values():
                    raise conflict(
                        f"Cannot delete model '{name}', is referenced in method request: "
                        f"{resource['path']}/{method['httpMethod']}"
                    )
        del doc["models"][name]
        self.save(context, doc)
        return {}

    def create_request_validator(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        validator = {
            "id": new_id(6),
            "name": params.get("name") or "",
            "validateRequestBody": bool(params.get("validateRequestBody", False)),
            "validateRequestParameters": bool(params.get("validateRequestParameters", False)),
        }
        doc["validators"][validator["id"]] = validator
        self.save(context, doc)
        return validator

    def _validator(self, doc: dict, validator_id: str) -> dict[str, Any]:
        validator = doc["validators"].get(validator_id)
        if validator is None:
            raise bad_request("Invalid Request Validator Id specified")
        return validator

    def get_request_validator(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._validator(self.load(context, params["restApiId"]), params["requestValidatorId"]))

    def get_request_validators(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        return self.page("GetRequestValidators", params, list(doc["validators"].values()), default_limit=25)

    def update_request_validator(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        validator = self._validator(doc, params["requestValidatorId"])
        validator.update(apply_patch(validator, params.get("patchOperations"), "RequestValidator"))
        self.save(context, doc)
        return dict(validator)

    def delete_request_validator(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._validator(doc, params["requestValidatorId"])
        del doc["validators"][params["requestValidatorId"]]
        self.save(context, doc)
        return {}

    def create_authorizer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        kind = params["type"]
        if kind not in AUTHORIZER_TYPES:
            raise bad_request(
                "Invalid authorizer type specified. Valid options are " + ",".join(AUTHORIZER_TYPES)
            )
        if kind == "COGNITO_USER_POOLS" and not params.get("providerARNs"):
            raise bad_request("ProviderARNs need to be specified for authorizer of type COGNITO_USER_POOLS")
        if kind in ("TOKEN", "REQUEST") and not params.get("authorizerUri"):
            raise bad_request(f"Authorizer URI needs to be specified for authorizer of type {kind}")
        if kind == "TOKEN" and not params.get("identitySource"):
            raise bad_request("Identity source needs to be specified for authorizer of type TOKEN")
        authorizer: dict[str, Any] = {"id": new_id(6), "name": params["name"], "type": kind}
        for key in (
            "providerARNs",
            "authType",
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
        ):
            if params.get(key) is not None:
                authorizer[key] = params[key]
        ttl = params.get("authorizerResultTtlInSeconds")
        authorizer["authorizerResultTtlInSeconds"] = 300 if ttl is None else ttl
        if not 0 <= authorizer["authorizerResultTtlInSeconds"] <= 3600:
            raise bad_request("Authorizer result TTL must be between 0 and 3600 seconds")
        doc["authorizers"][authorizer["id"]] = authorizer
        self.save(context, doc)
        return authorizer

    def _authorizer(self, doc: dict, authorizer_id: str) -> dict[str, Any]:
        authorizer = doc["authorizers"].get(authorizer_id)
        if authorizer is None:
            raise not_found("Invalid Authorizer identifier specified")
        return authorizer

    def get_authorizer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return dict(self._authorizer(self.load(context, params["restApiId"]), params["authorizerId"]))

    def get_authorizers(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        return self.page("GetAuthorizers", params, list(doc["authorizers"].values()), default_limit=25)

    def update_authorizer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        authorizer = self._authorizer(doc, params["authorizerId"])
        authorizer.update(apply_patch(authorizer, params.get("patchOperations"), "Authorizer"))
        self.save(context, doc)
        return dict(authorizer)

    def delete_authorizer(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        authorizer_id = params["authorizerId"]
        self._authorizer(doc, authorizer_id)
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if method.get("authorizerId") == authorizer_id:
                    raise conflict(
                        "Cannot delete authorizer, is referenced in method: "
                        f"{method['httpMethod']}/{resource['path']}"
                    )
        del doc["authorizers"][authorizer_id]
        self.save(context, doc)
        return {}

    def _check_response_type(self, response_type: str) -> None:
        if response_type not in GATEWAY_RESPONSES:
            raise bad_request(
                "Invalid response type specified. Valid options are " + ",".join(GATEWAY_RESPONSES)
            )

    def gateway_response(self, doc: dict, response_type: str) -> dict[str, Any]:
        stored = doc["responses"].get(response_type)
        if stored is not None:
            return stored
        default: dict[str, Any] = {
            "responseType": response_type,
            "defaultResponse": True,
            "responseParameters": {},
            "responseTemplates": {"application/json": DEFAULT_RESPONSE_TEMPLATE},
        }
        if GATEWAY_RESPONSES[response_type]:
            default["statusCode"] = GATEWAY_RESPONSES[response_type]
        return default

    def put_gateway_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        response_type = params["responseType"]
        self._check_response_type(response_type)
        response: dict[str, Any] = {
            "responseType": response_type,
            "defaultResponse": False,
            "responseParameters": params.get("responseParameters") or {},
            "responseTemplates": params.get("responseTemplates") or {},
        }
        if params.get("statusCode"):
            _check_status(params["statusCode"])
            response["statusCode"] = params["statusCode"]
        doc["responses"][response_type] = response
        self.save(context, doc)
        return response

    def get_gateway_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._check_response_type(params["responseType"])
        return self.gateway_response(doc, params["responseType"])

    def get_gateway_responses(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        items = [self.gateway_response(doc, kind) for kind in GATEWAY_RESPONSES]
        return self.page("GetGatewayResponses", params, items, default_limit=25)

    def update_gateway_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._check_response_type(params["responseType"])
        current = self.gateway_response(doc, params["responseType"])
        patched = apply_patch(
            current,
            params.get("patchOperations"),
            "GatewayResponse",
            readonly=("responseType", "defaultResponse"),
        )
        patched["defaultResponse"] = False
        doc["responses"][params["responseType"]] = patched
        self.save(context, doc)
        return patched

    def delete_gateway_response(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        doc = self.load(context, params["restApiId"])
        self._check_response_type(params["responseType"])
        if doc["responses"].pop(params["responseType"], None) is None:
            raise not_found("Gateway response type not defined on api")
        self.save(context, doc)
        return {}


def _check_schema(schema: str) -> None:
    try:
        parsed = jsontext.loads(schema)
    except ValueError:
        raise bad_request(
            "Invalid model specified: Validation Result: warnings : [], errors : "
            "[Invalid model schema specified]"
        ) from None
    if not isinstance(parsed, dict):
        raise bad_request(
            "Invalid model specified: Validation Result: warnings : [], errors : "
            "[Invalid model schema specified]"
        )
