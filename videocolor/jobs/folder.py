"""The job folder beside an output: what a resumable run keeps so no shot is coloured twice.

``coloured.mkv.videocolor-job/`` holds ``job.json`` (what the job is: the input's, references',
model's and settings' identity, and its shots), ``lock`` (held by the one run working on it) and
``segments/``, one file per finished shot (or a folder of images for image-sequence outputs),
each renamed into place only when complete. A shot is the unit of work: a run resumes at the
first shot without a segment, and another machine could be handed any shot without one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from videocolor.errors import VideocolorError
from videocolor.jobs.identity import differences
from videocolor.shots.shot import Shot

JOB_SUFFIX = ".videocolor-job"
FORMAT_VERSION = 1


class JobError(VideocolorError):
    """A job folder that cannot be used as asked: busy, changed, or in the way."""


class JobFolder:
    """The job folder of ``output``; :meth:`open` locks it for this run."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = output.parent / f"{output.name}{JOB_SUFFIX}"
        self.segments = self.path / "segments"
        self._lock_file: int | None = None

    @classmethod
    def open(cls, output: Path, identity: dict[str, object], *, resume: bool) -> JobFolder:
        """Lock the job folder of ``output``, creating it for a new job; refuse one that another
        run holds, that exists without ``resume``, or that was started with another identity."""
        folder = cls(output)
        if not resume:
            folder.refuse_if_present()
        folder.path.mkdir(exist_ok=True)
        folder._lock()
        try:
            stored = folder.read()
            if stored is None:
                folder.write({"version": FORMAT_VERSION, "identity": identity})
            else:
                changed = differences(stored.get("identity", {}), identity)
                if changed:
                    raise JobError(
                        f"{folder.path}: this job was started with another "
                        f"{'; '.join(changed)}: run it as it was, or delete the folder to start "
                        "over"
                    )
            folder.segments.mkdir(exist_ok=True)
            folder._remove_partials()
        except BaseException:
            folder.release()
            raise
        return folder

    def refuse_if_present(self) -> None:
        """A run without ``--resume`` must not start over beside an interrupted job."""
        if self.path.exists():
            raise JobError(
                f"{self.path}: an interrupted run of this output left its job here: add "
                "--resume to finish it, or delete the folder to start over"
            )

    def _lock(self) -> None:
        handle = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise JobError(
                f"{self.path}: another videocolor run (pid {holder}) is working on this job; "
                "wait for it to finish or stop it"
            ) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        self._lock_file = handle

    def release(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def read(self) -> dict | None:
        path = self.path / "job.json"
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None  # written atomically, so only a foreign file can be unreadable

    def write(self, content: dict) -> None:
        """Replace ``job.json`` atomically."""
        temp = self.path / ".job.json.partial"
        temp.write_text(json.dumps(content, indent=1, default=str))
        os.replace(temp, self.path / "job.json")

    def update(self, **fields: object) -> None:
        self.write({**(self.read() or {}), **fields})

    def check_shots(self, shots: Sequence[Shot]) -> None:
        """Record the job's shots, or refuse when they differ from those it was started with
        (the same input and settings find the same shots, so only a changed detector can)."""
        found = [[shot.start, shot.end] for shot in shots]
        stored = (self.read() or {}).get("shots")
        if stored is None:
            self.update(shots=found)
        elif stored != found:
            raise JobError(
                f"{self.path}: the shots found now differ from the job's ({len(found)} against "
                f"{len(stored)}): delete the folder to start over"
            )

    def segment(self, shot: int, suffix: str) -> Path:
        """Where shot ``shot``'s segment lives once complete."""
        return self.segments / f"shot-{shot:06d}{suffix}"

    def finished_shots(self, suffix: str) -> set[int]:
        """Shots whose segment is complete."""
        found = set()
        for path in self.segments.iterdir():
            name = path.name
            if name.startswith("shot-") and name.endswith(suffix) and not name.startswith("."):
                with contextlib.suppress(ValueError):
                    found.add(int(name[5 : len(name) - len(suffix) or None]))
        return found

    def _remove_partials(self) -> None:
        """What a killed run was writing: half a segment, half the joined output (this run's
        own, begun before the job was opened, stay)."""
        own = re.compile(rf"\.partial-{os.getpid()}(\.|$)")
        stale = [
            *self.segments.glob(".*.partial-*"),
            *self.output.parent.glob(f".{self.output.name}.partial-*"),
        ]
        for path in stale:
            if own.search(path.name):
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)

    def mark_complete(self, finished: Path) -> None:
        """Note the finished output (still under its temporary name) before it is renamed into
        place: a run killed between that rename and :meth:`remove` leaves a job that
        :meth:`finish_if_complete` recognises as done (a rename keeps the inode)."""
        stat = finished.stat()
        self.update(complete={"device": stat.st_dev, "inode": stat.st_ino})

    def finish_if_complete(self) -> bool:
        """True when the output is the one a run completed before it was killed while removing
        its job folder; the folder is removed then."""
        stored = (self.read() or {}).get("complete") if self.path.is_dir() else None
        if not stored or not self.output.exists():
            return False
        stat = self.output.stat()
        if stored != {"device": stat.st_dev, "inode": stat.st_ino}:
            return False
        self.remove()
        return True

    def remove(self) -> None:
        """The job is done: its output is in place, so the folder goes, first renamed away so
        that a run killed while deleting it never leaves half a job under the job's name."""
        self.release()
        doomed = self.path.with_name(f".{self.path.name}.removing-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
