"""``videocolor render``: ffmpeg filter chains around the colouriser, with the real ffmpeg."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from tests.clips import make_video, packets, painted_photo_pan
from videocolor.cli import main

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A grey 12-frame clip, a reference folder painting its frame 0, and a clip with audio."""
    root = tmp_path_factory.mktemp("render")
    grey, refs = painted_photo_pan(root, frames=12, painted=(0,))
    with_audio = make_video(root / "audio.mp4", frames=12, width=320, height=240, audio=True)
    return grey, refs, with_audio


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_without_chains_it_is_colorize(reel, tmp_path: Path) -> None:
    grey, refs, _ = reel
    render = ["-q", "render", str(grey), "-o", str(tmp_path / "r.mkv"), "--refs", str(refs)]
    assert main([*render, "--codec", "ffv1"]) == 0
    colorize = ["-q", "colorize", str(grey), "-o", str(tmp_path / "c.mkv"), "--refs", str(refs)]
    assert main([*colorize, "--codec", "ffv1"]) == 0
    rendered, coloured = _frames(tmp_path / "r.mkv"), _frames(tmp_path / "c.mkv")
    assert len(rendered) == len(coloured) == 12
    assert all(np.array_equal(a, b) for a, b in zip(rendered, coloured, strict=True))
    assert np.ptp(coloured[6].astype(int), axis=2).mean() > 5  # colour, not grey


def test_chains_run_and_audio_is_copied(reel, tmp_path: Path) -> None:
    _, _, with_audio = reel
    out = tmp_path / "out.mkv"
    args = ["-q", "render", str(with_audio), "-o", str(out), "--pre", "hqdn3d"]
    extra = ["--post", "eq=saturation=1.5", "--encoder-args", "-metadata title=graded"]
    assert main([*args, *extra]) == 0
    assert len(_frames(out)) == 12
    assert packets(out, "audio") == packets(with_audio, "audio")
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=title", "-of", "json", str(out)],
        capture_output=True,
        check=True,
    )
    assert json.loads(probe.stdout)["format"]["tags"]["title"] == "graded"
    assert not list(tmp_path.glob(".videocolor-render-*"))  # its work folder is gone


def test_a_pre_chain_that_drops_frames_is_refused_with_references(
    reel, tmp_path: Path, capsys
) -> None:
    grey, refs, _ = reel
    args = ["-q", "render", str(grey), "-o", str(tmp_path / "r.mkv"), "--refs", str(refs)]
    assert main([*args, "--pre", "fps=12"]) == 1
    err = capsys.readouterr().err.strip()
    assert "turned 12 frames into 6" in err and err.count("\n") == 0
    assert list(tmp_path.iterdir()) == []


def test_a_bad_filter_is_refused_before_any_work(reel, tmp_path: Path, capsys) -> None:
    grey, refs, _ = reel
    args = ["-q", "render", str(grey), "-o", str(tmp_path / "r.mkv"), "--refs", str(refs)]
    assert main([*args, "--post", "nosuchfilter"]) == 1
    assert "--post 'nosuchfilter'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_video_range_codec_gets_the_luma_colorize_writes(reel, tmp_path: Path) -> None:
    grey, refs, _ = reel
    for command, name in (("render", "r.mov"), ("colorize", "c.mov")):
        args = ["-q", command, str(grey), "-o", str(tmp_path / name), "--refs", str(refs)]
        assert main([*args, "--codec", "prores"]) == 0
    rendered, coloured = (np.stack(_luma(tmp_path / name)) for name in ("r.mov", "c.mov"))
    assert np.abs(rendered - coloured).max() <= 4  # 10-bit codes: one 8-bit step


def _luma(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.color_range == 1  # tagged limited, as ProRes is
        return [
            np.frombuffer(f.planes[0], "<u2").reshape(f.height, -1)[:, : f.width].astype(int)
            for f in container.decode(stream)
        ]


def test_audio_the_container_cannot_carry_is_refused_before_colouring(
    reel, tmp_path: Path, capsys
) -> None:
    grey, refs, _ = reel
    flac = tmp_path / "flac.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(grey), "-f", "lavfi", "-i", "sine=d=0.5",
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "flac", "-shortest", str(flac)],
        check=True,
    )  # fmt: skip
    out = tmp_path / "out.mov"
    for command in ("colorize", "render"):
        args = ["-q", command, str(flac), "-o", str(out), "--codec", "prores", "--refs", str(refs)]
        assert main(args) == 1
        err = capsys.readouterr().err.strip()
        assert "flac" in err and ".mov" in err and err.count("\n") == 0
    assert not out.exists()
    args = ["-q", "render", str(flac), "-o", str(out), "--codec", "prores", "--refs", str(refs)]
    assert main([*args, "--encoder-args", "-c:a pcm_s16le"]) == 0
    probe = ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"]
    codecs = subprocess.run([*probe, str(out)], capture_output=True, text=True, check=True)
    assert codecs.stdout.split() == ["prores", "pcm_s16le"]
