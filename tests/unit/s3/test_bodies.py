"""aws-chunked decoding, however the body is cut into network reads."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.s3.bodies import AwsChunkedDecoder
from overcast.services.s3.object_ops import parse_range


def encode(payload: bytes, size: int, signed: bool) -> bytes:
    out = b""
    for start in range(0, len(payload), size):
        piece = payload[start : start + size]
        extension = b";chunk-signature=" + b"0" * 64 if signed else b""
        out += f"{len(piece):x}".encode() + extension + b"\r\n" + piece + b"\r\n"
    return (
        out
        + b"0"
        + (b";chunk-signature=" + b"0" * 64 if signed else b"")
        + b"\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"
    )


@pytest.mark.parametrize("cut", [1, 7, 100, 65536])
@pytest.mark.parametrize("signed", [False, True])
def test_decoder_any_cut(cut, signed):
    payload = bytes(range(256)) * 50
    body = encode(payload, 1000, signed)
    decoder = AwsChunkedDecoder()
    out = b""
    for start in range(0, len(body), cut):
        out += b"".join(decoder.feed(body[start : start + cut]))
    assert out == payload
    assert decoder.finish() == {"x-amz-checksum-crc32": "AAAA"}


def test_truncated_body():
    decoder = AwsChunkedDecoder()
    decoder.feed(b"10\r\nshort")
    with pytest.raises(ServiceError) as caught:
        decoder.finish()
    assert caught.value.code == "IncompleteBody"


@pytest.mark.parametrize(
    "text,size,expected",
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=-20", 10, (0, 9)),
        ("bytes=3-", 10, (3, 9)),
        ("bytes=1-2,4-5", 10, None),
        ("items=0-1", 10, None),
        ("bytes=5-2", 10, None),
    ],
)
def test_ranges(text, size, expected):
    assert parse_range(text, size) == expected


def test_unsatisfiable_range():
    with pytest.raises(ServiceError) as caught:
        parse_range("bytes=10-", 10)
    assert (caught.value.code, caught.value.status) == ("InvalidRange", 416)
