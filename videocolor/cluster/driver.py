"""The cluster driver: a resumable job's unfinished shots as Ray tasks, then the same join.

Like :func:`videocolor.pipeline.resumable.run_resumable`, but instead of decoding the file once
and colouring shot after shot, the driver plans runs of unfinished shots (:mod:`.plan`), finds
where each starts in the file (:func:`videocolor.io.seek.index_frames`, packets only), and
submits each run as a task (:mod:`.tasks`) that writes its shots' segments. A task whose worker
dies is retried by Ray; a driver that dies leaves the job folder, which ``--resume`` continues.
The segments are joined exactly as a single machine joins them, so the output is the same file.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from videocolor import __version__
from videocolor.cluster.placement import (
    NodeTally,
    declared_resources,
    gpu_fallback,
    tally,
    task_resources,
)
from videocolor.cluster.plan import plan_batches
from videocolor.cluster.tasks import JobSpec, TaskResult, TaskSpec, colour_shots
from videocolor.engine.options import EngineOptions
from videocolor.errors import ClusterError, VideocolorError
from videocolor.io.codecs import CODECS
from videocolor.io.packets import read_packets
from videocolor.io.safe_output import AtomicOutput
from videocolor.io.seek import FrameIndex, SeekWindow, index_frames
from videocolor.jobs.folder import JobFolder
from videocolor.jobs.identity import content_hash
from videocolor.jobs.segments import join_segments, segment_suffix
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.run import RunSummary
from videocolor.progress import Reporter
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")

#: Seconds between progress lines when no bar is shown (logs, CI).
PROGRESS_EVERY_S = 5.0


@dataclass(frozen=True)
class ClusterOptions:
    """How a job is spread: ``--cluster`` and the options beside it."""

    address: str
    task_frames: int = 48
    task_cpus: float = 1.0
    gpu_share: float = 0.25
    shared_storage: bool = True
    retries: int = 3

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ClusterOptions:
        return cls(
            args.cluster,
            args.task_frames,
            args.task_cpus,
            args.gpu_share,
            args.shared_storage,
            args.task_retries,
        )


@dataclass
class ClusterReport:
    """Where the job's tasks ran, and what its driver-side steps cost."""

    address: str
    nodes: list[NodeTally] = field(default_factory=list)
    tasks: list[TaskResult] = field(default_factory=list)
    index_s: float = 0.0
    join_s: float = 0.0
    wall_s: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "nodes": [node.as_json() for node in self.nodes],
            "tasks": [
                {
                    "shots": list(task.shots),
                    "skipped": list(task.skipped),
                    "frames": task.frames,
                    "node_id": task.node_id,
                    "pid": task.pid,
                    "seconds": round(task.seconds, 2),
                    "provider": task.provider,
                    "gpu_ids": task.gpu_ids,
                }
                for task in self.tasks
            ],
            "index_s": round(self.index_s, 3),
            "join_s": round(self.join_s, 3),
            "wall_s": round(self.wall_s, 2),
        }


def _check_storage(options: ClusterOptions, info_is_images: bool, codec: str) -> None:
    if options.shared_storage:
        return
    if info_is_images or CODECS[codec].is_image_sequence:
        raise ClusterError(
            "--no-shared-storage sends video packets and segments through Ray's object store: "
            "image sequences (in or out) need storage every node sees"
        )


def _in_shots(items: dict[int, object], batch: Sequence[Shot]) -> dict[int, object]:
    start, end = batch[0].start, batch[-1].end
    return {frame: value for frame, value in items.items() if start <= frame < end}


def _task(stage: ColorizeStage, batch: tuple[Shot, ...], index: FrameIndex | None) -> TaskSpec:
    start, end = batch[0].start, batch[-1].end
    window = index.window(start, end) if index is not None else SeekWindow(start, end)
    indices = {shot.index for shot in batch}
    exemplars = {s: e for s, e in stage.exemplars.items() if s in indices or s == -1}
    return TaskSpec(batch, window, _in_shots(stage.references, batch), exemplars)


def _result(ray: ModuleType, ref: object, batch: tuple[Shot, ...], retries: int) -> TaskResult:
    """The task's result, or its failure as one line."""
    shots = f"shots {batch[0].index}-{batch[-1].index}"
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        if isinstance(error.cause, VideocolorError):
            raise ClusterError(str(error.cause)) from None
        raise ClusterError(f"the task colouring {shots} failed: {error.cause!r}") from None
    except ray.exceptions.RayError as error:
        reason = str(error).strip().splitlines()[0]
        raise ClusterError(
            f"the task colouring {shots} failed {retries + 1} times ({reason}); the finished "
            "shots stay in the job folder: run again with --resume"
        ) from None


def _store(job: JobFolder, result: TaskResult, suffix: str) -> None:
    """Segments that came back through the object store, into the job folder."""
    for shot, data in result.segments.items():
        atomic = AtomicOutput(job.segment(shot, suffix), overwrite=True)
        atomic.temp.write_bytes(data)
        atomic.commit()


class _Progress:
    """Shots done, frames/s across the cluster and the ETA: on the bar, or a line every few
    seconds where no bar is shown."""

    def __init__(self, reporter: Reporter, description: str, shots: int, frames: int) -> None:
        self.reporter, self.description = reporter, description
        self.shots, self.frames = shots, frames
        self.shots_done = self.frames_done = 0
        self.started = self.last_line = time.perf_counter()

    def advance(self, shots: int, frames: int) -> None:
        self.shots_done += shots
        self.frames_done += frames
        self.reporter.advance(frames)
        elapsed = time.perf_counter() - self.started
        rate = self.frames_done / elapsed if elapsed else 0.0
        text = f"{self.shots_done}/{self.shots} shots, {rate:.1f} frames/s"
        self.reporter.describe(f"{self.description} on the cluster: {text}")
        done = self.shots_done == self.shots
        if not self.reporter.shown and (done or time.perf_counter() - self.last_line > 5):
            left = (self.frames - self.frames_done) / rate if rate else 0.0
            log.info("cluster: %s, %d/%d frames, ETA %.0f s", text, self.frames_done,
                     self.frames, left)  # fmt: skip
            self.last_line = time.perf_counter()


def run_on_cluster(
    ray: ModuleType,
    options: ClusterOptions,
    output_path: Path,
    stage: ColorizeStage,
    job: JobFolder,
    shots: Sequence[Shot],
    engine: EngineOptions,
    *,
    codec: str,
    overwrite: bool = False,
    fps: object = None,
    progress: bool = True,
    description: str = "colourising",
    keep_job: bool = False,
) -> tuple[RunSummary, ClusterReport]:
    """Colour the shots of ``shots`` that have no segment yet as tasks on the cluster ``ray``
    is connected to, then join every segment into ``output_path``; the job folder goes then,
    unless ``keep_job``."""
    started = time.perf_counter()
    info = stage.info
    _check_storage(options, info.is_image_sequence, codec)
    report = ClusterReport(options.address)
    suffix = segment_suffix(codec, output_path)
    finished = job.finished_shots(suffix)
    if finished:
        log.info("resuming: %d of %d shots already coloured", len(finished), len(shots))
    index = None
    if not info.is_image_sequence:
        index = index_frames(info.path, shots[-1].end if shots else None)
        if index.problem:
            log.warning("%s: %s: every task decodes from the first frame", info.path,
                        index.problem)  # fmt: skip
    report.index_s = time.perf_counter() - started
    network = stage.settings.network
    spec = JobSpec(
        info, fps, output_path, codec, suffix, engine, __version__,
        content_hash(network.model_path) if network is not None else None,
        options.shared_storage,
    )  # fmt: skip
    resources = task_resources(
        engine,
        cpus=options.task_cpus,
        gpu_share=options.gpu_share,
        cluster_gpus=ray.cluster_resources().get("GPU", 0),
    )
    remote = ray.remote(colour_shots).options(
        **resources, max_retries=options.retries, retry_exceptions=False, name="colour_shots"
    )
    job_ref = ray.put(spec)
    batches = plan_batches(shots, finished, options.task_frames)
    # Enough tasks in flight to keep every CPU busy, no more: without shared storage each
    # carries its packets, which should not all sit in the object store at once.
    slots = max(1, int(ray.cluster_resources().get("CPU", 1) // options.task_cpus))
    remaining = sum(shot.length for batch in batches for shot in batch)
    warned_nodes: set[str] = set()
    pending: dict[object, tuple[Shot, ...]] = {}
    with Reporter(description, remaining, enabled=progress) as reporter:
        tracker = _Progress(reporter, description, sum(len(b) for b in batches), remaining)
        queue = list(batches)
        while queue or pending:
            while queue and len(pending) < 2 * slots:
                batch = queue.pop(0)
                task = _task(stage, batch, index)
                if not options.shared_storage:
                    task = replace(task, packets=read_packets(info, task.window))
                pending[remote.remote(job_ref, task)] = batch
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            for ref in ready:
                batch = pending.pop(ref)
                result = _result(ray, ref, batch, options.retries)
                _store(job, result, suffix)
                for line in result.warnings:
                    log.warning("%s", line)
                fallback = gpu_fallback(result)
                if fallback and result.node_id not in warned_nodes:
                    warned_nodes.add(result.node_id)
                    log.warning("%s", fallback)
                report.tasks.append(result)
                tracker.advance(len(batch), sum(shot.length for shot in batch))
    joining = time.perf_counter()
    segments = [job.segment(shot.index, suffix) for shot in shots]
    join_segments(segments, info, output_path, overwrite=overwrite)
    report.join_s = time.perf_counter() - joining
    if not keep_job:
        job.remove()
    report.nodes = tally(report.tasks, declared_resources(ray.nodes()))
    report.wall_s = time.perf_counter() - started
    for node in report.nodes:
        log.info("%s", node.line())
    frames = sum(shot.length for shot in shots)
    return RunSummary(
        input=str(info.path),
        output=str(output_path),
        codec=codec,
        frames_written=frames,
        frames_lost=max(0, (info.frame_count or 0) - frames),
        width=info.width,
        height=info.height,
        spilled_mb=max((task.spilled_mb for task in report.tasks), default=0.0),
    ), report
