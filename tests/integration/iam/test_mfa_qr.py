"""CreateVirtualMFADevice's QRCodePNG: a real PNG whose QR code is the otpauth URI AWS documents,
and whose seed drives EnableMFADevice."""

from __future__ import annotations

import struct
import zlib

import segno

from tests.integration.iam.conftest import now_step, totp, unique


def png_pixels(data: bytes) -> list[list[int]]:
    """A greyscale PNG's pixels (0 dark, else light), decoded here from the file format itself."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, header, compressed = 8, None, b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        assert (
            zlib.crc32(kind + body)
            == struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])[0]
        )
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert colour == 0 and depth in (1, 8) and interlace == 0
    raw = zlib.decompress(compressed)
    stride = (width * depth + 7) // 8
    rows, previous, position = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[position], bytearray(raw[position + 1 : position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                nearest = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                line[i] = (line[i] + nearest) & 0xFF
        previous = line
        if depth == 8:
            rows.append(list(line[:width]))
        else:
            rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
    return rows


def qr_modules(pixels: list[list[int]]) -> list[list[bool]]:
    """The QR symbol's dark modules, sampled at each module's centre, whatever scale and border."""
    dark = [(y, x) for y, row in enumerate(pixels) for x, value in enumerate(row) if value == 0]
    top, left = min(y for y, _ in dark), min(x for _, x in dark)
    bottom, right = max(y for y, _ in dark), max(x for _, x in dark)
    # The top-left finder pattern is 7 modules wide and starts with a dark run.
    run = 0
    while pixels[top][left + run] == 0:
        run += 1
    scale = run // 7
    size = (right - left + 1) // scale
    assert size == (bottom - top + 1) // scale
    return [
        [pixels[top + r * scale + scale // 2][left + c * scale + scale // 2] == 0 for c in range(size)]
        for r in range(size)
    ]


def expected_modules(text: str) -> list[list[bool]]:
    return [[bool(value) for value in row] for row in segno.make_qr(text, error="m").matrix]


def test_qr_code_encodes_the_documented_otpauth_uri_and_the_seed_enables_the_device(signed):
    account = "210987654321"
    iam = signed("iam", account)
    name = unique("qr")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    png = device["QRCodePNG"]
    pixels = png_pixels(png)
    assert 100 <= len(pixels) <= 1000 and len(pixels) == len(pixels[0])
    modules = qr_modules(pixels)
    assert modules == expected_modules(f"otpauth://totp/{name}@{account}?secret={seed}")
    other = seed[:-1] + ("B" if seed.endswith("A") else "A")  # a seed that differs in its last character
    assert modules != expected_modules(f"otpauth://totp/{name}@{account}?secret={other}")

    user = unique("qr-user")
    iam.create_user(UserName=user)
    step = now_step()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, step),
        AuthenticationCode2=totp(seed, step + 1),
    )
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]] == [
        device["SerialNumber"]
    ]


def test_qr_code_names_the_account_alias_when_there_is_one(signed):
    account = "210987654322"
    iam = signed("iam", account)
    alias = unique("qralias")
    iam.create_account_alias(AccountAlias=alias)
    try:
        name = unique("qr")
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        seed = device["Base32StringSeed"].decode()
        assert qr_modules(png_pixels(device["QRCodePNG"])) == expected_modules(
            f"otpauth://totp/{name}@{alias}?secret={seed}"
        )
    finally:
        iam.delete_account_alias(AccountAlias=alias)


def test_the_cli_writes_the_qr_code_to_a_file(aws, tmp_path):
    name = unique("qrcli")
    outfile = tmp_path / "QRCode.png"
    out = aws(
        "iam",
        "create-virtual-mfa-device",
        "--virtual-mfa-device-name",
        name,
        "--outfile",
        str(outfile),
        "--bootstrap-method",
        "QRCodePNG",
    )
    serial = out["VirtualMFADevice"]["SerialNumber"]
    devices = aws("iam", "list-virtual-mfa-devices")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in devices]
    modules = qr_modules(png_pixels(outfile.read_bytes()))
    assert len(modules) == len(expected_modules(f"otpauth://totp/{name}@000000000000?secret=" + "A" * 64))
