"""ECR's registry-wide settings: the registry policy, scanning configuration, replication
(and its backfills), signing configuration, pull-through cache rules, repository creation
templates, account settings and pull-time update exclusions."""

from __future__ import annotations

import fnmatch
import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.errors import ServiceError
from overcast.services.ecr.errors import invalid, validation
from overcast.services.ecr.images import when
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.ecr.provider import Provider

#: Account settings: name → (default, allowed values).
ACCOUNT_SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", ("AWS_NATIVE", "CLAIR")),
    "REGISTRY_POLICY_SCOPE": ("V2", ("V1", "V2")),
    "BLOB_MOUNTING": ("DISABLED", ("ENABLED", "DISABLED")),
}
#: Upstream registries by URL, for pull-through cache rules (the ecr kinds take any URL).
UPSTREAMS = {
    "public.ecr.aws": "ecr-public",
    "registry.k8s.io": "k8s",
    "quay.io": "quay",
    "registry-1.docker.io": "docker-hub",
    "ghcr.io": "github-container-registry",
    "registry.gitlab.com": "gitlab-container-registry",
    "cgr.dev": "chainguard",
}
_NEEDS_CREDENTIAL = frozenset(
    {"docker-hub", "github-container-registry", "azure-container-registry", "gitlab-container-registry"}
)
#: What a registry policy may grant under REGISTRY_POLICY_SCOPE V1.
_REGISTRY_V1_ACTIONS = frozenset(
    {"ecr:ReplicateImage", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage"}
)
_PREFIX = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*|ROOT")


def _progress(record: dict[str, Any]) -> dict[str, Any]:
    """A backfill's ReplicationBackfillProgress: its images replicated and failed."""
    results = record["results"]
    failed = [r for r in results if r["status"] == "FAILED"]
    progress: dict[str, Any] = {
        "totalReplicationCount": len(results),
        "completedReplicationCount": len(results) - len(failed),
        "failedReplicationCount": len(failed),
    }
    if failed:
        progress["failureCodes"] = ["REPLICATION_FAILED"]
    return progress


def _registry_scope(context: RequestContext) -> str:
    return store_scope(context.account, context.region)


class RegistrySettings:
    # -- registry policy -----------------------------------------------------------------------------

    def put_registry_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # Under REGISTRY_POLICY_SCOPE V1 a registry policy grants replication and pull-through
        # cache actions only; V2 (the default) lets it grant any ECR action.
        scope_v1 = self.account_setting(context.account, "REGISTRY_POLICY_SCOPE") == "V1"
        self.check_policy(params["policyText"], "registry", _REGISTRY_V1_ACTIONS if scope_v1 else None)
        self.registry.put(_registry_scope(context), "policy", params["policyText"])
        return {"registryId": context.account, "policyText": params["policyText"]}

    def _registry_policy(self: Provider, context: RequestContext) -> str:  # type: ignore[misc]
        text = self.registry.get(_registry_scope(context), "policy")
        if text is None:
            raise ServiceError(
                "RegistryPolicyNotFoundException",
                f"Registry policy does not exist in the registry with id '{context.account}'",
            )
        return str(text)

    def get_registry_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"registryId": context.account, "policyText": self._registry_policy(context)}

    def delete_registry_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        text = self._registry_policy(context)
        self.registry.delete(_registry_scope(context), "policy")
        return {"registryId": context.account, "policyText": text}

    # -- scanning ------------------------------------------------------------------------------------

    def _scanning(self: Provider, account: str, region: str) -> dict[str, Any]:  # type: ignore[misc]
        found: dict[str, Any] = self.registry.get(store_scope(account, region), "scanning") or {
            "scanType": "BASIC",
            "rules": [],
        }
        return found

    def put_registry_scanning_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scan_type = params.get("scanType") or "BASIC"
        rules = params.get("rules") or []
        for rule in rules:
            if scan_type == "BASIC" and rule["scanFrequency"] == "CONTINUOUS_SCAN":
                raise validation("CONTINUOUS_SCAN is only supported with the ENHANCED scan type")
        configuration = {"scanType": scan_type, "rules": rules}
        self.registry.put(_registry_scope(context), "scanning", configuration)
        return {"registryScanningConfiguration": configuration}

    def get_registry_scanning_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {
            "registryId": context.account,
            "scanningConfiguration": self._scanning(context.account, context.region),
        }

    def _scan_rule(self: Provider, account: str, region: str, name: str) -> tuple[str, list[dict]] | None:  # type: ignore[misc]
        for rule in self._scanning(account, region)["rules"]:
            matching = [f for f in rule["repositoryFilters"] if fnmatch.fnmatchcase(name, f["filter"])]
            if matching:
                return rule["scanFrequency"], matching
        return None

    def scans_on_push(self: Provider, repo: dict[str, Any]) -> bool:  # type: ignore[misc]
        rule = self._scan_rule(repo["registryId"], repo["region"], repo["repositoryName"])
        return bool(repo["scanOnPush"]) or (
            rule is not None and rule[0] in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
        )

    def batch_get_repository_scanning_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        found, failures = [], []
        for name in params["repositoryNames"]:
            repo = self.find(context.account, context.region, name)
            if repo is None:
                failures.append(
                    {
                        "repositoryName": name,
                        "failureCode": "REPOSITORY_NOT_FOUND",
                        "failureReason": "REPOSITORY_NOT_FOUND",
                    }
                )
                continue
            rule = self._scan_rule(context.account, context.region, name)
            frequency, filters = rule if rule else ("SCAN_ON_PUSH" if repo["scanOnPush"] else "MANUAL", [])
            found.append(
                {
                    "repositoryArn": repo["repositoryArn"],
                    "repositoryName": name,
                    "scanOnPush": bool(repo["scanOnPush"]),  # the repository's own setting
                    "scanFrequency": frequency,
                    "appliedScanFilters": filters,
                }
            )
        return {"scanningConfigurations": found, "failures": failures}

    # -- replication ---------------------------------------------------------------------------------

    def put_replication_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        configuration = params["replicationConfiguration"]
        rules = configuration["rules"]
        if len(rules) > 10:
            raise invalid("Invalid parameter at 'rules': a replication configuration holds at most 10 rules")
        for rule in rules:
            if not 1 <= len(rule["destinations"]) <= 25:
                raise invalid("Invalid parameter at 'destinations': a rule has 1 to 25 destinations")
            for destination in rule["destinations"]:
                if (destination["registryId"], destination["region"]) == (context.account, context.region):
                    raise invalid(
                        "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: "
                        "'Replication destination cannot be the same as the source registry'"
                    )
        self.registry.put(_registry_scope(context), "replication", configuration)
        return {"replicationConfiguration": configuration}

    def describe_registry(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        configuration = self.registry.get(_registry_scope(context), "replication") or {"rules": []}
        return {"registryId": context.account, "replicationConfiguration": configuration}

    def replication_destinations(  # type: ignore[misc]
        self: Provider, account: str, region: str, name: str, deletions: bool = False
    ) -> list[dict[str, str]]:
        configuration = self.registry.get(store_scope(account, region), "replication") or {"rules": []}
        found: list[dict[str, str]] = []
        for rule in configuration["rules"]:
            filters = rule.get("repositoryFilters") or []
            if filters and not any(name.startswith(f["filter"]) for f in filters):
                continue
            if deletions and not (rule.get("deleteReplication") or {}).get("enabled", False):
                continue
            for destination in rule["destinations"]:
                if destination not in found:
                    found.append(destination)
        return found

    def start_replication_backfill(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        destination = params["destination"]
        configured = [
            d
            for rule in (self.registry.get(_registry_scope(context), "replication") or {"rules": []})["rules"]
            for d in rule["destinations"]
        ]
        if destination not in configured:
            raise validation("The destination is not in the registry's replication configuration")
        backfill_id = str(uuid.uuid4())
        started = time.time()
        results = []
        scope = _registry_scope(context)
        for _name, repo in self.repositories.scan(scope):
            for image in self.data.all_images(scope, repo["repositoryName"]):
                status = "COMPLETE"
                try:
                    for tag in image["tags"] or [None]:
                        self.copy_image(repo, image, tag, destination["registryId"], destination["region"])
                except Exception:  # one image failing is recorded, as AWS's results do
                    status = "FAILED"
                results.append(
                    {
                        "repositoryName": repo["repositoryName"],
                        "imageDigest": image["digest"],
                        "status": status,
                    }
                )
        record = {
            "id": backfill_id,
            "destination": destination,
            "status": "COMPLETE",
            "startedAt": started,
            "endedAt": time.time(),
            "results": results,
        }
        self.backfills.put(scope, backfill_id, record)
        return {
            "replicationBackfillId": backfill_id,
            "registryId": context.account,
            "destination": destination,
            "status": "IN_PROGRESS",
            "startedAt": when(started),
        }

    def _backfill(self: Provider, context: RequestContext, backfill_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record: dict[str, Any] | None = self.backfills.get(_registry_scope(context), backfill_id)
        if record is None:
            raise ServiceError(
                "ReplicationBackfillNotFoundException",
                f"The replication backfill '{backfill_id}' does not exist",
            )
        return record

    def describe_replication_backfill_results(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._backfill(context, params["replicationBackfillId"])
        wanted = params.get("resultStatusFilter")
        results = [
            {
                "repositoryName": r["repositoryName"],
                "imageId": {"imageDigest": r["imageDigest"]},
                "status": r["status"],
            }
            for r in record["results"]
            if wanted is None or r["status"] == wanted
        ]
        page = self.page("DescribeReplicationBackfillResults", params, results, bind=record["id"])
        return {
            "registryId": context.account,
            "replicationBackfillId": record["id"],
            "destination": record["destination"],
            "status": record["status"],
            "progress": _progress(record),
            "startedAt": when(record["startedAt"]),
            "endedAt": when(record["endedAt"]),
            **page,
        }

    def list_replication_backfills(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        records = [record for _key, record in self.backfills.scan(_registry_scope(context))]
        records.sort(key=lambda record: record["startedAt"], reverse=True)
        return {
            "registryId": context.account,
            **self.page(
                "ListReplicationBackfills",
                params,
                records,
                lambda r: {
                    "replicationBackfillId": r["id"],
                    "destination": r["destination"],
                    "status": r["status"],
                    "progress": _progress(r),
                    "startedAt": when(r["startedAt"]),
                    "endedAt": when(r["endedAt"]),
                },
            ),
        }

    def stop_replication_backfill(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._backfill(context, params["replicationBackfillId"])
        if record["status"] not in ("PREPARING", "IN_PROGRESS"):
            raise ServiceError(
                "ReplicationBackfillInvalidStatusException",
                f"The replication backfill is {record['status']} and cannot be stopped",
            )
        record["status"], record["endedAt"] = "STOPPED", time.time()
        self.backfills.put(_registry_scope(context), record["id"], record)
        return {
            "registryId": context.account,
            "replicationBackfillId": record["id"],
            "destination": record["destination"],
            "status": "STOPPING",
            "startedAt": when(record["startedAt"]),
        }

    # -- signing -------------------------------------------------------------------------------------

    def put_signing_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        configuration = params["signingConfiguration"]
        for rule in configuration["rules"]:
            if not str(rule.get("signingProfileArn", "")).startswith("arn:"):
                raise invalid("Invalid parameter at 'signingProfileArn': not an ARN")
        self.registry.put(_registry_scope(context), "signing", configuration)
        return {"signingConfiguration": configuration}

    def _signing(self: Provider, context: RequestContext) -> dict[str, Any]:  # type: ignore[misc]
        found: dict[str, Any] | None = self.registry.get(_registry_scope(context), "signing")
        if found is None:
            raise ServiceError(
                "SigningConfigurationNotFoundException",
                f"Signing configuration does not exist in the registry with id '{context.account}'",
            )
        return found

    def get_signing_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"registryId": context.account, "signingConfiguration": self._signing(context)}

    def delete_signing_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        found = self._signing(context)
        self.registry.delete(_registry_scope(context), "signing")
        return {"registryId": context.account, "signingConfiguration": found}

    def signing_rules(self: Provider, account: str, region: str, name: str) -> list[dict[str, Any]]:  # type: ignore[misc]
        found = self.registry.get(store_scope(account, region), "signing") or {"rules": []}
        return [
            rule
            for rule in found["rules"]
            if not rule.get("repositoryFilters")
            or any(fnmatch.fnmatchcase(name, f["filter"]) for f in rule["repositoryFilters"])
        ]

    # -- pull-through cache rules --------------------------------------------------------------------

    def _rule(self: Provider, context: RequestContext, params: dict) -> dict[str, Any]:  # type: ignore[misc]
        prefix = params["ecrRepositoryPrefix"]
        rule: dict[str, Any] | None = self.pull_through.get(_registry_scope(context), prefix)
        if rule is None:
            raise ServiceError(
                "PullThroughCacheRuleNotFoundException",
                f"The pull through cache rule with prefix '{prefix}' does not exist in the registry with id "
                f"'{context.account}'",
            )
        return rule

    @staticmethod
    def _rule_view(rule: dict[str, Any], *fields: str) -> dict[str, Any]:
        view = {key: rule[key] for key in fields if rule.get(key) is not None}
        for stamp in ("createdAt", "updatedAt"):
            if stamp in view:
                view[stamp] = when(view[stamp])
        return view

    _RULE_FIELDS = (
        "ecrRepositoryPrefix",
        "upstreamRegistryUrl",
        "createdAt",
        "registryId",
        "credentialArn",
        "customRoleArn",
        "upstreamRoleArn",
        "upstreamRepositoryPrefix",
        "upstreamRegistry",
        "updatedAt",
    )

    def create_pull_through_cache_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefix = params["ecrRepositoryPrefix"]
        if not _PREFIX.fullmatch(prefix) or (not 2 <= len(prefix) <= 30 and prefix != "ROOT"):
            raise invalid(
                f"Invalid parameter at 'ecrRepositoryPrefix' failed to satisfy constraint: '{prefix}'"
            )
        url = params["upstreamRegistryUrl"]
        kind = params.get("upstreamRegistry") or UPSTREAMS.get(url)
        if kind is None:
            if re.fullmatch(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com", url):
                kind = "ecr"
            elif url.endswith(".azurecr.io"):
                kind = "azure-container-registry"
            else:
                raise ServiceError(
                    "UnsupportedUpstreamRegistryException",
                    f"The upstream registry '{url}' is not supported for pull through cache rules",
                )
        if kind in _NEEDS_CREDENTIAL and not params.get("credentialArn"):
            raise invalid(f"Invalid parameter: a pull through cache rule for {kind} needs a credentialArn")
        scope = _registry_scope(context)
        if self.pull_through.get(scope, prefix) is not None:
            raise ServiceError(
                "PullThroughCacheRuleAlreadyExistsException",
                f"A pull through cache rule with prefix '{prefix}' already exists in the registry with id "
                f"'{context.account}'",
            )
        rule = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": url,
            "createdAt": time.time(),
            "registryId": context.account,
            "upstreamRegistry": kind,
            "credentialArn": params.get("credentialArn"),
            "customRoleArn": params.get("customRoleArn"),
            "upstreamRoleArn": params.get("upstreamRoleArn"),
            "upstreamRepositoryPrefix": params.get("upstreamRepositoryPrefix")
            or ("ROOT" if kind == "ecr" else None),
        }
        self.pull_through.put(scope, prefix, rule)
        return self._rule_view(rule, *self._RULE_FIELDS[:-1])

    def describe_pull_through_cache_rules(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = _registry_scope(context)
        prefixes = params.get("ecrRepositoryPrefixes")
        if prefixes:
            rules = [self._rule(context, {"ecrRepositoryPrefix": prefix}) for prefix in prefixes]
        else:
            rules = [rule for _key, rule in self.pull_through.scan(scope)]
        return self.page(
            "DescribePullThroughCacheRules", params, rules, lambda r: self._rule_view(r, *self._RULE_FIELDS)
        )

    def update_pull_through_cache_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rule = self._rule(context, params)
        for field in ("credentialArn", "customRoleArn", "upstreamRoleArn"):
            if params.get(field) is not None:
                rule[field] = params[field]
        rule["updatedAt"] = time.time()
        self.pull_through.put(_registry_scope(context), rule["ecrRepositoryPrefix"], rule)
        return self._rule_view(
            rule,
            "ecrRepositoryPrefix",
            "registryId",
            "updatedAt",
            "credentialArn",
            "customRoleArn",
            "upstreamRoleArn",
            "upstreamRepositoryPrefix",
        )

    def delete_pull_through_cache_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rule = self._rule(context, params)
        self.pull_through.delete(_registry_scope(context), rule["ecrRepositoryPrefix"])
        return self._rule_view(rule, *self._RULE_FIELDS[:-2])

    def validate_pull_through_cache_rule(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rule = self._rule(context, params)
        view = self._rule_view(
            rule,
            "ecrRepositoryPrefix",
            "registryId",
            "upstreamRegistryUrl",
            "credentialArn",
            "customRoleArn",
            "upstreamRoleArn",
            "upstreamRepositoryPrefix",
        )
        # Overcast reaches no registry on the internet: the upstream cannot be checked.
        view["isValid"] = False
        view["failure"] = f"Overcast cannot reach the upstream registry {rule['upstreamRegistryUrl']}"
        return view

    def pull_through_rule_for(self: Provider, account: str, region: str, name: str) -> dict[str, Any] | None:  # type: ignore[misc]
        for prefix, rule in self.pull_through.scan(store_scope(account, region)):
            if prefix == "ROOT" or name.startswith(prefix + "/"):
                found: dict[str, Any] = rule
                return found
        return None

    # -- repository creation templates ---------------------------------------------------------------

    _TEMPLATE_FIELDS = (
        "description",
        "encryptionConfiguration",
        "resourceTags",
        "imageTagMutability",
        "imageTagMutabilityExclusionFilters",
        "repositoryPolicy",
        "lifecyclePolicy",
        "appliedFor",
        "customRoleArn",
    )

    def _template_view(self: Provider, template: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        view = {
            key: template[key] for key in ("prefix", *self._TEMPLATE_FIELDS) if template.get(key) is not None
        }
        view["createdAt"], view["updatedAt"] = when(template["createdAt"]), when(template["updatedAt"])
        return view

    def _check_template(self: Provider, params: dict) -> None:  # type: ignore[misc]
        if params.get("repositoryPolicy"):
            self.check_policy(params["repositoryPolicy"])
        if params.get("lifecyclePolicy"):
            from overcast.services.ecr.lifecycle import parse_policy

            parse_policy(params["lifecyclePolicy"])
        if params.get("imageTagMutability") or params.get("imageTagMutabilityExclusionFilters"):
            self._mutability(params)
        tagging.tag_map(params.get("resourceTags"), self.tag_rules)

    def create_repository_creation_template(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefix = params["prefix"]
        if not _PREFIX.fullmatch(prefix):
            raise invalid(f"Invalid parameter at 'prefix' failed to satisfy constraint: '{prefix}'")
        self._check_template(params)
        scope = _registry_scope(context)
        if self.templates.get(scope, prefix) is not None:
            raise ServiceError(
                "TemplateAlreadyExistsException", f"The template with prefix '{prefix}' already exists"
            )
        now = time.time()
        template = {key: params.get(key) for key in self._TEMPLATE_FIELDS}
        template.update(prefix=prefix, createdAt=now, updatedAt=now)
        template["imageTagMutability"] = template["imageTagMutability"] or "MUTABLE"
        template["encryptionConfiguration"] = template["encryptionConfiguration"] or {
            "encryptionType": "AES256"
        }
        self.templates.put(scope, prefix, template)
        return {"registryId": context.account, "repositoryCreationTemplate": self._template_view(template)}

    def _template(self: Provider, context: RequestContext, prefix: str) -> dict[str, Any]:  # type: ignore[misc]
        template: dict[str, Any] | None = self.templates.get(_registry_scope(context), prefix)
        if template is None:
            raise ServiceError(
                "TemplateNotFoundException",
                f"The specified repository creation template with prefix '{prefix}' does not exist in the "
                f"registry with id '{context.account}'",
            )
        return template

    def describe_repository_creation_templates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        prefixes = params.get("prefixes")
        if prefixes:
            templates = [
                t for p in prefixes if (t := self.templates.get(_registry_scope(context), p)) is not None
            ]
        else:
            templates = [t for _key, t in self.templates.scan(_registry_scope(context))]
        return {
            "registryId": context.account,
            **self.page("DescribeRepositoryCreationTemplates", params, templates, self._template_view),
        }

    def update_repository_creation_template(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        template = self._template(context, params["prefix"])
        self._check_template(params)
        for key in self._TEMPLATE_FIELDS:
            if params.get(key) is not None:
                template[key] = params[key]
        template["updatedAt"] = time.time()
        self.templates.put(_registry_scope(context), template["prefix"], template)
        return {"registryId": context.account, "repositoryCreationTemplate": self._template_view(template)}

    def delete_repository_creation_template(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        template = self._template(context, params["prefix"])
        self.templates.delete(_registry_scope(context), template["prefix"])
        return {"registryId": context.account, "repositoryCreationTemplate": self._template_view(template)}

    def template_for(  # type: ignore[misc]
        self: Provider, account: str, region: str, name: str, applied: str
    ) -> dict[str, Any] | None:
        """The creation template that applies to a new repository: the longest prefix that
        matches, else ROOT."""
        best: dict[str, Any] | None = None
        for prefix, template in self.templates.scan(store_scope(account, region)):
            if applied not in (template.get("appliedFor") or []):
                continue
            if prefix == "ROOT":
                best = best or template
            elif name.startswith(prefix + "/") or name == prefix:
                if best is None or best["prefix"] == "ROOT" or len(prefix) > len(best["prefix"]):
                    best = template
        return best

    def from_template(  # type: ignore[misc]
        self: Provider, account: str, region: str, name: str, template: dict[str, Any]
    ) -> dict[str, Any]:
        tags = {tag["Key"]: tag["Value"] for tag in template.get("resourceTags") or []}
        encryption = dict(template.get("encryptionConfiguration") or {"encryptionType": "AES256"})
        return self.new_repository(
            account,
            region,
            name,
            mutability=template.get("imageTagMutability") or "MUTABLE",
            filters=template.get("imageTagMutabilityExclusionFilters") or [],
            encryption=encryption,
            tags=tags,
            policy=template.get("repositoryPolicy"),
            lifecycle=template.get("lifecyclePolicy"),
        )

    # -- account settings and pull-time exclusions ---------------------------------------------------

    def get_account_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["name"]
        if name not in ACCOUNT_SETTINGS:
            raise validation(
                f"Invalid account setting name '{name}'. Valid names: {', '.join(ACCOUNT_SETTINGS)}"
            )
        value = self.settings.get(store_scope(context.account), name) or ACCOUNT_SETTINGS[name][0]
        return {"name": name, "value": value}

    def put_account_setting(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name, value = params["name"], params["value"]
        if name not in ACCOUNT_SETTINGS:
            raise validation(
                f"Invalid account setting name '{name}'. Valid names: {', '.join(ACCOUNT_SETTINGS)}"
            )
        allowed = ACCOUNT_SETTINGS[name][1]
        if value not in allowed:
            raise validation(
                f"Invalid value '{value}' for account setting {name}. Valid values: {', '.join(allowed)}"
            )
        self.settings.put(store_scope(context.account), name, value)
        return {"name": name, "value": value}

    def account_setting(self: Provider, account: str, name: str) -> str:  # type: ignore[misc]
        return str(self.settings.get(store_scope(account), name) or ACCOUNT_SETTINGS[name][0])

    def register_pull_time_update_exclusion(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["principalArn"]
        if not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+", arn):
            raise invalid(f"Invalid parameter at 'principalArn': '{arn}' is not an IAM role or user ARN")
        scope = store_scope(context.account)
        if self.exclusions.get(scope, arn) is not None:
            raise ServiceError(
                "ExclusionAlreadyExistsException", f"The principal '{arn}' is already excluded"
            )
        now = time.time()
        self.exclusions.put(scope, arn, {"createdAt": now})
        return {"principalArn": arn, "createdAt": when(now)}

    def deregister_pull_time_update_exclusion(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["principalArn"]
        if not self.exclusions.delete(store_scope(context.account), arn):
            raise ServiceError("ExclusionNotFoundException", f"The principal '{arn}' is not excluded")
        return {"principalArn": arn}

    def list_pull_time_update_exclusions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arns = [arn for arn, _ in self.exclusions.scan(store_scope(context.account))]
        return self.page("ListPullTimeUpdateExclusions", params, arns)


__all__ = ["ACCOUNT_SETTINGS", "RegistrySettings", "json"]
