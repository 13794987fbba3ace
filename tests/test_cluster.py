"""Colouring on a real two-node Ray cluster on this machine: the same file as a single machine,
tasks on both nodes, network tasks on the node that declares a GPU, a worker killed mid-task and
a driver killed mid-job.

The cluster is two ``ray start --block`` processes (a head, and a second node joined to it with
its own temp dir, a GPU declared and a ``node-b`` label) in the test's process group, so a
Ctrl-C reaches them too. The fixture stops them with SIGTERM, then kills by process id whatever
of theirs is left, and removes their temp dirs, even when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clips import painted_photo_reel
from videocolor.cli import main

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")  # comes with ray[default]

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))
JOB = ".videocolor-job"
SHOTS = 6
# Every process of the test cluster, its drivers included: this checkout's videocolor, and a
# token of its own (Ray would otherwise make and share one in ~/.ray).
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _node(temp: Path, *extra: str) -> subprocess.Popen:
    command = [
        RAY, "start", "--block", "--disable-usage-stats", "--temp-dir", str(temp),
        "--num-cpus", "1", "--object-store-memory", str(100 * 2**20),
        "--dashboard-agent-listen-port", str(_free_port()), *extra,
    ]  # fmt: skip
    log = temp.with_suffix(".log").open("w")
    return subprocess.Popen(command, env=ENV, stdout=log, stderr=subprocess.STDOUT)


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each ``ray start`` (it stops its node's processes), then SIGKILL by process id
    every process of theirs still running."""
    family = []
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            family += psutil.Process(process.pid).children(recursive=True)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _, alive = psutil.wait_procs(family, timeout=10)
    for leftover in alive:
        leftover.kill()
    _, alive = psutil.wait_procs(alive, timeout=10)
    assert not alive, f"Ray processes outlived the test: {alive}"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The head's address; the second node has a GPU declared (this machine has none)."""
    temp = Path(tempfile.mkdtemp(prefix="vc-ray-", dir="/tmp"))  # short: Ray's socket paths
    port = _free_port()
    address = f"127.0.0.1:{port}"
    processes = []
    try:
        processes.append(
            _node(temp / "head", "--head", "--port", str(port), "--node-ip-address", "127.0.0.1",
                  "--include-dashboard", "false", "--ray-client-server-port", str(_free_port()))
        )  # fmt: skip
        processes.append(
            _node(temp / "node-b", "--address", address, "--node-ip-address", "127.0.0.1",
                  "--num-gpus", "1", "--resources", json.dumps({"node-b": 1}))
        )  # fmt: skip
        _wait_for_nodes(address, 2, processes)
        yield address
    finally:
        _stop(processes)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_nodes(address: str, count: int, processes: list[subprocess.Popen]) -> None:
    probe = (
        "import ray, sys\n"
        f"ray.init(address={address!r}, log_to_driver=False)\n"
        "sys.exit(0 if sum(n['Alive'] for n in ray.nodes()) >= int(sys.argv[1]) else 3)\n"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                log = Path(process.args[process.args.index("--temp-dir") + 1]).with_suffix(".log")
                pytest.fail(f"ray start exited while the cluster was starting: {log.read_text()}")
        command = [sys.executable, "-c", probe, str(count)]
        if subprocess.run(command, capture_output=True, env=ENV).returncode == 0:
            return
        time.sleep(1)
    pytest.fail(f"the {count} Ray nodes did not come up in 120 s")


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """Six grey shots, one without a painted frame (the network colours it), and the bytes of
    the output a single machine writes through a job folder."""
    root = tmp_path_factory.mktemp("cluster")
    grey, refs = painted_photo_reel(root, (12, 24, 12, 12, 18, 12), painted=(3, 20, 40, 50, 80))
    whole = root / "whole.mkv"
    assert main(["-q", "colorize", str(grey), "-o", str(whole), "--codec", "ffv1", "--refs",
                 str(refs), "--resume"]) == 0  # fmt: skip
    return grey, refs, whole.read_bytes()


def _command(reel, out: Path, address: str, *extra: str) -> list[str]:
    grey, refs, _ = reel
    return [sys.executable, "-m", "videocolor", "colorize", str(grey), "-o", str(out),
            "--codec", "ffv1", "--refs", str(refs), "--cluster", address, "--task-frames", "1",
            "--json", *extra]  # fmt: skip


def _run(reel, out: Path, address: str, *extra: str) -> tuple[dict, str]:
    command = _command(reel, out, address, *extra)
    done = subprocess.run(command, capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["cluster"], done.stderr


@pytest.mark.parametrize("storage", ["--shared-storage", "--no-shared-storage"])
def test_the_cluster_writes_the_single_machine_file_using_both_nodes(
    cluster, reel, tmp_path, storage
) -> None:
    out = tmp_path / "out.mkv"
    report, _ = _run(reel, out, cluster, storage, "--gpu-share", "0")
    assert out.read_bytes() == reel[2]
    assert len({task["node_id"] for task in report["tasks"]}) == 2
    assert sorted(shot for task in report["tasks"] for shot in task["shots"]) == list(range(SHOTS))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mkv"]  # the job folder went


def test_network_tasks_land_on_the_gpu_node_and_its_cpu_fallback_is_one_line(
    cluster, reel, tmp_path
) -> None:
    out = tmp_path / "out.mkv"
    report, stderr = _run(reel, out, cluster)
    gpu_nodes = [node["node_id"] for node in report["nodes"] if node["resources"].get("GPU")]
    assert gpu_nodes and {task["node_id"] for task in report["tasks"]} == set(gpu_nodes)
    assert report["nodes"][0]["resources"]["node-b"] == 1
    assert all(task["gpu_ids"] == ["0"] for task in report["tasks"])
    fallback = [line for line in stderr.splitlines() if "has no CUDA provider" in line]
    assert len(fallback) == 1, stderr
    assert "the network runs on its CPU (install videocolor[gpu] there)" in fallback[0]
    assert out.read_bytes() == reel[2]  # the same CPU provider: the same file


def _wait_for(condition, process: subprocess.Popen, timeout: float = 120):
    """Poll until ``condition`` returns something true (returned) or the process ends."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.005)
    return None


def test_a_worker_killed_mid_task_is_retried_and_the_file_is_the_same(cluster, reel, tmp_path):
    out = tmp_path / "out.mkv"
    segments = Path(f"{out}{JOB}") / "segments"
    process = subprocess.Popen(_command(reel, out, cluster, "--gpu-share", "0"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ENV)  # fmt: skip

    def worker_writing() -> tuple[int, int] | None:
        """(shot, pid) of a segment a worker is writing, from its partial file's name."""
        for partial in segments.glob(".shot-*.partial-*") if segments.is_dir() else []:
            found = re.match(r"\.shot-(\d+)\.mkv\.partial-(\d+)", partial.name)
            if found:
                return int(found[1]), int(found[2])
        return None

    writing = _wait_for(worker_writing, process)
    if writing is None:
        process.kill()
        pytest.fail(f"no task was caught writing: {process.communicate()[1]}")
    shot, pid = writing
    os.kill(pid, signal.SIGKILL)  # the Ray worker process running the task
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert out.read_bytes() == reel[2]
    tasks = json.loads(stdout)["cluster"]["tasks"]
    retried = [task for task in tasks if shot in task["shots"]]
    assert len(retried) == 1 and retried[0]["pid"] != pid
    assert "the task will be retried" in stderr


def test_a_killed_driver_is_resumed_from_the_job_folder(cluster, reel, tmp_path) -> None:
    out = tmp_path / "out.mkv"
    segments = Path(f"{out}{JOB}") / "segments"
    command = _command(reel, out, cluster, "--gpu-share", "0")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)

    def two_segments() -> bool:
        return segments.is_dir() and len(list(segments.glob("shot-*.mkv"))) >= 2

    assert _wait_for(two_segments, process), process.communicate()[1]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists()
    kept = len(list(segments.glob("shot-*.mkv")))
    report, stderr = _run(reel, out, cluster, "--gpu-share", "0", "--resume")
    resumed = re.search(r"resuming: (\d+) of 6 shots already coloured", stderr)
    assert resumed and int(resumed[1]) >= kept, stderr
    assert sum(len(task["shots"]) for task in report["tasks"]) == SHOTS - int(resumed[1])
    assert out.read_bytes() == reel[2]
