"""Outputs that appear whole or not at all.

Everything is written under a hidden temporary name beside the final path and renamed on success,
so an interrupted job never leaves a half-written file that looks finished, and an existing file
is replaced only when the user said ``--overwrite``. Inputs are never written to.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from pathlib import Path

from videocolor.errors import DiskFullError, OutputError

#: The errors of a write that did not fit: no space left, or the user's quota spent.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


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
        raise OutputError(
            f"{folder}: output folder is not writable ({exc.strerror}); choose another with -o"
        ) from None
    return folder


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (an OSError, PyAV's included) says the disk or quota is full."""
    return isinstance(error, DiskFullError) or (
        isinstance(error, OSError) and error.errno in DISK_FULL
    )


def size_on_disk(path: Path) -> int:
    """Bytes of a file, or of every file under a folder; 0 when absent."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.is_file() else 0


def disk_full(
    output: Path,
    *,
    needed: float | None = None,
    partial: Path | None = None,
    bytes_per_frame: float | None = None,
    resume: bool = False,
) -> DiskFullError:
    """The one line for a full disk under ``output``: how much to free (``needed`` bytes in all,
    less what is free once ``partial`` is removed) and how to go on."""
    free = shutil.disk_usage(output.parent).free + (0 if partial is None else size_on_disk(partial))
    amount = "space" if not needed or needed <= free else f"{math.ceil((needed - free) / 2**20)} MB"
    then = "run the same command again to resume" if resume else "run again"
    return DiskFullError(
        f"{output}: disk full while writing ({os.strerror(errno.ENOSPC)}); free {amount} on "
        f"{output.parent} and {then}",
        bytes_per_frame,
    )
