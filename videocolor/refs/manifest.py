"""``refs.json``: the manifest of a reference folder.

``videocolor refs suggest`` writes it beside the keyframe canvases, so that the colourist's folder
says on its own which frame each image belongs to, which shot, and why it was chosen. It is also
the one place where an exemplar (a colour image with no frame number) is given its shot. The
manifest is optional: a folder of images named by frame number needs none.

Frame numbers in the manifest are 0-based frames of the decoded video, never film footage
numbers; ``--offset`` does not apply to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from videocolor.errors import ReferenceImageError

MANIFEST_NAME = "refs.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One image of the folder: a keyframe (``frame`` set) or an exemplar for ``shot``."""

    file: str
    frame: int | None = None
    shot: int | None = None
    timecode: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "frame": self.frame,
            "shot": self.shot,
            "timecode": self.timecode,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Manifest:
    """What ``refs.json`` holds; ``extra`` keeps facts about the video (source, shots...) that
    the loader does not need but a person reading the file does."""

    entries: tuple[ManifestEntry, ...] = ()
    contact_sheet: str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def entry(self, file: str) -> ManifestEntry | None:
        return next((e for e in self.entries if e.file == file), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            **self.extra,
            "contact_sheet": self.contact_sheet,
            "references": [entry.as_dict() for entry in self.entries],
        }


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps(manifest.as_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def _optional_int(value: object, what: str, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReferenceImageError(f"{path}: {what} must be a whole number or null, got {value!r}")
    return value


def _entry(raw: object, path: Path) -> ManifestEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        raise ReferenceImageError(f'{path}: each reference needs a "file" name, got {raw!r}')
    return ManifestEntry(
        file=raw["file"],
        frame=_optional_int(raw.get("frame"), "frame", path),
        shot=_optional_int(raw.get("shot"), "shot", path),
        timecode=raw.get("timecode"),
        reason=raw.get("reason"),
    )


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when it has none; a malformed one is an error, since
    silently ignoring it would move references to other frames."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceImageError(f"{path}: not a readable JSON manifest ({exc})") from None
    if not isinstance(raw, dict):
        raise ReferenceImageError(f"{path}: expected a JSON object at the top level")
    version = raw.get("version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise ReferenceImageError(
            f"{path}: manifest version {version!r} is not one this videocolor reads "
            f"(up to {MANIFEST_VERSION})"
        )
    references = raw.get("references", [])
    if not isinstance(references, list):
        raise ReferenceImageError(f'{path}: "references" must be a list')
    known = {"version", "contact_sheet", "references"}
    return Manifest(
        entries=tuple(_entry(item, path) for item in references),
        contact_sheet=raw.get("contact_sheet"),
        extra={k: v for k, v in raw.items() if k not in known},
        version=version,
    )
