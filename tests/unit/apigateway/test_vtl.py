"""Mapping templates: $input, $util, $context and $stageVariables as API Gateway defines them."""

from __future__ import annotations

import json

import pytest

from overcast.services.apigateway.vtl import TemplateError, render


def run(template: str, body: str = "", params=None, context=None, variables=None) -> str:
    return render(
        template,
        body=body.encode(),
        params=params or {"path": {}, "querystring": {}, "header": {}},
        context=context or {},
        stage_variables=variables or {},
    )


def test_input_json_path_and_body():
    body = json.dumps({"a": {"b": [1, 2, 3]}, "s": "x"})
    assert run("$input.json('$.a.b')", body) == "[1,2,3]"
    assert run("$input.path('$.s')", body) == "x"
    assert run("$input.path('$.a.b').size()", body) == "3"
    assert run("$input.body", body) == body
    assert run("$input.json('$')", body) == json.dumps(json.loads(body), separators=(",", ":"))


def test_foreach_over_a_path_and_keyset():
    body = json.dumps({"items": [{"n": 1}, {"n": 2}], "m": {"k1": "v1", "k2": "v2"}})
    template = "#foreach($i in $input.path('$.items'))$i.n#if($foreach.hasNext),#end#end"
    assert run(template, body) == "1,2"
    keys = "#foreach($k in $input.path('$.m').keySet())$k=$input.path('$.m').get($k);#end"
    assert run(keys, body) == "k1=v1;k2=v2;"


def test_params_search_path_then_query_then_header():
    params = {"path": {"id": "p"}, "querystring": {"q": "1", "id": "q"}, "header": {"x-h": "h"}}
    assert run("$input.params('id') $input.params('q') $input.params('X-H')", params=params) == "p 1 h"
    assert run("$input.params().querystring.q", params=params) == "1"
    assert run("[$input.params('missing')]", params=params) == "[]"


def test_util_functions():
    assert run("$util.escapeJavaScript($v)".replace("$v", '"a\\"b"')) == 'a\\"b'
    assert run("$util.base64Encode('hi')") == "aGk="
    assert run("$util.base64Decode('aGk=')") == "hi"
    assert run("$util.urlEncode('a b&c')") == "a%20b%26c"
    assert run("$util.urlDecode('a%20b+c')") == "a b c"
    assert run("#set($o = $util.parseJson('{\"k\": [1, 2]}'))$o.k.get(1)") == "2"


def test_context_and_stage_variables():
    context = {"requestId": "r1", "identity": {"sourceIp": "1.2.3.4"}, "authorizer": {"principalId": "me"}}
    assert run(
        "$context.requestId $context.identity.sourceIp $context.authorizer.principalId", context=context
    ) == ("r1 1.2.3.4 me")
    assert run("$stageVariables.env", variables={"env": "prod"}) == "prod"


def test_a_bad_jsonpath_is_a_template_error():
    with pytest.raises(TemplateError):
        run("$input.path('$[')", "{}")
