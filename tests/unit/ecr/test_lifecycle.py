"""Lifecycle policy validation and evaluation, as ECR documents them ("Lifecycle policy
evaluation rules")."""

from __future__ import annotations

import json

import pytest

from overcast.errors import ServiceError
from overcast.services.ecr.lifecycle import evaluate, parse_policy

DAY = 86400.0


def image(digest: str, tags: list[str], pushed_days_ago: float, now: float = 1000 * DAY) -> dict:
    return {"digest": digest, "tags": tags, "pushedAt": now - pushed_days_ago * DAY}


def rule(priority: int, action: str = "expire", **selection) -> dict:
    return {"rulePriority": priority, "selection": selection, "action": {"type": action}}


def policy(*rules: dict) -> str:
    return json.dumps({"rules": list(rules)})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not valid JSON"),
        (policy(), "rules"),
        (policy(rule(1, tagStatus="tagged", countType="imageCountMoreThan", countNumber=1)), "tagPrefixList"),
        (policy(rule(1, tagStatus="untagged", countType="sinceImagePushed", countNumber=1)), "countUnit"),
        (
            policy(
                rule(1, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1, countUnit="days")
            ),
            "countUnit",
        ),
        (policy(rule(1, tagStatus="untagged", countType="imageCountMoreThan", countNumber=0)), "countNumber"),
        (
            policy(
                rule(1, tagStatus="any", countType="imageCountMoreThan", countNumber=1),
                rule(2, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1),
            ),
            "highest rulePriority",
        ),
        (
            policy(
                rule(1, tagStatus="untagged", countType="imageCountMoreThan", countNumber=1),
                rule(1, tagStatus="untagged", countType="imageCountMoreThan", countNumber=2),
            ),
            "unique",
        ),
        (
            policy(rule(1, "delete", tagStatus="untagged", countType="imageCountMoreThan", countNumber=1)),
            "expire",
        ),
    ],
)
def test_invalid_policies_are_refused_with_ecrs_error(text, reason):
    with pytest.raises(ServiceError) as refused:
        parse_policy(text)
    assert refused.value.code == "InvalidParameterException"
    assert "Lifecycle policy validation failure" in refused.value.message
    assert reason in refused.value.message


def test_count_rule_keeps_the_newest():
    rules = parse_policy(policy(rule(1, tagStatus="untagged", countType="imageCountMoreThan", countNumber=2)))
    images = [image(f"d{i}", [], pushed_days_ago=i) for i in range(5)]
    acted = evaluate(rules, images, 1000 * DAY, DAY)
    assert sorted(img["digest"] for img, _ in acted) == ["d2", "d3", "d4"]


def test_age_rule_uses_days():
    rules = parse_policy(
        policy(
            rule(
                1,
                tagStatus="tagged",
                tagPrefixList=["tmp"],
                countType="sinceImagePushed",
                countUnit="days",
                countNumber=7,
            )
        )
    )
    images = [image("old", ["tmp-1"], 8), image("young", ["tmp-2"], 6), image("other", ["prod"], 30)]
    assert [img["digest"] for img, _ in evaluate(rules, images, 1000 * DAY, DAY)] == ["old"]


def test_an_image_selected_by_a_higher_priority_rule_is_left_by_lower_ones():
    rules = parse_policy(
        policy(
            rule(
                1, tagStatus="tagged", tagPrefixList=["prod"], countType="imageCountMoreThan", countNumber=10
            ),
            rule(2, tagStatus="any", countType="imageCountMoreThan", countNumber=1),
        )
    )
    images = [
        image("p1", ["prod-1"], 1),
        image("p2", ["prod-2"], 2),
        image("x", ["dev"], 3),
        image("y", [], 4),
    ]
    acted = evaluate(rules, images, 1000 * DAY, DAY)
    # Rule 1 selects both prod images (and keeps them); rule 2 sees x and y and keeps one.
    assert [(img["digest"], r.priority) for img, r in acted] == [("y", 2)]


def test_several_prefixes_select_images_having_them_all():
    rules = parse_policy(
        policy(
            rule(
                1,
                tagStatus="tagged",
                tagPrefixList=["alpha", "beta"],
                countType="imageCountMoreThan",
                countNumber=1,
            )
        )
    )
    both = [
        image("a", ["alpha-1", "beta-1"], 1),
        image("b", ["alpha-2", "beta-2"], 2),
        image("c", ["alpha-3"], 3),
    ]
    assert [img["digest"] for img, _ in evaluate(rules, both, 1000 * DAY, DAY)] == ["b"]


def test_wildcard_patterns():
    rules = parse_policy(
        policy(
            rule(
                1, tagStatus="tagged", tagPatternList=["v*-rc"], countType="imageCountMoreThan", countNumber=1
            )
        )
    )
    images = [image("a", ["v1-rc"], 1), image("b", ["v2-rc"], 2), image("c", ["v3"], 3)]
    assert [img["digest"] for img, _ in evaluate(rules, images, 1000 * DAY, DAY)] == ["b"]
