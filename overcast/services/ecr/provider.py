"""Amazon ECR: repositories and their images, over a registry Docker really pushes to.

The ECR API (this provider and its mixins) and the OCI Distribution API that `docker push` and
`docker pull` speak (`/v2/...`, registry.py) share one set of tables (images.py) and one blob
store (blobs.py). Repository URIs name a registry host Docker reaches over plain HTTP with no
configuration (config.ecr_registry); AWS's `{account}.dkr.ecr.{region}.amazonaws.com` host is
served too, for machines whose DNS resolves it here.

Tables, per account and region unless said:
    repositories   name → the repository: settings, policy, lifecycle policy, tags
    registry       "policy" / "scanning" / "replication" / "signing" → the registry's settings
    pull_through   ecrRepositoryPrefix → a pull-through cache rule
    templates      prefix → a repository creation template
    settings       (per account) name → an account setting
    exclusions     (per account) principal ARN → a pull-time update exclusion
    backfills      id → a replication backfill
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from overcast.common import pagination, tagging
from overcast.config import ecr_registry, tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.ecr import events, tokens
from overcast.services.ecr import registry as oci
from overcast.services.ecr.blobs import Blobs
from overcast.services.ecr.errors import invalid, repository_not_found
from overcast.services.ecr.imageapi import ImageOperations
from overcast.services.ecr.images import ImageStore, PushRefused, scan_done, when
from overcast.services.ecr.lifecycle import LifecycleOperations
from overcast.services.ecr.settings import RegistrySettings
from overcast.store import scope as store_scope

TOKEN_SETTING = "OVERCAST_ECR_TOKEN_SECONDS"
#: Seconds between collections of the layers and blob files no image needs.
GARBAGE_SECONDS = 3600.0
_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
_REGISTRY_ID = re.compile(r"[0-9]{12}")
_MODEL_REFUSAL = re.compile(r"at '([^']+)' failed to satisfy constraint: ([^;]+?)(?:;|$)")
#: The result member of the operations that page with nextToken but have no botocore paginator.
_UNLISTED_RESULTS = {
    "ListImageReferrers": "referrers",
    "ListPullTimeUpdateExclusions": "pullTimeUpdateExclusions",
}
_MUTABILITY = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")


def _repo_arn(account: str, region: str, name: str) -> str:
    from overcast.common.arns import partition

    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{name}"


class Provider(ImageOperations, LifecycleOperations, RegistrySettings, BaseProvider):
    service = "ecr"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.repositories = self.store.table("ecr", "repositories")
        self.registry = self.store.table("ecr", "registry")
        self.pull_through = self.store.table("ecr", "pull_through")
        self.templates = self.store.table("ecr", "templates")
        self.settings = self.store.table("ecr", "settings")
        self.exclusions = self.store.table("ecr", "exclusions")
        self.backfills = self.store.table("ecr", "backfills")
        self.data = ImageStore(self.store, Blobs(self.store.files_dir("ecr")))
        self.oci = oci.Registry(self)
        self.tag_rules = tagging.TagRules(
            refuse=tagging.refusals(
                "InvalidTagParameterException",
                {tagging.TagProblem.TOO_MANY: ("TooManyTagsException", "Too many tags: the limit is 50")},
                limit=50,
            ),
            max_tags=50,
        )

    def start(self) -> None:
        self.schedule_lifecycles()
        self.runtime.every(GARBAGE_SECONDS, self.collect_garbage, name="ecr garbage collection")

    def collect_garbage(self) -> None:
        from overcast.services.ecr.images import GARBAGE_GRACE_SECONDS

        self.data.collect_garbage(time.time(), GARBAGE_GRACE_SECONDS)

    def reset(self) -> None:
        self.runtime.scheduler.cancel_prefix("ecr/")
        self.data.blobs.forget()

    def state_replaced(self) -> None:
        self.data = ImageStore(self.store, Blobs(self.store.files_dir("ecr")))
        self.schedule_lifecycles()

    # -- the registry's HTTP surface -----------------------------------------------------------------

    async def serve_registry(self, request: Any, context: RequestContext) -> Any:
        """A request of the OCI Distribution API (`/v2/...`), routed here by its shape. It is
        observed as the ECR action it performs (CloudTrail records docker's pushes and pulls
        as InitiateLayerUpload, PutImage, BatchGetImage, ...)."""
        response = await self.oci.serve(request, context)
        if context.operation is not None:
            error = None
            if response.status >= 400:
                error = ServiceError(oci.error_code(response), "", response.status)
            self.runtime.hooks("ecr").observe(
                context, context.extra.get("registry_params"), None if error else {}, error
            )
        return response

    def registry_host(self, account: str, region: str) -> str:
        """The registry (host and path prefix) this account's repositories live under."""
        return (
            ecr_registry(self.runtime.config.port).replace("{account}", account).replace("{region}", region)
        )

    def proxy_endpoint(self, account: str, region: str) -> str:
        return "http://" + self.registry_host(account, region).split("/", 1)[0]

    def repository_uri(self, account: str, region: str, name: str) -> str:
        return f"{self.registry_host(account, region)}/{name}"

    def _blob_signature(self, path: str, expires: int) -> str:
        secret = tokens._secret(self.store)
        return hmac.new(secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_blob_url(self, account: str, region: str, repo: str, digest: str) -> str:
        """GetDownloadUrlForLayer's URL: the registry's blob path, signed, valid for an hour."""
        path = f"/v2/{account}/{region}/{repo}/blobs/{digest}"
        expires = int(time.time()) + 3600
        signature = self._blob_signature(path, expires)
        host = self.proxy_endpoint(account, region)
        return f"{host}{quote(path)}?X-Overcast-Expires={expires}&X-Overcast-Signature={signature}"

    def blob_url_valid(self, path: str, expires: str, signature: str) -> bool:
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._blob_signature(path, int(expires)), signature)

    def refused_input(
        self, context: RequestContext, operation: Any, uri_params: dict, error: ServiceError
    ) -> ServiceError:
        """ECR words a request that breaks its model's constraints as InvalidParameterException,
        "Invalid parameter at 'member' failed to satisfy constraint: '...'"."""
        match = _MODEL_REFUSAL.search(error.message) if error.code == "ValidationException" else None
        if match is None:
            return error
        return invalid(
            f"Invalid parameter at '{match.group(1)}' failed to satisfy constraint: '{match.group(2)}'"
        )

    # -- shared helpers ------------------------------------------------------------------------------

    @staticmethod
    def registry_of(context: RequestContext, params: dict) -> str:
        registry = params.get("registryId") or context.account
        if not _REGISTRY_ID.fullmatch(registry):
            raise invalid(
                "Invalid parameter at 'registryId' failed to satisfy constraint: "
                "'must satisfy regular expression '[0-9]{12}''"
            )
        return registry

    def find(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        repo: dict[str, Any] | None = self.repositories.get(store_scope(account, region), name)
        return repo

    def target(self, context: RequestContext, params: dict) -> tuple[str, dict[str, Any]]:
        """(store scope, repository) of the request's repositoryName (and registryId)."""
        registry = self.registry_of(context, params)
        name = params["repositoryName"]
        repo = self.find(registry, context.region, name)
        if repo is None:
            raise repository_not_found(name, registry)
        return store_scope(registry, context.region), repo

    def page(
        self,
        operation: str,
        params: dict,
        items: list[Any],
        render: Callable[[Any], Any] = lambda item: item,
        bind: str = "",
    ) -> dict:
        limit = params.get("maxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise invalid(
                "Invalid parameter at 'maxResults' failed to satisfy constraint: 'must be between 1 and 1000'"
            )

        def bad_token() -> ServiceError:
            return invalid("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'")

        if operation in _UNLISTED_RESULTS:  # paginated, with no botocore paginator
            return self._page_unlisted(operation, params, items, render, bind, bad_token)
        return pagination.paginate_list(
            self.store,
            "ecr",
            operation,
            params,
            items,
            bad_token=bad_token,
            default_limit=100,
            render=render,
            bind=bind,
        )

    def _page_unlisted(
        self,
        operation: str,
        params: dict,
        items: list[Any],
        render: Callable[[Any], Any],
        bind: str,
        bad_token: Callable[[], ServiceError],
    ) -> dict:
        start = 0
        if params.get("nextToken"):
            try:
                start = pagination.decode_token(self.store, operation, params["nextToken"], bind)
            except ValueError:
                raise bad_token() from None
            if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                raise bad_token()
        end = start + (params.get("maxResults") or 100)
        output: dict[str, Any] = {_UNLISTED_RESULTS[operation]: [render(item) for item in items[start:end]]}
        if end < len(items):
            output["nextToken"] = pagination.encode_token(self.store, operation, end, bind)
        return output

    def render(self, repo: dict[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "repositoryArn": repo["repositoryArn"],
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "repositoryUri": self.repository_uri(repo["registryId"], repo["region"], repo["repositoryName"]),
            "createdAt": when(repo["createdAt"]),
            "imageTagMutability": repo["imageTagMutability"],
            "imageScanningConfiguration": {"scanOnPush": repo["scanOnPush"]},
            "encryptionConfiguration": repo["encryption"],
        }
        if repo.get("exclusionFilters"):
            rendered["imageTagMutabilityExclusionFilters"] = repo["exclusionFilters"]
        return rendered

    # -- repositories --------------------------------------------------------------------------------

    @staticmethod
    def _check_name(name: str) -> None:
        if not 2 <= len(name) <= 256 or not _NAME.fullmatch(name):
            raise invalid(
                "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular "
                "expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''"
            )

    @staticmethod
    def _mutability(params: dict, field: str = "imageTagMutability") -> tuple[str, list[dict[str, str]]]:
        mutability = params.get(field) or "MUTABLE"
        filters = list(params.get("imageTagMutabilityExclusionFilters") or [])
        if mutability not in _MUTABILITY:
            raise invalid(
                f"Invalid parameter at 'imageTagMutability' failed to satisfy constraint: {mutability}"
            )
        if mutability.endswith("_WITH_EXCLUSION") and not filters:
            raise invalid(
                "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
                f"'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mutability}'"
            )
        if filters and not mutability.endswith("_WITH_EXCLUSION"):
            raise invalid(
                "Invalid parameter at 'imageTagMutabilityExclusionFilters': exclusion filters can be set only "
                "with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION"
            )
        for item in filters:
            if not re.fullmatch(r"[0-9a-zA-Z._*-]{1,128}", item.get("filter", "")):
                raise invalid(f"Invalid parameter at 'filter': invalid tag filter {item.get('filter')!r}")
        return mutability, filters

    def _encryption(self, context: RequestContext, given: dict | None) -> dict[str, str]:
        if not given:
            return {"encryptionType": "AES256"}
        kind = given["encryptionType"]
        key = given.get("kmsKey")
        if kind == "AES256":
            if key:
                raise invalid("Invalid parameter: KMS key cannot be specified with encryption type AES256")
            return {"encryptionType": "AES256"}
        if not key:
            from overcast.common.arns import partition

            key = f"arn:{partition(context.region)}:kms:{context.region}:{context.account}:alias/aws/ecr"
        else:
            key = self._usable_key(context, key)
        return {"encryptionType": kind, "kmsKey": key}

    def _usable_key(self, context: RequestContext, key: str) -> str:
        """The ARN of the KMS key a repository is to be encrypted under: it must exist and be
        usable, or ECR answers KmsException with KMS's reason."""
        if not self.runtime.serves("kms"):
            return (
                key if key.startswith("arn:") else f"arn:aws:kms:{context.region}:{context.account}:key/{key}"
            )
        try:
            return self.runtime.provider("kms").key_arn_for(context.account, context.region, key)
        except ServiceError as error:
            raise ServiceError(
                "KmsException", f"KMS error: {error.message}", 400, kmsError=error.code
            ) from None

    def create_repository(self, context: RequestContext, params: dict) -> dict:
        registry = self.registry_of(context, params)
        name = params["repositoryName"]
        self._check_name(name)
        tags = tagging.tag_map(params.get("tags"), self.tag_rules)
        mutability, filters = self._mutability(params)
        repo = self.new_repository(
            registry,
            context.region,
            name,
            mutability=mutability,
            filters=filters,
            scan_on_push=bool((params.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
            encryption=self._encryption(context, params.get("encryptionConfiguration")),
            tags=tags,
        )
        return {"repository": self.render(repo)}

    def new_repository(
        self,
        account: str,
        region: str,
        name: str,
        *,
        mutability: str = "MUTABLE",
        filters: list[dict[str, str]] | None = None,
        scan_on_push: bool = False,
        encryption: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        policy: str | None = None,
        lifecycle: str | None = None,
    ) -> dict[str, Any]:
        scope = store_scope(account, region)
        if self.repositories.get(scope, name) is not None:
            raise ServiceError(
                "RepositoryAlreadyExistsException",
                f"The repository with name '{name}' already exists in the registry with id '{account}'",
            )
        repo = {
            "repositoryName": name,
            "repositoryArn": _repo_arn(account, region, name),
            "registryId": account,
            "region": region,
            "createdAt": time.time(),
            "imageTagMutability": mutability,
            "exclusionFilters": filters or [],
            "scanOnPush": scan_on_push,
            "encryption": encryption or {"encryptionType": "AES256"},
            "tags": tags or {},
            "policy": policy,
            "lifecycle": lifecycle,
            "lifecycleEvaluatedAt": None,
            "preview": None,
        }
        self.repositories.put(scope, name, repo)
        if lifecycle:
            self.schedule_lifecycle(account, region, name)
        return repo

    def save_repository(self, repo: dict[str, Any]) -> None:
        self.repositories.put(store_scope(repo["registryId"], repo["region"]), repo["repositoryName"], repo)

    def describe_repositories(self, context: RequestContext, params: dict) -> dict:
        registry = self.registry_of(context, params)
        scope = store_scope(registry, context.region)
        names = params.get("repositoryNames")
        if names:
            if params.get("nextToken") or params.get("maxResults"):
                raise invalid(
                    "Invalid parameter: nextToken and maxResults cannot be used with repositoryNames"
                )
            found = []
            for name in names:
                repo = self.repositories.get(scope, name)
                if repo is None:
                    raise repository_not_found(name, registry)
                found.append(self.render(repo))
            return {"repositories": found}
        repos = [repo for _name, repo in self.repositories.scan(scope)]
        return self.page("DescribeRepositories", params, repos, self.render)

    def delete_repository(self, context: RequestContext, params: dict) -> dict:
        scope, repo = self.target(context, params)
        name = repo["repositoryName"]
        if not params.get("force") and self.data.has_images(scope, name):
            raise ServiceError(
                "RepositoryNotEmptyException",
                f"The repository with name '{name}' in registry with id '{repo['registryId']}' cannot be "
                "deleted because it still contains images",
            )
        self.data.drop_repository(scope, name)
        self.repositories.delete(scope, name)
        self.runtime.scheduler.cancel(self.lifecycle_key(repo["registryId"], repo["region"], name))
        return {"repository": self.render(repo)}

    def put_image_tag_mutability(self, context: RequestContext, params: dict) -> dict:
        _scope, repo = self.target(context, params)
        mutability, filters = self._mutability(params)
        repo["imageTagMutability"], repo["exclusionFilters"] = mutability, filters
        self.save_repository(repo)
        output = {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "imageTagMutability": mutability,
        }
        if filters:
            output["imageTagMutabilityExclusionFilters"] = filters
        return output

    def put_image_scanning_configuration(self, context: RequestContext, params: dict) -> dict:
        _scope, repo = self.target(context, params)
        repo["scanOnPush"] = bool(params["imageScanningConfiguration"].get("scanOnPush", False))
        self.save_repository(repo)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "imageScanningConfiguration": {"scanOnPush": repo["scanOnPush"]},
        }

    # -- repository policies -------------------------------------------------------------------------

    @staticmethod
    def check_policy(text: str, kind: str = "repository", actions: frozenset[str] | None = None) -> None:
        """A repository (or registry) policy ECR accepts: JSON with statements that each have
        an Effect, an Action and a Principal (and, for a registry policy, only the actions it
        may grant); else InvalidParameterException as ECR words it."""
        refused = invalid(
            f"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid {kind} policy provided'"
        )
        try:
            document = json.loads(text)
        except ValueError:
            raise refused from None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not statements:
            raise refused
        for statement in statements:
            if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
                raise refused
            if not (statement.get("Action") or statement.get("NotAction")):
                raise refused
            if not (statement.get("Principal") or statement.get("NotPrincipal")):
                raise refused
            if actions is not None:
                given = statement.get("Action") or []
                for action in [given] if isinstance(given, str) else given:
                    if not isinstance(action, str) or (action not in actions and action != "ecr:*"):
                        raise refused

    def set_repository_policy(self, context: RequestContext, params: dict) -> dict:
        _scope, repo = self.target(context, params)
        self.check_policy(params["policyText"])
        repo["policy"] = params["policyText"]
        self.save_repository(repo)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "policyText": repo["policy"],
        }

    def _policy(self, repo: dict[str, Any]) -> str:
        if not repo.get("policy"):
            raise ServiceError(
                "RepositoryPolicyNotFoundException",
                f"Repository policy does not exist for the repository with name '{repo['repositoryName']}' in "
                f"the registry with id '{repo['registryId']}'",
            )
        policy: str = repo["policy"]
        return policy

    def get_repository_policy(self, context: RequestContext, params: dict) -> dict:
        _scope, repo = self.target(context, params)
        text = self._policy(repo)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "policyText": text,
        }

    def delete_repository_policy(self, context: RequestContext, params: dict) -> dict:
        _scope, repo = self.target(context, params)
        text = self._policy(repo)
        repo["policy"] = None
        self.save_repository(repo)
        return {
            "registryId": repo["registryId"],
            "repositoryName": repo["repositoryName"],
            "policyText": text,
        }

    # -- tags ----------------------------------------------------------------------------------------

    def _by_arn(self, arn: str) -> dict[str, Any]:
        match = re.fullmatch(r"arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository/(.+)", arn or "")
        if match is None:
            raise invalid("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
        region, account, name = match.groups()
        repo = self.find(account, region, name)
        if repo is None:
            raise repository_not_found(name, account)
        return repo

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        repo = self._by_arn(params["resourceArn"])
        repo["tags"] = tagging.add_tags(repo["tags"], params["tags"], self.tag_rules)
        self.save_repository(repo)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        repo = self._by_arn(params["resourceArn"])
        repo["tags"] = tagging.remove_tags(repo["tags"], params["tagKeys"])
        self.save_repository(repo)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        repo = self._by_arn(params["resourceArn"])
        return {"tags": tagging.tag_list(repo["tags"])}

    # -- authorization tokens ------------------------------------------------------------------------

    def get_authorization_token(self, context: RequestContext, params: dict) -> dict:
        registries = params.get("registryIds") or [context.account]
        expires = time.time() + tuning(TOKEN_SETTING)
        token = tokens.issue(
            self.store, tokens.Grant(context.access_key_id, context.account, context.region, expires)
        )
        data = []
        for registry in registries:
            if not _REGISTRY_ID.fullmatch(registry):
                raise invalid(
                    "Invalid parameter at 'registryIds' failed to satisfy constraint: 'registry id'"
                )
            data.append(
                {
                    "authorizationToken": token,
                    "expiresAt": when(expires),
                    "proxyEndpoint": self.proxy_endpoint(registry, context.region),
                }
            )
        return {"authorizationData": data}

    # -- pushes, from the API and the registry alike -------------------------------------------------

    def store_image(
        self,
        scope: str,
        repo: dict[str, Any],
        body: bytes,
        media_type: str | None,
        tag: str | None,
        digest: str | None = None,
        strict: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Store a pushed image (PushRefused), scan it if the repository scans on push, and
        replicate it where the registry's replication rules say."""
        image, changed = self.data.put_manifest(scope, repo, body, media_type, tag, digest, strict)
        if changed:
            self.announce(events.image_action(repo, image, "PUSH", tag))
            if image.get("scan") is None and self.scans_on_push(repo):
                from overcast.services.ecr import manifests as mf

                if image["mediaType"] not in mf.INDEXES:
                    image["scan"] = scan_done(time.time())
                    self.data.save(scope, repo["repositoryName"], image)
                    self.announce(events.image_scan(repo, image))
            self.replicate(repo, image, tag)
        return image, changed

    def announce(self, event: dict[str, Any]) -> None:
        """Send an event to EventBridge (the account's default bus), where anyone listens."""
        bus = self.runtime.bus
        if bus.has_subscribers("events:put"):
            bus.publish("events:put", event)

    def deleted(self, repo: dict[str, Any], image: dict[str, Any], tag: str | None) -> None:
        """An image (or one of its tags) was deleted: its event, and the replicas' deletion."""
        self.announce(events.image_action(repo, image, "DELETE", tag))
        self.replicate_deletion(repo, image, tag)

    def create_on_push(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        """A repository a push creates: where a creation template applied to CREATE_ON_PUSH
        matches its name (else None: the push is refused as NAME_UNKNOWN)."""
        template = self.template_for(account, region, name, "CREATE_ON_PUSH")
        if template is None or not _NAME.fullmatch(name):
            return None
        return self.from_template(account, region, name, template)

    # -- replication ---------------------------------------------------------------------------------

    def replicate(self, repo: dict[str, Any], image: dict[str, Any], tag: str | None) -> None:
        """Copy a pushed image to every destination a replication rule of its registry names
        (AWS replicates within about 30 minutes; Overcast at once): the destination repository
        is created if missing (from a REPLICATION creation template, if one applies), the layers
        are shared files, the manifest and tag are put as a push would."""
        account, region, name = repo["registryId"], repo["region"], repo["repositoryName"]
        statuses = []
        for destination in self.replication_destinations(account, region, name):
            target_account, target_region = destination["registryId"], destination["region"]
            status, failure = "COMPLETE", None
            if not self.destination_allows(account, target_account, target_region, name):
                status, failure = "FAILED", "REGISTRY_POLICY_DENIED"
            else:
                try:
                    self.copy_image(repo, image, tag, target_account, target_region)
                except (PushRefused, ServiceError):
                    status, failure = "FAILED", "REPLICATION_FAILED"
            entry = {"region": target_region, "registryId": target_account, "status": status}
            if failure:
                entry["failureCode"] = failure
            statuses.append(entry)
        if statuses:
            image["replicated"] = statuses
            self.data.save(store_scope(account, region), name, image)

    def destination_allows(self, source: str, account: str, region: str, name: str) -> bool:
        """Replication to another account needs that registry's policy to let the source
        account's root replicate into it (ecr:ReplicateImage, and ecr:CreateRepository where
        the repository is still to be made), as ECR requires."""
        if account == source:
            return True
        from overcast import policy

        text = self.registry.get(store_scope(account, region), "policy")
        if not text:
            return False
        document = policy.parse(text, policy.RESOURCE)
        principal = policy.Principal(arn=f"arn:aws:iam::{source}:root", account=source)
        resource = _repo_arn(account, region, name)
        actions = ["ecr:ReplicateImage"] + (
            [] if self.find(account, region, name) else ["ecr:CreateRepository"]
        )
        return all(
            policy.evaluate(
                policy.AuthorizationRequest(principal, action, resource, account, {}, region), (), document
            ).allowed
            for action in actions
        )

    def copy_image(
        self, repo: dict[str, Any], image: dict[str, Any], tag: str | None, account: str, region: str
    ) -> None:
        name = repo["repositoryName"]
        target = self.find(account, region, name)
        if target is None:
            template = self.template_for(account, region, name, "REPLICATION")
            if template is not None:
                target = self.from_template(account, region, name, template)
            else:
                target = self.new_repository(
                    account,
                    region,
                    name,
                    mutability=repo["imageTagMutability"],
                    filters=repo.get("exclusionFilters"),
                    scan_on_push=repo["scanOnPush"],
                    encryption=repo["encryption"],
                )
        source_scope, target_scope = (
            store_scope(repo["registryId"], repo["region"]),
            store_scope(account, region),
        )
        from overcast.services.ecr import manifests as mf

        manifest = mf.parse(image["manifest"].encode(), image["mediaType"])
        for digest, size, media_type in manifest.blobs:
            layer = self.data.layer(source_scope, name, digest)
            if layer is not None:
                self.data.add_layer(target_scope, name, digest, layer["size"], layer.get("mediaType", ""))
        self.data.put_manifest(target_scope, target, image["manifest"].encode(), image["mediaType"], tag)

    def replicate_deletion(self, repo: dict[str, Any], image: dict[str, Any], tag: str | None) -> None:
        """A deletion, replicated where a rule with deleteReplication says so."""
        account, region, name = repo["registryId"], repo["region"], repo["repositoryName"]
        for destination in self.replication_destinations(account, region, name, deletions=True):
            scope = store_scope(destination["registryId"], destination["region"])
            copy = self.data.image(scope, name, image["digest"])
            if copy is not None:
                self.data.untag_or_delete(scope, name, copy, tag)

    # -- IAM enforcement -----------------------------------------------------------------------------

    def resource_policy(self, arn: str) -> dict[str, Any] | None:
        """The repository's policy. Its statements name no Resource (ECR's repository policies
        apply to their repository): the repository's ARN stands in for it."""
        match = re.fullmatch(r"arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository/(.+)", arn)
        if match is None:
            return None
        region, account, name = match.groups()
        repo = self.find(account, region, name)
        if repo is None or not repo.get("policy"):
            return None
        document: dict[str, Any] = json.loads(repo["policy"])
        statements = document.get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if isinstance(statement, dict) and "Resource" not in statement and "NotResource" not in statement:
                statement["Resource"] = arn
        return document

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        try:
            repo = self._by_arn(arn)
        except ServiceError:
            return None
        tags: dict[str, str] = repo["tags"]
        return tags

    # -- for other services (ECS, Lambda images) ------------------------------------------------------

    def pull_reference(self, uri: str) -> str | None:
        """The reference a local Docker Engine pulls an ECR image URI by (AWS's host form, which
        this machine cannot resolve, becomes the registry form Overcast serves); None for an
        image of another registry."""
        parsed = self.parse_image_uri(uri)
        if parsed is None:
            return None
        account, region, name, reference = parsed
        separator = "@" if reference.startswith("sha256:") else ":"
        return f"{self.registry_host(account, region)}/{name}{separator}{reference}"

    def registry_credentials(self, account: str, region: str) -> tuple[str, str, str]:
        """(server address, username, password) that log a Docker Engine into the registry as
        the account's root, for a pull Overcast makes on a user's behalf (an ECS task's image)."""
        expires = time.time() + tuning(TOKEN_SETTING)
        token = tokens.issue(self.store, tokens.Grant(account, account, region, expires))
        import base64

        _user, _, password = base64.b64decode(token).decode().partition(":")
        return self.registry_host(account, region).split("/", 1)[0], "AWS", password

    def image_manifest(self, account: str, region: str, name: str, reference: str) -> dict[str, Any] | None:
        """The image a repository's tag or digest names: `manifest` (text), `mediaType`,
        `digest`, `tags`, `size`; None when there is none."""
        return self.data.resolve(store_scope(account, region), name, reference)

    def parse_image_uri(self, uri: str) -> tuple[str, str, str, str] | None:
        """(account, region, repository, tag or digest) of an image URI that names this
        registry, in the form the API hands out or AWS's; None for any other registry.
        A URI with neither tag nor digest names `latest`, as Docker reads it."""
        reference = "latest"
        if "@" in uri:
            uri, reference = uri.split("@", 1)
        else:
            head, _, last = uri.rpartition("/")
            if ":" in last:
                last, reference = last.split(":", 1)
                uri = f"{head}/{last}"
        host, _, path = uri.partition("/")
        aws_host = oci.HOST_FORM.match(host)
        if aws_host is not None:
            return aws_host.group("account"), aws_host.group("region"), path, reference
        in_path = oci.PATH_FORM.match(path)
        if in_path is not None and host == ecr_registry(self.runtime.config.port).split("/", 1)[0]:
            return in_path.group("account"), in_path.group("region"), in_path.group("name"), reference
        return None


def wildcard(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)
