"""Which resource a path reaches: static parts, then variables, then a greedy variable."""

from __future__ import annotations

from overcast.services.apigateway import routes


def resources(*paths: str) -> dict:
    return {path: {"id": path, "path": path} for path in paths}


def test_static_before_variable_before_greedy():
    tree = routes.build(resources("/", "/pets", "/pets/{id}", "/pets/mine", "/{proxy+}"))
    assert routes.match(tree, "/")[0]["path"] == "/"
    assert routes.match(tree, "/pets/mine") == ({"id": "/pets/mine", "path": "/pets/mine"}, {})
    assert routes.match(tree, "/pets/7") == ({"id": "/pets/{id}", "path": "/pets/{id}"}, {"id": "7"})
    assert routes.match(tree, "/other/a/b")[1] == {"proxy": "other/a/b"}
    assert routes.match(tree, "/pets/7/toys")[1] == {"proxy": "pets/7/toys"}


def test_no_match_and_decoding():
    tree = routes.build(resources("/", "/a/{x}"))
    assert routes.match(tree, "/b") is None
    assert routes.match(tree, "/a") is None
    assert routes.match(tree, "/a/hello%20world")[1] == {"x": "hello world"}


def test_a_greedy_variable_needs_one_segment():
    tree = routes.build(resources("/", "/files/{path+}"))
    assert routes.match(tree, "/files") is None
    assert routes.match(tree, "/files/x/y.txt")[1] == {"path": "x/y.txt"}
