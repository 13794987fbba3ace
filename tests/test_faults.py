"""Faults while running: damaged input, unusable references and models, a full or read-only disk.

Each case runs the real CLI on real files; a fault ends in one line on stderr naming the problem
and the fix (exit 1, the input unchanged, nothing half-written left) or in a documented recovery
with one warning line. Disks are real size-capped or read-only tmpfs mounts, skipped where
mounting is not permitted. The two runs on one job (the lock) are in ``test_resume.py``.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.clips import make_video, painted_photo_reel
from videocolor.cli import main

JOB = ".videocolor-job"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(["-q", *args])
    return code, capsys.readouterr().err.strip()


def _assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 1
    assert err.startswith("videocolor: error: ") and "\n" not in err, err
    assert "internal error" not in err and "Traceback" not in err
    for part in expected:
        assert part in err, err


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warning lines a run printed (``videocolor: `` and each of these)."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three grey shots of 8 frames (320x240 FFV1), a painted frame in each."""
    return painted_photo_reel(tmp_path_factory.mktemp("reel"), (8, 8, 8), painted=(2, 10, 18))


def _colorize(reel: tuple[Path, Path], output: Path, *extra: str, refs: Path | None = None):
    grey, painted = reel
    return ["colorize", str(grey), "--refs", str(refs or painted), "-o", str(output),
            "--codec", "ffv1", "--engine", "classical", *extra]  # fmt: skip


def _mount(target: Path, options: str) -> None:
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not permitted'})")


def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on ``folder`` for the test, unmounted however it ends."""
    folder.mkdir()
    _mount(folder, options)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: room for about one shot of the reel's colour output."""
    yield from _tmpfs(tmp_path / "small", "size=1m")


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _tmpfs(tmp_path / "ro", "size=1m,ro")


# Corrupt packets mid-stream: the decoder rejects or repairs a frame; the run goes on, keeps every
# frame's number and time (a rejected one becomes a copy of the frame before), and says which.


def _damage_middle_packet(source: Path, target: Path) -> None:
    with av.open(str(source)) as container:
        packets = [(p.pos, p.size) for p in container.demux(video=0) if p.size]
    position, size = packets[len(packets) // 2]
    data = bytearray(source.read_bytes())
    data[position + 8 : position + size - 4] = bytes(
        0xA5 ^ (i & 0xFF) for i in range(position + 8, position + size - 4)
    )
    target.write_bytes(bytes(data))


def _frame_times(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [frame.pts for frame in container.decode(video=0)]


@pytest.mark.parametrize("container", ["mkv", "mp4"])
def test_corrupt_packet_mid_stream_is_coloured_around_and_reported(
    capsys, caplog, tmp_path: Path, container: str
) -> None:
    """In Matroska the decoder rejects the packet, in MP4 it conceals the damage itself."""
    whole = make_video(
        tmp_path / f"whole.{container}",
        frames=48,
        width=96,
        height=64,
        codec_options={"g": "4", "crf": "10"},
    )
    damaged = tmp_path / f"damaged.{container}"
    _damage_middle_packet(whole, damaged)
    digest = _digest(damaged)
    out = tmp_path / "out.mkv"
    code = main(["grayscale", str(damaged), "-o", str(out), "--codec", "ffv1"])
    assert code == 0, capsys.readouterr().err
    [warning] = _warnings(caplog)
    reference = tmp_path / "reference.mkv"
    assert main(["-q", "grayscale", str(whole), "-o", str(reference), "--codec", "ffv1"]) == 0
    assert _frame_times(out) == _frame_times(reference)  # every frame, each at its own time
    assert warning == (
        f"{damaged}: 1 damaged frame (24) coloured as the decoder repaired them or as the frame "
        "before; re-export the source to recover them"
    )
    assert _digest(damaged) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [whole.name, damaged.name, out.name, reference.name]
    )


# References that fail to decode, have the wrong size or aspect, or name a frame past the end.


def _faulty_refs(reel: tuple[Path, Path], root: Path) -> Path:
    """The reel's painted frames 2 and 18 as they are, frame 10 squashed to another aspect, a
    PNG of random bytes, and frame 18 again named for frame 900."""
    _, painted = reel
    refs = root / "faulty-refs"
    refs.mkdir()
    for name in ("000002.png", "000018.png"):
        (refs / name).write_bytes((painted / name).read_bytes())
    frame = cv2.imread(str(painted / "000010.png"))
    cv2.imwrite(str(refs / "000010.png"), cv2.resize(frame, (320, 120)))
    (refs / "000005.png").write_bytes(np.random.default_rng(1).bytes(5000))
    (refs / "000900.png").write_bytes((painted / "000018.png").read_bytes())
    return refs


def test_faulty_references_are_used_or_left_out_with_one_line_each(
    capsys, caplog, reel, tmp_path: Path
) -> None:
    refs = _faulty_refs(reel, tmp_path)
    digests = {p.name: _digest(p) for p in refs.iterdir()}
    out = tmp_path / "out.mkv"
    code = main(_colorize(reel, out, refs=refs))  # not -q: warnings are what this is about
    assert code == 0, capsys.readouterr().err
    assert out.is_file()
    assert sorted(_warnings(caplog)) == [
        "000005.png: not used (not a readable image)",
        "000010.png: used, but aspect 2.667 (320x120) differs from the frame's 1.333 (320x240) "
        "by 100.0%: stretched to fit",
        "000900.png: not used (frame 900 is outside the video (24 frames: 0-23); best match: "
        "frame 18 (r=1.00))",
    ]
    assert {p.name: _digest(p) for p in refs.iterdir()} == digests


def test_references_none_of_them_usable_are_refused_before_any_output(
    capsys, reel, tmp_path: Path
) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "000005.png").write_bytes(np.random.default_rng(1).bytes(5000))
    (refs / "000900.png").write_bytes((reel[1] / "000018.png").read_bytes())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, err = _run(capsys, *_colorize(reel, out_dir / "x.mkv", refs=refs))
    _assert_one_line_error(
        code,
        err,
        "no usable reference image",
        "000005.png: not a readable image",
        "000900.png: frame 900 is outside the video",
    )
    assert not any(out_dir.iterdir())


# A full disk while writing: the partial output goes; with --resume the finished shots stay.


def test_disk_full_removes_the_partial_output_and_says_how_much_to_free(
    capsys, reel, small_disk: Path
) -> None:
    grey = reel[0]
    digest = _digest(grey)
    code, err = _run(capsys, *_colorize(reel, small_disk / "x.mkv"))
    _assert_one_line_error(
        code,
        err,
        f"{small_disk / 'x.mkv'}: disk full while writing (No space left on device); free ",
        f" MB on {small_disk} and run again",
    )
    assert not any(small_disk.iterdir())
    assert _digest(grey) == digest


def test_disk_full_as_image_sequence_removes_the_partial_folder(
    capsys, reel, small_disk: Path
) -> None:
    code, err = _run(capsys, *_colorize(reel, small_disk / "frames", "--codec", "png"))
    _assert_one_line_error(code, err, "frames: disk full while writing", "and run again")
    assert not any(small_disk.iterdir())


def test_disk_full_with_resume_keeps_finished_shots_and_resumes(
    capsys, reel, small_disk: Path, tmp_path: Path
) -> None:
    out = small_disk / "x.mkv"
    code, err = _run(capsys, *_colorize(reel, out, "--resume"))
    _assert_one_line_error(
        code,
        err,
        f"{out}: disk full while writing (No space left on device); free ",
        f" MB on {small_disk} and run the same command again to resume",
    )
    segments = Path(f"{out}{JOB}", "segments")
    assert [p.name for p in segments.iterdir()] == ["shot-000000.mkv"]
    assert [p.name for p in small_disk.iterdir()] == [f"x.mkv{JOB}"]
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    code, err = _run(capsys, *_colorize(reel, out, "--resume"))
    assert code == 0, err
    assert [p.name for p in small_disk.iterdir()] == ["x.mkv"]
    uninterrupted = tmp_path / "whole.mkv"
    assert _run(capsys, *_colorize(reel, uninterrupted, "--resume"))[0] == 0
    assert out.read_bytes() == uninterrupted.read_bytes()


# A read-only output folder, refused before any work.


@pytest.mark.parametrize("extra", [(), ("--resume",)])
def test_read_only_output_folder_is_refused_before_any_work(
    capsys, reel, read_only_disk: Path, extra: tuple[str, ...]
) -> None:
    code, err = _run(capsys, *_colorize(reel, read_only_disk / "x.mkv", *extra))
    _assert_one_line_error(
        code,
        err,
        f"{read_only_disk}: output folder is not writable (Read-only file system); "
        "choose another with -o",
    )


# --model: a corrupt file, and a valid ONNX model of another contract.


def test_corrupt_model_is_refused_before_any_work(capsys, reel, tmp_path: Path) -> None:
    model = tmp_path / "colour.onnx"
    model.write_bytes(np.random.default_rng(2).bytes(20000))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [*_colorize(reel, out_dir / "x.mkv"), "--engine", "auto", "--model", str(model)]
    code, err = _run(capsys, *args)
    _assert_one_line_error(
        code,
        err,
        f"{model}: not a loadable ONNX model (",
        "; export one with `python -m export.onnx`",
    )
    assert not any(out_dir.iterdir())


def _tiny_model(path: Path, output_channels: int) -> Path:
    """An ONNX model with the colour network's inputs whose output has ``output_channels``."""
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper

    def tensor(name: str, channels: int):
        return helper.make_tensor_value_info(
            name, onnx.TensorProto.FLOAT, ["n", channels, "h", "w"]
        )

    graph = helper.make_graph(
        [helper.make_node("Identity", ["hint_ab" if output_channels == 2 else "luma"], ["ab"])],
        "tiny",
        [tensor("luma", 1), tensor("hint_ab", 2), tensor("hint_conf", 1)],
        [tensor("ab", output_channels)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("matching", "inputs ('luma',), expected ('luma', 'hint_ab', 'hint_conf')"),
        ("one-channel output", "ab is tensor(float) ['n', 1, 'h', 'w'], expected tensor(float) "
         "[N, 2, H, W]"),
    ],
)  # fmt: skip
def test_model_of_another_contract_is_refused_before_any_work(
    capsys, reel, tmp_path: Path, model: str, problem: str
) -> None:
    if model == "matching":
        path = Path(__file__).resolve().parents[1] / "videocolor/models/matching_features.onnx"
    else:
        path = _tiny_model(tmp_path / "tiny.onnx", output_channels=1)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [*_colorize(reel, out_dir / "x.mkv"), "--engine", "auto", "--model", str(path)]
    code, err = _run(capsys, *args)
    _assert_one_line_error(code, err, f"{path}: not a colourisation model: {problem}")
    assert not any(out_dir.iterdir())


def test_a_model_of_the_right_contract_is_accepted(capsys, reel, tmp_path: Path) -> None:
    """The contract check refuses only what breaks it: the same tiny model with an ab output
    colours the reel."""
    path = _tiny_model(tmp_path / "tiny.onnx", output_channels=2)
    args = [*_colorize(reel, tmp_path / "x.mkv"), "--engine", "auto", "--model", str(path)]
    code, err = _run(capsys, *args)
    assert code == 0, err


# The codec and the container, and a pixel format videocolor cannot take luma from.


@pytest.mark.parametrize(
    ("codec", "name", "expected"),
    [
        ("prores", "x.mp4", "--codec prores is written to .mov/.mkv files, not .mp4"),
        ("dnxhr", "x.mp4", "--codec dnxhr is written to .mov/.mxf/.mkv files, not .mp4"),
        ("h264", "x.avi", "--codec h264 is written to .mp4/.mov/.mkv files, not .avi"),
    ],
)
def test_codec_the_container_cannot_hold_is_refused(
    capsys, reel, tmp_path: Path, codec: str, name: str, expected: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [*_colorize(reel, out_dir / name), "--codec", codec]
    code, err = _run(capsys, *args)
    _assert_one_line_error(code, err, f"{out_dir / name}: {expected}")
    assert not any(out_dir.iterdir())


def test_unsupported_pixel_format_names_the_file(capsys, tmp_path: Path) -> None:
    bits = make_video(tmp_path / "mono.nut", codec="rawvideo", pix_fmt="monow", frames=2)
    code, err = _run(capsys, "grayscale", str(bits), "-o", str(tmp_path / "x.mkv"))
    _assert_one_line_error(
        code, err, f"{bits}: unsupported pixel format 'monow'", "convert the source"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["mono.nut"]
