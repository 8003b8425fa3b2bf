"""SQS fixtures: boto3 speaking JSON (today's SDKs) and speaking the query protocol as the SDKs
built from SQS's last query model do, and unique queue names."""

from __future__ import annotations

import copy
import uuid

import boto3
import botocore.session
import pytest

from overcast.protocols.models import query_model


def legacy_query_client(endpoint: str, **kwargs):
    """A boto3 SQS client built from SQS's query model (what botocore < 1.34.90 shipped)."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    description = copy.deepcopy(query_model(session.get_service_model("sqs"))._service_description)
    description["metadata"]["protocol"] = "query"
    description["metadata"]["protocols"] = ["query"]
    original = loader.load_service_model

    def patched(name, type_name, api_version=None):
        if name == "sqs" and type_name == "service-2":
            return description
        return original(name, type_name, api_version)

    loader.load_service_model = patched
    return boto3.session.Session(
        botocore_session=session,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).client("sqs", endpoint_url=endpoint, **kwargs)


@pytest.fixture(scope="session")
def sqs(client):
    return client("sqs")


@pytest.fixture(scope="session")
def query_sqs(endpoint):
    return legacy_query_client(endpoint)


@pytest.fixture(params=["json", "query"])
def any_sqs(request, sqs, query_sqs):
    """Each test using this runs once per protocol."""
    return sqs if request.param == "json" else query_sqs


def unique(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def queue(sqs):
    """A fresh standard queue's URL."""
    return sqs.create_queue(QueueName=unique())["QueueUrl"]


@pytest.fixture
def fifo_queue(sqs):
    return sqs.create_queue(
        QueueName=unique("f") + ".fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
