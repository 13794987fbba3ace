"""``videocolor pipe`` between two real ffmpeg processes, and the streaming pieces under it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.clips import painted_photo_reel
from videocolor.memory.spill import FrameQueue, RamBudget
from videocolor.shots.detection import detect_shots
from videocolor.shots.stream import CHECK_EVERY, ShotStream

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
VIDEOCOLOR = [sys.executable, "-m", "videocolor"]
SIZE = ["--size", "320x240", "--rate", "24"]


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three shots (10, 12 and 10 frames) of a grey FFV1 clip, one painted frame in each."""
    root = tmp_path_factory.mktemp("pipe")
    return painted_photo_reel(root, (10, 12, 10), painted=(2, 14, 25))


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True, text=True
    )


def _raw(path: Path, pix_fmt: str) -> np.ndarray:
    data = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(data, np.uint8)


@needs_ffmpeg
def test_the_pipe_gives_colorize_s_frames_bit_for_bit(reel, tmp_path: Path) -> None:
    grey, refs = reel
    colorize = [*VIDEOCOLOR, "-q", "colorize", str(grey), "-o", str(tmp_path / "c.mkv")]
    subprocess.run([*colorize, "--codec", "ffv1", "--refs", str(refs)], check=True)
    done = _shell(
        f"ffmpeg -v error -i {grey} -f rawvideo -pix_fmt yuv444p - | videocolor -q pipe "
        f"{' '.join(SIZE)} --pix-fmt yuv444p --out-pix-fmt yuv444p --refs {refs} | ffmpeg "
        "-v error -f rawvideo -pix_fmt yuv444p -color_range tv -s 320x240 -r 24 -i - -c:v ffv1 "
        "p.mkv",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    piped, coloured = _raw(tmp_path / "p.mkv", "yuv444p"), _raw(tmp_path / "c.mkv", "yuv444p")
    assert piped.size == coloured.size == 32 * 3 * 320 * 240
    assert np.array_equal(piped, coloured)
    rgb = _raw(tmp_path / "c.mkv", "rgb24").reshape(32, 240, 320, 3).astype(int)
    assert all(np.ptp(frame, axis=2).mean() > 5 for frame in rgb)  # every shot in colour


@needs_ffmpeg
def test_grey_in_rgb_out_stays_within_a_code_of_colorize(reel, tmp_path: Path) -> None:
    """ffmpeg's ``format=gray`` turns the clip's limited range into full range: the luma codes
    the pipe gets are rescaled, the only cause of difference."""
    grey, refs = reel
    colorize = [*VIDEOCOLOR, "-q", "colorize", str(grey), "-o", str(tmp_path / "c.mkv")]
    subprocess.run([*colorize, "--codec", "ffv1", "--refs", str(refs)], check=True)
    done = _shell(
        f"ffmpeg -v error -i {grey} -vf format=gray -f rawvideo - | videocolor -q pipe "
        f"{' '.join(SIZE)} --refs {refs} > out.rgb",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    piped = np.fromfile(tmp_path / "out.rgb", np.uint8).astype(int)
    coloured = _raw(tmp_path / "c.mkv", "rgb24").astype(int)
    assert piped.size == coloured.size
    assert np.abs(piped - coloured).mean() < 1.0


@needs_ffmpeg
@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["--size", "320x200"], "gray", "stream ended inside frame 38 (25600 of 64000 bytes)"),
        (["--pix-fmt", "rgb24"], "rgb24", "--pix-fmt rgb24: videocolor reads"),
        (["--refs", "nowhere"], "gray", "nowhere: no such reference folder"),
    ],
)
def test_bad_input_is_one_line(reel, tmp_path: Path, arguments, stdin, message) -> None:
    grey, refs = reel
    options = {"--size": "320x240", "--rate": "24", "--refs": str(refs)}
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        options[flag] = value
    flags = " ".join(f"{flag} {value}" for flag, value in options.items())
    done = _shell(
        f"ffmpeg -v error -i {grey} -f rawvideo -pix_fmt {stdin} - | videocolor pipe {flags} "
        "> out.raw",
        tmp_path,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert "Traceback" not in done.stderr


@needs_ffmpeg
def test_a_reader_that_stops_early_ends_it_with_one_line(reel, tmp_path: Path) -> None:
    grey, refs = reel
    done = _shell(
        f"ffmpeg -v error -i {grey} -f rawvideo -pix_fmt gray - | videocolor -q pipe "
        f"{' '.join(SIZE)} --refs {refs} | head -c 1000 > /dev/null",
        tmp_path,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(
        r"videocolor: error: stdout closed by the reader after \d+ frames: the output is "
        "incomplete",
        lines[0],
    )


def _pan(shot: int, index: int) -> np.ndarray:
    """A 96x72 luma frame of shot ``shot`` (its own texture), moved ``index`` pixels."""
    rng = np.random.default_rng(shot)
    texture = (rng.random((72, 260)) * 200 + 20).astype(np.uint8)
    return np.ascontiguousarray(texture[:, index : index + 96])


def test_shots_end_while_the_stream_goes_on_and_match_the_whole_file() -> None:
    lengths = (100, 60, 150)
    frames = [_pan(shot, i) for shot, length in enumerate(lengths) for i in range(length)]
    stream = ShotStream()
    ended_at: dict[int, int] = {}
    for index, luma in enumerate(frames):
        for shot in stream.add(luma):
            ended_at[shot.index] = index
    last = stream.finish()
    whole = detect_shots(frames)
    assert [shot.start for shot in whole] == [0, 100, 160]
    assert [*ended_at] == [0, 1] and [shot.index for shot in last] == [2]
    for shot in whole[:2]:  # known one lookahead (plus a check) after its end, not at the end
        assert ended_at[shot.index] - shot.end < stream.lookahead + CHECK_EVERY
    assert stream.transitions == list(whole.transitions)


def test_the_frame_queue_spills_to_disk_past_its_limit_and_frees_what_it_drops() -> None:
    frame_bytes = 72 * 96
    queue = FrameQueue((72, 96), np.uint8, budget=RamBudget(4 * frame_bytes), block=2)
    frames = [_pan(0, i) for i in range(20)]
    for frame in frames[:10]:
        queue.append(frame)
    assert queue.bytes_on_disk == 6 * frame_bytes  # 4 frames in RAM, 6 spilled
    queue.drop(7)
    for frame in frames[10:]:
        queue.append(frame)
    assert len(queue) == 13
    assert all(np.array_equal(queue[i], frames[7 + i]) for i in range(13))
    assert queue.bytes_on_disk <= 14 * frame_bytes  # dropped blocks went, partial one stays
