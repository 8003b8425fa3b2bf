"""A provider's output as a client sees it: serialized by Overcast's protocol layer, parsed by
botocore's (listings splice pre-rendered XML, so their output dicts are not the answer)."""

from __future__ import annotations

from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from overcast.context import RequestContext
from overcast.http import Request
from overcast.protocols.models import service_model
from overcast.protocols.serializers import serialize_response


def body(operation: str, output: dict) -> bytes:
    return _respond(operation, output).body


def parsed(operation: str, output: dict) -> dict:
    response = _respond(operation, output)
    shape = service_model("s3").operation_model(operation).output_shape
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    result = create_parser("rest-xml").parse({"status_code": response.status, "headers": headers,
                                              "body": response.body}, shape)
    result.pop("ResponseMetadata", None)
    return result


def _respond(operation: str, output: dict):
    context = RequestContext(request=Request("GET", "/", "", {}), request_id="r-1")
    return serialize_response(service_model("s3").operation_model(operation), "rest-xml", output, context)
