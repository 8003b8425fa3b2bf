"""Lifecycle policies: validated as ECR validates them, evaluated as ECR documents ("Lifecycle
policy evaluation rules") — rules in rulePriority order, an image expired by at most one rule,
and an image a rule selects is left alone by every rule of lower priority — on a schedule
(OVERCAST_ECR_LIFECYCLE_SECONDS; AWS acts within 24 hours of a policy's put) and on demand by
StartLifecyclePolicyPreview. A day is OVERCAST_ECR_DAY_SECONDS long."""

from __future__ import annotations

import fnmatch
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.config import tuning
from overcast.errors import ServiceError
from overcast.services.ecr.errors import invalid
from overcast.services.ecr.events import image_action
from overcast.services.ecr.images import when
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.ecr.provider import Provider

DAY_SETTING = "OVERCAST_ECR_DAY_SECONDS"
INTERVAL_SETTING = "OVERCAST_ECR_LIFECYCLE_SECONDS"
_COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")


@dataclass(frozen=True)
class Rule:
    priority: int
    tag_status: str
    prefixes: tuple[str, ...]
    patterns: tuple[str, ...]
    count_type: str
    count: int
    action: str
    storage_class: str | None
    description: str

    def selects(self, image: dict[str, Any]) -> bool:
        tags = image["tags"]
        if self.tag_status == "untagged":
            return not tags
        if self.tag_status == "any":
            return True
        if not tags:
            return False
        # Several prefixes (or patterns) select only the images that match every one of them.
        if self.prefixes:
            return all(any(tag.startswith(prefix) for tag in tags) for prefix in self.prefixes)
        return all(any(fnmatch.fnmatchcase(tag, pattern) for tag in tags) for pattern in self.patterns)


def _refuse(reason: str) -> ServiceError:
    return invalid(
        f"Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
        f"validation failure: {reason}'"
    )


def parse_policy(text: str) -> list[Rule]:
    """The rules of a lifecycle policy, in evaluation order; InvalidParameterException as ECR
    words it for a policy it refuses."""
    try:
        document = json.loads(text)
    except ValueError:
        raise _refuse("the policy is not valid JSON") from None
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        raise _refuse('object has missing required properties (["rules"])')
    parsed: list[Rule] = []
    for given in rules:
        if not isinstance(given, dict):
            raise _refuse("a rule is not an object")
        priority = given.get("rulePriority")
        selection = given.get("selection")
        action = given.get("action")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            raise _refuse("rulePriority must be an integer of at least 1")
        if not isinstance(selection, dict) or not isinstance(action, dict):
            raise _refuse('object has missing required properties (["action","selection"])')
        tag_status = selection.get("tagStatus")
        if tag_status not in ("tagged", "untagged", "any"):
            raise _refuse(
                f'instance value ("{tag_status}") not found in enum (possible values: ["tagged","untagged","any"])'
            )
        prefixes = tuple(selection.get("tagPrefixList") or ())
        patterns = tuple(selection.get("tagPatternList") or ())
        if tag_status == "tagged" and not prefixes and not patterns:
            raise _refuse("tagPrefixList or tagPatternList is required when tagStatus is tagged")
        if prefixes and patterns:
            raise _refuse("tagPrefixList and tagPatternList cannot both be specified")
        if tag_status != "tagged" and (prefixes or patterns):
            raise _refuse("tagPrefixList and tagPatternList can be specified only when tagStatus is tagged")
        if any(pattern.count("*") > 4 for pattern in patterns):
            raise _refuse("a tag pattern may contain at most 4 wildcards")
        count_type = selection.get("countType")
        if count_type not in _COUNT_TYPES:
            raise _refuse(
                f'instance value ("{count_type}") not found in enum (possible values: {list(_COUNT_TYPES)})'
            )
        count = selection.get("countNumber")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise _refuse("countNumber must be an integer of at least 1")
        unit = selection.get("countUnit")
        if count_type == "imageCountMoreThan" and unit is not None:
            raise _refuse("countUnit cannot be specified when countType is imageCountMoreThan")
        if count_type != "imageCountMoreThan" and unit != "days":
            raise _refuse(f"countUnit must be days when countType is {count_type}")
        kind = str(action.get("type", "")).lower()
        if kind not in ("expire", "transition"):
            raise _refuse(
                f'instance value ("{action.get("type")}") not found in enum (possible values: ["expire","transition"])'
            )
        storage = action.get("targetStorageClass")
        if kind == "transition" and storage != "archive":
            raise _refuse("a transition action needs targetStorageClass archive")
        parsed.append(
            Rule(
                priority,
                tag_status,
                prefixes,
                patterns,
                count_type,
                count,
                kind,
                storage,
                str(given.get("description", "")),
            )
        )
    priorities = [rule.priority for rule in parsed]
    if len(set(priorities)) != len(priorities):
        raise _refuse("rulePriority must be unique")
    parsed.sort(key=lambda rule: rule.priority)
    if any(rule.tag_status == "any" for rule in parsed[:-1]):
        raise _refuse("a rule with tagStatus any must have the highest rulePriority")
    return parsed


def evaluate(
    rules: list[Rule], images: list[dict[str, Any]], now: float, day: float
) -> list[tuple[dict, Rule]]:
    """(image, rule) for each image the policy acts on, by the rule that acts."""
    claimed: set[str] = set()
    acted: list[tuple[dict, Rule]] = []
    for rule in rules:
        selected = [image for image in images if image["digest"] not in claimed and rule.selects(image)]
        claimed.update(image["digest"] for image in selected)
        if rule.action == "transition":
            selected = [image for image in selected if image.get("status", "ACTIVE") == "ACTIVE"]
        if rule.count_type == "imageCountMoreThan":
            selected.sort(key=lambda image: image["pushedAt"], reverse=True)
            acted.extend((image, rule) for image in selected[rule.count :])
            continue
        field = {
            "sinceImagePushed": "pushedAt",
            "sinceImagePulled": "lastPull",
            "sinceImageTransitioned": "archivedAt",
        }
        for image in selected:
            moment = image.get(field[rule.count_type]) or image["pushedAt"]
            if now - moment > rule.count * day:
                acted.append((image, rule))
    return acted


class LifecycleOperations:
    @staticmethod
    def lifecycle_key(account: str, region: str, name: str) -> str:
        return f"ecr/lifecycle/{account}/{region}/{name}"

    def schedule_lifecycles(self: Provider) -> None:  # type: ignore[misc]
        for scope in self.repositories.scopes():
            for name, repo in self.repositories.scan(scope):
                if repo.get("lifecycle"):
                    self.schedule_lifecycle(repo["registryId"], repo["region"], name)

    def schedule_lifecycle(self: Provider, account: str, region: str, name: str) -> None:  # type: ignore[misc]
        scheduler = self.runtime.scheduler
        scheduler.at(
            self.lifecycle_key(account, region, name),
            scheduler.now() + tuning(INTERVAL_SETTING),
            self._lifecycle_due,
        )

    def _lifecycle_due(self: Provider, key: str, due: float) -> None:  # type: ignore[misc]
        account, region, name = key.split("/", 4)[2:]
        repo = self.find(account, region, name)
        if repo is None or not repo.get("lifecycle"):
            return
        self.apply_lifecycle(repo)
        self.schedule_lifecycle(account, region, name)

    def apply_lifecycle(self: Provider, repo: dict[str, Any]) -> int:  # type: ignore[misc]
        """Expire (or archive) what the repository's lifecycle policy says, now; how many images."""
        scope = store_scope(repo["registryId"], repo["region"])
        name = repo["repositoryName"]
        rules = parse_policy(repo["lifecycle"])
        now = time.time()
        acted = evaluate(rules, self.data.all_images(scope, name), now, tuning(DAY_SETTING))
        for image, rule in acted:
            if rule.action == "expire":
                if not self.data.referenced_by_index(scope, name, image["digest"]):
                    self.data.delete_image(scope, name, image)
                    self.announce(image_action(repo, image, "DELETE", None))
            else:
                image["status"], image["archivedAt"] = "ARCHIVED", now
                self.data.save(scope, name, image)
        repo["lifecycleEvaluatedAt"] = now
        self.save_repository(repo)
        return len(acted)

    # -- the API ---------------------------------------------------------------------------------

    def put_lifecycle_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo = self.target(context, params)
        parse_policy(params["lifecyclePolicyText"])
        repo["lifecycle"] = params["lifecyclePolicyText"]
        self.save_repository(repo)
        self.schedule_lifecycle(repo["registryId"], repo["region"], repo["repositoryName"])
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "lifecyclePolicyText": repo["lifecycle"],
        }

    def _lifecycle(self: Provider, repo: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        if not repo.get("lifecycle"):
            raise ServiceError(
                "LifecyclePolicyNotFoundException",
                f"Lifecycle policy does not exist for the repository with name '{repo['repositoryName']}' in "
                f"the registry with id '{repo['registryId']}'",
            )
        output = {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "lifecyclePolicyText": repo["lifecycle"],
        }
        if repo.get("lifecycleEvaluatedAt"):
            output["lastEvaluatedAt"] = when(repo["lifecycleEvaluatedAt"])
        return output

    def get_lifecycle_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo = self.target(context, params)
        return self._lifecycle(repo)

    def delete_lifecycle_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo = self.target(context, params)
        output = self._lifecycle(repo)
        repo["lifecycle"] = None
        self.save_repository(repo)
        self.runtime.scheduler.cancel(
            self.lifecycle_key(repo["registryId"], repo["region"], repo["repositoryName"])
        )
        return output

    def start_lifecycle_policy_preview(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, repo = self.target(context, params)
        text = params.get("lifecyclePolicyText") or repo.get("lifecycle")
        if not text:
            self._lifecycle(repo)
        rules = parse_policy(str(text))
        name = repo["repositoryName"]
        acted = evaluate(rules, self.data.all_images(scope, name), time.time(), tuning(DAY_SETTING))
        repo["preview"] = {
            "text": text,
            "results": [
                {
                    "imageTags": list(image["tags"]),
                    "imageDigest": image["digest"],
                    "imagePushedAt": image["pushedAt"],
                    "action": rule.action,
                    "storageClass": rule.storage_class,
                    "appliedRulePriority": rule.priority,
                }
                for image, rule in acted
            ],
        }
        self.save_repository(repo)
        return {
            "registryId": repo["registryId"],
            "repositoryName": name,
            "lifecyclePolicyText": text,
            "status": "IN_PROGRESS",
        }

    def get_lifecycle_policy_preview(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, repo = self.target(context, params)
        preview = repo.get("preview")
        if not preview:
            raise ServiceError(
                "LifecyclePolicyPreviewNotFoundException",
                f"There is no lifecycle policy preview for the repository with name '{repo['repositoryName']}' "
                f"in the registry with id '{repo['registryId']}'",
            )
        results = preview["results"]
        wanted = (params.get("filter") or {}).get("tagStatus", "ANY")
        if wanted == "TAGGED":
            results = [r for r in results if r["imageTags"]]
        elif wanted == "UNTAGGED":
            results = [r for r in results if not r["imageTags"]]
        if params.get("imageIds"):
            digests = {i.get("imageDigest") for i in params["imageIds"]}
            tags = {i.get("imageTag") for i in params["imageIds"]}
            results = [r for r in results if r["imageDigest"] in digests or set(r["imageTags"]) & tags]

        def render(result: dict[str, Any]) -> dict[str, Any]:
            action: dict[str, Any] = {"type": result["action"].upper()}
            if result.get("storageClass"):
                action["targetStorageClass"] = result["storageClass"].upper()
            rendered = {
                "imageDigest": result["imageDigest"],
                "imagePushedAt": when(result["imagePushedAt"]),
                "action": action,
                "appliedRulePriority": result["appliedRulePriority"],
                "storageClass": "STANDARD",
            }
            if result["imageTags"]:
                rendered["imageTags"] = result["imageTags"]
            return rendered

        expiring = sum(1 for r in preview["results"] if r["action"] == "expire")
        transitioning = sum(1 for r in preview["results"] if r["action"] == "transition")
        summary: dict[str, Any] = {"expiringImageTotalCount": expiring}
        if transitioning:
            summary["transitioningImageTotalCounts"] = [
                {"targetStorageClass": "ARCHIVE", "imageTotalCount": transitioning}
            ]
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "lifecyclePolicyText": preview["text"],
            "status": "COMPLETE",
            "summary": summary,
            **self.page("GetLifecyclePolicyPreview", params, results, render, bind=repo["repositoryName"]),
        }
