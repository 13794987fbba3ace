"""The streaming driver: source → stage → sink, one frame at a time.

A stage may hold frames back (shot buffering, two-way propagation) and emit them later: it returns
the frames that are ready from ``process`` and everything left from ``flush``. The driver never
special-cases look-ahead, and memory is whatever the stage chooses to hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from videocolor.io import Frame, StreamInfo, open_sink, open_source
from videocolor.io.background import Write, background_writes, prefetch
from videocolor.memory.spill import PROCESS_DISK
from videocolor.progress import Reporter

log = logging.getLogger("videocolor")

#: A frame ready for the sink: the original frame and its normalised Cb/Cr (None: grey).
Output = tuple[Frame, np.ndarray | None]


class Stage(Protocol):
    """One step between decoding and encoding; it may yield its outputs lazily."""

    def process(self, frame: Frame) -> Iterable[Output]: ...

    def flush(self) -> Iterable[Output]: ...


class GreyStage:
    """Passes luma through with neutral chroma: the black-and-white version of a source."""

    def process(self, frame: Frame) -> list[Output]:
        return [(frame, None)]

    def flush(self) -> list[Output]:
        return []


@dataclass(frozen=True)
class RunSummary:
    """What a run did, for ``--json`` output and for tests."""

    input: str
    output: str
    codec: str
    frames_written: int
    frames_lost: int
    width: int
    height: int
    decode_error: str | None = None
    spilled_mb: float = 0.0  # the most the run's long shots held on disk at once
    frames_damaged: int = 0  # kept, as the decoder repaired them or as the frame before


def pump(
    source: Iterable[Frame], stage: Stage, write: Write, taken: Callable[[Frame], object]
) -> None:
    """Every frame of ``source``, decoded on its own thread, through ``stage`` into ``write``;
    ``taken`` hears of each frame as the stage takes it (for progress)."""
    for frame in prefetch(source):
        for ready, cbcr in stage.process(frame):
            write(ready, cbcr)
        taken(frame)
    for ready, cbcr in stage.flush():
        write(ready, cbcr)


def run(
    input_path: str | Path,
    output_path: str | Path,
    stage: Stage,
    *,
    codec: str = "h264",
    overwrite: bool = False,
    fps: object = None,
    progress: bool = True,
    description: str = "encoding",
) -> RunSummary:
    """Decode ``input_path``, pass every frame through ``stage`` and encode ``output_path``.

    Decoding and encoding run on their own threads (:mod:`videocolor.io.background`), beside
    the stage. The output appears only when every frame was written; on any error it is removed.
    """
    PROCESS_DISK.reset_peak()
    with open_source(input_path, fps) as source:
        info: StreamInfo = source.info
        with (
            open_sink(output_path, info, codec, overwrite=overwrite) as sink,
            Reporter(description, info.frame_count, enabled=progress) as reporter,
        ):
            with background_writes(sink.write) as write:
                pump(source, stage, write, lambda _frame: reporter.advance())
            written = sink.frames_written
        note = source.loss_note()
        if note:
            log.warning("%s", note)
        return RunSummary(
            input=str(input_path),
            output=str(output_path),
            codec=codec,
            frames_written=written,
            frames_lost=source.frames_lost,
            width=info.width,
            height=info.height,
            decode_error=source.error,
            spilled_mb=round(PROCESS_DISK.peak / 2**20, 1),
            frames_damaged=len(source.damaged),
        )
