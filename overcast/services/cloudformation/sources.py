"""Where a template comes from (TemplateBody, TemplateURL naming an Overcast S3 object, or the
stack's previous template) and the transforms applied to it (AWS::Serverless-2016-10-31
through the aws-sam-translator library)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation import extensions
from overcast.services.cloudformation import template as tpl
from overcast.services.cloudformation.handlers import ResourceFailed, call
from overcast.services.cloudformation.registry import expand_modules
from overcast.services.cloudformation.template import validation

if TYPE_CHECKING:
    from overcast.runtime import Runtime

SERVERLESS = "AWS::Serverless-2016-10-31"


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, key) of a template URL: virtual-hosted (bucket.s3[.region].amazonaws.com,
    bucket.s3.localhost.localstack.cloud) or path-style (s3[.region].amazonaws.com/bucket,
    or Overcast's own endpoint/bucket/key)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation("TemplateURL must be a supported URL.")
    host = parts.hostname
    path = unquote(parts.path.lstrip("/"))
    for marker in (".s3.", ".s3-"):
        if marker in host:
            bucket = host.split(marker, 1)[0]
            if bucket and not host.startswith(("s3.", "s3-")):
                return bucket, path
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise validation("TemplateURL must be a supported URL.")
    return bucket, key


class TemplateSources:
    runtime: Runtime

    if TYPE_CHECKING:

        def module_fragment(self, context: RequestContext, name: str) -> dict[str, Any] | None: ...

    async def template_text(
        self, context: RequestContext, params: dict[str, Any], previous: dict[str, Any] | None
    ) -> str:
        sources = [name for name in ("TemplateBody", "TemplateURL") if params.get(name)]
        if params.get("UsePreviousTemplate"):
            if "TemplateBody" in params or "TemplateURL" in params:  # even empty, as AWS checks
                raise validation(
                    "You cannot specify both usePreviousTemplate and Template Body/Template URL."
                )
            sources.append("UsePreviousTemplate")
        if len(sources) > 1:
            raise validation("Specify exactly one of TemplateBody, TemplateURL or UsePreviousTemplate.")
        if not sources:
            if previous is not None:
                raise validation("Either Template URL or Template Body must be specified.")
            raise validation("Either Template URL or Template Body must be specified.")
        if params.get("UsePreviousTemplate"):
            if previous is None:
                raise validation("UsePreviousTemplate can only be used with an existing stack.")
            return str(previous["TemplateBody"])
        if params.get("TemplateBody"):
            body = str(params["TemplateBody"])
            if len(body.encode()) > tpl.MAX_BODY:
                raise validation(
                    f"1 validation error detected: Value '{body[:20]}...' at 'templateBody' failed to satisfy "
                    "constraint: Member must have length less than or equal to 51200"
                )
            return body
        return await self.fetch_template(context, params["TemplateURL"])

    async def fetch_template(self, context: RequestContext, url: str) -> str:
        if len(url) > 5120:
            raise validation("TemplateURL must be a supported URL.")
        bucket, key = s3_location(url)
        try:
            output = await call(
                self.runtime,
                "s3",
                "GetObject",
                context.account,
                context.region,
                {"Bucket": bucket, "Key": key},
            )
        except ResourceFailed as error:
            raise validation(f"S3 error: {error}") from None
        body = output.get("Body", b"")
        if hasattr(body, "read"):
            try:
                data = body.read()
            finally:
                if hasattr(body, "close"):
                    body.close()
        else:
            data = body
        if len(data) > tpl.MAX_URL_TEMPLATE:
            raise validation("Template may not exceed 1000000 bytes in size.")
        try:
            return bytes(data).decode()
        except UnicodeDecodeError:
            raise tpl.format_error("the template is not UTF-8 text.") from None

    async def process(
        self,
        context: RequestContext,
        document: dict[str, Any],
        capabilities: list[str],
        params: dict[str, Any],
    ) -> dict[str, Any]:
        """The template after its transforms: AWS::Include snippets first, then the
        template's Transform list in order."""
        if _mentions(document, extensions.INCLUDE):
            document = await extensions.include_snippets(document, self._snippet(context))
        document = expand_modules(document, lambda name: self.module_fragment(context, name))
        transform = document.get("Transform")
        if transform is None:
            return document
        names = transform if isinstance(transform, list) else [transform]
        for name in names:
            if name not in (SERVERLESS, extensions.LANGUAGE_EXTENSIONS):
                raise validation(f"Template format error: Unsupported transform: {name}")
        if (
            context.operation_name in ("CreateStack", "UpdateStack")
            and "CAPABILITY_AUTO_EXPAND" not in capabilities
        ):
            raise ServiceError(
                "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
            )
        for name in names:
            if name == extensions.LANGUAGE_EXTENSIONS:
                values = extensions.loop_parameters(document, params.get("Parameters"))
                document = extensions.expand_loops(document, values)
            else:
                document = self.serverless(context, document, params)
        document.pop("Transform", None)
        return document

    def _snippet(self, context: RequestContext) -> Any:
        async def fetch(location: str) -> dict[str, Any]:
            url = location
            if location.startswith("s3://"):
                bucket, _, key = location[5:].partition("/")
                url = f"https://{bucket}.s3.amazonaws.com/{key}"
            return tpl.parse(await self.fetch_template(context, url))

        return fetch

    def serverless(
        self, context: RequestContext, document: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            import boto3
            from samtranslator.model.exceptions import InvalidDocumentException
            from samtranslator.parser.parser import Parser
            from samtranslator.translator.translator import Translator
        except ImportError:
            raise validation(
                "Transform AWS::Serverless-2016-10-31 needs the aws-sam-translator package: pip install aws-sam-translator"
            ) from None
        values: dict[str, Any] = {
            entry["ParameterKey"]: entry.get("ParameterValue") for entry in params.get("Parameters") or []
        }
        values.update(
            {
                "AWS::Region": context.region,
                "AWS::AccountId": context.account,
                "AWS::Partition": partition(context.region),
            }
        )
        # The translator asks a boto3 session only for its region name; it makes no calls with it.
        session = boto3.session.Session(region_name=context.region)
        policies = _ManagedPolicies()
        translator = Translator(None, Parser(), boto_session=session)
        try:
            result = translator.translate(
                json.loads(json.dumps(document)),
                parameter_values=values,
                get_managed_policy_map=policies.load,
            )
        except InvalidDocumentException as error:
            messages = " ".join(cause.message for cause in error.causes)
            raise validation(f"Transform {SERVERLESS} failed with: {messages}") from None
        processed: dict[str, Any] = json.loads(json.dumps(result))
        return processed


def _mentions(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        return any(value == name or _mentions(value, name) for value in node.values())
    if isinstance(node, list):
        return any(_mentions(item, name) for item in node)
    return False


class _ManagedPolicies:
    """The AWS managed policies by name, as the SAM translator asks for them."""

    def load(self) -> dict[str, str]:
        from overcast.services.iam import catalog

        return {record["PolicyName"]: arn for arn, record in catalog.aws_managed().items()}
