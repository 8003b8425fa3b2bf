"""Building REST APIs for the API Gateway tests, and calling them over plain HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(
    url: str, method: str = "GET", body: bytes | str | None = None, headers: dict[str, str] | None = None
) -> Answer:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class Api:
    """A REST API under construction: resources by path, methods with integrations."""

    def __init__(self, apigw, name: str | None = None, **extra) -> None:
        self.apigw = apigw
        created = apigw.create_rest_api(name=name or unique("api"), **extra)
        self.id = created["id"]
        self.resources = {"/": created["rootResourceId"]}

    def resource(self, path: str) -> str:
        if path in self.resources:
            return self.resources[path]
        parent, _, part = path.rpartition("/")
        parent_id = self.resource(parent or "/")
        created = self.apigw.create_resource(restApiId=self.id, parentId=parent_id, pathPart=part)
        self.resources[path] = created["id"]
        return created["id"]

    def method(
        self, path: str, verb: str, integration: dict, *, responses: dict | None = None, **method
    ) -> str:
        resource_id = self.resource(path)
        method.setdefault("authorizationType", "NONE")
        self.apigw.put_method(restApiId=self.id, resourceId=resource_id, httpMethod=verb, **method)
        self.apigw.put_integration(restApiId=self.id, resourceId=resource_id, httpMethod=verb, **integration)
        for status, response in (responses or {}).items():
            self.apigw.put_method_response(
                restApiId=self.id, resourceId=resource_id, httpMethod=verb, statusCode=status
            )
            self.apigw.put_integration_response(
                restApiId=self.id, resourceId=resource_id, httpMethod=verb, statusCode=status, **response
            )
        return resource_id

    def deploy(self, stage: str = "test", **extra) -> None:
        self.apigw.create_deployment(restApiId=self.id, stageName=stage, **extra)

    def url(self, endpoint: str, stage: str, path: str) -> str:
        return f"{endpoint}/_aws/execute-api/{self.id}/{stage}{path}"


def lambda_uri(function_arn: str, region: str = "us-east-1") -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
