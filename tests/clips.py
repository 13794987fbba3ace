"""Real video files made for tests: encoded with PyAV/FFmpeg into ``tmp_path``.

Content is a textured, moving, coloured pattern so codecs, flow and shot detection see something
like footage rather than flat fields.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def pattern_rgb(index: int, width: int, height: int, hue_shift: float = 0.0) -> np.ndarray:
    """A smooth coloured gradient with a moving textured square (uint8 RGB)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 0.5 + 0.4 * np.sin(x / 17.0 + hue_shift)
    g = 0.5 + 0.4 * np.sin(y / 13.0 + 1.0 + hue_shift)
    b = 0.5 + 0.4 * np.sin((x + y) / 23.0 + 2.0)
    rgb = np.stack([r, g, b], axis=-1)
    size = max(8, min(width, height) // 4)
    left = (5 + 3 * index) % max(1, width - size)
    top = (5 + 2 * index) % max(1, height - size)
    rng = np.random.default_rng(7)
    rgb[top : top + size, left : left + size] = rng.uniform(0.1, 0.9, (size, size, 3))
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def photo_pan(photo: np.ndarray, step: int = 2) -> Callable[[int, int, int], np.ndarray]:
    """Frames of a camera panning right across a real photo (uint8 RGB), ``step`` px a frame:
    natural content, for what is only meaningful on real pictures (automatic colour)."""

    def picture(index: int, width: int, height: int) -> np.ndarray:
        return np.ascontiguousarray(photo[:height, index * step : index * step + width])

    return picture


def make_video(
    path: Path,
    *,
    frames: int = 12,
    width: int = 64,
    height: int = 48,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rate: int = 24,
    pts: list[int] | None = None,
    time_base: Fraction | None = None,
    audio: bool = False,
    container_options: dict[str, str] | None = None,
    codec_options: dict[str, str] | None = None,
    sar: Fraction | None = None,
    colorspace: int | None = None,
    picture: Callable[[int, int, int], np.ndarray] = pattern_rgb,
) -> Path:
    """Encode a test clip; ``pts`` (in ``time_base``) gives variable frame timing; ``picture``
    makes frame ``index`` at (width, height) as uint8 RGB."""
    with av.open(str(path), "w", options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=rate, options=codec_options or {})
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if time_base is not None:
            stream.time_base = time_base
            stream.codec_context.time_base = time_base
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
            stream.sample_aspect_ratio = sar
        if colorspace is not None:
            stream.codec_context.colorspace = colorspace
            stream.codec_context.color_primaries = colorspace
            stream.codec_context.color_trc = colorspace
        audio_stream = container.add_stream("aac", rate=48000) if audio else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(picture(i, width, height), format="rgb24")
            frame = frame.reformat(format=pix_fmt) if pix_fmt not in ("rgb24",) else frame
            if colorspace is not None:
                frame.colorspace = frame.color_primaries = frame.color_trc = colorspace
            if pts is not None:
                frame.pts = pts[i]
                frame.time_base = time_base
            else:
                frame.pts = i
                frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio_stream is not None:
            samples = int(48000 * frames / rate)
            t = np.arange(samples) / 48000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            for start in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(tone[:, start : start + 1024]),
                    format="fltp",
                    layout="mono",
                )
                chunk.sample_rate = 48000
                chunk.pts = start
                container.mux(audio_stream.encode(chunk))
            container.mux(audio_stream.encode(None))
    return path


def make_audio_only(path: Path, seconds: float = 0.5) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        samples = int(48000 * seconds)
        data = np.zeros((1, samples), np.float32)
        frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono")
        frame.sample_rate = 48000
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def packets(path: Path, kind: str) -> list[bytes]:
    """Payload bytes of every packet of the first stream of ``kind`` ("audio", "subtitle")."""
    with av.open(str(path)) as container:
        streams = container.streams.audio if kind == "audio" else container.streams.subtitles
        return [bytes(p) for p in container.demux(streams[0]) if p.size]


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.pts * f.time_base) for f in container.decode(video=0)]


def painted_photo_pan(
    root: Path, frames: int, painted: tuple[int, ...], step: int = 3
) -> tuple[Path, Path]:
    """A lossless grey clip of a camera panning across a real photo (320x240) and a reference
    folder with its frames ``painted`` in their true colour: a colourist's job in miniature."""
    return painted_photo_reel(root, (frames,), painted, step)


def painted_photo_reel(
    root: Path,
    lengths: tuple[int, ...],
    painted: tuple[int, ...],
    step: int = 3,
    photos: list[np.ndarray] | None = None,
) -> tuple[Path, Path]:
    """Like :func:`painted_photo_pan` with one shot per length, each panning across another
    photo (uint8 RGB, at least 240 by 320 + ``step`` per frame; default: scikit-image's),
    joined by hard cuts."""
    import cv2

    from videocolor.cli import main

    if photos is None:
        from skimage import data

        photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    starts = np.cumsum((0, *lengths))

    def picture(index: int, width: int, height: int) -> np.ndarray:
        shot = int(np.searchsorted(starts, index, side="right")) - 1
        pan = photo_pan(photos[shot % len(photos)], step)
        return pan(index - int(starts[shot]), width, height)

    colour = make_video(
        root / "colour.mkv",
        frames=int(starts[-1]),
        width=320,
        height=240,
        codec="ffv1",
        pix_fmt="yuv444p",
        picture=picture,
    )
    grey = root / "grey.mkv"
    assert main(["-q", "grayscale", str(colour), "-o", str(grey), "--codec", "ffv1"]) == 0
    refs = root / "refs"
    refs.mkdir()
    with av.open(str(colour)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in painted:
                cv2.imwrite(str(refs / f"{index:06d}.png"), frame.to_ndarray(format="bgr24"))
    return grey, refs
