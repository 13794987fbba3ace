"""Resumable jobs: real runs killed at several points, then resumed, give the same output file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clips import painted_photo_reel
from videocolor.jobs.folder import JobFolder
from videocolor.jobs.workspace import already_complete

pytestmark = pytest.mark.slow
JOB = ".videocolor-job"


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """Four grey shots of 12 frames, a painted frame in each, and the bytes of the output an
    uninterrupted resumable run writes."""
    root = tmp_path_factory.mktemp("resume")
    grey, refs = painted_photo_reel(root, (12, 12, 12, 12), painted=(2, 14, 26, 38))
    whole = root / "whole.mkv"
    assert _run(grey, refs, whole).wait() == 0
    assert not Path(f"{whole}{JOB}").exists()
    return grey, refs, whole.read_bytes()


def _command(grey: Path, refs: Path, out: Path, *extra: str, quiet: bool = True) -> list[str]:
    return [sys.executable, "-m", "videocolor", *(["-q"] if quiet else []), "colorize",
            str(grey), "-o", str(out), "--codec", "ffv1", "--refs", str(refs), "--resume",
            *extra]  # fmt: skip


def _run(grey: Path, refs: Path, out: Path, *extra: str, quiet: bool = True) -> subprocess.Popen:
    command = _command(grey, refs, out, *extra, quiet=quiet)
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


def _segments(out: Path) -> int:
    folder = Path(f"{out}{JOB}") / "segments"
    return len(list(folder.glob("shot-*.mkv"))) if folder.is_dir() else 0


def _joining(out: Path) -> bool:
    return any(out.parent.glob(f".{out.name}.partial-*"))


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen) -> bool:
    """Poll until ``condition`` holds (True) or the process ends first (False)."""
    while process.poll() is None:
        if condition():
            return True
        time.sleep(0.001)
    return False


KILL_POINTS = {
    "while checking references": lambda out: Path(f"{out}{JOB}", "job.json").exists(),
    "after the first shot": lambda out: _segments(out) >= 1,
    "after three shots": lambda out: _segments(out) >= 3,
    "while joining": _joining,
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_anywhere_then_resumed_gives_the_same_file(reel, tmp_path: Path, point) -> None:
    grey, refs, whole = reel
    out = tmp_path / "out.mkv"
    process = _run(grey, refs, out)
    reached = _wait_for(lambda: KILL_POINTS[point](out), process)
    if not reached:
        pytest.fail(f"the run ended before it was {point}: {process.stderr.read()}")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists() or point == "while joining"
    kept, finished = _segments(out), out.exists()  # killed before or after the final rename
    resumed = _run(grey, refs, out, quiet=False)
    assert resumed.wait() == 0
    log = resumed.stderr.read()
    if finished:
        assert "already complete (an earlier run finished it)" in log, log
    else:
        assert (f"resuming: {kept} of 4 shots already coloured" in log) == (kept > 0), log
    assert out.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mkv"]  # job and partials gone


def test_sigterm_stops_it_resumably_and_says_how_to_resume(reel, tmp_path: Path) -> None:
    grey, refs, whole = reel
    out = tmp_path / "out.mkv"
    process = _run(grey, refs, out)
    assert _wait_for(lambda: _segments(out) >= 1, process)
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 128 + signal.SIGTERM
    lines = process.stderr.read().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("videocolor: stopped by SIGTERM; the finished")
    command = lines[0].split("resume with: ", 1)[1]
    assert "--resume" in command and str(out) in command
    assert subprocess.run(command.replace("videocolor", f"{sys.executable} -m videocolor", 1),
                          shell=True, check=False).returncode == 0  # fmt: skip
    assert out.read_bytes() == whole


def test_a_second_run_on_the_same_job_is_refused(reel, tmp_path: Path) -> None:
    grey, refs, _ = reel
    out = tmp_path / "out.mkv"
    first = _run(grey, refs, out)
    assert _wait_for(lambda: Path(f"{out}{JOB}", "job.json").exists(), first)
    second = subprocess.run(_command(grey, refs, out), capture_output=True, text=True)
    assert first.wait() == 0
    assert second.returncode == 1
    assert f"another videocolor run (pid {first.pid}) is working on this job" in second.stderr


def test_a_job_is_resumed_only_as_it_was_started(reel, tmp_path: Path) -> None:
    grey, refs, _ = reel
    out = tmp_path / "out.mkv"
    process = _run(grey, refs, out)
    assert _wait_for(lambda: _segments(out) >= 1, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    changed = subprocess.run(_command(grey, refs, out, "--work-res", "240"), capture_output=True,
                             text=True)  # fmt: skip
    assert changed.returncode == 1
    assert "this job was started with another engine (work_res)" in changed.stderr
    plain = _command(grey, refs, out)
    plain.remove("--resume")
    without = subprocess.run(plain, capture_output=True, text=True)
    assert without.returncode == 1 and "add --resume to finish it" in without.stderr
    assert _segments(out) >= 1 and not out.exists()  # the job was left as it was


def test_ctrl_c_on_a_plain_run_leaves_nothing(reel, tmp_path: Path) -> None:
    grey, refs, _ = reel
    out = tmp_path / "out.mkv"
    command = _command(grey, refs, out)
    command.remove("--resume")
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: any(tmp_path.glob(".out.mkv.partial-*")), process)
    os.kill(process.pid, signal.SIGINT)
    assert process.wait() == 128 + signal.SIGINT
    assert "stopped by SIGINT; partial outputs were removed" in process.stderr.read()
    assert list(tmp_path.iterdir()) == []


def _frames(path: Path) -> bytes:
    command = ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


@pytest.mark.parametrize("command", ["render", "handoff"])
def test_render_and_handoff_resume_their_colouring(reel, tmp_path: Path, command) -> None:
    grey, refs, _ = reel
    out = tmp_path / ("out.mkv" if command == "render" else "handoff")
    extra = ["--pre", "hqdn3d"] if command == "render" else []
    words = [sys.executable, "-m", "videocolor", "-q", command, str(grey), "-o", str(out),
             "--codec", "ffv1", "--refs", str(refs), *extra]  # fmt: skip
    plain = tmp_path / "plain"
    plain.mkdir()
    subprocess.run([*words[:7], str(plain / out.name), *words[8:]], check=True)
    inner = Path(f"{out}{JOB}") / f"colour.mkv{JOB}"
    process = subprocess.Popen([*words, "--resume"], stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: len(list((inner / "segments").glob("shot-*.mkv"))) >= 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    subprocess.run([*words, "--resume"], check=True)
    assert not Path(f"{out}{JOB}").exists()
    if command == "render":
        assert _frames(out) == _frames(plain / out.name)
    else:
        assert _frames(out / "grey_colour_00-00-00-00.mkv") == _frames(
            plain / out.name / "grey_colour_00-00-00-00.mkv"
        )


def test_a_job_killed_between_its_output_and_its_cleanup_is_known_complete(tmp_path: Path) -> None:
    out = tmp_path / "out.mkv"
    job = JobFolder.open(out, {"input": "x"}, resume=True)
    finished = tmp_path / ".out.mkv.partial-1.mkv"
    finished.write_bytes(b"the joined output")
    job.mark_complete(finished)
    finished.replace(out)  # the run is killed here, before it removes its job folder
    job.release()
    assert already_complete(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mkv"]
    other = JobFolder.open(tmp_path / "other.mkv", {"input": "x"}, resume=True)
    (tmp_path / "other.mkv").write_bytes(b"not the job's output")
    other.release()
    assert not already_complete(tmp_path / "other.mkv")  # a file the job did not write
