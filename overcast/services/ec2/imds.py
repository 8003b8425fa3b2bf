"""The instance metadata service (IMDS) of one instance at a time, on
/_aws/imds/<instance-id>/latest/... (point AWS_EC2_METADATA_SERVICE_ENDPOINT at
http://127.0.0.1:4566/_aws/imds/<instance-id>/ and the SDKs inside "the instance" find it), or on
a port of its own with `overcast imds --instance i-...`.

IMDSv2 (PUT /latest/api/token with a TTL, then X-aws-ec2-metadata-token) and IMDSv1 (no token,
unless the instance's HttpTokens is "required": 401). The role credentials under
iam/security-credentials/<role> are real STS session credentials of the instance profile's role
(its trust policy must let ec2.amazonaws.com assume it), renewed before they expire."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.ec2 import catalog
from overcast.services.ec2.base import Ctx
from overcast.services.ec2.core import Record
from overcast.services.ec2.instances import InstanceMixin

TOKEN_HEADER = "x-aws-ec2-metadata-token"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
#: Credentials are handed out again this long before they expire, as the real IMDS does.
RENEW_MARGIN = 15 * 60
EC2_PRINCIPAL = "ec2.amazonaws.com"


def _text(status: int, body: str, content_type: str = "text/plain") -> Response:
    return Response(status, {"Content-Type": content_type, "Server": "EC2ws"}, body.encode())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The row of an instance's keys pushed by EC2 Instance Connect (followed by its id).
MANAGED_KEYS = "_ssh-keys "


def _live_keys(pushed: list[dict[str, Any]]) -> dict[str, str]:
    """The unexpired keys EC2 Instance Connect pushed, by OS user (serial console keys are
    not the metadata's)."""
    now = time.time()
    out: dict[str, list[str]] = {}
    for key in pushed:
        if key["expires"] > now and not key["slot"].startswith("serial-port-"):
            out.setdefault(key["slot"], []).append(key["key"])
    return {user: "\n".join(keys) for user, keys in out.items()}


class ImdsMixin(InstanceMixin):
    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.imds_tokens: dict[str, tuple[str, float]] = {}
        self.imds_credentials: dict[str, dict[str, Any]] = {}
        self._signer: tuple[Any, Any] | None = None

    def imds_credentials_forget(self, instance_id: str) -> None:
        for key in [k for k in self.imds_credentials if k.startswith(instance_id + "/")]:
            del self.imds_credentials[key]

    def _instance_anywhere(self, instance_id: str) -> tuple[Ctx, Record] | None:
        for scope, state in list(self.states.items()):
            record = state.kind("i").get(instance_id)
            if record is not None:
                return self.ctx_of_scope(scope), record
        return None

    def serve_imds(self, request: Request, match: Any, context: RequestContext) -> Response:
        found = self._instance_anywhere(match.group("instance"))
        if found is None:
            return _text(404, "Not Found")
        ctx, instance = found
        return self.imds_answer(ctx, instance, request.method, match.group("path") or "/", request.headers)

    def imds_answer(
        self, ctx: Ctx, instance: Record, method: str, path: str, headers: dict[str, str]
    ) -> Response:
        options = instance["MetadataOptions"]
        if options.get("HttpEndpoint") == "disabled" or instance["State"]["Name"] != "running":
            return _text(403, "Forbidden")
        path = path.split("?", 1)[0]
        if path == "/latest/api/token":
            if method != "PUT":
                return _text(405, "Method Not Allowed")
            if "x-forwarded-for" in headers:
                return _text(403, "Forbidden")
            try:
                ttl = int(headers.get(TTL_HEADER, ""))
            except ValueError:
                return _text(400, "Bad Request")
            if not 1 <= ttl <= 21600:
                return _text(400, "Bad Request")
            token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
            now = time.time()
            self.imds_tokens = {k: v for k, v in self.imds_tokens.items() if v[1] > now}
            self.imds_tokens[token] = (instance["InstanceId"], now + ttl)
            response = _text(200, token)
            response.headers[TTL_HEADER] = str(ttl)
            return response
        given = headers.get(TOKEN_HEADER)
        if given is not None:
            held = self.imds_tokens.get(given)
            if held is None or held[0] != instance["InstanceId"] or held[1] < time.time():
                return _text(401, "Unauthorized")
        elif options.get("HttpTokens") == "required":
            return _text(401, "Unauthorized")
        if method not in ("GET", "HEAD"):
            return _text(405, "Method Not Allowed")
        if not path.startswith("/latest/"):
            return _text(404, "Not Found") if path not in ("/", "/latest") else _text(200, "latest")
        rest = path[len("/latest/") :]
        if rest in ("", "/"):
            return _text(200, "dynamic\nmeta-data\nuser-data")
        if rest == "user-data":
            data = instance.get("_user_data")
            if not data:
                return _text(404, "Not Found")
            return Response(
                200, {"Content-Type": "application/octet-stream", "Server": "EC2ws"}, base64.b64decode(data)
            )
        try:
            if rest.startswith("dynamic"):
                value = self._walk(self._dynamic(ctx, instance), rest[len("dynamic") :])
            elif rest.startswith("meta-data"):
                value = self._walk(self._metadata(ctx, instance), rest[len("meta-data") :])
            else:
                return _text(404, "Not Found")
        except ServiceError as error:
            return _text(404 if error.status == 404 else 500, error.message)
        if value is None:
            return _text(404, "Not Found")
        return _text(200, value)

    @staticmethod
    def _walk(tree: Any, path: str) -> str | None:
        node = tree
        for part in [p for p in path.split("/") if p]:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
            if callable(node):
                node = node()
            if node is None:
                return None
        if callable(node):
            node = node()
        if isinstance(node, dict):
            return "\n".join(f"{k}/" if isinstance(v, dict) else k for k, v in node.items())
        return node if isinstance(node, str) else None

    def _metadata(self, ctx: Ctx, instance: Record) -> dict[str, Any]:
        primary = instance["NetworkInterfaces"][0] if instance["NetworkInterfaces"] else None
        vpc = self.find(ctx, "vpc", instance.get("VpcId"))
        subnet = self.find(ctx, "subnet", instance.get("SubnetId"))
        macs: dict[str, Any] = {}
        for item in instance["NetworkInterfaces"]:
            entry: dict[str, Any] = {
                "device-number": str(item["Attachment"]["DeviceIndex"]),
                "interface-id": item["NetworkInterfaceId"],
                "local-hostname": item["PrivateDnsName"],
                "local-ipv4s": "\n".join(p["PrivateIpAddress"] for p in item["PrivateIpAddresses"]),
                "mac": item["MacAddress"],
                "owner-id": ctx.account,
                "security-group-ids": "\n".join(g["GroupId"] for g in item["Groups"]),
                "security-groups": "\n".join(g["GroupName"] for g in item["Groups"]),
                "subnet-id": item["SubnetId"],
                "vpc-id": item["VpcId"],
            }
            if subnet is not None:
                entry["subnet-ipv4-cidr-block"] = subnet["CidrBlock"]
            if vpc is not None:
                entry["vpc-ipv4-cidr-block"] = vpc["CidrBlock"]
                entry["vpc-ipv4-cidr-blocks"] = "\n".join(
                    c["CidrBlock"] for c in vpc["CidrBlockAssociationSet"]
                )
            if item.get("Association"):
                entry["public-hostname"] = item["Association"].get("PublicDnsName", "")
                entry["public-ipv4s"] = item["Association"]["PublicIp"]
            macs[item["MacAddress"]] = entry
        tree: dict[str, Any] = {
            "ami-id": instance["ImageId"],
            "ami-launch-index": str(instance["AmiLaunchIndex"]),
            "ami-manifest-path": "(unknown)",
            "block-device-mapping": {
                "ami": instance["RootDeviceName"].rsplit("/", 1)[-1],
                "root": instance["RootDeviceName"],
            },
            "events": {"maintenance": {"history": "[]", "scheduled": "[]"}},
            "hostname": instance["PrivateDnsName"],
            "instance-action": "none",
            "instance-id": instance["InstanceId"],
            "instance-life-cycle": "on-demand",
            "instance-type": instance["InstanceType"],
            "local-hostname": instance["PrivateDnsName"],
            "local-ipv4": instance.get("PrivateIpAddress", ""),
            "mac": primary["MacAddress"] if primary else "",
            "metrics": {"vhostmd": '<?xml version="1.0" encoding="UTF-8"?>'},
            "network": {"interfaces": {"macs": macs}},
            "placement": {
                "availability-zone": instance["Placement"]["AvailabilityZone"],
                "availability-zone-id": instance["Placement"].get("AvailabilityZoneId", ""),
                "region": ctx.region,
            },
            "profile": "default-hvm",
            "reservation-id": instance["_reservation"],
            "security-groups": "\n".join(g["GroupName"] for g in instance["SecurityGroups"]),
            "services": {"domain": "amazonaws.com", "partition": catalog.regions().get(ctx.region, "aws")},
            "system": "nitro",
        }
        if instance.get("PublicIpAddress"):
            tree["public-hostname"] = instance["PublicDnsName"]
            tree["public-ipv4"] = instance["PublicIpAddress"]
        if instance.get("KeyName"):
            key = self.key_by_name(ctx, instance["KeyName"])
            if key is not None:
                tree["public-keys"] = {
                    f"0={key['KeyName']}": {"openssh-key": f"{key['PublicKey']} {key['KeyName']}"}
                }
        pushed = _live_keys(self.resources.get(ctx.scope, MANAGED_KEYS + instance["InstanceId"]) or [])
        if pushed:
            tree["managed-ssh-keys"] = {"active-keys": pushed}
        if instance.get("_profile"):
            tree["iam"] = {
                "info": lambda: self._iam_info(ctx, instance),
                "security-credentials": lambda: self._credentials_tree(ctx, instance),
            }
        if instance["MetadataOptions"].get("InstanceMetadataTags") == "enabled":
            tree["tags"] = {"instance": {t["Key"]: t["Value"] for t in instance.get("Tags") or []}}
        return tree

    def _role(self, ctx: Ctx, instance: Record) -> dict[str, Any] | None:
        iam = self.runtime.provider("iam")
        context = RequestContext.internal("ec2", ctx.account, ctx.region)
        try:
            profile = iam.get_instance_profile(context, {"InstanceProfileName": instance["_profile"]})[
                "InstanceProfile"
            ]
        except ServiceError:
            return None
        roles = profile.get("Roles") or []
        return {"profile": profile, "role": roles[0] if roles else None}

    def _iam_info(self, ctx: Ctx, instance: Record) -> str | None:
        found = self._role(ctx, instance)
        if found is None:
            return None
        return json.dumps(
            {
                "Code": "Success",
                "LastUpdated": _iso(datetime.now(UTC)),
                "InstanceProfileArn": found["profile"]["Arn"],
                "InstanceProfileId": found["profile"]["InstanceProfileId"],
            },
            indent=2,
        )

    def _credentials_tree(self, ctx: Ctx, instance: Record) -> dict[str, Any] | None:
        found = self._role(ctx, instance)
        if found is None or found["role"] is None:
            return {}
        role = found["role"]
        return {role["RoleName"]: lambda: self._credentials(ctx, instance, role)}

    def _credentials(self, ctx: Ctx, instance: Record, role: dict[str, Any]) -> str:
        key = f"{instance['InstanceId']}/{role['Arn']}"
        held = self.imds_credentials.get(key)
        if held is None or held["renew_at"] <= time.time():
            sts = self.runtime.provider("sts")
            try:
                issued = sts.credentials_for_service(
                    role["Arn"], instance["InstanceId"], EC2_PRINCIPAL, ctx.region, duration=6 * 3600
                )
            except ServiceError as error:
                return json.dumps(
                    {
                        "Code": "AssumeRoleUnauthorizedAccess",
                        "Message": error.message,
                        "LastUpdated": _iso(datetime.now(UTC)),
                    },
                    indent=2,
                )
            credentials = issued["Credentials"]
            expiration = credentials["Expiration"]
            if not isinstance(expiration, datetime):
                expiration = datetime.fromtimestamp(float(expiration), UTC)
            held = {
                "body": {
                    "Code": "Success",
                    "LastUpdated": _iso(datetime.now(UTC)),
                    "Type": "AWS-HMAC",
                    "AccessKeyId": credentials["AccessKeyId"],
                    "SecretAccessKey": credentials["SecretAccessKey"],
                    "Token": credentials["SessionToken"],
                    "Expiration": _iso(expiration),
                },
                "renew_at": expiration.timestamp() - RENEW_MARGIN,
            }
            self.imds_credentials[key] = held
        return json.dumps(held["body"], indent=2)

    # -- dynamic/instance-identity ---------------------------------------------------------------

    def _document(self, ctx: Ctx, instance: Record) -> str:
        return json.dumps(
            {
                "accountId": ctx.account,
                "architecture": instance["Architecture"],
                "availabilityZone": instance["Placement"]["AvailabilityZone"],
                "billingProducts": None,
                "devpayProductCodes": None,
                "marketplaceProductCodes": None,
                "imageId": instance["ImageId"],
                "instanceId": instance["InstanceId"],
                "instanceType": instance["InstanceType"],
                "kernelId": None,
                "pendingTime": _iso(instance["LaunchTime"]),
                "privateIp": instance.get("PrivateIpAddress"),
                "ramdiskId": None,
                "region": ctx.region,
                "version": "2017-09-30",
            },
            indent=2,
        )

    def _identity_signer(self) -> tuple[Any, Any]:
        """The RSA-2048 key and certificate identity documents are signed with: made once, kept
        in the store so signatures verify across restarts."""
        if self._signer is not None:
            return self._signer
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        stored = self.resources.get("global", "_identity_key")
        if stored is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon Web Services LLC")])
            now = datetime.now(UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=3650))
                .sign(key, hashes.SHA256())
            )
            stored = {
                "key": key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
            }
            self.resources.put("global", "_identity_key", stored)
        loaded: Any = serialization.load_pem_private_key(stored["key"].encode(), None)
        cert = x509.load_pem_x509_certificate(stored["cert"].encode())
        self._signer = (loaded, cert)
        return self._signer

    def identity_certificate(self) -> str:
        """The PEM certificate that verifies the identity documents' signatures."""
        from cryptography.hazmat.primitives import serialization

        return self._identity_signer()[1].public_bytes(serialization.Encoding.PEM).decode()

    def _signature(self, document: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        key, _cert = self._identity_signer()
        return (
            base64.encodebytes(key.sign(document.encode(), padding.PKCS1v15(), hashes.SHA256()))
            .decode()
            .strip()
        )

    def _pkcs7(self, document: str) -> str:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.serialization import pkcs7

        key, cert = self._identity_signer()
        signed = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(document.encode())
            .add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.NoCerts])
        )
        text = base64.encodebytes(signed).decode().strip()
        return text

    def _dynamic(self, ctx: Ctx, instance: Record) -> dict[str, Any]:
        document = self._document(ctx, instance)
        return {
            "instance-identity": {
                "document": document,
                "signature": lambda: self._signature(document),
                "pkcs7": lambda: self._pkcs7(document),
                "rsa2048": lambda: self._pkcs7(document),
            }
        }
