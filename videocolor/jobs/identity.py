"""What makes two runs the same job: the input, the references, the model and the settings.

A resumed job reuses shots coloured by an earlier run, which is only right when everything that
decides their colour is unchanged. Files are identified by size, modification time and a hash of
their first and last megabytes (a reel is tens of gigabytes: hashing it whole would take longer
than some jobs); references and models, which are small, are hashed whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_EDGE = 1 << 20


def file_identity(path: Path) -> dict[str, object]:
    """Size, modification time and a hash of the first and last megabyte."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(_EDGE))
        if stat.st_size > _EDGE:
            handle.seek(max(_EDGE, stat.st_size - _EDGE))
            digest.update(handle.read(_EDGE))
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256_edges": digest.hexdigest()}


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def input_identity(path: Path) -> dict[str, object]:
    """A video file's identity, or an image sequence's (every file's name and size)."""
    if path.is_file():
        return file_identity(path)
    folder = path if path.is_dir() else path.parent
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return {"files": {p.name: p.stat().st_size for p in files}}


def folder_identity(folder: Path) -> dict[str, str]:
    """Every file of a reference folder by name, hashed whole."""
    return {p.name: content_hash(p) for p in sorted(folder.iterdir()) if p.is_file()}


def differences(stored: dict[str, object], current: dict[str, object]) -> list[str]:
    """The top-level keys whose values differ, each named with what changed where it is short."""
    changed = []
    for key in sorted(set(stored) | set(current)):
        before, after = stored.get(key), current.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            inner = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            changed.append(f"{key} ({', '.join(str(k) for k in inner[:4])})")
        elif len(repr(before)) + len(repr(after)) < 60:
            changed.append(f"{key} ({before!r} → {after!r})")
        else:
            changed.append(key)
    return changed
