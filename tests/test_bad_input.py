"""Every kind of bad input: one clear line, a non-zero exit, and nothing written or changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import av
import pytest

from tests.clips import make_audio_only, make_video
from videocolor.cli import main


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(["-q", *args])
    err = capsys.readouterr().err.strip()
    return code, err


def _assert_clean_failure(code: int, err: str, expected: str, out_dir: Path, before: set) -> None:
    assert code == 1
    assert expected in err, err
    assert err.count("\n") == 0 and "Traceback" not in err  # exactly one line
    assert set(out_dir.iterdir()) == before  # nothing written, no temp files left


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _grayscale(capsys, source: Path, target: Path, *extra: str) -> tuple[int, str]:
    return _run(capsys, "grayscale", str(source), "-o", str(target), *extra)


def test_missing_file(capsys, out_dir: Path) -> None:
    code, err = _grayscale(capsys, out_dir.parent / "nope.mp4", out_dir / "x.mp4")
    _assert_clean_failure(code, err, "nope.mp4: no such file", out_dir, set())


def test_text_file_named_mp4(capsys, tmp_path: Path, out_dir: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n")
    digest = _digest(fake)
    code, err = _grayscale(capsys, fake, out_dir / "x.mp4")
    _assert_clean_failure(code, err, "not a readable video file", out_dir, set())
    assert _digest(fake) == digest


def test_zero_byte_file(capsys, tmp_path: Path, out_dir: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    code, err = _grayscale(capsys, empty, out_dir / "x.mp4")
    _assert_clean_failure(code, err, "file is empty (0 bytes)", out_dir, set())


def test_audio_only_file(capsys, tmp_path: Path, out_dir: Path) -> None:
    sound = make_audio_only(tmp_path / "sound.mp4")
    code, err = _grayscale(capsys, sound, out_dir / "x.mp4")
    _assert_clean_failure(code, err, "no video stream (streams found: audio)", out_dir, set())


def test_truncated_video_keeps_what_decodes_and_reports_the_loss(capsys, caplog, tmp_path, out_dir):
    whole = make_video(
        tmp_path / "whole.mp4",
        frames=48,
        width=96,
        height=64,
        container_options={"movflags": "faststart"},
        codec_options={"g": "4", "crf": "10"},
    )
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    digest = _digest(cut)
    code = main(["grayscale", str(cut), "-o", str(out_dir / "x.mkv"), "--codec", "ffv1", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    written = av.open(str(out_dir / "x.mkv"))
    decoded = sum(1 for _ in written.decode(video=0))
    assert 0 < decoded < 48
    assert summary["frames_written"] == decoded and summary["frames_lost"] == 48 - decoded
    assert f"decoded {decoded} of 48 frames ({48 - decoded} lost" in caplog.text
    assert _digest(cut) == digest
    assert [p.name for p in out_dir.iterdir()] == ["x.mkv"]


def test_odd_size_is_refused_for_420_and_accepted_losslessly(capsys, tmp_path, out_dir):
    odd = make_video(
        tmp_path / "odd.mkv", codec="ffv1", pix_fmt="yuv444p", width=853, height=479, frames=2
    )
    code, err = _grayscale(capsys, odd, out_dir / "x.mp4")
    _assert_clean_failure(code, err, "853x479 cannot be stored as yuv420p h264", out_dir, set())
    assert _grayscale(capsys, odd, out_dir / "x.mkv", "--codec", "ffv1")[0] == 0
    with av.open(str(out_dir / "x.mkv")) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (853, 479)


def test_output_folder_not_writable(capsys, clip: Path) -> None:
    code, err = _grayscale(capsys, clip, Path("/sys/videocolor-out.mp4"))
    assert code == 1 and "output folder is not writable" in err and "\n" not in err
    assert not Path("/sys/videocolor-out.mp4").exists()


def test_output_folder_missing(capsys, clip: Path, tmp_path: Path) -> None:
    code, err = _grayscale(capsys, clip, tmp_path / "no" / "such" / "x.mp4")
    assert code == 1 and "output folder does not exist" in err


def test_output_equal_to_input(capsys, tmp_path: Path) -> None:
    source = make_video(tmp_path / "film.mp4")
    digest = _digest(source)
    code, err = _grayscale(capsys, source, source, "--overwrite")
    _assert_clean_failure(code, err, "output path is the input", tmp_path, {tmp_path / "film.mp4"})
    assert _digest(source) == digest


def test_unsupported_pixel_format(capsys, tmp_path: Path, out_dir: Path) -> None:
    bits = make_video(tmp_path / "mono.nut", codec="rawvideo", pix_fmt="monow", frames=2)
    code, err = _grayscale(capsys, bits, out_dir / "x.mp4")
    _assert_clean_failure(code, err, "unsupported pixel format 'monow'", out_dir, set())


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["grayscale"])
    assert exit_info.value.code == 2


def test_negative_match_interval_is_a_usage_error(capsys, clip: Path, out_dir: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["colorize", str(clip), "-o", str(out_dir / "x.mp4"), "--match-every", "-1"])
    assert exit_info.value.code == 2
    assert "--match-every: must be 0 or more" in capsys.readouterr().err
    assert not any(out_dir.iterdir())


def _unusable_refs(tmp_path: Path, clip: Path) -> Path:
    """A reference folder where nothing can be used: a text file named like a frame, and a real
    frame numbered past the end of the clip."""
    import cv2

    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "000003.png").write_text("not an image")
    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="bgr24")
    cv2.imwrite(str(refs / "000999.png"), frame)
    return refs


def test_refs_with_nothing_usable_are_refused(capsys, tmp_path: Path, out_dir: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=12)
    refs = _unusable_refs(tmp_path, clip)
    args = ["colorize", str(clip), "-o", str(out_dir / "x.mp4"), "--refs", str(refs)]
    code, err = _run(capsys, *args)
    _assert_clean_failure(code, err, "no usable reference image", out_dir, set())
    assert "000003.png: " in err and "000999.png: " in err and "--allow-auto" in err


def test_allow_auto_colours_without_usable_refs(capsys, tmp_path: Path, out_dir: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=12)
    refs = _unusable_refs(tmp_path, clip)
    args = ["colorize", str(clip), "-o", str(out_dir / "x.mp4"), "--refs", str(refs)]
    code, err = _run(capsys, *args, "--allow-auto")
    assert code == 0, err
    assert (out_dir / "x.mp4").is_file()
