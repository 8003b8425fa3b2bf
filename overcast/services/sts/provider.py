"""AWS Security Token Service: who is calling, and temporary credentials (assumed roles, session
tokens, federation, web identity and SAML). Credentials are kept by IAM, which identifies every
request signed with them; trust policies are decided by the policy engine."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import re
import zlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from overcast import policy
from overcast.common import jsontext
from overcast.common.arns import build_arn, partition
from overcast.common.times import iso_seconds
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.iam import ids
from overcast.services.iam.base import now
from overcast.services.sts import federation, outbound
from overcast.services.sts.errors import access_denied, validation
from overcast.services.sts.tokens import TokenMixin

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider as IAMProvider

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_ALLOW_ALL = policy.parse(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
)
#: Session policies, inline and managed, are packed into the token; AWS refuses past this.
_PACKED_LIMIT = 2048


class Provider(TokenMixin, BaseProvider):
    service = "sts"

    @property
    def iam(self) -> IAMProvider:
        """IAM keeps the roles, identity providers and credentials STS works with."""
        return self.runtime.provider("iam")

    @functools.cached_property
    def outbound_keys(self) -> outbound.Keys:
        """The accounts' keys for outbound web identity tokens."""
        return outbound.Keys(self.store.table("sts", "outbound_keys"))

    @property
    def enforcing(self) -> bool:
        return bool(getattr(self.runtime.config, "enforce_iam", False))

    def get_caller_identity(self, context: RequestContext, params: dict) -> dict:
        return {"UserId": context.principal_id, "Account": context.account, "Arn": context.principal_arn}

    # -- helpers ---------------------------------------------------------------------------------

    def _role(self, role_arn: str, caller_arn: str, action: str) -> tuple[str, dict]:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise validation(f"{role_arn} is invalid")
        account = parts[4]
        role = self.iam.role(account, parts[5].rsplit("/", 1)[-1]) if account.isdigit() else None
        if role is None or role["Arn"] != role_arn:
            raise self._not_authorized(caller_arn, action, role_arn)
        return account, role

    @staticmethod
    def _not_authorized(caller_arn: str, action: str, resource: str) -> ServiceError:
        return access_denied(
            f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
        )

    @staticmethod
    def _session_name(name: str) -> str:
        if not _SESSION_NAME.match(name or ""):
            raise validation(
                f"1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        return name

    def _session_policies(self, account: str, params: dict) -> tuple[str | None, list[str]]:
        text = params.get("Policy")
        if text:
            try:
                policy.parse(text, policy.IDENTITY)
            except policy.MalformedPolicy as error:
                raise ServiceError("MalformedPolicyDocument", str(error), 400) from None
        arns = [item["arn"] for item in params.get("PolicyArns") or []]
        for arn in arns:
            if self.iam.managed_policy(account, arn) is None:
                raise ServiceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)
        packed = self._packed(params)
        if packed > _PACKED_LIMIT:
            percent = packed * 100 // _PACKED_LIMIT
            raise ServiceError(
                "PackedPolicyTooLarge",
                f"Packed policy consumes {percent}% of allotted space, please use smaller policy.",
                400,
            )
        return text, arns

    def _issue(self, account: str, duration: int, record: dict) -> dict:
        key_id = ids.access_key_id(account, temporary=True)
        secret = ids.secret_access_key()
        token = ids.session_token()
        issued = now()
        expiration = issued + timedelta(seconds=duration)
        record.update(
            Kind="session",
            Account=account,
            Secret=secret,
            SessionToken=token,
            Status="Active",
            CreateDate=issued,
            Expiration=expiration,
        )
        self.iam.save_credential(key_id, record)
        return {
            "AccessKeyId": key_id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": expiration,
        }

    @staticmethod
    def _packed(params: dict) -> int:
        """How much of the token's packed space the session policies and tags take (AWS
        compresses them; counting their characters is a conservative stand-in)."""
        size = len("".join((params.get("Policy") or "").split())) + 64 * len(params.get("PolicyArns") or [])
        return size + sum(len(t["Key"]) + len(t.get("Value", "")) for t in params.get("Tags") or [])

    def _packed_size(self, params: dict) -> int:
        return min(100, self._packed(params) * 100 // _PACKED_LIMIT)

    def _trust(
        self,
        role: dict,
        account: str,
        principal: policy.Principal,
        action: str,
        values: dict,
        region: str,
        identity: dict | None,
    ) -> policy.Decision:
        trust = policy.parse(role["AssumeRolePolicyDocument"], policy.TRUST)
        trust.policy_id, trust.policy_type = role["Arn"], "resource"
        request = policy.AuthorizationRequest(principal, action, role["Arn"], account, values, region)
        if principal.kind in (policy.SERVICE, policy.WEB_IDENTITY, policy.ANONYMOUS):
            return policy.evaluate(request, [], trust)
        if self.enforcing and identity is not None and principal.kind != policy.ROOT:
            identity_policies, boundaries, sessions = self.iam.policies_for(identity, principal.account)
        else:
            # Without enforcement the caller's own policies are not consulted; the trust policy is.
            identity_policies, boundaries, sessions = [_ALLOW_ALL], None, None
        return policy.evaluate(
            request, identity_policies, trust, boundaries, sessions, resource_required=True
        )

    @staticmethod
    def _check_session_tags(params: dict, caller: dict) -> None:
        """Session tag keys are case-insensitive: no two alike, every transitive key among the
        tags, and no tag overriding a transitive tag of the calling (chained) session."""
        keys = [t["Key"].lower() for t in params.get("Tags") or []]
        if len(set(keys)) != len(keys):
            raise ServiceError(
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
                400,
            )
        if any(key.lower() not in keys for key in params.get("TransitiveTagKeys") or []):
            raise ServiceError(
                "InvalidParameterValue",
                "The specified transitive tag key must be included in the requested tags.",
                400,
            )
        inherited = {key.lower() for key in caller.get("TransitiveTagKeys") or []}
        if inherited & set(keys):
            raise ServiceError(
                "InvalidParameterValue",
                "One of the specified transitive tag keys can't be set because it conflicts with a "
                "transitive tag key from the calling session.",
                400,
            )

    def _request_tags(self, params: dict) -> dict:
        values = {}
        tags = params.get("Tags") or []
        for tag in tags:
            values[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        if tags:
            values["aws:TagKeys"] = [t["Key"] for t in tags]
        return values

    def _caller_values(self, context: RequestContext) -> dict:
        values = {
            "aws:SourceIp": context.request.client_ip,
            "aws:SecureTransport": "true" if context.request.scheme == "https" else "false",
        }
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") == "session":
            values["aws:MultiFactorAuthPresent"] = "true" if identity.get("MFA") else "false"
            values["aws:TokenIssueTime"] = iso_seconds(identity["CreateDate"])
            if identity.get("MFA") and identity.get("MFAAuthTime"):
                values["aws:MultiFactorAuthAge"] = str(int((now() - identity["MFAAuthTime"]).total_seconds()))
        return values

    # -- AssumeRole ------------------------------------------------------------------------------

    def assume_role(self, context: RequestContext, params: dict) -> dict:
        caller_arn = context.principal_arn
        identity = context.extra.get("identity")
        caller: dict = identity or {}  # IAM's record of the caller's key ({} for none)
        name = self._session_name(params["RoleSessionName"])  # AWS checks the name before the ARN
        role_account, role = self._role(params["RoleArn"], caller_arn, "sts:AssumeRole")
        duration = params.get("DurationSeconds") or 3600
        chained = caller.get("SessionType") == "role"
        self._check_session_tags(params, caller if chained else {})
        if chained and duration > 3600:
            raise validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        if duration > role["MaxSessionDuration"]:
            raise validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        session_policy, policy_arns = self._session_policies(role_account, params)

        values = {**self._caller_values(context), **self._request_tags(params), "sts:RoleSessionName": name}
        if params.get("ExternalId") is not None:
            values["sts:ExternalId"] = params["ExternalId"]
        if params.get("SourceIdentity"):
            values["sts:SourceIdentity"] = params["SourceIdentity"]
        mfa = bool(caller.get("MFA"))
        if params.get("SerialNumber") or params.get("TokenCode"):
            if not (params.get("SerialNumber") and params.get("TokenCode")):
                raise validation("SerialNumber and TokenCode must be given together.")
            if not self.iam.verify_mfa(context.account, params["SerialNumber"], params["TokenCode"]):
                raise access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
            mfa = True
            values["aws:MultiFactorAuthPresent"] = "true"
            values["aws:MultiFactorAuthAge"] = "0"
        principal = self.iam.principal_for(identity, context.account, context.region)
        decision = self._trust(
            role, role_account, principal, "sts:AssumeRole", values, context.region, identity
        )
        if not decision.allowed:
            raise self._not_authorized(caller_arn, "sts:AssumeRole", role["Arn"])
        if params.get("Tags") or params.get("TransitiveTagKeys"):
            # Passing session tags needs sts:TagSession in the trust policy too.
            tagging = self._trust(
                role, role_account, principal, "sts:TagSession", values, context.region, identity
            )
            if not tagging.allowed:
                raise self._not_authorized(caller_arn, "sts:TagSession", role["Arn"])

        session_arn = (
            f"arn:{partition(context.region)}:sts::{role_account}:assumed-role/{role['RoleName']}/{name}"
        )
        tags = list(params.get("Tags") or [])
        transitive = set(params.get("TransitiveTagKeys") or [])
        if chained:
            inherited = set(caller.get("TransitiveTagKeys") or [])
            given = {t["Key"] for t in tags}
            tags += [
                t
                for t in caller.get("PrincipalTags") or []
                if t["Key"] in inherited and t["Key"] not in given
            ]
            transitive |= inherited
        credentials = self._issue(
            role_account,
            duration,
            {
                "SessionType": "role",
                "RoleName": role["RoleName"],
                "RoleArn": role["Arn"],
                "RoleId": role["RoleId"],
                "SessionName": name,
                "Arn": session_arn,
                "UserId": f"{role['RoleId']}:{name}",
                "MFA": mfa,
                "MFAAuthTime": now() if mfa else None,
                "SessionPolicy": session_policy,
                "PolicyArns": policy_arns,
                "PrincipalTags": [{"Key": t["Key"], "Value": t["Value"]} for t in tags],
                "TransitiveTagKeys": sorted(transitive),
                "SourceIdentity": params.get("SourceIdentity"),
            },
        )
        self.iam.note_role_used(role_account, role["RoleName"], context.region)
        result: dict[str, Any] = {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": f"{role['RoleId']}:{name}", "Arn": session_arn},
        }
        if params.get("Policy") or params.get("PolicyArns") or params.get("Tags"):
            result["PackedPolicySize"] = self._packed_size(params)
        if params.get("SourceIdentity"):
            result["SourceIdentity"] = params["SourceIdentity"]
        return result

    async def assume_role_with_web_identity(self, context: RequestContext, params: dict) -> dict:
        claims = federation.web_identity_claims(params["WebIdentityToken"])
        issuer = claims.get("iss", "")
        host = issuer.replace("https://", "").rstrip("/")
        role_account = params["RoleArn"].split(":")[4] if params["RoleArn"].count(":") >= 5 else ""
        provider_name = host
        thumbprints: list[str] = []
        if host not in federation.WELL_KNOWN:
            provider = self.iam.oidc_provider_for(role_account, issuer) if role_account.isdigit() else None
            if provider is None:
                raise ServiceError(
                    "InvalidIdentityToken",
                    f"No OpenIDConnect provider found in your account for {issuer}",
                    400,
                )
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if provider["ClientIDList"] and not set(audiences) & set(provider["ClientIDList"]):
                raise ServiceError("InvalidIdentityToken", "Incorrect token audience", 400)
            provider_name = provider["Arn"]
            thumbprints = provider.get("ThumbprintList") or []
        if self.enforcing:
            # Only a token the issuer really signed proves the identity (checked when enforcing).
            from overcast.services.sts import verify

            await verify.check_jwt(
                params["WebIdentityToken"], issuer if "://" in issuer else f"https://{issuer}", thumbprints
            )
        _, role = self._role(params["RoleArn"], "*", "sts:AssumeRoleWithWebIdentity")
        name = self._session_name(params["RoleSessionName"])
        duration = params.get("DurationSeconds") or 3600
        if duration > role["MaxSessionDuration"]:
            raise validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        session_policy, policy_arns = self._session_policies(role_account, params)
        values = {"sts:RoleSessionName": name, "aws:SourceIp": context.request.client_ip}
        for claim in ("aud", "sub", "amr", "azp", "oaud", "email"):
            if claim in claims:
                values[f"{host}:{claim}"] = claims[claim]
        credentials, session_arn = self._federated_session(
            context,
            role,
            role_account,
            provider_name,
            "sts:AssumeRoleWithWebIdentity",
            values,
            name,
            duration,
            session_policy,
            policy_arns,
        )
        audience = claims.get("aud")
        return {
            "Credentials": credentials,
            "SubjectFromWebIdentityToken": claims.get("sub", ""),
            "AssumedRoleUser": {"AssumedRoleId": f"{role['RoleId']}:{name}", "Arn": session_arn},
            "PackedPolicySize": self._packed_size(params),
            "Provider": params.get("ProviderId") or host,
            "Audience": audience[0] if isinstance(audience, list) else audience or "",
        }

    async def assume_role_with_saml(self, context: RequestContext, params: dict) -> dict:
        document = federation.saml_document(params["SAMLAssertion"])
        provider_arn = params["PrincipalArn"]
        parts = provider_arn.split(":")
        if len(parts) < 6 or not parts[5].startswith("saml-provider/"):
            raise validation(f"{provider_arn} is invalid")
        role_account = parts[4]
        saml_provider = self.iam.saml_provider(role_account, provider_arn)
        if saml_provider is None:
            raise ServiceError("InvalidIdentityToken", "SAML Provider not found", 400)
        if self.enforcing:
            # Read only what the provider's signing certificate vouches for.
            from overcast.services.sts import verify

            document = await asyncio.to_thread(
                verify.verified_saml, document, saml_provider["SAMLMetadataDocument"]
            )
        assertion = federation.saml_assertion(document)
        if assertion.get("expired"):
            raise ServiceError(
                "ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance", 400
            )
        ours = federation.aws_saml_audiences(context.region)
        if not set(assertion.get("audiences") or []) & ours:
            raise ServiceError(
                "InvalidIdentityToken",
                "SAML Assertion doesn't contain the requisite audience restriction",
                400,
            )
        if assertion.get("recipient") is not None and assertion["recipient"] not in ours:
            raise ServiceError(
                "InvalidIdentityToken", "SAML Assertion doesn't contain the requisite recipient", 400
            )
        roles = assertion.get("roles") or []
        if roles and (params["RoleArn"], provider_arn) not in roles:
            raise access_denied("Not authorized to perform sts:AssumeRoleWithSAML")
        _, role = self._role(params["RoleArn"], "*", "sts:AssumeRoleWithSAML")
        name = assertion.get("session_name") or assertion.get("subject") or ""
        if not _SESSION_NAME.match(name):
            raise ServiceError(
                "InvalidIdentityToken",
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
                400,
            )
        duration = params.get("DurationSeconds") or assertion.get("duration") or 3600
        if duration > role["MaxSessionDuration"]:
            raise validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        session_policy, policy_arns = self._session_policies(role_account, params)
        provider_name = parts[5].split("/", 1)[1]
        qualifier = federation.name_qualifier(assertion.get("issuer", ""), role_account, provider_name)
        values = {
            "saml:aud": assertion.get("audience", ""),
            "saml:sub": assertion.get("subject", ""),
            "saml:iss": assertion.get("issuer", ""),
            "saml:sub_type": assertion.get("subject_type", "persistent"),
            "saml:namequalifier": qualifier,
            "aws:SourceIp": context.request.client_ip,
        }
        for key, value in (assertion.get("attributes") or {}).items():
            values[f"saml:{key}"] = value
        credentials, session_arn = self._federated_session(
            context,
            role,
            role_account,
            provider_arn,
            "sts:AssumeRoleWithSAML",
            values,
            name,
            duration,
            session_policy,
            policy_arns,
        )
        return {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": f"{role['RoleId']}:{name}", "Arn": session_arn},
            "PackedPolicySize": self._packed_size(params),
            "Subject": assertion.get("subject", ""),
            "SubjectType": assertion.get("subject_type", "persistent"),
            "Issuer": assertion.get("issuer", ""),
            "Audience": assertion.get("audience", ""),
            "NameQualifier": qualifier,
        }

    def _federated_session(
        self,
        context: RequestContext,
        role: dict,
        role_account: str,
        provider: str,
        action: str,
        values: dict,
        name: str,
        duration: int,
        session_policy: str | None,
        policy_arns: list[str],
    ) -> tuple[dict, str]:
        """A web-identity or SAML principal (`provider`) through the role's trust policy: the
        session's credentials and ARN, or AccessDenied."""
        principal = policy.Principal(provider, "", policy.WEB_IDENTITY, name=provider)
        if not self._trust(role, role_account, principal, action, values, context.region, None).allowed:
            raise access_denied(f"Not authorized to perform {action}")
        session_arn = (
            f"arn:{partition(context.region)}:sts::{role_account}:assumed-role/{role['RoleName']}/{name}"
        )
        credentials = self._issue(
            role_account,
            duration,
            {
                "SessionType": "role",
                "RoleName": role["RoleName"],
                "RoleArn": role["Arn"],
                "RoleId": role["RoleId"],
                "SessionName": name,
                "Arn": session_arn,
                "UserId": f"{role['RoleId']}:{name}",
                "MFA": False,
                "SessionPolicy": session_policy,
                "PolicyArns": policy_arns,
                "PrincipalTags": [],
                "TransitiveTagKeys": [],
            },
        )
        return credentials, session_arn

    def credentials_for_service(
        self, role_arn: str, session_name: str, service: str, region: str = "us-east-1", duration: int = 3600
    ) -> dict:
        """Credentials of a role for an AWS service acting as it (Lambda running a function with
        its execution role): the role's trust policy must let `service` (lambda.amazonaws.com)
        assume it, as on AWS. Raises AccessDenied otherwise. Returns AssumeRole's output."""
        _, role = self._role(role_arn, service, "sts:AssumeRole")
        account = role_arn.split(":")[4]
        name = self._session_name(session_name)
        decision = self._trust(
            role,
            account,
            policy.Principal.service(service),
            "sts:AssumeRole",
            {"sts:RoleSessionName": name},
            region,
            None,
        )
        if not decision.allowed:
            raise self._not_authorized(service, "sts:AssumeRole", role["Arn"])
        session_arn = build_arn(
            "sts", region, account, f"assumed-role/{role['RoleName']}/{name}", global_service=True
        )
        credentials = self._issue(
            account,
            min(duration, role["MaxSessionDuration"]),
            {
                "SessionType": "role",
                "RoleName": role["RoleName"],
                "RoleArn": role["Arn"],
                "RoleId": role["RoleId"],
                "SessionName": name,
                "Arn": session_arn,
                "UserId": f"{role['RoleId']}:{name}",
                "MFA": False,
                "SessionPolicy": None,
                "PolicyArns": [],
                "PrincipalTags": [],
                "TransitiveTagKeys": [],
            },
        )
        return {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": f"{role['RoleId']}:{name}", "Arn": session_arn},
        }

    # -- tokens for users ------------------------------------------------------------------------

    def get_session_token(self, context: RequestContext, params: dict) -> dict:
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") == "session":
            raise access_denied("Cannot call GetSessionToken with session credentials")
        is_root = identity.get("Kind") != "user"
        duration = params.get("DurationSeconds") or 43200
        if is_root and duration > 3600:
            duration = 3600  # root sessions last at most an hour, as AWS caps them
        mfa = False
        if params.get("SerialNumber") or params.get("TokenCode"):
            if not self.iam.verify_mfa(
                context.account, params.get("SerialNumber") or "", params.get("TokenCode") or ""
            ):
                raise access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
            mfa = True
        record = {
            "SessionType": "root" if is_root else "user",
            "Arn": context.principal_arn,
            "UserId": context.principal_id,
            "MFA": mfa,
            "MFAAuthTime": now() if mfa else None,
        }
        if not is_root:
            record.update(UserName=identity["UserName"])
        return {"Credentials": self._issue(context.account, duration, record)}

    def get_federation_token(self, context: RequestContext, params: dict) -> dict:
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") == "session":
            raise access_denied("Cannot call GetFederationToken with session credentials")
        name = params["Name"]
        if not re.match(r"^[\w+=,.@-]{2,32}$", name):
            raise validation(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        session_policy, policy_arns = self._session_policies(context.account, params)
        duration = params.get("DurationSeconds") or 43200
        arn = build_arn("sts", context.region, context.account, f"federated-user/{name}", global_service=True)
        credentials = self._issue(
            context.account,
            duration,
            {
                "SessionType": "federated",
                "Arn": arn,
                "UserId": f"{context.account}:{name}",
                "FederatingUser": identity.get("UserName"),
                "SessionPolicy": session_policy,
                "PolicyArns": policy_arns,
                "PrincipalTags": [{"Key": t["Key"], "Value": t["Value"]} for t in params.get("Tags") or []],
                "MFA": False,
            },
        )
        return {
            "Credentials": credentials,
            "FederatedUser": {"FederatedUserId": f"{context.account}:{name}", "Arn": arn},
            "PackedPolicySize": self._packed_size(params),
        }

    def get_access_key_info(self, context: RequestContext, params: dict) -> dict:
        key_id = params["AccessKeyId"]
        record = self.iam.credential(key_id)
        account = record["Account"] if record else ids.account_of_key(key_id)
        if account is None:
            raise validation(
                f"1 validation error detected: Value '{key_id}' at 'accessKeyId' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w]*"
            )
        return {"Account": account}

    # -- authorization messages ------------------------------------------------------------------

    @staticmethod
    def encode_authorization_message(details: dict) -> str:
        """The opaque text services put in an AccessDenied message (EC2's "Encoded
        authorization failure message: ...") for DecodeAuthorizationMessage to read back."""
        return base64.urlsafe_b64encode(zlib.compress(json.dumps(details).encode())).decode().rstrip("=")

    def decode_authorization_message(self, context: RequestContext, params: dict) -> dict:
        text = params["EncodedMessage"]
        try:
            decoded = zlib.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))).decode()
            jsontext.loads(decoded)
        except (ValueError, zlib.error):
            raise ServiceError(
                "InvalidAuthorizationMessageException", "The message provided is not valid.", 400
            ) from None
        return {"DecodedMessage": decoded}
