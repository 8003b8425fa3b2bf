"""SNS fixtures: clients, unique names, queues to fan out to, and a real HTTP endpoint that
records what SNS POSTs to it."""

from __future__ import annotations

import json
import queue as queue_module
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def sns(client):
    return client("sns")


@pytest.fixture(scope="session")
def sqs(client):
    return client("sqs")


@pytest.fixture
def topic(sns):
    return sns.create_topic(Name=unique())["TopicArn"]


class Queue:
    """An SQS queue to subscribe, with helpers to read what arrives."""

    def __init__(self, sqs, fifo: bool = False) -> None:
        self.sqs = sqs
        name = unique("q") + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true"} if fifo else {}
        self.url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def receive(self, count: int = 1, wait: float = 5.0) -> list[dict]:
        """At least `count` messages (deleted as read), or fewer once `wait` has passed."""
        found: list[dict] = []
        deadline = time.monotonic() + wait
        while len(found) < count and time.monotonic() < deadline:
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                MessageAttributeNames=["All"], AttributeNames=["All"],
            ).get("Messages", [])  # fmt: skip
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            found.extend(messages)
        return found

    def bodies(self, count: int = 1, wait: float = 5.0) -> list[dict]:
        return [json.loads(m["Body"]) for m in self.receive(count, wait)]

    def assert_empty(self, wait: float = 0.5) -> None:
        time.sleep(wait)
        assert self.receive(1, wait=0.1) == []


@pytest.fixture
def make_queue(sqs):
    return lambda fifo=False: Queue(sqs, fifo)


@pytest.fixture
def subscribed_queue(sns, topic, make_queue):
    """(queue, subscription ARN): a queue subscribed to `topic`."""
    q = make_queue()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q.arn)["SubscriptionArn"]
    return q, arn


class Endpoint:
    """An HTTP server on a free port: records each request; answers `status` (per path)."""

    def __init__(self, tls: bool = False) -> None:
        self.requests: queue_module.Queue = queue_module.Queue()
        self.statuses: dict[str, int] = {}
        #: Seconds to wait before answering (per path): a delivery still on its way.
        self.delays: dict[str, float] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.requests.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = endpoint.statuses.get(self.path, 200)
                time.sleep(endpoint.delays.get(self.path, 0))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            scheme = "https"
            self.server.socket = _self_signed_context().wrap_socket(self.server.socket, server_side=True)
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 10.0) -> tuple[str, dict, bytes]:
        return self.requests.get(timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _self_signed_context():
    import datetime
    import ssl
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as pem:
        pem.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
        pem.write(certificate.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem.name)
    return context


@pytest.fixture
def https_endpoint():
    endpoint = Endpoint(tls=True)
    yield endpoint
    endpoint.close()


@pytest.fixture
def http_endpoint():
    endpoint = Endpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture
def recorded(endpoint):
    """`recorded(topic_arn=...)` → the messages Overcast recorded for email/SMS/push."""
    import urllib.parse
    import urllib.request

    def read(**filters) -> list[dict]:
        query = urllib.parse.urlencode(filters)
        with urllib.request.urlopen(f"{endpoint}/_overcast/sns/messages?{query}", timeout=5) as response:
            return json.loads(response.read())["messages"]

    return read
