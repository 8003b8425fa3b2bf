"""What AssumeRoleWithWebIdentity and AssumeRoleWithSAML read from the identity provider's token:
the claims of an OIDC JWT, the subject and attributes of a SAML assertion.

Issuer, audience, expiry and the trust policy are always checked; signatures (verify.py) only
when IAM is enforced, since a local setup often mints its tokens without a real provider."""

from __future__ import annotations

import base64
import hashlib
import time
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

from overcast.common import jsontext
from overcast.errors import ServiceError

#: Identity providers AWS knows without an IAM OIDC provider (trust policies name them bare).
WELL_KNOWN = frozenset(
    {"accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"}
)

_SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
_AWS_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/"


def _invalid(
    message: str = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
):
    return ServiceError("InvalidIdentityToken", message, 400)


def web_identity_claims(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid()
    try:
        payload = jsontext.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise _invalid() from None
    if not isinstance(payload, dict) or "iss" not in payload:
        raise _invalid()
    expires = payload.get("exp")
    if isinstance(expires, (int, float)) and expires < time.time():
        stamp = datetime.fromtimestamp(expires, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        current = datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        raise ServiceError(
            "ExpiredTokenException",
            f"Token expired: current date/time {current} must be before the expiration date/time {stamp}",
            400,
        )
    return payload


def saml_document(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=False)
    except ValueError:
        raise ServiceError("InvalidIdentityToken", "Invalid SAML response", 400) from None


def saml_assertion(document: bytes) -> dict:
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError:
        raise ServiceError("InvalidIdentityToken", "Invalid SAML response", 400) from None
    assertion = root if root.tag == f"{_SAML}Assertion" else root.find(f".//{_SAML}Assertion")
    if assertion is None:
        raise ServiceError("InvalidIdentityToken", "Invalid SAML response", 400)
    result: dict = {"attributes": {}}
    issuer = assertion.find(f"{_SAML}Issuer")
    result["issuer"] = (issuer.text or "").strip() if issuer is not None else ""
    name_id = assertion.find(f"{_SAML}Subject/{_SAML}NameID")
    if name_id is not None:
        result["subject"] = (name_id.text or "").strip()
        fmt = name_id.get("Format", "")
        result["subject_type"] = fmt.rsplit(":", 1)[-1] if fmt else "persistent"
    audiences = [
        (a.text or "").strip() for a in assertion.iterfind(f".//{_SAML}AudienceRestriction/{_SAML}Audience")
    ]
    result["audiences"] = audiences
    if audiences:
        result["audience"] = audiences[0]
    confirmation = assertion.find(f"{_SAML}Subject/{_SAML}SubjectConfirmation/{_SAML}SubjectConfirmationData")
    if confirmation is not None:
        result["recipient"] = confirmation.get("Recipient")
        if _past(confirmation.get("NotOnOrAfter")):
            result["expired"] = True
    conditions = assertion.find(f"{_SAML}Conditions")
    if conditions is not None and _past(conditions.get("NotOnOrAfter")):
        result["expired"] = True
    result["roles"] = []
    for attribute in assertion.iter(f"{_SAML}Attribute"):
        name = attribute.get("Name", "")
        values = [(v.text or "").strip() for v in attribute.findall(f"{_SAML}AttributeValue")]
        if name == _AWS_ATTRIBUTE + "RoleSessionName" and values:
            result["session_name"] = values[0]
        elif name == _AWS_ATTRIBUTE + "Role":
            # Each value pairs a role with the SAML provider allowed to assume it, in either order.
            for value in values:
                arns = {
                    part.strip().split(":")[5].split("/")[0]
                    if part.strip().count(":") >= 5
                    else "": part.strip()
                    for part in value.split(",")
                }
                if "role" in arns and "saml-provider" in arns:
                    result["roles"].append((arns["role"], arns["saml-provider"]))
        elif name == _AWS_ATTRIBUTE + "SessionDuration" and values and values[0].isdigit():
            result["duration"] = int(values[0])
        elif name.startswith("urn:oid:") or name.startswith(_AWS_ATTRIBUTE) is False:
            short = name.rsplit("/", 1)[-1]
            result["attributes"][short] = values[0] if len(values) == 1 else values
    return result


def _past(stamp: str | None) -> bool:
    """Whether a NotOnOrAfter time has come (False when there is none, or it is no time)."""
    if not stamp:
        return False
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) <= datetime.now(UTC)
    except ValueError:
        return False


#: Audiences (and recipients) AWS's SAML endpoint answers to.
def aws_saml_audiences(region: str) -> set[str]:
    return {
        "https://signin.aws.amazon.com/saml",
        "urn:amazon:webservices",
        f"https://{region}.signin.aws.amazon.com/saml",
    }


def name_qualifier(issuer: str, account: str, provider_name: str) -> str:
    """SAML:namequalifier as AWS documents it: base64(SHA1(issuer + account + "/" + provider))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()).decode()
