"""The expression corpus: each case is an expression, its names/values, an item, and either the
expected result or DynamoDB's exact error text."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.dynamodb import expressions as E
from overcast.services.dynamodb.grammar import parse

ITEM = {
    "pk": {"S": "user#1"},
    "name": {"S": "Ada"},
    "age": {"N": "36"},
    "score": {"N": "-1.5"},
    "tags": {"SS": ["a", "b"]},
    "nums": {"NS": ["1", "2.5"]},
    "bin": {"B": b"\x01\x02"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "list": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"S": "d"}}}]},
    "map": {"M": {"a": {"M": {"b": {"N": "7"}}}, "s": {"S": "str"}}},
}

NAMES = {"#n": "name", "#l": "list", "#m": "map", "#dot": "a.b"}
VALUES = {
    ":ada": {"S": "Ada"},
    ":36": {"N": "36"},
    ":36f": {"N": "36.0"},
    ":1": {"N": "1"},
    ":100": {"N": "100"},
    ":a": {"S": "a"},
    ":x": {"S": "x"},
    ":A": {"S": "A"},
    ":N": {"S": "N"},
    ":SS": {"S": "SS"},
    ":three": {"N": "3"},
    ":b01": {"B": b"\x01"},
    ":2": {"N": "2"},
    ":7": {"N": "7"},
    ":t": {"BOOL": True},
    ":tags": {"SS": ["b", "a"]},
    ":l2": {"N": "2"},
    ":neg": {"N": "-2"},
    ":d": {"S": "d"},
    ":str": {"S": "str"},
}

# (condition, expected)
CONDITIONS = [
    ("#n = :ada", True),
    ("#n <> :ada", False),
    ("age = :36f", True),
    ("age > :1 AND age < :100", True),
    ("age BETWEEN :1 AND :36", True),
    ("score BETWEEN :neg AND :1", True),
    ("age IN (:1, :36)", True),
    ("age IN (:1, :100)", False),
    ("absent = :1", False),
    ("absent <> :1", True),
    ("#n > :A", True),
    ("#n < :a", True),
    ("age < :ada", False),
    ("attribute_exists(age) AND attribute_not_exists(absent)", True),
    ("attribute_exists(#m.a.b)", True),
    ("attribute_exists(#m.a.c)", False),
    ("attribute_exists(#l[2].deep)", True),
    ("attribute_exists(#l[3])", False),
    ("#l[1] = :2", True),
    ("#m.a.b = :7", True),
    ("#m.s = :str", True),
    ("attribute_type(age, :N)", True),
    ("attribute_type(tags, :SS)", True),
    ("attribute_type(age, :SS)", False),
    ("begins_with(#n, :A)", True),
    ("begins_with(#n, :a)", False),
    ("begins_with(bin, :b01)", True),
    ("contains(tags, :a)", True),
    ("contains(#n, :x)", False),
    ("contains(#l, :x)", True),
    ("contains(nums, :1)", True),
    ("size(#n) = :three", True),
    ("size(tags) = :2", True),
    ("size(#l) > :2", True),
    ("size(#m) = :2", True),
    ("size(bin) = :2", True),
    ("size(absent) = :1", False),
    ("NOT #n = :ada", False),
    ("NOT (age = :1 OR age = :36)", False),
    ("age = :1 OR age = :36 AND #n = :ada", True),
    ("(age = :1 OR age = :36) AND #n <> :ada", False),
    ("tags = :tags", True),
    ("flag = :t", True),
    ("#dot = :1", False),
    ("#l[2].deep = :d", True),
]

# (kind, expression, exact error)
ERRORS = [
    ("condition", "a = ", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'),
    ("condition", "a == :v", 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
    (
        "condition",
        "a = :v AND and = :v",
        'Invalid ConditionExpression: Syntax error; token: "and", near: "AND and ="',
    ),
    ("condition", "a = :v :w", 'Invalid ConditionExpression: Syntax error; token: ":w", near: ":v :w"'),
    ("condition", "(a = :v", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":v"'),
    ("condition", "a BETWEEN :v", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":v"'),
    ("condition", "a $ :v", 'Invalid ConditionExpression: Syntax error; token: "$", near: "a $ :v"'),
    ("condition", "a[x] = :v", 'Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"'),
    (
        "condition",
        "size = :v",
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size",
    ),
    (
        "condition",
        "Status = :v",
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Status",
    ),
    ("filter", "foo(a)", "Invalid FilterExpression: Invalid function name; function: foo"),
    (
        "condition",
        "begins_with(a)",
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function:"
        " begins_with, number of operands: 1",
    ),
    (
        "condition",
        "size(a)",
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
    ),
    (
        "condition",
        "attribute_exists(a) = :v",
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function:"
        " attribute_exists",
    ),
    (
        "condition",
        "attribute_exists(:v)",
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function:"
        " attribute_exists",
    ),
    (
        "condition",
        "if_not_exists(a, :v) = :v",
        "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists",
    ),
    ("condition", "", "Invalid ConditionExpression: The expression can not be empty;"),
    ("update", "", "Invalid UpdateExpression: The expression can not be empty;"),
    ("update", "a = :v", 'Invalid UpdateExpression: Syntax error; token: "a", near: "a ="'),
    ("update", "SET a :v", 'Invalid UpdateExpression: Syntax error; token: ":v", near: "a :v"'),
    ("update", "REMOVE a, ", 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'),
    ("update", "ADD a b", 'Invalid UpdateExpression: Syntax error; token: "b", near: "a b"'),
    (
        "update",
        "SET a = :v REMOVE a",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these"
        " paths; path one: [a], path two: [a]",
    ),
    (
        "update",
        "SET a.b = :v, a.b.c = :v",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these"
        " paths; path one: [a, b], path two: [a, b, c]",
    ),
    (
        "update",
        "REMOVE a[1], a[1]",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these"
        " paths; path one: [a, [1]], path two: [a, [1]]",
    ),
    (
        "update",
        "SET a = begins_with(b, :v)",
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: begins_with",
    ),
    (
        "update",
        "DELETE a :v, SET b = :v",
        'Invalid UpdateExpression: Syntax error; token: "SET", near: ", SET b"',
    ),
    ("update", "set a = :v remove b", None),
    ("projection", "a, b.c, d[0]", None),
    (
        "projection",
        "a, a.b",
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these"
        " paths; path one: [a], path two: [a, b]",
    ),
    ("projection", "a,", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
    (
        "projection",
        "comment",
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: comment",
    ),
    ("key", "pk = :v AND", 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"'),
]


class _Params(dict):
    pass


def bindings(names=NAMES, values=VALUES) -> E.Bindings:
    return E.Bindings(
        {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values, "ConditionExpression": "x"},
        ("ConditionExpression",),
    )


@pytest.mark.parametrize("expression, expected", CONDITIONS)
def test_condition_results(expression, expected):
    b = bindings()
    tree = b.parse("condition", expression).tree
    assert E.evaluate(tree, ITEM, b) is expected


@pytest.mark.parametrize("kind, expression, message", ERRORS)
def test_errors(kind, expression, message):
    if message is None:
        parse(kind, expression)
        return
    with pytest.raises(ServiceError) as info:
        parse(kind, expression)
    assert info.value.message == message


def test_undefined_and_unused_placeholders():
    b = bindings({"#a": "a"}, {":v": {"S": "x"}})
    with pytest.raises(ServiceError) as info:
        b.parse("condition", "#b = :v")
    assert info.value.message == (
        "Invalid ConditionExpression: An expression attribute name used in the document path"
        " is not defined; attribute name: #b"
    )
    with pytest.raises(ServiceError) as info:
        b.parse("filter", "#a = :w")
    assert info.value.message == (
        "Invalid FilterExpression: An expression attribute value used in expression is not"
        " defined; attribute value: :w"
    )
    b.parse("condition", "#a = :v")
    b.check_unused()
    b = bindings({"#a": "a", "#b": "b", "#c": "c"}, {":v": {"S": "x"}})
    b.parse("condition", "#a = :v")
    with pytest.raises(ServiceError) as info:
        b.check_unused()
    assert (
        info.value.message
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}"
    )


@pytest.mark.parametrize(
    "update, expected",
    [
        ("SET age = age + :1", {"age": {"N": "37"}}),
        ("SET age = :1 - age", {"age": {"N": "-35"}}),
        ("SET newlist = list_append(:empty, #l)", {"newlist": ITEM["list"]}),
        ("SET #l = list_append(#l, :more)", {"list": {"L": ITEM["list"]["L"] + [{"S": "y"}]}}),
        (
            "SET fresh = if_not_exists(fresh, :1), age = if_not_exists(age, :1)",
            {"fresh": {"N": "1"}, "age": {"N": "36"}},
        ),
        (
            "SET #l[1] = :x, #l[9] = :x",
            {"list": {"L": [{"S": "x"}, {"S": "x"}, ITEM["list"]["L"][2], {"S": "x"}]}},
        ),
        (
            "REMOVE #l[0], #l[2], #m.a.b",
            {"list": {"L": [{"N": "2"}]}, "map": {"M": {"a": {"M": {}}, "s": {"S": "str"}}}},
        ),
        (
            "ADD tags :more_tags, nums :nums, cnt :1",
            {"tags": {"SS": ["a", "b", "c"]}, "nums": {"NS": ["1", "2.5", "3"]}, "cnt": {"N": "1"}},
        ),
        ("DELETE tags :tag_a, nums :nums", {"tags": {"SS": ["b"]}}),
        ("SET a1 = age, age = a1", None),
    ],
)
def test_updates(update, expected):
    values = {
        **VALUES,
        ":empty": {"L": []},
        ":more": {"L": [{"S": "y"}]},
        ":more_tags": {"SS": ["c", "a"]},
        ":nums": {"NS": ["3", "2.50"]},
        ":tag_a": {"SS": ["a"]},
    }
    b = E.Bindings(
        {"ExpressionAttributeNames": NAMES, "ExpressionAttributeValues": values, "UpdateExpression": "x"},
        ("UpdateExpression",),
    )
    clauses = b.parse("update", update).tree
    if expected is None:
        with pytest.raises(ServiceError) as info:
            E.apply_update(ITEM, clauses, b, ("pk",))
        assert (
            info.value.message
            == "The provided expression refers to an attribute that does not exist in the item"
        )
        return
    new = E.apply_update(ITEM, clauses, b, ("pk",))
    for name, value in expected.items():
        if name == "nums" and "DELETE" in update:
            continue
        assert new[name] == value, name
    if "DELETE" in update:
        assert "nums" not in new or new["nums"] == {"NS": ["1"]}
    assert ITEM["age"] == {"N": "36"}  # the original is untouched


def test_update_type_errors():
    values = {":s": {"S": "x"}, ":l": {"L": []}, ":n": {"N": "1"}}
    b = E.Bindings({"ExpressionAttributeValues": values, "UpdateExpression": "x"}, ("UpdateExpression",))
    for update, message in [
        ("SET #n = #n + :n", None),
        (
            "SET age = age + :s",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator"
            " or function: +, operand type: STRING",
        ),
        (
            "SET x = list_append(:s, :l)",
            "Invalid UpdateExpression: Incorrect operand type for operator or function;"
            " operator or function: list_append, operand type: STRING",
        ),
        (
            "DELETE tags :n",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE,"
            " operand type: NUMBER",
        ),
    ]:
        if message is None:
            continue
        with pytest.raises(ServiceError) as info:
            E.check_update_values(b.parse("update", update).tree, b)
        assert info.value.message == message
    clauses = b.parse("update", "SET x = pk + :n").tree
    with pytest.raises(ServiceError) as info:
        E.apply_update(ITEM, clauses, b, ("zz",))
    assert info.value.message == "An operand in the update expression has an incorrect data type"


def test_projection_rebuilds_nested_documents():
    b = bindings()
    paths = b.parse("projection", "#l[2].deep, #l[0], #m.a.b, absent, age").tree
    assert E.project(ITEM, paths, b) == {
        "list": {"L": [{"S": "x"}, {"M": {"deep": {"S": "d"}}}]},
        "map": {"M": {"a": {"M": {"b": {"N": "7"}}}}},
        "age": {"N": "36"},
    }


def test_parse_is_cached():
    assert parse("condition", "a = :v AND b = :w") is parse("condition", "a = :v AND b = :w")
