"""The streaming driver for a resumable job: each shot into its own segment, then one join.

Like :func:`videocolor.pipeline.run.run`, but shots finished by an earlier run are decoded past
without being coloured, each finished shot is a segment in the job folder, and the output is
joined from the segments once all exist, then the job folder goes.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from pathlib import Path

from videocolor.errors import DiskFullError
from videocolor.io import Frame, StreamInfo, open_source
from videocolor.io.background import background_writes
from videocolor.io.safe_output import disk_full, is_disk_full, size_on_disk
from videocolor.jobs.folder import JobFolder
from videocolor.jobs.segments import SegmentWriter, join_segments, segment_suffix
from videocolor.memory.spill import PROCESS_DISK
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.run import RunSummary, pump
from videocolor.progress import Reporter
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")


def run_resumable(
    input_path: Path,
    output_path: Path,
    stage: ColorizeStage,
    job: JobFolder,
    shots: Sequence[Shot],
    *,
    codec: str,
    overwrite: bool = False,
    fps: object = None,
    progress: bool = True,
    description: str = "colourising",
    keep_job: bool = False,
) -> RunSummary:
    """Colour the shots of ``shots`` that have no segment yet, then join every segment into
    ``output_path``; the job folder goes then, unless ``keep_job``."""
    suffix = segment_suffix(codec, output_path)
    finished = job.finished_shots(suffix)
    stage.skip = finished
    if finished:
        log.info("resuming: %d of %d shots already coloured", len(finished), len(shots))
    remaining = sum(shot.length for shot in shots if shot.index not in finished)
    PROCESS_DISK.reset_peak()
    try:
        with open_source(input_path, fps) as source:
            info: StreamInfo = source.info
            starts = [shot.start for shot in shots]

            def taken(frame: Frame) -> None:
                shot = shots[max(0, bisect.bisect_right(starts, frame.index) - 1)]
                if shot.index not in finished:
                    reporter.advance()

            with (
                SegmentWriter(job, info, codec, shots, suffix) as writer,
                Reporter(description, remaining, enabled=progress) as reporter,
                background_writes(writer.write) as write,
            ):
                pump(source, stage, write, taken)
            frames_lost, error = source.frames_lost, source.error
            damaged, note = len(source.damaged), source.loss_note()
        if note:
            log.warning("%s", note)
        segments = [job.segment(shot.index, suffix) for shot in shots]
        join_segments(
            segments,
            info,
            output_path,
            overwrite=overwrite,
            before_commit=None if keep_job else job.mark_complete,
        )
    except OSError as failure:
        if not is_disk_full(failure):
            raise
        raise _disk_full(output_path, job, shots, suffix, failure) from failure
    if not keep_job:
        job.remove()
    return RunSummary(
        input=str(input_path),
        output=str(output_path),
        codec=codec,
        frames_written=sum(shot.length for shot in shots),
        frames_lost=frames_lost,
        width=info.width,
        height=info.height,
        decode_error=error,
        spilled_mb=round(PROCESS_DISK.peak / 2**20, 1),
        frames_damaged=damaged,
    )


def _disk_full(
    output: Path, job: JobFolder, shots: Sequence[Shot], suffix: str, failure: OSError
) -> DiskFullError:
    """The disk filled: the space the remaining shots and then the joined output need, judged
    from the finished segments (which stay for the resumed run)."""
    finished = job.finished_shots(suffix)
    done = sum(shot.length for shot in shots if shot.index in finished)
    stored = sum(size_on_disk(job.segment(index, suffix)) for index in finished)
    per_frame = stored / done if done else getattr(failure, "bytes_per_frame", None)
    total = sum(shot.length for shot in shots)
    needed = per_frame * (2 * total - done) if per_frame else None
    return disk_full(output, needed=needed, resume=True)
