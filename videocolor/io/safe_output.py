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
        folder = check_output_path(self.final, inputs=inputs, overwrite=overwrite)
        self.temp = folder / f".{self.final.name}.partial-{os.getpid()}{self.final.suffix}"
        if is_dir:
            self.temp.mkdir()

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


def check_output_path(
    final: Path, *, inputs: tuple[Path, ...] = (), overwrite: bool = False
) -> Path:
    """Refuse an output that is an input, exists without ``overwrite``, or has no writable
    folder; returns the folder. Run before long work so that bad paths fail at once."""
    for source in inputs:
        if _same_path(final, Path(source)):
            raise OutputError(f"{final}: output path is the input; choose another name")
    if final.exists() and not overwrite:
        raise OutputError(f"{final}: already exists (use --overwrite to replace it)")
    folder = final.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    probe = folder / f".{final.name}.probe-{os.getpid()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"{folder}: output folder is not writable ({exc.strerror})") from None
    return folder
