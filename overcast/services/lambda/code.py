"""Deployment packages and layer contents: zips stored by their SHA-256 under the store's files
directory, unpacked once into a scratch directory that environments run from."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import threading
import zipfile
from pathlib import Path

from overcast.errors import ServiceError

_lock = threading.Lock()


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

    def save(self, data: bytes) -> dict:
        """Store a zip; returns its CodeSha256 (base64), size and file id (hex digest)."""
        if not data or not zipfile.is_zipfile(io.BytesIO(data)):
            raise invalid_zip()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if archive.testzip() is not None:
                    raise invalid_zip()
        except (zipfile.BadZipFile, ValueError, NotImplementedError):
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
        target = self.root / ".unpacked" / file_id
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
            target = self.root / ".opt" / "none"
            target.mkdir(parents=True, exist_ok=True)
            return str(target)
        name = hashlib.sha256("\n".join(layer_files).encode()).hexdigest()[:32]
        target = self.root / ".opt" / name
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
    with zipfile.ZipFile(zip_path) as archive:
        root = target.resolve()
        for info in archive.infolist():
            destination = (target / info.filename).resolve()
            if destination != root and root not in destination.parents:
                continue  # a path escaping the package ("../x") is skipped, as unzip does
            archive.extract(info, target)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(destination, mode | stat.S_IRUSR)
