"""Signed streaming payloads: the chain of chunk signatures, checked against the worked example
of AWS's "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
Chunks" (SigV4 streaming) page, and tampering caught on both decode paths."""

from __future__ import annotations

import calendar
import hashlib
import hmac

import pytest

from overcast.errors import ServiceError
from overcast.http import BodyStream, Request
from overcast.services.s3.bodies import AwsChunkedDecoder
from overcast.signing import ChunkSigner, signing_key, verify_request

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
CHUNK_2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
FINAL = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
SIGNED_HEADERS = (
    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    "x-amz-decoded-content-length;x-amz-storage-class"
)
EXAMPLE_TIME = calendar.timegm((2013, 5, 24, 0, 0, 0))


def example_body(first: bytes = b"a" * 65536) -> bytes:
    return (
        f"10000;chunk-signature={CHUNK_1}\r\n".encode()
        + first
        + f"\r\n400;chunk-signature={CHUNK_2}\r\n".encode()
        + b"a" * 1024
        + f"\r\n0;chunk-signature={FINAL}\r\n\r\n".encode()
    )


def example_request(body) -> Request:
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        f"SignedHeaders={SIGNED_HEADERS},Signature={SEED}",
    }
    return Request("PUT", "/examplebucket/chunkObject.txt", "", headers, body)


def secrets(key: str) -> str | None:
    return SECRET if key == "AKIAIOSFODNN7EXAMPLE" else None


def example_signer(trailer: bool = False) -> ChunkSigner:
    return ChunkSigner(
        signing_key(SECRET, "20130524", "us-east-1", "s3"),
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        SEED,
        "AKIAIOSFODNN7EXAMPLE",
        trailer=trailer,
    )


def test_aws_worked_example_chain():
    signer = example_signer()
    signer.update(b"a" * 65536)
    signer.end_chunk(CHUNK_1)
    signer.update(b"a" * 1024)
    signer.end_chunk(CHUNK_2)
    signer.end_chunk(FINAL)


def test_aws_worked_example_whole_request_in_memory():
    body = example_body()
    assert len(body) == 66824  # the example's Content-Length
    verify_request(example_request(body), secrets, now=EXAMPLE_TIME)


def test_tampered_chunk_in_memory_is_refused():
    with pytest.raises(ServiceError) as caught:
        verify_request(example_request(example_body(b"b" + b"a" * 65535)), secrets, now=EXAMPLE_TIME)
    assert (caught.value.code, caught.value.status) == ("SignatureDoesNotMatch", 403)
    assert caught.value.fields["SignatureProvided"] == CHUNK_1


def test_streamed_body_gets_a_signer_and_the_decoder_checks_it():
    stream = BodyStream(b"", None)
    stream.aws_chunked = True
    verify_request(example_request(stream), secrets, now=EXAMPLE_TIME)
    assert stream.chunk_signer is not None
    decoder = AwsChunkedDecoder(stream.chunk_signer)
    body = example_body()
    out = []
    for start in range(0, len(body), 777):  # arbitrary network-sized pieces
        out.extend(decoder.feed(body[start : start + 777]))
    assert decoder.finish() == {}
    assert b"".join(out) == b"a" * 66560


@pytest.mark.parametrize("where", [10, 65600, 66600])
def test_streamed_tampering_is_caught_in_any_chunk(where):
    body = bytearray(example_body())
    body[where] ^= 1
    decoder = AwsChunkedDecoder(example_signer())
    with pytest.raises(ServiceError) as caught:
        for start in range(0, len(body), 4096):
            decoder.feed(bytes(body[start : start + 4096]))
        decoder.finish()
    assert caught.value.code in ("SignatureDoesNotMatch", "IncompleteBody")


def test_missing_chunk_signature_is_refused():
    decoder = AwsChunkedDecoder(example_signer())
    with pytest.raises(ServiceError) as caught:
        decoder.feed(b"3\r\nabc\r\n")
    assert caught.value.code == "SignatureDoesNotMatch"


def _hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def test_trailer_signature_chains_from_the_final_chunk():
    key = signing_key(SECRET, "20130524", "us-east-1", "s3")
    scope = "20130524/us-east-1/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    first = _hmac(
        key,
        f"AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n{scope}\n{SEED}\n{empty}\n"
        f"{hashlib.sha256(b'hello').hexdigest()}",
    )
    final = _hmac(key, f"AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n{scope}\n{first}\n{empty}\n{empty}")
    trailer = "x-amz-checksum-crc32:NhCmhg==\n"
    trailer_signature = _hmac(
        key,
        f"AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n{scope}\n{final}\n"
        f"{hashlib.sha256(trailer.encode()).hexdigest()}",
    )
    body = (
        f"5;chunk-signature={first}\r\nhello\r\n0;chunk-signature={final}\r\n"
        f"x-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:{trailer_signature}\r\n\r\n"
    ).encode()
    decoder = AwsChunkedDecoder(example_signer(trailer=True))
    assert decoder.feed(body) == [b"hello"]
    assert decoder.finish()["x-amz-checksum-crc32"] == "NhCmhg=="
    example_signer(trailer=True).verify_framed(body)
    forged = body.replace(b"NhCmhg==", b"AAAAAA==")
    decoder = AwsChunkedDecoder(example_signer(trailer=True))
    decoder.feed(forged)
    with pytest.raises(ServiceError):
        decoder.finish()
    with pytest.raises(ServiceError):
        example_signer(trailer=True).verify_framed(forged)


def test_unsigned_decoding_is_unchanged():
    decoder = AwsChunkedDecoder()
    assert decoder.feed(
        b"5;chunk-signature=bogus\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
    ) == [b"hello"]
    assert decoder.finish() == {"x-amz-checksum-crc32": "NhCmhg=="}
