"""Fuzzing the wire (issue 15): valid requests, serialized by botocore for every operation of the
emulated services in each protocol they speak, are damaged (fields dropped, duplicated or
retyped, numbers of thousands of digits, JSON and XML nested thousands deep, invalid UTF-8, lone
surrogates, wrong content types, truncated bodies, odd headers) and sent to a real server.
Whatever arrives, the answer is an AWS-shaped response of the protocol: no 5xx but 501, an
error body the protocol's clients can parse, and no hang.

Bounded and seeded: OVERCAST_FUZZ_SEED picks the run (a failure names its seed and mutation),
OVERCAST_FUZZ_MUTATIONS the mutations per protocol (default 2,000; the whole run takes under a
minute on one core), OVERCAST_FUZZ_PORT a server already running to fuzz instead of a new one.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.serialize import create_serializer

from overcast import bodylimits, services
from overcast.protocols.models import protocols_of, query_model, service_model
from tests.conftest import Server

SEED = int(os.environ.get("OVERCAST_FUZZ_SEED", "15"))
MUTATIONS = int(os.environ.get("OVERCAST_FUZZ_MUTATIONS", "2000"))
#: Seconds an answer may take; longer is a hang.
PATIENCE = 15.0

SERVICES = sorted(services.implemented())
#: Operations that legitimately run long or start processes (a Lambda runtime); their inputs
#: are fuzzed by the operations that share their shapes.
SKIPPED = {("lambda", "Invoke"), ("lambda", "InvokeAsync"), ("sqs", "ReceiveMessage")}
ENDPOINT = "http://localhost:4566"
AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=x"


# -- valid requests --------------------------------------------------------------------------


#: Resources the fuzzed server holds (made by `resources`), by the member names that name them:
#: damage then reaches the providers' own code, not only "no such queue".
KNOWN: dict[str, str] = {}


def resources(port: int) -> dict[str, str]:
    """A queue, topic, table, bucket, log group, key, secret and parameter to aim requests at
    (named for this run: a server fuzzed before may hold, or have just deleted, others)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )

    def client(service: str):
        return session.client(service, endpoint_url=f"http://127.0.0.1:{port}")

    name = f"fuzz-{SEED}-{os.getpid()}"
    queue = client("sqs").create_queue(QueueName=name)["QueueUrl"]
    topic = client("sns").create_topic(Name=name)["TopicArn"]
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client("s3").create_bucket(Bucket=name)
    client("logs").create_log_group(logGroupName=name)
    key = client("kms").create_key()["KeyMetadata"]["KeyId"]
    client("secretsmanager").create_secret(Name=name, SecretString="s")
    client("ssm").put_parameter(Name=name, Value="v", Type="String")
    return {
        "QueueUrl": queue,
        "QueueName": name,
        "TopicArn": topic,
        "TargetArn": topic,
        "TableName": name,
        "Bucket": name,
        "logGroupName": name,
        "logGroupIdentifier": name,
        "KeyId": key,
        "SecretId": name,
        "Name": name,
    }


def example(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for `shape`: its required members, some optional ones, simple leaves;
    members naming a resource mostly name one that exists (KNOWN)."""
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if name in shape.required_members or (depth < 3 and rng.random() < 0.3):
                if member.type_name == "structure" and depth >= 4:
                    continue
                if name in KNOWN and member.type_name == "string" and rng.random() < 0.8:
                    out[name] = KNOWN[name]
                    continue
                out[name] = example(member, rng, depth + 1)
        return out
    if kind == "list":
        return [example(shape.member, rng, depth + 1)] if depth < 5 else []
    if kind == "map":
        return {"key": example(shape.value, rng, depth + 1)} if depth < 5 else {}
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        low = shape.metadata.get("min", 1)
        return ("fuzz" + str(rng.randrange(100)) + "x" * low)[
            : max(low, min(shape.metadata.get("max", 12), 12))
        ]
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"fuzz"
    return None


def edge_example(shape: Any, rng: random.Random, depth: int = 0, in_url: bool = False) -> Any:
    """A value of `shape`'s type at the edge of what it allows (empty, longest, least, most),
    for every member: input that passes validation and meets the provider's own assumptions."""
    kind = shape.type_name
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if kind == "structure":
        if depth > 4:
            return {}
        # Members in the URL or a header stay short enough for a request line (S3 keys are at
        # most 1,024 bytes): longer ones are refused by any HTTP server before AWS sees them.
        return {
            name: edge_example(
                member,
                rng,
                depth + 1,
                member.serialization.get("location") in ("uri", "querystring", "header"),
            )
            for name, member in shape.members.items()
            if name in shape.required_members or rng.random() < 0.5
        }
    if kind == "list":
        count = rng.choice([low or 0, min(high or 30, 30)]) if depth < 4 else (low or 0)
        return [edge_example(shape.member, rng, depth + 1) for _ in range(count)]
    if kind == "map":
        count = rng.choice([low or 0, min(high or 10, 10)]) if depth < 4 else (low or 0)
        return {f"k{index}": edge_example(shape.value, rng, depth + 1) for index in range(count)}
    if kind == "string":
        if shape.enum:
            return rng.choice(shape.enum)
        if name_known := KNOWN.get(shape.name):
            return name_known
        length = rng.choice([low or 0, min(high or 5000, 100 if in_url else 5000)])
        return rng.choice(["a", "9", "\u00e9", "\u4e2d", "-", "/"]) * length
    if kind in ("integer", "long"):
        return int(
            rng.choice([low if low is not None else -(2**31), high if high is not None else 2**31 - 1, 0])
        )
    if kind in ("float", "double"):
        return rng.choice([0.0, -1.0, 1e308, float(low or 0)])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return rng.choice(
            [
                datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
                datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC),
            ]
        )
    if kind == "blob":
        return b"\xff" * rng.choice([low or 0, min(high or 5000, 5000)])
    return None


class Wire:
    """One HTTP request: method, path, query string, headers (lower-cased names), body."""

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body

    def copy(self) -> Wire:
        return Wire(self.method, self.path, self.query, dict(self.headers), self.body)


def signing_name(wire: Wire) -> str:
    """The service the request is signed for (its credential scope)."""
    return (
        wire.headers.get("authorization", "").split("/")[3]
        if "/" in wire.headers.get("authorization", "")
        else ""
    )


def serialize(model: Any, operation: Any, protocol: str, params: dict) -> Wire:
    serializer = create_serializer(protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = AWSRequest(
        method=request_dict["method"],
        url=request_dict["url"],
        data=request_dict["body"],
        headers=request_dict["headers"],
    ).prepare()
    url = urlsplit(prepared.url)
    headers = {
        name.lower(): value.decode("latin-1") if isinstance(value, bytes) else value
        for name, value in prepared.headers.items()
    }
    headers["authorization"] = AUTH.format(model.signing_name)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Wire(prepared.method, url.path or "/", url.query, headers, body)


def base_requests(protocol_filter: str, rng: random.Random) -> list[tuple[str, str, Any, Wire]]:
    """(service, operation, protocol, request) for every operation speaking `protocol_filter`."""
    found = []
    for service in SERVICES:
        model = service_model(service)
        for protocol in protocols_of(model):
            if protocol != protocol_filter:
                continue
            speaking = query_model(model) if protocol == "query" and model.protocol != "query" else model
            for name in speaking.operation_names:
                operation = speaking.operation_model(name)
                if (service, name) in SKIPPED or operation.has_event_stream_output:
                    continue
                if operation.has_event_stream_input:
                    continue
                params = example(operation.input_shape, rng) if operation.input_shape is not None else {}
                try:
                    wire = serialize(speaking, operation, protocol, params)
                except Exception:  # botocore cannot serialize this example (a host label, say)
                    continue
                found.append((service, name, (speaking, operation), wire))
    return found


# -- damage ------------------------------------------------------------------------------------

HUGE_NUMBERS = [
    "9" * 5000,
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "-0",
    "0x10",
    "1_000",
    "\u0661\u0662",
    "99999999999999999999",
]
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\udc80",
    "\U0001f600" * 3,
    "a" * 100_000,
    "%",
    "../../etc/passwd",
    "<a>",
    "'\"",
    "${x}",
    # JSON inside a string parameter (a policy, a filter policy, a payload), nested deep.
    '{"a":' + "[" * 10_000 + "]" * 10_000 + "}",
    '{"Statement":[{"Effect":"Allow","Principal":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}]}",
    "9" * 5000,
    "arn:aws:iam::000000000000:role/" + "a" * 3000,
]


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _mutate_json_value(value: Any, rng: random.Random) -> Any:
    """The document with one value inside it dropped, duplicated, retyped or made huge."""
    holders: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in list(node):
                holders.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                holders.append((node, index))
                walk(node[index])

    walk(value)
    if not holders:
        return {rng.choice(["", "x", "__type"]): rng.choice([None, 1, "x", [], {}])}
    holder, key = rng.choice(holders)
    action = rng.randrange(6)
    if action == 0 and isinstance(holder, dict):
        del holder[key]
    elif action == 1 and isinstance(holder, list):
        holder.append(holder[key])
    else:
        holder[key] = rng.choice(
            [
                None,
                True,
                0,
                -1,
                1.5,
                10**30,
                "x",
                [],
                {},
                [holder[key]],
                {"x": holder[key]},
                rng.choice(ODD_STRINGS),
            ]
        )
    return value


def mutate_json(wire: Wire, rng: random.Random) -> str:
    try:
        document = json.loads(wire.body or b"{}")
    except ValueError:
        document = {}
    choice = rng.randrange(6)
    if choice < 3:
        wire.body = json.dumps(_mutate_json_value(document, rng)).encode()
        return "json value"
    text = json.dumps(document)
    if choice == 3:  # a number or nesting no parser should recurse through
        replacement = rng.choice([_deep_json(rng.choice([1000, 10_000, 100_000])), rng.choice(HUGE_NUMBERS)])
        if text.endswith("}") and len(text) > 2:
            text = text[:-1] + f', "Deep": {replacement}' + "}"
        else:
            text = '{"Deep": ' + replacement + "}"
        wire.body = text.encode()
        return "json deep/huge"
    if choice == 4:  # a duplicated key, or a lone surrogate escape
        if '":' in text:
            key_end = text.index('":')
            key_start = text.rindex('"', 0, key_end)
            text = text[:1] + text[key_start : key_end + 2] + '"\\udc80",' + text[1:]
        wire.body = text.encode()
        return "json duplicate/surrogate"
    wire.body = text.encode()[: rng.randrange(max(1, len(text)))]
    return "json truncated"


def mutate_form(wire: Wire, rng: random.Random) -> str:
    body = wire.body.decode("latin-1")
    pairs = [pair for pair in body.split("&") if pair]
    choice = rng.randrange(5)
    if choice == 0 and pairs:
        pairs.pop(rng.randrange(len(pairs)))
    elif choice == 1 and pairs:
        pairs.append(rng.choice(pairs))
    elif choice == 2 and pairs:
        index = rng.randrange(len(pairs))
        name = pairs[index].partition("=")[0]
        pairs[index] = (
            name + "=" + rng.choice([*HUGE_NUMBERS, "%FF%FE", "%", "%zz", "%ED%B2%80", "a" * 100000])
        )
    elif choice == 3:
        pairs.append(rng.choice(["Foo.1.Bar=1", "Attribute.999999999999.Name=x", "=", "&&&", "Action="]))
    else:
        pairs.append(
            "Policy=" + "%5B" * 10_000 + "%5D" * 10_000
            if rng.random() < 0.5
            else "Attributes.entry.1.key=VisibilityTimeout"
        )
    wire.body = "&".join(pairs).encode("utf-8", "surrogatepass")
    return "form"


def mutate_xml(wire: Wire, rng: random.Random) -> str:
    text = wire.body.decode("utf-8", "replace") if wire.body else "<Root></Root>"
    choice = rng.randrange(5)
    if choice == 0:
        depth = rng.choice([1000, 100_000])
        text = re.sub(
            r"(<[A-Za-z][^>/]*>)", lambda m: m.group(1) + "<a>" * depth + "</a>" * depth, text, count=1
        )
    elif choice == 1:
        text = re.sub(r"<([A-Za-z]+)[^>]*>[^<]*</\1>", "", text, count=1)
    elif choice == 2:
        text = (
            '<?xml version="1.0" encoding="'
            + rng.choice(["EBCDIC-ZZ", "utf-16", "shift_jis", "x"])
            + '"?>'
            + text
        )
    elif choice == 3:
        text = re.sub(
            r">([^<]+)<", lambda m: ">" + rng.choice([*HUGE_NUMBERS, "&bogus;", "]]>"]) + "<", text, count=1
        )
    else:
        text = text[: rng.randrange(max(1, len(text)))]
    wire.body = text.encode("utf-8", "surrogatepass")
    return "xml"


def mutate_http(wire: Wire, rng: random.Random) -> str:
    """Damage that is no protocol's own: bytes, content types, headers, path and query."""
    choice = rng.randrange(8)
    if choice == 0 and wire.body:
        position = rng.randrange(len(wire.body))
        wire.body = (
            wire.body[:position]
            + rng.choice([b"\xff\xfe", b"\xc3", b"\xed\xb2\x80", b"\x00"])
            + wire.body[position:]
        )
        return "invalid utf-8"
    if choice == 1:
        wire.headers["content-type"] = rng.choice(
            [
                "text/plain",
                "application/json",
                "application/x-www-form-urlencoded",
                "application/cbor",
                "",
                "a/b; charset=ebcdic",
            ]
        )
        return "content type"
    if choice == 2:
        wire.headers[
            rng.choice(["x-amz-target", "content-encoding", "x-amz-content-sha256", "expect", "x-amz-date"])
        ] = rng.choice(["gzip", "x.y", "DynamoDB_20120810.", "", "UNSIGNED-PAYLOAD", "100-continue", "\t"])
        return "odd header"
    if choice == 3:
        name = rng.choice(
            [key for key in wire.headers if key not in ("host", "authorization")] or ["x-amz-meta-a"]
        )
        wire.headers[name] = rng.choice([*HUGE_NUMBERS[:4], "a" * 8000, "ÿþ"])
        return "header value"
    if choice == 4:
        segments = wire.path.split("/")
        index = rng.randrange(1, len(segments)) if len(segments) > 1 else 0
        segments[index] = rng.choice(["%FF", "%ED%B2%80", "a" * 3000, "%2F..%2F", "%00", "", "%"])
        wire.path = "/".join(segments) or "/"
        return "path"
    if choice == 5:
        extra = rng.choice(
            ["max-keys=" + "9" * 5000, "a=%FF", "x-id=" + "x" * 5000, "%=%", "list-type=9", "partNumber=-1"]
        )
        wire.query = f"{wire.query}&{extra}" if wire.query else extra
        return "query"
    if choice == 6:
        wire.method = rng.choice(["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"])
        return "method"
    wire.body = wire.body[: rng.randrange(len(wire.body) + 1)]
    return "truncated"


def mutate(protocol: str, wire: Wire, rng: random.Random) -> str:
    if rng.random() < 0.55:
        if protocol in ("json", "rest-json") and wire.body[:1] in (b"{", b""):
            return mutate_json(wire, rng)
        if protocol in ("query", "ec2"):
            return mutate_form(wire, rng)
        if protocol == "rest-xml" and wire.body[:1] == b"<":
            return mutate_xml(wire, rng)
    return mutate_http(wire, rng)


# -- what an answer must be --------------------------------------------------------------------


def shaped(protocol: str, status: int, headers: dict[str, str], body: bytes, method: str) -> str | None:
    """Why this error answer is not one the protocol's clients can read, or None."""
    if status < 400 or method == "HEAD" or not body:
        return None if status < 400 or method == "HEAD" else "an error with no body"
    content_type = headers.get("content-type", "")
    if "json" in content_type:
        try:
            document = json.loads(body)
        except ValueError:
            return "a JSON error body that does not parse"
        if not isinstance(document, dict):
            return "a JSON error body that is not an object"
        if "__type" not in document and "x-amzn-errortype" not in headers and "code" not in document:
            return "a JSON error naming no error type"
        return None
    if "xml" in content_type:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return "an XML error body that does not parse"
        # SQS answers a request naming no action with a bare <UnknownOperationException/>.
        if (
            root.find(".//Code") is None
            and root.find(".//{*}Code") is None
            and not root.tag.endswith("Exception")
        ):
            return "an XML error with no Code"
        return None
    if "cbor" in content_type:
        return None
    return f"an error of content type {content_type!r}"


@pytest.fixture(scope="module")
def fuzzed():
    """A server of its own (the damage creates state), or OVERCAST_FUZZ_PORT's, to fuzz another
    build (an older commit, to count what it answered wrongly)."""
    port = os.environ.get("OVERCAST_FUZZ_PORT")
    if port:
        KNOWN.update(resources(int(port)))
        yield type("Running", (), {"port": int(port)})()
        return
    instance = Server("--ephemeral", "--quiet")
    # The server's output is read as it comes: a full pipe would stop the server mid-run.
    lines: list[str] = []
    output = instance.process.stdout
    assert output is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(output.readline, "")), daemon=True)
    reader.start()
    KNOWN.update(resources(instance.port))
    yield instance
    instance.process.terminate()
    instance.process.wait(timeout=30)
    reader.join(timeout=10)
    # A fault off the request path (a background flush choking on what a request stored) is
    # no answer, but it is logged.
    logged = "".join(lines)
    assert "Traceback" not in logged, logged[-4000:]


@pytest.mark.parametrize("protocol", ["query", "json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor"])
def test_damaged_requests_get_aws_shaped_answers(fuzzed, protocol: str) -> None:
    rng = random.Random(f"{SEED}-{protocol}")
    requests = base_requests(protocol, rng)
    if not requests:
        pytest.skip(f"no emulated service speaks {protocol}")
    connection = http.client.HTTPConnection("127.0.0.1", fuzzed.port, timeout=PATIENCE)
    failures: list[str] = []
    tried: Counter[str] = Counter()
    for number in range(MUTATIONS):
        if len(failures) >= 40:  # enough to go on; a server that stopped answering ends here
            break
        service, operation, (speaking, model), base = rng.choice(requests)
        wire = base.copy()
        kind = ""
        if model.input_shape is not None and rng.random() < 0.15:
            # Or no damage at all: a well-formed request whose values sit at their shapes' edges.
            try:
                wire = serialize(speaking, model, protocol, edge_example(model.input_shape, rng))
                kind = "edge values"
            except Exception:  # botocore cannot put these values on the wire
                wire = base.copy()
        if not kind:
            kind = mutate(protocol, wire, rng)
        tried[kind] += 1
        wire.headers["content-length"] = str(len(wire.body))
        # Header values travel as bytes; http.client takes only Latin-1 text, so UTF-8 goes as such.
        headers = {
            name: value.encode("utf-8", "surrogatepass").decode("latin-1")
            for name, value in wire.headers.items()
            if name != "host"
        }
        target = wire.path + (f"?{wire.query}" if wire.query else "")
        label = f"seed {SEED} #{number} {service}.{operation} ({kind}) {wire.method} {target[:120]}"
        try:
            connection.request(wire.method, target, body=wire.body, headers=headers, encode_chunked=False)
            response = connection.getresponse()
            body = response.read()
        except TimeoutError:
            failures.append(f"{label}: no answer in {PATIENCE:g}s to {wire.body[:400]!r}")
            connection.close()
            continue
        except (http.client.HTTPException, ConnectionError) as error:
            connection.close()
            # A body past the service's cap is refused unread and its connection closed, often
            # before the client could read the refusal; any other drop is a fault.
            if len(wire.body) <= bodylimits.limit_for(signing_name(wire)).size:
                failures.append(f"{label}: connection dropped ({type(error).__name__})")
            continue
        status = response.status
        if status >= 500 and status != 501:
            failures.append(f"{label}: {status} {body[:200]!r}")
            continue
        problem = shaped(
            protocol, status, {k.lower(): v for k, v in response.getheaders()}, body, wire.method
        )
        if problem is not None:
            failures.append(f"{label}: {status} {problem}: {body[:200]!r}")
        if response.getheader("connection", "").lower() == "close":
            connection.close()
    connection.close()
    print(f"\n{protocol}: {MUTATIONS} mutations (seed {SEED}) {dict(tried)}, {len(failures)} non-AWS answers")
    report = os.environ.get("OVERCAST_FUZZ_REPORT")
    if report:
        with open(report, "a") as out:
            out.write("\n".join(failures) + "\n")
    assert not failures, f"{len(failures)} of {MUTATIONS} damaged requests:\n" + "\n".join(failures[:40])
