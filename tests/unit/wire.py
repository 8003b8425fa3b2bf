"""A provider's output as a client sees it: serialized by Overcast's protocol layer, parsed by
botocore's parser."""

from __future__ import annotations

from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from overcast.context import RequestContext
from overcast.http import Request
from overcast.protocols.models import service_model
from overcast.protocols.serializers import serialize_response


def respond(service: str, operation: str, protocol: str, output: dict):
    context = RequestContext(request=Request("GET", "/", "", {}), request_id="r-1")
    return serialize_response(service_model(service).operation_model(operation), protocol, output, context)


def parsed(response, service: str, operation: str, protocol: str) -> dict:
    shape = service_model(service).operation_model(operation).output_shape
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    result = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, shape
    )
    result.pop("ResponseMetadata", None)
    return result
