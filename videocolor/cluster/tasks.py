"""One cluster task, as it runs on a worker: colour a run of shots into their segments.

The task does what a single-machine run does for those shots: decode from the run's first
frame (a seek, or packets the driver sent), colour each shot with the same engine, encode each
into its own segment. With shared storage the segments go straight into the job folder, and a
retried task skips the shots its first attempt finished; without, they come back as bytes
through Ray's object store for the driver to write. Warnings are returned, not printed, so the
driver logs them as a single machine would.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from videocolor import __version__
from videocolor.engine.clip import EngineSettings
from videocolor.engine.options import EngineOptions
from videocolor.errors import ClusterError
from videocolor.io import StreamInfo, open_source
from videocolor.io.background import background_writes, prefetch
from videocolor.io.packets import Packets, PacketSource
from videocolor.io.seek import SeekWindow
from videocolor.jobs.folder import JobFolder
from videocolor.jobs.identity import content_hash
from videocolor.jobs.segments import SegmentWriter
from videocolor.memory.spill import PROCESS_DISK
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.shots.shot import Shot


@dataclass(frozen=True)
class JobSpec:
    """What every task of a job shares; sent once through the object store."""

    info: StreamInfo
    fps: object
    output: Path  # the job folder lies beside it
    codec: str
    suffix: str
    engine: EngineOptions
    version: str
    model_hash: str | None  # the driver's model: a node with another would colour otherwise
    shared_storage: bool


@dataclass(frozen=True)
class TaskSpec:
    """The shots one task colours, how to decode them, and their references."""

    shots: tuple[Shot, ...]
    window: SeekWindow
    keyframes: dict[int, np.ndarray]
    exemplars: dict[int, list[np.ndarray]]
    packets: Packets | None = None  # without shared storage: the window's compressed packets


@dataclass
class TaskResult:
    """What a task did and where: the driver's progress, per-node summary and segments."""

    shots: tuple[int, ...]
    frames: int
    node_id: str
    node_ip: str
    pid: int
    seconds: float
    provider: str | None
    gpu_ids: list[str]
    warnings: list[str]
    spilled_mb: float = 0.0  # the most its long shots held on disk at once
    skipped: tuple[int, ...] = ()  # finished by an earlier attempt of this task
    segments: dict[int, bytes] = field(default_factory=dict, repr=False)


@functools.lru_cache(maxsize=2)
def _engine(options: EngineOptions) -> EngineSettings:
    """One engine per worker process: the network loads once, not once per task."""
    return options.build()


@functools.lru_cache(maxsize=2)
def _model_hash(path: Path) -> str:
    return content_hash(path)


class _Warnings(logging.Handler):
    """The task's warnings, kept to be returned to the driver."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _check_node(job: JobSpec, settings: EngineSettings, where: str) -> None:
    """Refuse to colour with another videocolor or model than the driver's: the segments would
    not be the frames a single machine makes."""
    if __version__ != job.version:
        raise ClusterError(
            f"{where} runs videocolor {__version__}, the driver {job.version}: install the "
            "same version on every node"
        )
    network = settings.network
    if network is not None and _model_hash(network.model_path) != job.model_hash:
        raise ClusterError(
            f"{where}: its model {network.model_path} differs from the driver's: install the "
            "same videocolor (or pass a --model every node can read)"
        )


def colour_shots(job: JobSpec, task: TaskSpec) -> TaskResult:
    """Colour ``task``'s shots into their segments (the body of the Ray task)."""
    import ray

    started = time.perf_counter()
    PROCESS_DISK.reset_peak()
    context = ray.get_runtime_context()
    node_ip = ray.util.get_node_ip_address()
    gpu_ids = [str(gpu) for gpu in ray.get_gpu_ids()]
    warnings = _Warnings()
    logger = logging.getLogger("videocolor")
    logger.addHandler(warnings)
    try:
        settings = _engine(job.engine)
        _check_node(job, settings, f"node {node_ip}")
        with tempfile.TemporaryDirectory(prefix="videocolor-task-") as scratch:
            folder = JobFolder(job.output if job.shared_storage else Path(scratch, "task.mkv"))
            folder.segments.mkdir(parents=True, exist_ok=True)
            skipped = _colour(job, task, settings, folder)
            segments = {}
            if not job.shared_storage:
                for shot in task.shots:
                    segments[shot.index] = folder.segment(shot.index, job.suffix).read_bytes()
    finally:
        logger.removeHandler(warnings)
    network = settings.network
    return TaskResult(
        shots=tuple(shot.index for shot in task.shots),
        frames=sum(shot.length for shot in task.shots if shot.index not in skipped),
        node_id=context.get_node_id(),
        node_ip=node_ip,
        pid=os.getpid(),
        seconds=time.perf_counter() - started,
        provider=network.provider if network is not None else None,
        gpu_ids=gpu_ids,
        warnings=warnings.lines,
        spilled_mb=round(PROCESS_DISK.peak / 2**20, 1),
        skipped=tuple(sorted(skipped)),
        segments=segments,
    )


def _colour(job: JobSpec, task: TaskSpec, settings: EngineSettings, folder: JobFolder) -> set[int]:
    """Decode the task's window, colour its shots, write their segments; the shots found
    already finished (and passed over) are returned."""
    mine = {shot.index for shot in task.shots}
    finished = folder.finished_shots(job.suffix) & mine
    stage = ColorizeStage(job.info, task.shots, task.keyframes, task.exemplars, settings)
    stage.skip = finished
    if task.packets is not None:
        source = PacketSource(task.packets, job.info)
    else:
        source = open_source(job.info.path, job.fps)
        source.start_at(task.window)
    with (
        source,
        SegmentWriter(folder, job.info, job.codec, task.shots, job.suffix) as writer,
        background_writes(writer.write) as write,
    ):
        for frame in prefetch(source):
            for ready, cbcr in stage.process(frame):
                write(ready, cbcr)
        for ready, cbcr in stage.flush():
            write(ready, cbcr)
    return finished
