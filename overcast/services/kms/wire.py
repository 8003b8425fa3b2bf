"""KMS on the wire: errors AWS answers with no message (a ciphertext or signature that does
not check out) carry no `message` member at all."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(json_omit_empty_message=True)
