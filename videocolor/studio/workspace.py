"""The studio's files: one workspace folder per reel, and the only files the server sends.

``REEL.studio/`` beside the reel (or the folder given) holds the painted references (``refs/``,
unless another folder is given), shot thumbnails, previews, uploads that failed their check and
renders. Every workspace file the server sends is found through :meth:`Workspace.file`, which
refuses any path that resolves outside the workspace (``..``, absolute paths, links out of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from videocolor.errors import VideocolorError


class WorkspacePathError(VideocolorError, PermissionError):
    """A path asked of the workspace that is not one of its files."""


@dataclass(frozen=True)
class Workspace:
    """The folders of one reel's studio session; made when missing."""

    root: Path
    refs: Path

    @classmethod
    def for_reel(
        cls, reel: Path, *, refs: Path | None = None, root: Path | None = None
    ) -> Workspace:
        """``REEL.studio/`` beside the reel unless ``root`` is given; painted references in its
        ``refs/`` unless ``refs`` is given."""
        root = (root or reel.parent / f"{reel.name}.studio").resolve()
        workspace = cls(root, (refs or root / "refs").resolve())
        for folder in (root, workspace.refs, workspace.thumbs, workspace.previews,
                       workspace.rejected, workspace.renders):  # fmt: skip
            folder.mkdir(parents=True, exist_ok=True)
        return workspace

    @property
    def thumbs(self) -> Path:
        return self.root / "thumbs"

    @property
    def previews(self) -> Path:
        return self.root / "previews"

    @property
    def rejected(self) -> Path:
        """Uploads whose check found them unusable: kept to show, never used."""
        return self.root / "rejected"

    @property
    def renders(self) -> Path:
        return self.root / "renders"

    def file(self, relative: str) -> Path:
        """The existing workspace file at ``relative`` (a URL path, ``/``-separated)."""
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or candidate == self.root:
            raise WorkspacePathError(f"{relative}: not a file of the workspace")
        if not candidate.is_file():
            raise WorkspacePathError(f"{relative}: no such file in the workspace")
        return candidate

    def url(self, path: Path) -> str:
        """The path under which the server sends a workspace file."""
        return "/files/" + path.resolve().relative_to(self.root).as_posix()
