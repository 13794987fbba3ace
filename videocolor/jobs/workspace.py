"""Where a multi-step command (``render``, ``handoff``) keeps its intermediate files.

Without ``--resume`` that is a temporary folder beside the output, gone whatever happens. With it,
it is the output's job folder (:class:`~videocolor.jobs.folder.JobFolder`): kept when the run
stops, so a resumed run reuses each intermediate that was finished (renamed into place) and the
colouring's finished shots, and removed when the output is in place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from videocolor.jobs.folder import JobFolder

log = logging.getLogger("videocolor")


@contextlib.contextmanager
def work_folder(
    output: Path, identity: dict[str, object], *, resume: bool, prefix: str
) -> Iterator[tuple[Path, JobFolder | None]]:
    """A folder for intermediates and the job that owns it: temporary (no job), or with
    ``resume`` the job folder of ``output``. Call ``job.mark_complete`` on the finished output
    before renaming it into place, inside the block."""
    if not resume:
        JobFolder(output).refuse_if_present()
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=prefix) as work:
            yield Path(work), None
        return
    job = JobFolder.open(output, identity, resume=True)
    try:
        yield job.path, job
    except BaseException:
        job.release()
        raise
    job.remove()


def made_once(target: Path, make: Callable[[Path], object]) -> Path:
    """``target``, made by ``make(temporary_path)`` unless an earlier run finished it."""
    if not target.exists():
        partial = target.with_name(f".{target.stem}.partial-{os.getpid()}{target.suffix}")
        make(partial)
        os.replace(partial, target)
    return target


def already_complete(output: Path) -> bool:
    """True, after saying so, when a resumed command's output was completed by a run killed
    while removing its job folder (that folder is removed now)."""
    if not JobFolder(output).finish_if_complete():
        return False
    log.warning(
        "%s: already complete (an earlier run finished it); its job folder was removed", output
    )
    return True
