"""Deployment packages and layer contents: zips stored by their SHA-256 under the store's files
directory, unpacked once into a scratch directory that environments run from."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import secrets
import shutil
import stat
import threading
import time
import zipfile
from pathlib import Path

from overcast.errors import ServiceError

_lock = threading.Lock()
_READABLE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
#: Where packages and layers are unpacked. Renamed when what is unpacked there changes (v2:
#: readable by functions' own users); the older folders are scratch, removed at start.
UNPACKED, OPT = ".unpacked.v2", ".opt.v2"
_OLDER = (".unpacked", ".opt")
#: How long a Code.Location / Content.Location URL works (AWS's presigned URLs: 10 minutes).
LOCATION_SECONDS = 600
#: Lambda's limit on a deployment package's or a layer's contents, unzipped.
MAX_UNZIPPED = 250 * 1024 * 1024


def invalid_zip() -> ServiceError:
    return ServiceError(
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
        400,
        Type="User",
    )


class CodeStore:
    def __init__(self, files_dir: Path) -> None:
        self.root = files_dir
        for older in _OLDER:
            shutil.rmtree(files_dir / older, ignore_errors=True)
        #: Signs download URLs; a new one per process, so a URL never outlives its server.
        self._url_key = secrets.token_bytes(32)

    def location(self, host: str, file_id: str) -> str:
        """A URL that downloads a package for LOCATION_SECONDS, as AWS's presigned S3 URL does:
        only those who were given it can use it (the package's digest alone is not enough)."""
        expires = int(time.time()) + LOCATION_SECONDS
        return f"http://{host}/_overcast/lambda/code/{file_id}.zip?expires={expires}&signature={self._sign(file_id, expires)}"

    def location_valid(self, file_id: str, query: dict[str, list[str]]) -> bool:
        expires, signature = query.get("expires", [""])[0], query.get("signature", [""])[0]
        if not expires.isdigit() or len(expires) > 12 or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._sign(file_id, int(expires)), signature)

    def _sign(self, file_id: str, expires: int) -> str:
        return hmac.new(self._url_key, f"{file_id}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def save(self, data: bytes) -> dict:
        """Store a zip; returns its CodeSha256 (base64), size and file id (hex digest)."""
        if not data or not zipfile.is_zipfile(io.BytesIO(data)):
            raise invalid_zip()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # The sizes the zip declares, summed before anything is expanded: a small zip
                # can declare gigabytes. Expanding never trusts them further (zipfile stops at
                # a member's declared size and its CRC check fails on a member that lied).
                unzipped = sum(info.file_size for info in archive.infolist())
                if unzipped >= MAX_UNZIPPED:  # "smaller than": the limit itself is refused
                    raise ServiceError(
                        "InvalidParameterValueException",
                        f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes",
                        400,
                        Type="User",
                    )
                if archive.testzip() is not None:
                    raise invalid_zip()
        except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, OSError):
            raise invalid_zip() from None
        digest = hashlib.sha256(data)
        file_id = digest.hexdigest()
        target = self.root / "code" / f"{file_id}.zip"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            scratch = target.parent / f".{file_id}.{os.getpid()}.{threading.get_ident()}"
            scratch.write_bytes(data)
            os.replace(scratch, target)
        return {"sha256": base64.b64encode(digest.digest()).decode(), "size": len(data), "file": file_id}

    def zip_path(self, file_id: str) -> Path:
        return self.root / "code" / f"{file_id}.zip"

    def unpacked(self, file_id: str) -> str:
        """The directory holding a package's files (unpacked on first use)."""
        target = self.root / UNPACKED / file_id
        if target.is_dir():
            return str(target)
        with _lock:
            if not target.is_dir():
                scratch = target.parent / f".{file_id}.tmp"
                shutil.rmtree(scratch, ignore_errors=True)
                scratch.mkdir(parents=True)
                _extract(self.zip_path(file_id), scratch)
                os.replace(scratch, target)
        return str(target)

    def opt_dir(self, layer_files: list[str]) -> str:
        """A directory standing in for /opt: the layers' contents, later layers over earlier."""
        if not layer_files:
            target = self.root / OPT / "none"
            target.mkdir(parents=True, exist_ok=True)
            os.chmod(target, 0o755)  # mounted as the function's opt/, which its user lists
            return str(target)
        name = hashlib.sha256("\n".join(layer_files).encode()).hexdigest()[:32]
        target = self.root / OPT / name
        if target.is_dir():
            return str(target)
        with _lock:
            if not target.is_dir():
                scratch = target.parent / f".{name}.tmp"
                shutil.rmtree(scratch, ignore_errors=True)
                scratch.mkdir(parents=True)
                for file_id in layer_files:
                    _extract(self.zip_path(file_id), scratch)
                os.replace(scratch, target)
        return str(target)


def _extract(zip_path: Path, target: Path) -> None:
    """Unpack a package with the modes it gives its files, readable by all (0644 where it
    gives none), and folders 0755: a function's own user reads them through its sandbox's
    read-only mount, and the store's own folders keep everyone else out. (AWS refuses to
    import a file its package left unreadable to others, 0600 as Python's ZipFile.writestr
    makes them; Overcast has always run those, and keeps doing so.)"""
    with zipfile.ZipFile(zip_path) as archive:
        root = target.resolve()
        for info in archive.infolist():
            destination = (target / info.filename).resolve()
            if destination != root and root not in destination.parents:
                continue  # a path escaping the package ("../x") is skipped, as unzip does
            archive.extract(info, target)
            mode = (info.external_attr >> 16) & 0o777
            if not info.is_dir():
                os.chmod(destination, (mode or 0o644) | _READABLE)
    os.chmod(target, 0o755)
    for folder, subfolders, _files in os.walk(target):
        for name in subfolders:
            os.chmod(os.path.join(folder, name), 0o755)
