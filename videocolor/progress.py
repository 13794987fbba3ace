"""The one place user-facing progress is shown: a rich bar on stderr with rate and ETA.

Library code receives a :class:`Reporter` and never prints; ``quiet`` (or a non-interactive
stderr, as in CI logs) turns the bar into nothing.
"""

from __future__ import annotations

import sys
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

    @property
    def shown(self) -> bool:
        """Whether a bar is on screen (an interactive stderr, not quiet)."""
        return self._progress is not None

    def describe(self, description: str) -> None:
        """Replace the text before the bar."""
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def __enter__(self) -> Reporter:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
