"""The OCI Distribution API (`/v2/...`) that `docker push`, `docker pull`, crane and oras speak,
over the same images, tags and layers as the ECR API.

Requests reach it by their shape (routing.registry_request: a `/v2` path with Basic or no
authorization, or AWS's registry host name). A repository is named in the path as the
repository URIs say: `/v2/<account>/<region>/<name>/...` under the default registry form,
`/v2/<name>/...` on `{account}.dkr.ecr.{region}.amazonaws.com` (or when the registry setting
puts no account in the path: then the login token's account and region). Authentication is
ECR's: HTTP Basic with user `AWS` and the password GetAuthorizationToken returns; without it,
401 and a Basic challenge. Errors are the registry's JSON (`{"errors": [{"code", ...}]}`).

Bodies stream: a layer goes from the socket to its upload file in chunks as it arrives, and
out of its file in chunks, never whole in memory."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from overcast import protocols
from overcast.errors import ServiceError
from overcast.http import BodyStalled, BodyStream, ClientGone, Request, Response
from overcast.services.ecr import manifests as mf
from overcast.services.ecr import tokens
from overcast.services.ecr.blobs import DIGEST, DigestMismatch, read_range
from overcast.services.ecr.images import PushRefused, valid_tag
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.context import RequestContext
    from overcast.services.ecr.provider import Provider

MAX_MANIFEST = 4 * 1024 * 1024
_API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}
HOST_FORM = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\."
    r"(?:amazonaws\.com(?:\.cn)?|localhost\.localstack\.cloud)(?::\d+)?$"
)
PATH_FORM = re.compile(r"^(?P<account>[0-9]{12})/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)/(?P<name>.+)$")
_ROUTE = re.compile(
    r"^/v2/(?P<name>.+?)/(?:"
    r"(?P<uploads>blobs/uploads/?)(?P<upload>[A-Za-z0-9-]*)"
    r"|blobs/(?P<digest>[^/]+)"
    r"|manifests/(?P<reference>[^/]+)"
    r"|(?P<tags>tags/list)"
    r"|referrers/(?P<subject>[^/]+))$"
)


def _error(status: int, code: str, message: str, detail: Any = None, headers: dict | None = None) -> Response:
    entry: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        entry["detail"] = detail
    body = json.dumps({"errors": [entry]}).encode()
    return Response(
        status,
        {"Content-Type": "application/json; charset=utf-8", **_API_VERSION, **(headers or {})},
        body,
    )


def error_code(response: Response) -> str:
    """The registry error code a response of _error() carries."""
    try:
        return str(json.loads(bytes(response.body))["errors"][0]["code"])  # type: ignore[arg-type]
    except (ValueError, KeyError, IndexError, TypeError):
        return "UNKNOWN"


class Refusal(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class Target:
    """The registry and repository a request addresses."""

    __slots__ = ("account", "addressed", "context", "name", "region", "scope")

    def __init__(
        self, account: str, region: str, name: str, addressed: str, context: RequestContext | None = None
    ) -> None:
        self.account = account
        self.region = region
        self.name = name
        #: The name as the client wrote it in the path (for Location headers).
        self.addressed = addressed
        self.scope = store_scope(account, region)
        #: The request's context: it is named after the ECR action the request performs.
        self.context = context


class Registry:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    # -- the request -----------------------------------------------------------------------------

    async def serve(self, request: Request, context: RequestContext) -> Response:
        try:
            return await self._serve(request, context)
        except Refusal as refused:
            return refused.response
        except (ClientGone, BodyStalled):
            return _error(400, "BLOB_UPLOAD_INVALID", "the client stopped sending the body")

    async def _serve(self, request: Request, context: RequestContext) -> Response:
        path = request.raw_path
        method = request.method
        route = _ROUTE.match(path)
        signed = self._signed_blob(request, route)
        grant = None if signed else self._authenticate(request)
        if grant is not None:
            from overcast.identity import identify

            context.region = grant.region
            identify(context, grant.access_key_id, self.provider.runtime.resolve_key)
        if path in ("/v2", "/v2/"):
            return Response(200, {"Content-Type": "application/json; charset=utf-8", **_API_VERSION}, b"{}")
        if path.rstrip("/") == "/v2/_catalog":
            assert grant is not None
            return self._catalog(request, grant, context)
        if route is None:
            return _error(404, "NOT_FOUND", f"no registry route for {method} {unquote(path)}")
        target = self._target(request, route.group("name"), grant)
        target.context = context
        context.region = target.region
        context.extra["registry_params"] = {"registryId": target.account, "repositoryName": target.name}
        if route.group("uploads") is not None:
            return await self._uploads(request, route.group("upload"), target, grant)
        if route.group("digest") is not None:
            return self._blob(request, route.group("digest"), target, grant)
        if route.group("reference") is not None:
            return await self._manifest(request, unquote(route.group("reference")), target, grant)
        if route.group("tags") is not None:
            return self._tags(request, target, grant)
        return self._referrers(request, unquote(route.group("subject")), target, grant)

    def _challenge(self, request: Request) -> dict[str, str]:
        host = request.host or f"localhost:{self.provider.runtime.config.port}"
        return {"WWW-Authenticate": f'Basic realm="http://{host}/",service="ecr.amazonaws.com"'}

    def _authenticate(self, request: Request) -> tokens.Grant:
        header = request.headers.get("authorization", "")
        credentials = tokens.basic_credentials(header) if header else None
        if credentials is None:
            raise Refusal(
                _error(401, "UNAUTHORIZED", "authentication required", headers=self._challenge(request))
            )
        try:
            return tokens.check(self.provider.store, *credentials, time.time())
        except tokens.TokenInvalid as invalid:
            message = (
                "Your authorization token has expired. Reauthenticate and try again."
                if invalid.expired
                else "Your authorization token is invalid."
            )
            raise Refusal(_error(401, "DENIED", message, headers=self._challenge(request))) from None

    def _signed_blob(self, request: Request, route: re.Match[str] | None) -> bool:
        """A GetDownloadUrlForLayer URL: a blob GET that carries its own signature."""
        if route is None or route.group("digest") is None or request.method not in ("GET", "HEAD"):
            return False
        expires = request.query.get("X-Overcast-Expires", [""])[0]
        signature = request.query.get("X-Overcast-Signature", [""])[0]
        if not expires and not signature:
            return False
        if not self.provider.blob_url_valid(unquote(request.raw_path), expires, signature):
            raise Refusal(_error(403, "DENIED", "The download URL's signature is invalid or has expired."))
        return True

    def _target(self, request: Request, raw_name: str, grant: tokens.Grant | None) -> Target:
        addressed = unquote(raw_name)
        host = HOST_FORM.match(request.host)
        if host is not None:
            return Target(host.group("account"), host.group("region"), addressed, addressed)
        in_path = PATH_FORM.match(addressed)
        if in_path is not None:
            return Target(in_path.group("account"), in_path.group("region"), in_path.group("name"), addressed)
        if grant is None:
            raise Refusal(_error(404, "NAME_UNKNOWN", f"repository name not known to registry: {addressed}"))
        return Target(grant.account, grant.region, addressed, addressed)

    def _authorize(self, grant: tokens.Grant | None, action: str, target: Target) -> None:
        """Under --enforce-iam, the token's principal must be allowed `action` on the
        repository by its policies and the repository's policy (another account's needs the
        latter), as ECR authorizes each registry call."""
        provider = self.provider
        if target.context is not None and target.context.operation is None:
            # The request log (and its reader) names it as CloudTrail names ECR's registry
            # calls: after the API action it performs (UploadLayerPart, PutImage, ...).
            model = target.context.service_model = protocols.service_model("ecr")
            target.context.operation = model.operation_model(action.split(":", 1)[1])
        if grant is None or not provider.runtime.config.enforce_iam:
            return
        from overcast.context import RequestContext
        from overcast.identity import identify

        context = RequestContext(
            request=Request("GET", "/", "", {}), request_id="registry", service="ecr", region=grant.region
        )
        identify(context, grant.access_key_id, provider.runtime.resolve_key)
        arn = f"arn:aws:ecr:{target.region}:{target.account}:repository/{target.name}"
        try:
            provider.runtime.provider("iam").authorize(context, None, [(action, arn)])
        except ServiceError as denied:
            raise Refusal(_error(403, "DENIED", denied.message)) from None

    def _repository(self, target: Target, create: bool = False) -> dict[str, Any]:
        repo = self.provider.find(target.account, target.region, target.name)
        if repo is None and create:
            repo = self.provider.create_on_push(target.account, target.region, target.name)
        if repo is None:
            message = f"The repository with name '{target.name}' does not exist in the registry with id '{target.account}'"
            if self.provider.pull_through_rule_for(target.account, target.region, target.name) is not None:
                message += (
                    "; its pull through cache rule cannot fetch it: Overcast reaches no upstream registry"
                )
            raise Refusal(_error(404, "NAME_UNKNOWN", message))
        return repo

    # -- blobs -----------------------------------------------------------------------------------

    def _blob(self, request: Request, digest: str, target: Target, grant: tokens.Grant | None) -> Response:
        digest = unquote(digest)
        if request.method not in ("GET", "HEAD"):
            if request.method == "DELETE":
                return _error(
                    405, "UNSUPPORTED", "ECR does not support deleting blobs: delete the images instead"
                )
            return _error(405, "UNSUPPORTED", f"{request.method} is not supported on a blob")
        self._authorize(
            grant,
            "ecr:GetDownloadUrlForLayer" if request.method == "GET" else "ecr:BatchCheckLayerAvailability",
            target,
        )
        self._repository(target)
        if not DIGEST.fullmatch(digest):
            return _error(400, "DIGEST_INVALID", f"invalid digest {digest}")
        layer = self.provider.data.layer(target.scope, target.name, digest)
        blobs = self.provider.data.blobs
        size = blobs.size(digest) if layer is not None else None
        if size is None:
            return _error(404, "BLOB_UNKNOWN", f"blob unknown to registry: {digest}", {"digest": digest})
        headers = {
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": digest,
            "Accept-Ranges": "bytes",
            "Etag": f'"{digest}"',
            **_API_VERSION,
        }
        if request.method == "HEAD":
            return Response(200, {**headers, "Content-Length": str(size)}, b"")
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", "").strip())
        if wanted and (wanted.group(1) or wanted.group(2)):
            first, last = wanted.groups()
            start = int(first) if first else max(size - int(last), 0)
            end = min(int(last), size - 1) if first and last else size - 1
            if start >= size or start > end:
                return _error(
                    416,
                    "BLOB_UNKNOWN",
                    "requested range not satisfiable",
                    headers={"Content-Range": f"bytes */{size}"},
                )
            headers.update(
                {"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1)}
            )
            return Response(206, headers, read_range(blobs.open(digest), start, end))
        return Response(200, {**headers, "Content-Length": str(size)}, blobs.open(digest))

    async def _uploads(
        self, request: Request, upload_id: str, target: Target, grant: tokens.Grant | None
    ) -> Response:
        method = request.method
        data = self.provider.data
        if method == "POST" and not upload_id:
            self._authorize(grant, "ecr:InitiateLayerUpload", target)
            self._repository(target, create=True)
            mounted = self._mount(request, target, grant)
            if mounted is not None:
                return mounted
            upload_id = data.start_upload(target.scope, target.name)
            digest = request.query.get("digest", [None])[0]
            if digest is not None:  # a monolithic upload: the whole blob in this request
                await self._receive(request, upload_id)
                return self._finish(upload_id, digest, target)
            await self._drain(request)
            return self._upload_status(202, upload_id, target)
        if not upload_id:
            return _error(405, "UNSUPPORTED", f"{method} needs an upload id")
        self._repository(target)
        if data.upload(target.scope, target.name, upload_id) is None:
            await self._drain(request)
            return _error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", {"uuid": upload_id})
        if method == "GET":
            return self._upload_status(204, upload_id, target)
        if method == "DELETE":
            data.cancel_upload(target.scope, upload_id)
            return Response(204, dict(_API_VERSION), b"")
        if method == "PATCH":
            self._authorize(grant, "ecr:UploadLayerPart", target)
            given = request.headers.get("content-range")
            if given:
                match = re.fullmatch(r"(?:bytes )?(\d+)-(\d+)", given.strip())
                received = data.blobs.received(upload_id)
                if match is None or int(match.group(1)) != received:
                    await self._drain(request)
                    return _error(
                        416,
                        "BLOB_UPLOAD_INVALID",
                        "the chunk does not continue the upload",
                        headers={
                            "Range": f"0-{max(received - 1, 0)}",
                            "Location": self._upload_location(upload_id, target),
                        },
                    )
            await self._receive(request, upload_id)
            return self._upload_status(202, upload_id, target)
        if method == "PUT":
            self._authorize(grant, "ecr:CompleteLayerUpload", target)
            digest = request.query.get("digest", [None])[0]
            await self._receive(request, upload_id)
            if digest is None:
                return _error(
                    400, "DIGEST_INVALID", "a digest query parameter is required to complete an upload"
                )
            return self._finish(upload_id, digest, target)
        return _error(405, "UNSUPPORTED", f"{method} is not supported on an upload")

    def _mount(self, request: Request, target: Target, grant: tokens.Grant | None) -> Response | None:
        digest = request.query.get("mount", [None])[0]
        source = request.query.get("from", [None])[0]
        if not digest or not source or not DIGEST.fullmatch(digest):
            return None
        if self.provider.account_setting(target.account, "BLOB_MOUNTING") != "ENABLED":
            return None  # ECR mounts only where the registry enables it: the client uploads instead
        in_path = PATH_FORM.match(source)
        name = source
        if in_path is not None:
            if (in_path.group("account"), in_path.group("region")) != (target.account, target.region):
                return None  # blob mounting works within one registry
            name = in_path.group("name")
        data = self.provider.data
        layer = data.layer(target.scope, name, digest)
        if layer is None or not data.blobs.exists(digest):
            return None
        self._authorize(
            grant, "ecr:GetDownloadUrlForLayer", Target(target.account, target.region, name, source)
        )
        data.add_layer(target.scope, target.name, digest, layer["size"], layer.get("mediaType", ""))
        return Response(
            201,
            {
                "Location": f"/v2/{quote(target.addressed)}/blobs/{digest}",
                "Docker-Content-Digest": digest,
                "Content-Length": "0",
                **_API_VERSION,
            },
            b"",
        )

    async def _receive(self, request: Request, upload_id: str) -> None:
        body = request.body
        blobs = self.provider.data.blobs
        if type(body) is BodyStream:
            await blobs.append_stream(upload_id, body.chunks())
        elif body:
            blobs.append(upload_id, bytes(body))

    @staticmethod
    async def _drain(request: Request) -> None:
        body = request.body
        if type(body) is BodyStream:
            async for _chunk in body.chunks():
                pass

    def _finish(self, upload_id: str, digest: str, target: Target) -> Response:
        if not DIGEST.fullmatch(digest):
            return _error(400, "DIGEST_INVALID", f"invalid digest {digest}", {"digest": digest})
        try:
            self.provider.data.finish_upload(target.scope, target.name, upload_id, digest)
        except DigestMismatch as actual:
            return _error(
                400,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
                {"digest": digest, "actual": str(actual)},
            )
        return Response(
            201,
            {
                "Location": f"/v2/{quote(target.addressed)}/blobs/{digest}",
                "Docker-Content-Digest": digest,
                "Content-Length": "0",
                **_API_VERSION,
            },
            b"",
        )

    @staticmethod
    def _upload_location(upload_id: str, target: Target) -> str:
        return f"/v2/{quote(target.addressed)}/blobs/uploads/{upload_id}"

    def _upload_status(self, status: int, upload_id: str, target: Target) -> Response:
        received = self.provider.data.blobs.received(upload_id)
        return Response(
            status,
            {
                "Location": self._upload_location(upload_id, target),
                "Range": f"0-{max(received - 1, 0)}",
                "Docker-Upload-UUID": upload_id,
                "Content-Length": "0",
                **_API_VERSION,
            },
            b"",
        )

    # -- manifests -------------------------------------------------------------------------------

    async def _manifest(
        self, request: Request, reference: str, target: Target, grant: tokens.Grant | None
    ) -> Response:
        method = request.method
        by_digest = reference.startswith("sha256:")
        if by_digest and not DIGEST.fullmatch(reference):
            return _error(400, "DIGEST_INVALID", f"invalid digest {reference}")
        if not by_digest and not valid_tag(reference):
            return _error(400, "TAG_INVALID", f"invalid tag {reference}")
        data = self.provider.data
        if method == "PUT":
            self._authorize(grant, "ecr:PutImage", target)
            repo = self._repository(target, create=True)
            body = request.body
            if type(body) is BodyStream:
                try:
                    body = await body.read(MAX_MANIFEST)
                except Exception:
                    return _error(413, "SIZE_INVALID", "the manifest is larger than 4 MiB")
            declared = request.headers.get("content-type", "").split(";")[0].strip()
            declared = declared if declared in mf.MEDIA_TYPES else ""
            try:
                image, _changed = self.provider.store_image(
                    target.scope,
                    repo,
                    bytes(body),
                    declared or None,
                    None if by_digest else reference,
                    reference if by_digest else None,
                )
            except PushRefused as refused:
                return _error(refused.status, refused.registry_code, refused.message)
            headers = {
                "Location": f"/v2/{quote(target.addressed)}/manifests/{image['digest']}",
                "Docker-Content-Digest": image["digest"],
                "Content-Length": "0",
                **_API_VERSION,
            }
            if image.get("subject"):
                headers["OCI-Subject"] = image["subject"]
            return Response(201, headers, b"")
        if method in ("GET", "HEAD"):
            self._authorize(grant, "ecr:BatchGetImage", target)
            self._repository(target)
            found = data.resolve(target.scope, target.name, reference)
            if found is None:
                return _error(404, "MANIFEST_UNKNOWN", "Requested image not found", {"reference": reference})
            image = found
            body = image["manifest"].encode("utf-8")
            headers = {
                "Content-Type": image["mediaType"],
                "Docker-Content-Digest": image["digest"],
                "Etag": f'"{image["digest"]}"',
                "Content-Length": str(len(body)),
                **_API_VERSION,
            }
            if method == "HEAD":
                return Response(200, headers, b"")
            data.note_pull(target.scope, target.name, image, time.time())
            return Response(200, headers, body)
        if method == "DELETE":
            self._authorize(grant, "ecr:BatchDeleteImage", target)
            repo = self._repository(target)
            gone = data.resolve(target.scope, target.name, reference)
            if gone is None:
                return _error(404, "MANIFEST_UNKNOWN", "Requested image not found", {"reference": reference})
            if (by_digest or len(gone["tags"]) <= 1) and data.referenced_by_index(
                target.scope, target.name, gone["digest"]
            ):
                return _error(400, "DENIED", "Requested image is referenced by a manifest list")
            data.untag_or_delete(target.scope, target.name, gone, None if by_digest else reference)
            self.provider.deleted(repo, gone, None if by_digest else reference)
            return Response(202, {"Content-Length": "0", **_API_VERSION}, b"")
        return _error(405, "UNSUPPORTED", f"{method} is not supported on a manifest")

    # -- listings --------------------------------------------------------------------------------

    @staticmethod
    def _limit(request: Request) -> tuple[int | None, str | None]:
        n = request.query.get("n", [""])[0]
        last = request.query.get("last", [None])[0]
        if n and not n.isdigit():
            raise Refusal(
                _error(400, "PAGINATION_NUMBER_INVALID", f"invalid number of results requested: {n}")
            )
        return (min(int(n), 1000) if n else None), last

    def _tags(self, request: Request, target: Target, grant: tokens.Grant | None) -> Response:
        if request.method != "GET":
            return _error(405, "UNSUPPORTED", f"{request.method} is not supported on a tag list")
        self._authorize(grant, "ecr:ListImages", target)
        self._repository(target)
        limit, last = self._limit(request)
        names = self.provider.data.tag_names(target.scope, target.name, last)
        headers = {"Content-Type": "application/json; charset=utf-8", **_API_VERSION}
        if limit is not None and len(names) > limit:
            names = names[:limit]
            headers["Link"] = (
                f'</v2/{quote(target.addressed)}/tags/list?n={limit}&last={quote(names[-1])}>; rel="next"'
            )
        body = json.dumps({"name": target.addressed, "tags": names}).encode()
        return Response(200, headers, body)

    def _catalog(self, request: Request, grant: tokens.Grant, context: RequestContext) -> Response:
        host = HOST_FORM.match(request.host)
        account, region = (
            (host.group("account"), host.group("region")) if host else (grant.account, grant.region)
        )
        target = Target(account, region, "*", "*", context)
        self._authorize(grant, "ecr:DescribeRepositories", target)
        prefix = "" if host else self._path_prefix(account, region)
        limit, last = self._limit(request)
        names = [prefix + name for name, _repo in self.provider.repositories.scan(target.scope)]
        if last is not None:
            names = [name for name in names if name > last]
        headers = {"Content-Type": "application/json; charset=utf-8", **_API_VERSION}
        if limit is not None and len(names) > limit:
            names = names[:limit]
            headers["Link"] = f'</v2/_catalog?n={limit}&last={quote(names[-1])}>; rel="next"'
        return Response(200, headers, json.dumps({"repositories": names}).encode())

    def _path_prefix(self, account: str, region: str) -> str:
        """The path part of the registry setting (`<account>/<region>/` by default)."""
        _host, _, path = self.provider.registry_host(account, region).partition("/")
        return f"{path}/" if path else ""

    def _referrers(
        self, request: Request, subject: str, target: Target, grant: tokens.Grant | None
    ) -> Response:
        if request.method != "GET":
            return _error(405, "UNSUPPORTED", f"{request.method} is not supported on referrers")
        self._authorize(grant, "ecr:BatchGetImage", target)
        self._repository(target)
        if not DIGEST.fullmatch(subject):
            return _error(400, "DIGEST_INVALID", f"invalid digest {subject}")
        wanted = request.query.get("artifactType", [None])[0]
        manifests = []
        for image in self.provider.data.all_images(target.scope, target.name):
            if image.get("subject") != subject or (wanted and image.get("artifactType") != wanted):
                continue
            descriptor: dict[str, Any] = {
                "mediaType": image["mediaType"],
                "digest": image["digest"],
                "size": len(image["manifest"].encode("utf-8")),
            }
            if image.get("artifactType"):
                descriptor["artifactType"] = image["artifactType"]
            if image.get("annotations"):
                descriptor["annotations"] = image["annotations"]
            manifests.append(descriptor)
        headers = {"Content-Type": mf.OCI_INDEX, **_API_VERSION}
        if wanted:
            headers["OCI-Filters-Applied"] = "artifactType"
        body = json.dumps({"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": manifests}).encode()
        return Response(200, headers, body)
