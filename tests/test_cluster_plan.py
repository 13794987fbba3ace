"""Cluster runs without a cluster: how shots are batched into tasks, the resources a task asks
for, and the one line a user gets when Ray is missing or the address answers nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.clips import make_video
from videocolor.cli import main
from videocolor.cluster.placement import task_resources
from videocolor.cluster.plan import plan_batches
from videocolor.engine.options import EngineOptions
from videocolor.shots.shot import Shot


def _shots(*lengths: int) -> list[Shot]:
    shots, start = [], 0
    for index, length in enumerate(lengths):
        shots.append(Shot(index, start, start + length))
        start += length
    return shots


def _indices(batches) -> list[list[int]]:
    return [[shot.index for shot in batch] for batch in batches]


def test_short_shots_are_batched_up_to_the_task_size() -> None:
    shots = _shots(12, 12, 12, 100, 12, 30, 5)
    assert _indices(plan_batches(shots, set(), 24)) == [[0, 1], [2, 3], [4, 5], [6]]
    assert _indices(plan_batches(shots, set(), 1)) == [[i] for i in range(7)]


def test_a_batch_never_spans_a_finished_shot() -> None:
    shots = _shots(12, 12, 12, 12, 12)
    assert _indices(plan_batches(shots, {1, 4}, 48)) == [[0], [2, 3]]
    assert plan_batches(shots, {0, 1, 2, 3, 4}, 48) == []


def _engine(engine: str = "auto", device: str = "auto") -> EngineOptions:
    return EngineOptions(engine, None, device, 480, "medium", 8)


def test_network_tasks_ask_for_a_gpu_share_only_where_the_cluster_has_gpus() -> None:
    assert task_resources(_engine(), cpus=1, gpu_share=0.25, cluster_gpus=1) == {
        "num_cpus": 1,
        "num_gpus": 0.25,
    }
    assert task_resources(_engine(), cpus=2, gpu_share=0.25, cluster_gpus=0) == {"num_cpus": 2}
    assert "num_gpus" not in task_resources(
        _engine("classical"), cpus=1, gpu_share=0.25, cluster_gpus=1
    )
    assert "num_gpus" not in task_resources(
        _engine(device="cpu"), cpus=1, gpu_share=0.25, cluster_gpus=1
    )
    assert "num_gpus" not in task_resources(_engine(), cpus=1, gpu_share=0, cluster_gpus=1)


@pytest.fixture
def grey(tmp_path: Path) -> Path:
    return make_video(tmp_path / "grey.mkv", frames=4, codec="ffv1")


def test_an_address_that_answers_nothing_is_one_line_in_seconds(capsys, grey, tmp_path) -> None:
    started = time.perf_counter()
    args = [str(grey), "-o", str(tmp_path / "out.mkv"), "--codec", "ffv1", "--cluster"]
    assert main(["-q", "colorize", *args, "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "videocolor: error: --cluster 127.0.0.1:1: no Ray cluster answers there (Connection "
        "refused); start one with `ray start --head` or give the head's address"
    )
    assert main(["-q", "colorize", *args, "head:port"]) == 1
    assert "not an address (auto, local, HOST:PORT or ray://HOST:PORT)" in capsys.readouterr().err
    assert time.perf_counter() - started < 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grey.mkv"]


def test_without_ray_installed_it_says_how_to_install_it(grey: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['ray'] = None  # as if not installed: importing it raises ImportError\n"
        "from videocolor.cli import main\n"
        f"sys.exit(main(['-q', 'colorize', {str(grey)!r}, '-o', {str(tmp_path / 'o.mkv')!r}, "
        "'--cluster', 'local']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "videocolor: error: --cluster needs Ray, which is not installed: "
        'pip install "videocolor[cluster]"'
    )
