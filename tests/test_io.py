"""Streaming decode and encode: every codec, timing, audio, depth, tags, atomic outputs."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.clips import frame_times, make_video, packets, pattern_rgb
from videocolor.color import CodeRange, decode_luma, encode_luma, rgb_to_luma
from videocolor.errors import OutputError
from videocolor.io import open_sink, open_source, read_all_luma
from videocolor.pipeline.run import GreyStage, run

OUTPUT_NAMES = {
    "h264": "out.mp4",
    "prores": "out.mov",
    "ffv1": "out.mkv",
    "png": "out_png",
    "tiff": "out_tiff",
}


def _tinted(frame_luma: np.ndarray) -> np.ndarray:
    cbcr = np.zeros((*frame_luma.shape, 2), np.float32)
    cbcr[..., 0], cbcr[..., 1] = -0.08, 0.12  # warm tint
    return cbcr


def _encode(source_path: Path, target: Path, codec: str, tint: bool = True) -> list[np.ndarray]:
    lumas = []
    with open_source(source_path) as source, open_sink(target, source.info, codec) as sink:
        for frame in source:
            sink.write(frame, _tinted(frame.luma) if tint else None)
            lumas.append(frame.luma)
    return lumas


def test_decoder_streams_frames_with_metadata(clip: Path) -> None:
    source = open_source(clip)
    info = source.info
    assert (info.width, info.height, info.bit_depth, info.pix_fmt) == (64, 48, 8, "yuv420p")
    assert info.frame_rate == 24 and info.frame_count == 12
    frames = iter(source)
    first = next(frames)
    assert first.index == 0 and first.luma.dtype == np.uint8 and first.luma.shape == (48, 64)
    assert first.luma.flags["C_CONTIGUOUS"]
    assert len(list(frames)) == 11 and source.frames_lost == 0


@pytest.mark.parametrize("codec", list(OUTPUT_NAMES))
def test_codec_round_trip(tmp_path: Path, clip: Path, codec: str) -> None:
    target = tmp_path / OUTPUT_NAMES[codec]
    lumas = _encode(clip, target, codec)
    info, decoded = read_all_luma(target)
    assert decoded.shape == (12, 48, 64)
    source_range = CodeRange(8, False)
    if info.is_image_sequence:  # RGB files: luma re-derived with the same matrix, full range
        expected = encode_luma(decode_luma(np.stack(lumas), source_range), info.code_range)
        assert np.abs(decoded.astype(int) - expected.astype(int)).max() <= 1
        rgb = cv2.cvtColor(
            cv2.imread(str(target / "000000.png" if codec == "png" else target / "000000.tif")),
            cv2.COLOR_BGR2RGB,
        )
        assert rgb[..., 0].mean() > rgb[..., 2].mean() + 10  # the tint arrived
    elif codec == "ffv1":
        assert np.array_equal(decoded, np.stack(lumas))  # lossless: bit-exact luma
    else:  # lossy codecs: close, at the output's depth
        scale = 1 << (info.bit_depth - 8)
        error = np.abs(decoded.astype(float) / scale - np.stack(lumas).astype(float))
        assert error.mean() < 1.5
    if not info.is_image_sequence:
        # Matroska stores milliseconds: timing is kept to the container's precision
        assert frame_times(target) == pytest.approx(frame_times(clip), abs=6e-4)


def test_ten_bit_source_is_kept_bit_exact_in_ffv1(tmp_path: Path) -> None:
    source = make_video(tmp_path / "ten.mkv", codec="ffv1", pix_fmt="yuv420p10le")
    lumas = _encode(source, tmp_path / "out.mkv", "ffv1")
    info, decoded = read_all_luma(tmp_path / "out.mkv")
    assert info.bit_depth == 10 and lumas[0].max() > 255
    assert np.array_equal(decoded, np.stack(lumas))


def test_eight_bit_luma_is_exact_in_ten_bit_prores_up_to_codec_loss(tmp_path: Path, clip: Path):
    lumas = _encode(clip, tmp_path / "out.mov", "prores")
    info, decoded = read_all_luma(tmp_path / "out.mov")
    assert info.pix_fmt == "yuv422p10le"
    assert np.abs(decoded.astype(int) - np.stack(lumas).astype(int) * 4).mean() < 2


def test_sixteen_bit_image_sequence_in_and_out(tmp_path: Path) -> None:
    folder = tmp_path / "scan"
    folder.mkdir()
    rng = np.random.default_rng(3)
    grey16 = [rng.integers(0, 65536, (20, 30), dtype=np.uint16) for _ in range(3)]
    for i, image in enumerate(grey16):
        cv2.imwrite(str(folder / f"reel1_{i + 100:06d}.png"), image)
    source = open_source(folder, Fraction(18))
    assert source.info.bit_depth == 16 and source.info.frame_rate == 18
    assert [f.luma.tolist() for f in source] == [g.tolist() for g in grey16]
    _encode(folder, tmp_path / "out16", "tiff", tint=False)
    written = cv2.imread(str(tmp_path / "out16" / "000000.tif"), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint16
    assert np.abs(written[..., 1].astype(int) - grey16[0].astype(int)).max() <= 1


def test_printf_pattern_and_dpx_sequence(tmp_path: Path) -> None:
    with av.open(str(tmp_path / "scan_%04d.dpx"), "w", format="image2") as container:
        stream = container.add_stream("dpx", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 16, "rgb48le"
        for i in range(3):
            image = np.full((16, 32, 3), 5000 + 1000 * i, np.uint16)
            frame = av.VideoFrame.from_ndarray(image, format="rgb48le")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    info, lumas = read_all_luma(tmp_path / "scan_%04d.dpx")
    assert info.bit_depth == 16 and lumas[:, 0, 0].tolist() == [5000, 6000, 7000]


@pytest.mark.parametrize("name", ["vfr.mp4", "vfr.mkv"])
def test_variable_frame_rate_survives(tmp_path: Path, name: str) -> None:
    pts = [0, 1000, 1500, 4000, 4100, 6000]
    source = make_video(tmp_path / f"src_{name}", frames=6, pts=pts, time_base=Fraction(1, 10000))
    codec = "h264" if name.endswith("mp4") else "ffv1"
    _encode(source, tmp_path / name, codec)
    assert frame_times(tmp_path / name) == pytest.approx([p / 10000 for p in pts], abs=1e-4)


def test_audio_packets_are_copied_bit_identical(tmp_path: Path) -> None:
    source = make_video(tmp_path / "talk.mp4", frames=24, audio=True)
    run(source, tmp_path / "out.mp4", GreyStage(), progress=False)
    original = packets(source, "audio")
    assert len(original) > 10 and packets(tmp_path / "out.mp4", "audio") == original


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
def test_subtitle_packets_are_copied(tmp_path: Path, clip: Path) -> None:
    srt = tmp_path / "subs.srt"
    srt.write_text(
        "1\n00:00:00,000 --> 00:00:00,300\nHello\n\n2\n00:00:00,300 --> 00:00:00,450\nWorld\n"
    )
    source = tmp_path / "subbed.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(clip),
            "-i",
            str(srt),
            "-map",
            "0",
            "-map",
            "1",
            "-c:v",
            "copy",
            "-c:s",
            "srt",
            str(source),
        ],
        check=True,
    )
    run(source, tmp_path / "out.mkv", GreyStage(), codec="ffv1", progress=False)
    assert packets(tmp_path / "out.mkv", "subtitle") == packets(source, "subtitle")
    assert len(packets(source, "subtitle")) == 2


def test_aspect_ratio_and_colour_tags_are_kept(tmp_path: Path) -> None:
    source = make_video(
        tmp_path / "ana.mov",
        codec="prores_ks",
        pix_fmt="yuv422p10le",
        sar=Fraction(4, 3),
        colorspace=1,
    )
    _encode(source, tmp_path / "out.mov", "prores")
    info = open_source(tmp_path / "out.mov").info
    assert info.sar == Fraction(4, 3)
    assert info.color.matrix == "bt709" and info.color.matrix_reason == "tagged bt709"
    assert info.color.primaries == "bt709" and info.color.transfer == "bt709"


def test_colour_source_is_reduced_with_its_own_matrix(tmp_path: Path) -> None:
    source = make_video(tmp_path / "rgb.mkv", codec="ffv1", pix_fmt="bgr0", frames=2)
    info, lumas = read_all_luma(source)
    expected = encode_luma(rgb_to_luma(pattern_rgb(0, 64, 48) / 255.0, "bt601"), info.code_range)
    assert info.color.full_range and np.abs(lumas[0].astype(int) - expected).max() <= 1


class _FailingStage(GreyStage):
    def process(self, frame):
        if frame.index == 5:
            raise RuntimeError("boom")
        return super().process(frame)


def test_failure_midway_leaves_nothing_behind(tmp_path: Path, clip: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(RuntimeError, match="boom"):
        run(clip, out_dir / "x.mp4", _FailingStage(), progress=False)
    assert list(out_dir.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path: Path, clip: Path) -> None:
    target = tmp_path / "x.mkv"
    target.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="--overwrite"):
        run(clip, target, GreyStage(), codec="ffv1", progress=False)
    assert target.read_bytes() == b"keep me"
    run(clip, target, GreyStage(), codec="ffv1", overwrite=True, progress=False)
    assert open_source(target).info.frame_count == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "x.mkv"]
