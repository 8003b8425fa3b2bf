"""The query and ec2 protocols: XML answers to form-encoded requests.

query:  <OpResponse xmlns=ns><OpResult>...</OpResult>
            <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
ec2:    <OpResponse xmlns=ns><requestId>id</requestId>...</OpResponse>

Errors:
query:  <ErrorResponse xmlns=ns><Error><Type>Sender</Type><Code/><Message/>fields</Error>
            <RequestId/></ErrorResponse>
ec2:    <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from overcast.http import Response
from overcast.protocols.models import query_model, wire, xml_namespace
from overcast.protocols.serializers import query_json
from overcast.protocols.serializers.common import ErrorInfo, base_headers, per_model
from overcast.protocols.serializers.xml import (
    XML_DECLARATION,
    StructurePlan,
    XmlCompiler,
    escape,
    write_error_fields,
)

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

    from overcast.context import RequestContext
    from overcast.errors import ServiceError

ResponsePlan = Callable[[dict, "RequestContext"], Response]

CONTENT_TYPES = {"query": "text/xml", "ec2": "text/xml;charset=UTF-8"}


def compiler_for(model: ServiceModel, protocol: str) -> XmlCompiler:
    # EC2 prints timestamps with milliseconds; the query services print what the value has.
    return per_model(model, protocol, lambda: XmlCompiler(millis=protocol == "ec2"))


def namespace(model: ServiceModel, protocol: str) -> str:
    uri = xml_namespace(model)
    if protocol == "ec2" and uri and not uri.endswith("/"):
        uri += "/"  # the model omits the slash EC2 answers with
    return uri


def compile_response(operation: OperationModel, protocol: str) -> ResponsePlan:
    model = operation.service_model
    if protocol == "query":
        model = query_model(model)
        operation = model.operation_model(operation.name)
    with_host_id = wire(model).host_id
    content_type = CONTENT_TYPES[protocol]
    shape = operation.output_shape
    plan = StructurePlan()
    if shape is not None:
        plan.fill(compiler_for(model, protocol), shape)
    write_children = plan.write_children
    name = operation.name
    uri = namespace(model, protocol)
    xmlns = f' xmlns="{escape(uri)}"' if uri else ""

    if protocol == "ec2":
        head = f"{XML_DECLARATION}<{name}Response{xmlns}><requestId>"
        tail = f"</{name}Response>"

        def serialize_ec2(output: dict, context: RequestContext) -> Response:
            out = [head, escape(context.request_id), "</requestId>"]
            write_children(output, out)
            out.append(tail)
            return Response(200, base_headers(with_host_id, content_type, context), "".join(out).encode())

        return serialize_ec2

    wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
    head = f"<{name}Response{xmlns}>" + (f"<{wrapper}>" if wrapper else "")
    # An empty result is one self-closing element, as AWS writes it (`<ReceiveMessageResult/>`).
    empty_head = f"<{name}Response{xmlns}>" + (f"<{wrapper}/>" if wrapper else "")
    middle = (f"</{wrapper}>" if wrapper else "") + "<ResponseMetadata><RequestId>"
    empty_middle = "<ResponseMetadata><RequestId>"
    tail = f"</RequestId></ResponseMetadata></{name}Response>"
    answers_json = wire(model).query_json

    def serialize_query(output: dict, context: RequestContext) -> Response:
        if answers_json and query_json.wants_json(context):
            return query_json.response(operation, output, context)
        out = [head]
        write_children(output, out)
        if len(out) == 1:
            out[0] = empty_head
            out.append(empty_middle)
        else:
            out.append(middle)
        out.append(escape(context.request_id))
        out.append(tail)
        return Response(200, base_headers(with_host_id, content_type, context), "".join(out).encode())

    return serialize_query


def serialize_error(
    model: ServiceModel, protocol: str, info: ErrorInfo, error: ServiceError, context: RequestContext
) -> Response:
    compiler = compiler_for(model, protocol)
    overlay = wire(model)
    request_id = escape(context.request_id)
    code = escape(info.query_code)
    message = escape(error.message or "")
    if protocol == "ec2":
        out = [f"{XML_DECLARATION}<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"]
        write_error_fields(compiler, info.shape, info.message_member, error.fields, out)
        out.append(f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
    else:
        if overlay.bare_unknown_operation and info.query_code == "UnknownOperationException":
            # A request that names no operation at all (a GET of a queue URL): AWS answers
            # the bare element, in XML whatever the client accepts.
            return Response(info.status, {"Content-Type": "text/xml"}, b"<UnknownOperationException/>")
        kind = "Sender" if info.sender else "Receiver"
        uri = namespace(model, protocol)
        xmlns = f' xmlns="{escape(uri)}"' if uri else ""
        worded = overlay.query_error_messages
        if worded and error.message in worded:
            message = escape(worded[error.message])
        if overlay.query_json and query_json.wants_json(context):
            return query_json.error(info, worded.get(error.message, error.message or ""), context)
        out = [
            f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
        ]
        write_error_fields(compiler, info.shape, info.message_member, error.fields, out)
        if overlay.query_error_detail:
            out.append("<Detail/>")
        out.append(f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    headers = base_headers(overlay.host_id, CONTENT_TYPES[protocol], context)
    return Response(info.status, headers, "".join(out).encode())
