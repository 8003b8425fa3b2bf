import pytest

from overcast.common.tagging import TagProblem, TagRules, add_tags, remove_tags, tag_list, tag_map


class Refused(Exception):
    def __init__(self, problem, key):
        super().__init__(problem, key)
        self.problem, self.key = problem, key


RULES = TagRules(refuse=Refused)


def problem_of(given, rules=RULES, existing=None):
    with pytest.raises(Refused) as refused:
        add_tags(existing, given, rules)
    return refused.value.problem, refused.value.key


def test_lists_and_maps_are_both_accepted():
    assert tag_map([{"Key": "a", "Value": "1"}, {"Key": "b"}], RULES) == {"a": "1", "b": ""}
    assert tag_map({"a": "1"}, RULES) == {"a": "1"}
    assert tag_map(None, RULES) == {}


def test_fifty_tags_fit_and_fifty_one_do_not():
    fifty = {f"k{n}": "v" for n in range(50)}
    assert add_tags(None, fifty, RULES) == fifty
    assert problem_of({**fifty, "one-more": "v"}) == (TagProblem.TOO_MANY, "")


def test_the_limit_counts_the_tags_already_on_the_resource():
    existing = {f"k{n}": "v" for n in range(49)}
    assert len(add_tags(existing, {"k0": "new", "k49": "v"}, RULES)) == 50
    assert problem_of({"k50": "v", "k51": "v"}, existing=existing) == (TagProblem.TOO_MANY, "")


def test_a_new_value_replaces_the_old_one():
    assert add_tags({"a": "1", "b": "2"}, [{"Key": "a", "Value": "3"}], RULES) == {"a": "3", "b": "2"}


def test_key_and_value_lengths():
    assert tag_map({"k" * 128: "v" * 256}, RULES)
    assert tag_map({"k": ""}, RULES) == {"k": ""}
    assert problem_of({"k" * 129: "v"}) == (TagProblem.KEY_LENGTH, "k" * 129)
    assert problem_of({"": "v"}) == (TagProblem.KEY_LENGTH, "")
    assert problem_of({"k": "v" * 257}) == (TagProblem.VALUE_LENGTH, "k")


def test_allowed_characters_are_unicode_letters_digits_spaces_and_a_few_marks():
    assert tag_map({"Kostenstelle Büro_1.a:b/c=d+e-f@g": "值 ٣ x"}, RULES)
    assert problem_of({"semi;colon": "v"}) == (TagProblem.KEY_CHARACTERS, "semi;colon")
    assert problem_of({"k": "tab\there"}) == (TagProblem.VALUE_CHARACTERS, "k")
    assert problem_of({"k": "<b>"}) == (TagProblem.VALUE_CHARACTERS, "k")


def test_a_service_that_allows_any_character():
    assert tag_map({"semi;colon": "<b>"}, TagRules(refuse=Refused, check_characters=False))


def test_aws_prefix_is_reserved_in_any_case():
    assert problem_of({"aws:owner": "me"}) == (TagProblem.RESERVED_KEY, "aws:owner")
    assert problem_of({"AWS:owner": "me"}) == (TagProblem.RESERVED_KEY, "AWS:owner")
    assert tag_map({"aws-owner": "me", "owner": "aws:me"}, RULES)
    assert tag_map({"aws:owner": "me"}, TagRules(refuse=Refused, reserved_prefix=None))


def test_a_key_twice_in_one_request():
    assert problem_of([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]) == (
        TagProblem.DUPLICATE_KEY,
        "a",
    )


def test_services_name_their_own_error():
    def refuse(problem, key):
        return ValueError(f"{problem.value}: {key}")

    with pytest.raises(ValueError, match="reserved_key: aws:x"):
        tag_map({"aws:x": "1"}, TagRules(refuse=refuse))


def test_remove_and_list():
    tags = {"a": "1", "b": "2"}
    assert remove_tags(tags, ["a", "missing"]) == {"b": "2"}
    assert remove_tags(None, ["a"]) == {}
    assert tags == {"a": "1", "b": "2"}
    assert tag_list(tags) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tag_list(tags, "key", "value") == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]


def test_refusals_from_a_table():
    from overcast.common.tagging import refusals
    from overcast.errors import ServiceError

    rules = TagRules(
        refuse=refusals(
            "InvalidParameterValue",
            {
                TagProblem.RESERVED_KEY: "Tag {key} is invalid.",
                TagProblem.TOO_MANY: ("TagLimitExceeded", "No more than {limit} tags."),
            },
        )
    )
    with pytest.raises(ServiceError) as refused:
        tag_map({"aws:x": "1"}, rules)
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "InvalidParameterValue",
        "Tag aws:x is invalid.",
        400,
    )
    with pytest.raises(ServiceError) as refused:
        add_tags({f"k{n}": "" for n in range(50)}, {"one-more": ""}, rules)
    assert (refused.value.code, refused.value.message) == ("TagLimitExceeded", "No more than 50 tags.")

    with pytest.raises(ServiceError) as refused:
        tag_map({"k": "<b>"}, rules)
    assert refused.value.code == "InvalidParameterValue"
    assert refused.value.message.startswith("The value of tag k may hold only")
