"""Renders started from the page: ``colorize``, ``render`` or ``handoff`` as a subprocess.

A render runs the CLI (``python -m videocolor``), so it is exactly the command a colourist would
type, survives a closed tab, and is resumable: it always runs with ``--resume``, so a stopped or
crashed render continues where it was when started again. Its progress comes back through the
CLI's ``--progress-json`` file. One render runs at a time: asking for another while it runs (a
second tab, a reload that re-sends) gets the running one back instead of a duplicate.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Command = Literal["colorize", "render", "handoff"]
COMMANDS: tuple[Command, ...] = ("colorize", "render", "handoff")
#: Output of each command in the workspace's ``renders/`` (handoff writes a folder).
_OUTPUTS = {
    "colorize": "{stem}-colour.mp4",
    "render": "{stem}-render.mp4",
    "handoff": "{stem}-handoff",
}
_LOG_TAIL = 20


@dataclass(frozen=True)
class RenderRequest:
    """What the page asks for: the command, and a Ray cluster address (``--cluster``) or None."""

    command: Command = "colorize"
    cluster: str | None = None

    def __post_init__(self) -> None:
        if self.command not in COMMANDS:
            raise ValueError(f"command must be one of {', '.join(COMMANDS)}, got {self.command!r}")
        if self.cluster is not None and (not self.cluster.strip() or self.cluster.startswith("-")):
            raise ValueError(f"not a cluster address: {self.cluster!r}")


class RenderJob:
    """One render subprocess and what it has reported."""

    def __init__(self, number: int, request: RenderRequest, argv: list[str], folder: Path) -> None:
        self.number, self.request, self.argv = number, request, argv
        self.output = Path(argv[argv.index("-o") + 1])
        self.progress_file = folder / f"render-{number}.progress.jsonl"
        self.log_file = folder / f"render-{number}.log"
        self.started = time.time()
        self.finished: float | None = None
        self.returncode: int | None = None
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [*argv[:3], "--progress-json", str(self.progress_file), *argv[3:]],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self) -> None:
        self.returncode = self.process.wait()
        self.finished = time.time()

    @property
    def running(self) -> bool:
        return self.returncode is None

    @property
    def state(self) -> str:
        if self.running:
            return "running"
        if self.returncode == 0:
            return "done"
        return (
            "stopped"
            if self.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM)
            else "failed"
        )

    def _last_progress(self) -> dict[str, object] | None:
        if not self.progress_file.is_file():
            return None
        lines = self.progress_file.read_text(encoding="utf-8").splitlines()
        for line in reversed(lines):
            try:
                return json.loads(line)
            except json.JSONDecodeError:  # the line being written
                continue
        return None

    def status(self) -> dict[str, object]:
        """State, current task with its progress and ETA, and the end of the command's output."""
        progress = self._last_progress()
        eta = None
        if progress and progress["total"] and progress["done"] and not progress["final"]:
            done, total = progress["done"], progress["total"]
            eta = round(progress["elapsed"] / done * (total - done), 1)
        log = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        return {
            "number": self.number,
            "state": self.state,
            "command": self.request.command,
            "cluster": self.request.cluster,
            "argv": self.argv,
            "output": str(self.output),
            "returncode": self.returncode,
            "task": progress["task"] if progress else None,
            "done": progress["done"] if progress else 0,
            "total": progress["total"] if progress else None,
            "eta_s": eta,
            "elapsed_s": round((self.finished or time.time()) - self.started, 1),
            "log": log[-_LOG_TAIL:],
        }

    def stop(self) -> None:
        """Stop as Ctrl-C does: finished shots stay in the job folder for the next start."""
        if self.running:
            self.process.send_signal(signal.SIGINT)


class Renders:
    """At most one render at a time, in ``folder``."""

    def __init__(self, folder: Path, python: str = sys.executable) -> None:
        self.folder, self.python = folder, python
        self.current: RenderJob | None = None
        self._count = 0
        self._lock = threading.Lock()

    def argv(
        self, request: RenderRequest, reel: Path, refs: Path | None, fps: str | None
    ) -> list[str]:
        """The command line of a render (``--progress-json`` is added when it starts)."""
        output = self.folder / _OUTPUTS[request.command].format(stem=reel.stem)
        words = [self.python, "-m", "videocolor", request.command, str(reel), "-o", str(output)]
        words += ["--resume", "--overwrite"]
        if refs is not None:
            words += ["--refs", str(refs)]
        if fps is not None:
            words += ["--fps", fps]
        if request.cluster:
            words += ["--cluster", request.cluster]
        return words

    def start(self, request: RenderRequest, argv: Sequence[str]) -> tuple[RenderJob, bool]:
        """The running render and False, or a new one and True."""
        with self._lock:
            if self.current is not None and self.current.running:
                return self.current, False
            self._count += 1
            self.current = RenderJob(self._count, request, list(argv), self.folder)
            return self.current, True

    def stop(self) -> RenderJob | None:
        with self._lock:
            if self.current is not None:
                self.current.stop()
            return self.current
