"""Function URL answers shaped as AWS shapes them: plain results as compact JSON (strings as
they are), function errors as a plain 'Internal Server Error', unknown URLs as
{"Message":null} with 403, a URL whose alias is gone as Forbidden; the event sees one leading slash
and no hop-by-hop headers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from .helpers import create

RETURNS = "import json, os\ndef handler(event, context):\n    return json.loads(os.environ['RESULT'])\n"


def fetch(endpoint: str, url: str, path: str = "/") -> tuple[int, bytes, dict]:
    host = url.split("//")[1].split("/")[0].split(":")[0]
    port = endpoint.rsplit(":", 1)[1]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}:{port}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ({"hello": "world"}, b'{"hello":"world"}'),
        (["hello", 3, True], b'["hello",3,true]'),
        ("hello", b"hello"),
    ],
)
def test_plain_results(client, endpoint, result, body):
    lam = client("lambda")
    name = create(lam, RETURNS, Environment={"Variables": {"RESULT": json.dumps(result)}})
    created = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert "InvokeMode" not in created
    status, content, _ = fetch(endpoint, created["FunctionUrl"])
    assert (status, content) == (200, body)


def test_errors_and_paths(client, endpoint):
    lam = client("lambda")
    failing = create(lam, "def handler(event, context):\n    raise ValueError('no')\n")
    url = lam.create_function_url_config(FunctionName=failing, AuthType="NONE")["FunctionUrl"]
    assert fetch(endpoint, url)[:2] == (502, b"Internal Server Error")
    unknown = url.replace(url.split("//")[1].split(".")[0], "0" * 32)
    assert fetch(endpoint, unknown)[:2] == (403, b'{"Message":null}')
    echo = create(
        lam,
        "import json\ndef handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps({'path': event['rawPath'], 'headers': event['headers']})}\n",
        Publish=True,
    )
    lam.create_alias(FunctionName=echo, Name="live", FunctionVersion="1")
    url = lam.create_function_url_config(FunctionName=echo, Qualifier="live", AuthType="NONE")["FunctionUrl"]
    status, content, _ = fetch(endpoint, url, "//some/path")
    seen = json.loads(content)
    assert status == 200 and seen["path"] == "/some/path"
    assert "connection" not in seen["headers"] and seen["headers"]["x-forwarded-proto"] == "http"
    lam.delete_alias(FunctionName=echo, Name="live")
    status, _, headers = fetch(endpoint, url)
    assert status == 403 and headers["x-amzn-errortype"] == "AccessDeniedException"
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.create_function_url_config(FunctionName=echo, AuthType="NONE", InvokeMode="UNKNOWN")
    assert raised.value.response["Error"]["Message"].endswith("[RESPONSE_STREAM, BUFFERED]")


def test_too_large_responses_are_function_errors(client):
    lam = client("lambda")
    name = create(
        lam, "def handler(event, context):\n    return 'a' * (6 * 1024 * 1024 + 200)\n", MemorySize=512
    )
    answer = lam.invoke(FunctionName=name, Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


def test_url_configs_page(client):
    lam = client("lambda")
    name = create(lam, RETURNS, Environment={"Variables": {"RESULT": "1"}}, Publish=True)
    lam.create_alias(FunctionName=name, Name="a1", FunctionVersion="1")
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    lam.create_function_url_config(FunctionName=name, Qualifier="a1", AuthType="NONE")
    first = lam.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(first["FunctionUrlConfigs"]) == 1 and first["NextMarker"]
    rest = lam.list_function_url_configs(FunctionName=name, Marker=first["NextMarker"])
    assert len(rest["FunctionUrlConfigs"]) == 1


def test_listing_urls_of_a_missing_function_and_bad_layer_arns(client):
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.list_function_url_configs(FunctionName="does-not-exist-anywhere")
    assert raised.value.response["Error"]["Message"] == "Function does not exist"
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.get_layer_version_by_arn(Arn="arn:aws:lambda:us-east-1:000000000000:layer:no-version")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
