"""``bench memory``: the colouriser's resident memory over a long generated reel.

Memory must not grow with the length of a reel or of a shot. The reel is generated on the fly
(so any length can be tried without footage): grey FFV1, shots of a smooth random texture moving
and zooming, each shot its own texture, long shots among many short ones, hard cuts between. The
product colours it through its CLI (automatic colour: no references) while the process's resident
set is sampled; the report is the curve and its peaks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocolor.progress import Reporter

SHORT_SHOTS = (12, 24, 48)
RATE = 24


@dataclass(frozen=True)
class ReelPlan:
    """The shots of a generated reel: lengths in frames, in order."""

    lengths: tuple[int, ...]

    @property
    def frames(self) -> int:
        return sum(self.lengths)

    @classmethod
    def mixed(cls, frames: int, long_shot: int, seed: int = 0) -> ReelPlan:
        """Every fifth shot ``long_shot`` frames long, the others 12 to 48 frames, up to
        ``frames`` in all."""
        rng = np.random.default_rng(seed)
        lengths: list[int] = []
        while sum(lengths) < frames:
            length = long_shot if len(lengths) % 5 == 1 else int(rng.choice(SHORT_SHOTS))
            lengths.append(min(length, frames - sum(lengths)))
        return cls(tuple(lengths))


def _shot_frames(length: int, size: tuple[int, int], seed: int) -> Iterator[np.ndarray]:
    """A smooth random texture panning and zooming: motion the flow can follow, no cut."""
    width, height = size
    rng = np.random.default_rng(seed)
    coarse = rng.random((height // 24 + 4, width // 24 + 4)).astype(np.float32)
    texture = cv2.resize(coarse, (width * 2, height * 2), interpolation=cv2.INTER_CUBIC)
    texture = cv2.normalize(texture, None, 20, 235, cv2.NORM_MINMAX)
    speed = rng.uniform(-1.5, 1.5, 2)
    zoom = rng.uniform(-0.0004, 0.0004)
    centre = np.array([width, height], np.float32)
    for index in range(length):
        scale = 1.0 + zoom * index
        shift = centre / 2 + speed * index
        matrix = np.float32([[scale, 0, shift[0]], [0, scale, shift[1]]])
        frame = cv2.warpAffine(
            texture,
            matrix,
            size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        yield np.rint(frame).astype(np.uint8)


def write_reel(path: Path, plan: ReelPlan, size: tuple[int, int], progress: bool = True) -> Path:
    """The reel as grey FFV1, encoded by the ffmpeg binary from raw frames."""
    width, height = size
    command = [
        "ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray",
        "-s", f"{width}x{height}", "-r", str(RATE), "-i", "-",
        "-c:v", "ffv1", "-level", "3", str(path),
    ]  # fmt: skip
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE)
    with Reporter("writing reel", plan.frames, enabled=progress) as reporter:
        for shot, length in enumerate(plan.lengths):
            for frame in _shot_frames(length, size, seed=shot):
                encoder.stdin.write(frame.tobytes())
                reporter.advance()
    encoder.stdin.close()
    if encoder.wait() != 0:
        raise RuntimeError(f"ffmpeg could not write {path}")
    return path


def _resident(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon and RssFile of a process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(line.split()[1]) // 1024
    return fields


@dataclass(frozen=True)
class MemoryRun:
    """One sampled run: seconds and resident MB per sample."""

    command: list[str]
    seconds: float
    samples: list[tuple[float, int, int, int]]  # (s, VmRSS, RssAnon, RssFile)
    stdout: str = ""

    @property
    def peak_rss_mb(self) -> int:
        return max((s[1] for s in self.samples), default=0)

    def peak_after(self, share: float) -> int:
        """Peak resident MB after ``share`` of the run's time."""
        late = [s[1] for s in self.samples if s[0] >= share * self.seconds]
        return max(late, default=0)


def sample_run(
    command: list[str], every: float = 0.5, env: dict[str, str] | None = None
) -> MemoryRun:
    """Run ``command`` (in ``env``) and sample its resident set until it ends (failing if it
    fails)."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, env=env)
        samples = _sample(process, began, every)
        output.seek(0)
        printed = output.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {process.returncode})")
    return MemoryRun(command, time.perf_counter() - began, samples, printed)


def _sample(
    process: subprocess.Popen, began: float, every: float
) -> list[tuple[float, int, int, int]]:
    samples = []
    while process.poll() is None:
        try:
            fields = _resident(process.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        elapsed = round(time.perf_counter() - began, 2)
        samples.append(
            (elapsed, fields.get("VmRSS", 0), fields.get("RssAnon", 0), fields.get("RssFile", 0))
        )
        time.sleep(every)
    process.wait()
    return samples


def colorize_command(reel: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "videocolor", "-q", "colorize", str(reel), "-o", str(output),
            "--codec", "ffv1", "--overwrite"]  # fmt: skip


def plot(runs: dict[str, MemoryRun], path: Path) -> Path:
    """Resident memory against time, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4), dpi=110)
    for label, run in runs.items():
        times = [s[0] for s in run.samples]
        axis.plot(times, [s[1] for s in run.samples], label=f"{label}: resident")
        axis.plot(times, [s[2] for s in run.samples], linestyle=":", label=f"{label}: anonymous")
    axis.set_xlabel("seconds")
    axis.set_ylabel("MB")
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("videocolor colorize: resident memory over a generated reel")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def write_report(
    runs: dict[str, tuple[ReelPlan, tuple[int, int], MemoryRun]], folder: Path
) -> Path:
    """``memory.json`` (plans, peaks, samples) and ``memory.png`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        label: {
            "size": f"{size[0]}x{size[1]}",
            "frames": plan.frames,
            "shots": len(plan.lengths),
            "longest_shot": max(plan.lengths),
            "seconds": round(run.seconds, 1),
            "fps": round(plan.frames / run.seconds, 2),
            "peak_rss_mb": run.peak_rss_mb,
            "peak_rss_mb_second_half": run.peak_after(0.5),
            "samples": run.samples,
            "command": run.command,
        }
        for label, (plan, size, run) in runs.items()
    }
    (folder / "memory.json").write_text(json.dumps(payload, indent=1))
    plot({label: run for label, (_, _, run) in runs.items()}, folder / "memory.png")
    return folder
