"""The one place user-facing progress is shown: a rich bar on stderr with rate and ETA.

Library code receives a :class:`Reporter` and never prints; ``quiet`` (or a non-interactive
stderr, as in CI logs) turns the bar into nothing. A program that runs videocolor as a subprocess
(the studio's renders) asks for the same progress as JSON lines in a file instead
(:func:`report_to_file`, the CLI's ``--progress-json``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: Where every enabled :class:`Reporter` appends its progress as JSON lines (None: nowhere).
_progress_file: Path | None = None
#: Seconds between two lines of one task: enough for a progress bar, little to write.
_FILE_INTERVAL = 0.25


def report_to_file(path: Path | None) -> None:
    """Append every task's progress to ``path`` as JSON lines (``{"task", "done", "total",
    "elapsed", "final"}``) from now on; None stops. Set once by the CLI, before any work."""
    global _progress_file
    _progress_file = path


class Reporter:
    """A progress bar for one long task; ``total`` may be None when the frame count is unknown."""

    def __init__(self, description: str, total: int | None, *, enabled: bool = True) -> None:
        console = Console(file=sys.stderr)
        self._progress = (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            if enabled and console.is_terminal
            else None
        )
        self._task = self._progress.add_task(description, total=total) if self._progress else None
        self._file = _progress_file if enabled else None
        self._description, self._total, self._done = description, total, 0
        self._started = self._written = time.monotonic()

    @property
    def shown(self) -> bool:
        """Whether a bar is on screen (an interactive stderr, not quiet)."""
        return self._progress is not None

    def describe(self, description: str) -> None:
        """Replace the text before the bar."""
        self._description = description
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        self._done += steps
        if self._progress is not None:
            self._progress.advance(self._task, steps)
        if self._file is not None and time.monotonic() - self._written >= _FILE_INTERVAL:
            self._write_line(final=False)

    def _write_line(self, *, final: bool) -> None:
        now = time.monotonic()
        line = {
            "task": self._description,
            "done": self._done,
            "total": self._total,
            "elapsed": round(now - self._started, 3),
            "final": final,
        }
        with open(self._file, "a", encoding="utf-8") as stream:  # type: ignore[arg-type]
            stream.write(json.dumps(line) + "\n")
        self._written = now

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
        if self._file is not None:
            self._write_line(final=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._file is not None:
            self._write_line(final=True)
