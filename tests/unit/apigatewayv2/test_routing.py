"""Route selection of HTTP APIs: the most specific path first, the request's own method
before ANY, greedy variables last, `$default` for the rest."""

from __future__ import annotations

from overcast.services.apigatewayv2.routing import RouteTable


def table(*keys: str) -> RouteTable:
    return RouteTable(
        {str(index): {"RouteId": str(index), "RouteKey": key} for index, key in enumerate(keys)}
    )


def chosen(routes: RouteTable, method: str, path: str):
    found = routes.match(method, path)
    return None if found is None else (found[0]["RouteKey"], found[1])


def test_most_specific_first():
    routes = table("GET /pets/{id}", "GET /pets/dog", "ANY /{proxy+}", "GET /pets/{proxy+}", "ANY /pets/{id}")
    assert chosen(routes, "GET", "/pets/dog") == ("GET /pets/dog", {})
    assert chosen(routes, "GET", "/pets/cat") == ("GET /pets/{id}", {"id": "cat"})
    assert chosen(routes, "POST", "/pets/cat") == ("ANY /pets/{id}", {"id": "cat"})
    assert chosen(routes, "GET", "/pets/cat/toys") == ("GET /pets/{proxy+}", {"proxy": "cat/toys"})
    assert chosen(routes, "DELETE", "/a/b/c") == ("ANY /{proxy+}", {"proxy": "a/b/c"})


def test_literal_segments_win_from_the_left():
    routes = table("GET /{a}/b", "GET /a/{b}")
    assert chosen(routes, "GET", "/a/b") == ("GET /a/{b}", {"b": "b"})


def test_greedy_needs_a_segment_and_default_catches_the_rest():
    routes = table("GET /pets/{proxy+}")
    assert chosen(routes, "GET", "/pets") is None
    with_default = table("GET /pets/{proxy+}", "$default")
    assert chosen(with_default, "GET", "/pets") == ("$default", {})
    assert chosen(with_default, "GET", "/") == ("$default", {})


def test_path_values_are_decoded():
    routes = table("GET /files/{name}")
    assert chosen(routes, "GET", "/files/a%20b") == ("GET /files/{name}", {"name": "a b"})
    assert chosen(routes, "GET", "/files/a/b") is None
