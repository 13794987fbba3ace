"""Outputs that appear whole or not at all.

Everything is written under a hidden temporary name beside the final path and renamed on success,
so an interrupted job never leaves a half-written file that looks finished, and an existing file
is replaced only when the user said ``--overwrite``. Inputs are never written to.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from videocolor.errors import OutputError


class AtomicOutput:
    """A temporary path for ``final`` that :meth:`commit` renames into place.

    Checks run in the constructor, before any work starts: same path as an input, an existing
    output without ``overwrite``, a missing or unwritable folder.
    """

    def __init__(
        self,
        final: str | Path,
        *,
        inputs: tuple[Path, ...] = (),
        overwrite: bool = False,
        is_dir: bool = False,
    ) -> None:
        self.final = Path(final)
        self.is_dir = is_dir
        self.overwrite = overwrite
        for source in inputs:
            if _same_path(self.final, Path(source)):
                raise OutputError(f"{self.final}: output path is the input; choose another name")
        if self.final.exists() and not overwrite:
            raise OutputError(f"{self.final}: already exists (use --overwrite to replace it)")
        folder = self.final.parent
        if not folder.is_dir():
            raise OutputError(f"{folder}: output folder does not exist")
        self.temp = folder / f".{self.final.name}.partial-{os.getpid()}{self.final.suffix}"
        self._probe_writable(folder)
        if is_dir:
            self.temp.mkdir()

    def _probe_writable(self, folder: Path) -> None:
        probe = folder / f".{self.final.name}.probe-{os.getpid()}"
        try:
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise OutputError(f"{folder}: output folder is not writable ({exc.strerror})") from None

    def commit(self) -> Path:
        """Move the finished temporary output to its final name."""
        if self.is_dir and self.final.exists():
            shutil.rmtree(self.final) if self.final.is_dir() else self.final.unlink()
        os.replace(self.temp, self.final)
        return self.final

    def discard(self) -> None:
        """Remove whatever was written; the final path is left as it was."""
        if self.temp.is_dir():
            shutil.rmtree(self.temp, ignore_errors=True)
        else:
            self.temp.unlink(missing_ok=True)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
