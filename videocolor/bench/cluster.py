"""``bench cluster``: one reel on Ray with 1 and 2 worker processes, what a task costs, and a
scaling table for N nodes built from the costs measured here.

A generated grey reel (:mod:`videocolor.bench.memory`'s: long shots among short ones, automatic
colour) is coloured once on a single machine through a job folder, then through ``--cluster``
on a local Ray head started with 1 and with 2 CPUs (one worker process each), each output
compared byte for byte with the single machine's. The per-task overhead is the wall-time
difference between one task per shot and one task for the whole reel, per extra task; an empty
task's
round trip is Ray's own floor. The driver's own passes (shot detection, the packet index, the
join) are timed on their own: they do not shrink with more nodes, which is where scaling stops.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from videocolor.bench.memory import ReelPlan, write_reel
from videocolor.io.seek import index_frames
from videocolor.shots.detection import detect_shots

#: A 90-minute reel at 24 frames/s: what the scaling table is for.
REEL_FRAMES = 90 * 60 * 24
NODE_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128)
PROCESSES_PER_NODE = 2  # a node like this machine: two cores, a worker process on each


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_head(cpus: int, env: dict[str, str]) -> Iterator[str]:
    """A Ray head on this machine with ``cpus`` CPUs (``ray start --block``), stopped by its
    process id afterwards; its address."""
    temp = Path(tempfile.mkdtemp(prefix="vc-bench-ray-", dir="/tmp"))  # Ray's socket paths
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
        "--disable-usage-stats", "--include-dashboard", "false", "--temp-dir", str(temp),
        "--port", str(port), "--num-cpus", str(cpus), "--node-ip-address", "127.0.0.1",
        "--ray-client-server-port", str(_free_port()),
        "--dashboard-agent-listen-port", str(_free_port()),
    ]  # fmt: skip
    head = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        address = f"127.0.0.1:{port}"
        probe = [sys.executable, "-c", f"import ray; ray.init(address={address!r})"]
        deadline = time.monotonic() + 120
        while subprocess.run(probe, env=env, capture_output=True).returncode:
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the benchmark's Ray head did not start")
            time.sleep(1)
        yield address
    finally:
        head.terminate()
        head.wait(timeout=60)
        shutil.rmtree(temp, ignore_errors=True)


def _colorize(reel: Path, out: Path, env: dict[str, str], *extra: str) -> tuple[float, dict]:
    command = [sys.executable, "-m", "videocolor", "-q", "colorize", str(reel), "-o", str(out),
               "--codec", "ffv1", "--resume", "--overwrite", "--json", *extra]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"colorize failed: {done.stderr.strip()}")
    return time.perf_counter() - started, json.loads(done.stdout)


def _empty_task_ms(address: str, env: dict[str, str], count: int = 50) -> float:
    """Ray's round trip for an empty task, submitted and awaited one at a time."""
    code = (
        "import ray, time\n"
        f"ray.init(address={address!r}, log_to_driver=False)\n"
        "f = ray.remote(lambda: None)\n"
        "ray.get(f.remote())\n"
        "t = time.perf_counter()\n"
        f"for _ in range({count}): ray.get(f.remote())\n"
        f"print((time.perf_counter() - t) / {count} * 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


@dataclass
class ClusterBench:
    """Everything ``bench cluster`` measured, in seconds unless named otherwise."""

    frames: int
    size: tuple[int, int]
    shots: int
    single_s: float
    shot_pass_s: float
    index_s: float
    runs: dict[str, dict] = field(default_factory=dict)  # label: wall, fps, tasks, identical
    empty_task_ms: float = 0.0
    task_overhead_s: float = 0.0
    join_s: float = 0.0

    def per_frame(self) -> dict[str, float]:
        """Seconds a frame costs in each step: the driver's passes, and colouring in tasks."""
        one = self.runs["1 worker process, task per shot"]
        return {
            "shot_pass": self.shot_pass_s / self.frames,
            "index": self.index_s / self.frames,
            "colour": one["task_seconds"] / self.frames,
            "join": self.join_s / self.frames,
        }

    def scaling(self) -> list[dict[str, float]]:
        """Predicted hours for a 90-minute reel at this reel's frame size on N nodes of
        :data:`PROCESSES_PER_NODE` worker processes, tasks as long as here."""
        cost = self.per_frame()
        tasks = REEL_FRAMES / self.frames * self.runs["1 worker process, task per shot"]["tasks"]
        serial = (cost["shot_pass"] + cost["index"] + cost["join"]) * REEL_FRAMES
        work = cost["colour"] * REEL_FRAMES + tasks * self.task_overhead_s
        rows = []
        for nodes in NODE_COUNTS:
            parallel = work / (nodes * PROCESSES_PER_NODE)
            total = serial + parallel
            rows.append(
                {
                    "nodes": nodes,
                    "hours": total / 3600,
                    "speedup": (serial + work) / total,
                    "driver_share": serial / total,
                }
            )
        return rows

    def as_json(self) -> dict[str, object]:
        return {
            **asdict(self),
            "per_frame_s": self.per_frame(),
            "scaling": self.scaling(),
        }

    def markdown(self) -> str:
        lines = [
            f"Reel: {self.frames} frames, {self.size[0]}x{self.size[1]}, {self.shots} shots, "
            "automatic colour (network on the CPU).",
            "",
            "| run | wall s | frames/s | tasks | output identical |",
            "|---|---:|---:|---:|---|",
            f"| single machine (job folder) | {self.single_s:.1f} | "
            f"{self.frames / self.single_s:.1f} | - | reference |",
        ]
        for label, run in self.runs.items():
            lines.append(
                f"| {label} | {run['wall_s']:.1f} | {run['fps']:.1f} | {run['tasks']} | "
                f"{'yes' if run['identical'] else 'NO'} |"
            )
        cost = self.per_frame()
        lines += [
            "",
            f"Driver passes: shot detection {cost['shot_pass'] * 1000:.2f} ms/frame, packet index "
            f"{cost['index'] * 1000:.3f} ms/frame, join {cost['join'] * 1000:.3f} ms/frame; "
            f"colouring {cost['colour'] * 1000:.1f} ms/frame in one worker process. Per task: "
            f"{self.task_overhead_s * 1000:.0f} ms overhead (an empty Ray task: "
            f"{self.empty_task_ms:.1f} ms).",
            "",
            f"| nodes ({PROCESSES_PER_NODE} processes each) | hours for 90 min | speedup | "
            "driver's share |",
            "|---:|---:|---:|---:|",
        ]
        for row in self.scaling():
            lines.append(
                f"| {row['nodes']} | {row['hours']:.2f} | {row['speedup']:.1f} | "
                f"{row['driver_share']:.0%} |"
            )
        return "\n".join(lines) + "\n"


def run_cluster_bench(
    work: Path, frames: int, size: tuple[int, int], long_shot: int, progress: bool = True
) -> ClusterBench:
    """Generate the reel in ``work`` and measure (see the module's docstring)."""
    work.mkdir(parents=True, exist_ok=True)
    plan = ReelPlan.mixed(frames, long_shot)
    reel = write_reel(work / "reel.mkv", plan, size, progress)
    # Ray's token of its own, so the benchmark neither makes nor uses one in ~/.ray.
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    single_s, _ = _colorize(reel, work / "single.mkv", env)
    reference = (work / "single.mkv").read_bytes()
    started = time.perf_counter()
    shots = detect_shots(reel, progress=False).shots
    shot_pass_s = time.perf_counter() - started
    started = time.perf_counter()
    index_frames(reel, plan.frames)
    bench = ClusterBench(
        plan.frames, size, len(shots), single_s, shot_pass_s, time.perf_counter() - started
    )
    for cpus in (1, 2):
        with local_head(cpus, env) as address:
            variants = [("task per shot", ["--task-frames", "1"])]
            if cpus == 1:
                variants.append(("one task", ["--task-frames", str(plan.frames)]))
                bench.empty_task_ms = _empty_task_ms(address, env)
            for name, extra in variants:
                out = work / "cluster.mkv"
                wall, summary = _colorize(reel, out, env, "--cluster", address, *extra)
                report = summary["cluster"]
                label = f"{cpus} worker process{'es' if cpus > 1 else ''}, {name}"
                bench.runs[label] = {
                    "wall_s": wall,
                    "fps": plan.frames / wall,
                    "tasks": len(report["tasks"]),
                    "task_seconds": sum(task["seconds"] for task in report["tasks"]),
                    "join_s": report["join_s"],
                    "identical": out.read_bytes() == reference,
                }
                if progress:
                    print(f"{label}: {plan.frames / wall:.1f} frames/s", file=sys.stderr)
    many = bench.runs["1 worker process, task per shot"]
    one = bench.runs["1 worker process, one task"]
    # Tasks run one after another on one worker process: the extra wall time is theirs.
    extra_tasks = max(1, many["tasks"] - one["tasks"])
    bench.task_overhead_s = max(0.0, many["wall_s"] - one["wall_s"]) / extra_tasks
    bench.join_s = many["join_s"]
    return bench
