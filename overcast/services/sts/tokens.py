"""STS's newer operations: scoped-down credentials (GetScopedCredentials), privileged root
sessions (AssumeRoot), delegated access (GetDelegatedAccessToken), outbound web identity tokens
and the workload identity operations (GetCertificate, GetTrustBundles,
IssueWorkloadIdentityContext).

GetScopedCredentials runs for real, and GetWebIdentityToken signs real JWTs once IAM's outbound
web identity federation is enabled for the account (outbound.py). The others need something an
account has to set up first — an organization with centralized root access, an IAM delegation
request, a workload identity provider with signers — that no Overcast account has, so each
answers what AWS answers an account without it, after checking its input as AWS does."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.iam.base import now
from overcast.services.sts import outbound
from overcast.services.sts.errors import access_denied, validation

if TYPE_CHECKING:
    from overcast.services.sts.provider import Provider

#: AWS's managed policies that scope a root session (AssumeRoot's TaskPolicyArn).
ROOT_TASK_POLICIES = frozenset(
    {
        "IAMAuditRootUserCredentials",
        "IAMCreateRootUserPassword",
        "IAMDeleteRootUserCredentials",
        "S3UnlockBucketPolicy",
        "SQSUnlockQueuePolicy",
    }
)
SIGNING_ALGORITHMS = ("RS256", "ES384")
_TARGET = re.compile(r"\d{12}|arn:[\w-]+:iam::\d{12}:root")
#: RSA keys of at least this size, and these curves, are what a signer accepts in a CSR.
_MIN_RSA_BITS = 2048


def _seconds_left(identity: dict) -> int:
    expiration = identity.get("Expiration")
    if not isinstance(expiration, datetime):
        return 0
    return int((expiration - now()).total_seconds())


class TokenMixin:
    # -- GetScopedCredentials ------------------------------------------------------------------

    def get_scoped_credentials(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") != "session" or identity.get("Status", "Active") != "Active":
            raise ServiceError(
                "InvalidSubjectCredentials",
                "GetScopedCredentials must be called with temporary security credentials; "
                "IAM user and root credentials cannot be scoped down.",
                400,
            )
        left = _seconds_left(identity)
        duration = params.get("DurationSeconds") or left
        if duration > left or left <= 0:
            raise ServiceError(
                "InsufficientSessionLifetime",
                f"The requested DurationSeconds ({duration}) is greater than the remaining lifetime "
                f"of the calling session ({max(left, 0)} seconds).",
                400,
            )
        account = identity.get("Account") or context.account
        scope_policy, _arns = self._session_policies(account, {"Policy": params.get("Policy")})
        record: dict[str, Any] = {
            key: value
            for key, value in identity.items()
            if key
            not in (
                "AccessKeyId",
                "Secret",
                "SessionToken",
                "CreateDate",
                "Expiration",
                "Status",
                "Kind",
                "Account",
            )
        }
        scoped = list(identity.get("ScopedPolicies") or [])
        if scope_policy:
            if record.get("SessionPolicy") or record.get("PolicyArns"):
                scoped.append(scope_policy)  # a further bound on a session that already has one
            else:
                record["SessionPolicy"] = scope_policy
        record["ScopedPolicies"] = scoped
        session_id = f"{identity.get('UserId') or context.principal_id}:{secrets.token_hex(8)}"
        record["ScopedSessionId"] = session_id
        if params.get("ScopedSessionDescription"):
            record["ScopedSessionDescription"] = params["ScopedSessionDescription"]
        credentials = self._issue(account, duration, record)
        out: dict[str, Any] = {
            "Credentials": credentials,
            "SessionInfo": {
                "ScopedSessionId": session_id[:193],
                "Arn": identity.get("Arn") or context.principal_arn,
            },
            "SessionTokenSize": len(credentials["SessionToken"]),
            "ScopedPoliciesCount": int(bool(record.get("SessionPolicy"))) + len(scoped),
        }
        if identity.get("SourceIdentity"):
            out["SourceIdentity"] = identity["SourceIdentity"]
        return out

    # -- AssumeRoot ------------------------------------------------------------------------------

    def assume_root(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        target = params["TargetPrincipal"]
        if not _TARGET.fullmatch(target):
            raise validation(f"TargetPrincipal {target} is not an account ID or an account's root user ARN.")
        task_policy = params["TaskPolicyArn"]["arn"]
        if (
            task_policy.rsplit("/", 1)[-1] not in ROOT_TASK_POLICIES
            or ":policy/root-task/" not in task_policy
        ):
            raise validation(f"TaskPolicyArn {task_policy} is not a root task policy.")
        identity = context.extra.get("identity") or {}
        if identity.get("Kind") not in ("user", "session") or identity.get("SessionType") == "root":
            raise access_denied("Root user credentials cannot be used to call AssumeRoot.")
        # Root sessions exist only in an organization with centralized root access, called from
        # its management account or a delegated administrator; no Overcast account is in one.
        account = target if target.isdigit() else target.split(":")[4]
        raise self._not_authorized(context.principal_arn, "sts:AssumeRoot", f"arn:aws:iam::{account}:root")

    # -- delegation --------------------------------------------------------------------------------

    def get_delegated_access_token(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # A trade-in token comes from an accepted IAM delegation request; none exists, so no
        # token given can be exchanged.
        raise ServiceError(
            "ExpiredTradeInTokenException",
            "The trade-in token has expired or is not valid. Request a new token and retry.",
            400,
        )

    # -- outbound identity ---------------------------------------------------------------------------

    def get_web_identity_token(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params["SigningAlgorithm"] not in SIGNING_ALGORITHMS:
            raise validation(
                f"1 validation error detected: Value '{params['SigningAlgorithm']}' at 'signingAlgorithm' "
                f"failed to satisfy constraint: Member must satisfy enum value set: {list(SIGNING_ALGORITHMS)}"
            )
        if params.get("TokenType") == "JWT_SVID":
            if len(params["Audience"]) != 1:
                raise validation("A JWT-SVID must have exactly one audience.")
            raise access_denied("The calling session does not have a workload identity.")
        identity = context.extra.get("identity") or {}
        account = identity.get("Account") or context.account
        federation = self.iam.outbound_federation(account)
        if federation is None:
            raise ServiceError(
                "OutboundWebIdentityFederationDisabledException",
                "Outbound web identity federation is not enabled for this account.",
                403,
            )
        # For a role session the token names the role, as AWS documents.
        principal = identity.get("RoleArn") or identity.get("Arn") or context.principal_arn
        duration = params.get("DurationSeconds") or outbound.DEFAULT_DURATION
        claims = outbound.claims(
            federation["IssuerIdentifier"],
            params["Audience"],
            principal,
            duration,
            account,
            context.region,
            principal,
            {t["Key"]: t["Value"] for t in identity.get("PrincipalTags") or []},
            {t["Key"]: t["Value"] for t in params.get("Tags") or []},
            params.get("Scope"),
        )
        token = self.outbound_keys.token(account, params["SigningAlgorithm"], claims)
        return {"WebIdentityToken": token, "Expiration": datetime.fromtimestamp(claims["exp"], UTC)}

    def web_identity_jwks(self: Provider, account: str) -> dict:  # type: ignore[misc]
        """The key set the account's issuer publishes (/.well-known/jwks.json): what verifies
        the tokens GetWebIdentityToken signed."""
        return self.outbound_keys.jwks(account)

    # -- workload identity ---------------------------------------------------------------------------

    def get_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # cryptography costs a few MB once imported: only a certificate request loads it.
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        curves = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
        text = params["CertificateSigningRequest"]
        try:
            request = x509.load_pem_x509_csr(text.encode())
            valid = request.is_signature_valid
            key = request.public_key()
        except (ValueError, TypeError, x509.UnsupportedGeneralNameType):
            valid, key = False, None
        supported = (isinstance(key, rsa.RSAPublicKey) and key.key_size >= _MIN_RSA_BITS) or (
            isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curves)
        )
        if not valid or not supported:
            raise ServiceError(
                "MalformedCertificateSigningRequestException",
                "The certificate signing request is not a valid PEM-encoded PKCS #10 request with a "
                "verifiable signature and a supported key type and size.",
                400,
            )
        raise access_denied("The calling session does not have a workload identity.")

    def get_trust_bundles(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["ProviderArn"]
        raise ServiceError(
            "ResourceNotFoundException",
            f"The workload identity provider {arn} does not exist or you don't have access to it.",
            404,
            ResourceId=arn,
            ResourceType="WorkloadIdentityProvider",
        )

    def issue_workload_identity_context(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # AWS services call this with their own service credentials for the workloads they run;
        # a user or role session is never allowed to.
        raise self._not_authorized(
            context.principal_arn,
            "sts:IssueWorkloadIdentityContext",
            params.get("WorkloadIdentityTemplateArn") or "*",
        )
