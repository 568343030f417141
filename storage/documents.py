"""Content-addressed document store: files under ``<data dir>/documents/ab/cd/<sha256>``, stored once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    path: Path
    created: bool  # False when identical bytes were already stored


class DocumentNotFound(FileNotFoundError):
    pass


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> StoredFile:
        """Store *data* durably (written, fsynced, renamed into place) and return its address."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256)
        if target.exists():
            return StoredFile(sha256, len(data), target, created=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return StoredFile(sha256, len(data), target, created=True)

    def put_file(self, source: Path) -> StoredFile:
        digest = hashlib.sha256()
        with source.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        target = self.path_for(digest.hexdigest())
        if target.exists():
            return StoredFile(digest.hexdigest(), target.stat().st_size, target, created=False)
        return self.put(source.read_bytes())

    def read(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise DocumentNotFound(sha256) from exc

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def delete(self, sha256: str) -> bool:
        """Remove stored bytes (GDPR erasure); False when they were not there. The caller makes sure that no
        row refers to them any more: several rows may share one file."""
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def replace(self, sha256: str, data: bytes) -> StoredFile:
        """Overwrite stored bytes in place (GDPR redaction); the address stays, the content changes."""
        target = self.path_for(sha256)
        if not target.exists():
            raise DocumentNotFound(sha256)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".redact-")
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
        return StoredFile(sha256, len(data), target, created=False)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
