"""The encryption context bound into every symmetric blob: its canonical bytes never change,
whichever way they are built, or existing ciphertexts would stop opening."""

from __future__ import annotations

import json
import os

import pytest

from overcast.services.kms import crypto


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"b": "2", "a": "1"},
        {"SecretARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:x", "SecretVersionId": "v"},
        {"ü": '\u2028"quoted"\\', "tab\t": "\x00\x1f", "emoji": "\U0001f600", "": ""},
    ],
)
def test_canonical_context_is_compact_sorted_json(context):
    expected = json.dumps(dict(sorted((context or {}).items())), separators=(",", ":")).encode()
    assert crypto.canonical_context(context) == expected


def test_a_blob_opens_only_with_its_context():
    material = os.urandom(32)
    context = {"purpose": "test", "ü": "x"}
    blob = crypto.seal(
        "k" * crypto.KEY_ID_LENGTH, "ab" * crypto.MATERIAL_ID_LENGTH, material, b"secret", context
    )
    assert crypto.open_blob(blob, material, dict(reversed(list(context.items())))) == b"secret"
    with pytest.raises(crypto.BadCiphertext):
        crypto.open_blob(blob, material, {"purpose": "other", "ü": "x"})
