"""EC2 Instance Connect: push an SSH public key to a running instance for 60 seconds, for an
OS user (SendSSHPublicKey: the instance's metadata lists it under
managed-ssh-keys/active-keys/<user>, where the instance's sshd reads it) or for its serial
console (SendSerialConsoleSSHPublicKey, which the account's serial console access must allow)."""

from __future__ import annotations

import re
import time
from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider

#: How long a pushed key stays usable.
KEY_SECONDS = 60
#: The key types Instance Connect takes (RSA of at least 2048 bits, ED25519, ECDSA).
_KEY = re.compile(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)) [A-Za-z0-9+/=]+( .*)?$")


def _error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def _check_key(text: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    refused = _error(
        "InvalidArgsException", "The SSH public key is not a valid RSA, ED25519 or ECDSA OpenSSH key."
    )
    if not _KEY.match(text.strip()):
        raise refused
    try:
        key = load_ssh_public_key(text.strip().encode())
    except (ValueError, TypeError):
        raise refused from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise _error("InvalidArgsException", "RSA keys must be at least 2048 bits long.")


class Provider(BaseProvider):
    service = "ec2-instance-connect"

    def _running(self, context: RequestContext, instance_id: str, zone: str | None = None) -> dict[str, Any]:
        ec2 = self.runtime.provider("ec2")
        instance = ec2.find_instance(context.account, context.region, instance_id)
        if instance is None or (zone and instance["Placement"]["AvailabilityZone"] != zone):
            raise _error(
                "EC2InstanceNotFoundException", f"Instance {instance_id} was not found in this Region."
            )
        state = instance["State"]["Name"]
        if state != "running":
            raise _error(
                "EC2InstanceStateInvalidException",
                f"Instance {instance_id} is {state}: keys can be pushed to running instances only.",
            )
        return instance

    def send_ssh_public_key(self, context: RequestContext, params: dict) -> dict:
        _check_key(params["SSHPublicKey"])
        instance = self._running(context, params["InstanceId"], params.get("AvailabilityZone"))
        self.runtime.provider("ec2").push_ssh_key(
            context.account, context.region, instance["InstanceId"], params["InstanceOSUser"],
            params["SSHPublicKey"].strip(), time.time() + KEY_SECONDS,
        )  # fmt: skip
        return {"RequestId": context.request_id, "Success": True}

    def send_serial_console_ssh_public_key(self, context: RequestContext, params: dict) -> dict:
        _check_key(params["SSHPublicKey"])
        port = params.get("SerialPort") or 0  # the model allows port 0 only
        ec2 = self.runtime.provider("ec2")
        if not ec2.serial_console_enabled(context.account, context.region):
            raise _error(
                "SerialConsoleAccessDisabledException",
                "Your requested instance does not support serial console access because serial console access "
                "is disabled for your account. Enable it with EnableSerialConsoleAccess.",
            )
        instance = self._running(context, params["InstanceId"])
        ec2.push_ssh_key(context.account, context.region, instance["InstanceId"], f"serial-port-{port}",
                         params["SSHPublicKey"].strip(), time.time() + KEY_SECONDS)  # fmt: skip
        return {"RequestId": context.request_id, "Success": True}
