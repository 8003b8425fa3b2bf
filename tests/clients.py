"""boto3 clients made to speak a protocol other than the one botocore prefers, for services that
answer several (CloudWatch: smithy-rpc-v2-cbor, json and query; SQS: json and query)."""

from __future__ import annotations

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import create_loader


def client_speaking(service: str, protocol: str, endpoint: str, **config):
    data = create_loader().load_service_model(service, "service-2")
    data["metadata"]["protocol"] = protocol
    data["metadata"]["protocols"] = [protocol]
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    original = loader.load_service_model

    def patched(name, type_name, api_version=None):
        if name == service and type_name == "service-2":
            return data
        return original(name, type_name, api_version)

    loader.load_service_model = patched
    return boto3.session.Session(
        botocore_session=session,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).client(service, endpoint_url=endpoint, config=Config(**config))
