"""``bench speed``: frames per second of each stage of the product, beside the floor, per size.

For each size a colour H.264 test clip is made with the project's own sink from real footage (the
demo's ``bikes.mp4``, or ``--data``: a clip folder or video file), stretched to the size and
looped back and forth to the length asked. On it are timed:

- ``decode``: the source yielding luma frames (:func:`videocolor.io.open_source`);
- ``flow``: one DIS call (:class:`videocolor.engine.flow.FlowEstimator`, the engine's preset) per
  pair of frames at the working resolution (:func:`videocolor.engine.clip.work_size`); the engine
  makes several per frame, at a reduced flow resolution, so this is the unit cost, not the
  engine's flow time;
- ``network``: the colourisation network (:class:`videocolor.colorizers.network.ColorNetwork`)
  finishing each working-resolution frame from its chroma and a confidence map;
- ``fill_upsample``: :func:`videocolor.engine.repair.refine` at the working resolution, the Lab
  to Cb/Cr conversion, and :func:`videocolor.engine.fill.guided_upsample` to full resolution;
- ``encode``: an H.264 :class:`videocolor.io.VideoSink` writing luma and chroma;
- ``shots``: shot detection, the pass the product makes before colouring;
- ``floor``: decode + encode alone (the grey pipeline), what no colouriser can beat;
- ``end_to_end``: shot detection, then decode, :func:`videocolor.engine.clip.colorize_clip` per
  shot from each shot's first frame in colour, encode: ``videocolor colorize`` (default engine)
  minus reading PNGs; ``end_to_end_flow_only`` the same without matching frames to their
  keyframes (``--match-every 0``); ``end_to_end_network`` with the network finishing every frame
  (``--engine network``).
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from videocolor import __version__, color
from videocolor.bench.data import iter_clip
from videocolor.bench.timing import peak_rss_mb
from videocolor.colorizers.network import ColorNetwork
from videocolor.demo import demo_footage
from videocolor.engine.clip import EngineSettings, reference_chroma, resize, work_size
from videocolor.engine.fill import guided_upsample
from videocolor.engine.flow import FlowEstimator, to_flow_input
from videocolor.engine.prior import ColourPrior
from videocolor.engine.repair import refine
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import VideocolorError
from videocolor.io import ColorTags, Frame, StreamInfo, open_sink, open_source
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.run import GreyStage
from videocolor.pipeline.run import run as run_pipeline
from videocolor.shots.detection import detect_shots

DEFAULT_SIZES = ((854, 480), (1920, 1080))
DEFAULT_FRAMES = 240
STAGES = (
    "decode",
    "flow",
    "network",
    "fill_upsample",
    "encode",
    "shots",
    "floor",
    "end_to_end",
    "end_to_end_flow_only",
    "end_to_end_network",
)
_RATE = Fraction(24)


def parse_size(text: str) -> tuple[int, int]:
    """``WxH``, or ``H`` alone for 16:9 at an even width (``480`` is 854x480)."""
    try:
        if "x" in text:
            width, height = (int(part) for part in text.split("x"))
        else:
            height = int(text)
            width = 2 * round(height * 16 / 9 / 2)
    except ValueError:
        raise VideocolorError(
            f"bad size {text!r}; expected WxH (1920x1080) or lines (1080)"
        ) from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise VideocolorError(f"size {width}x{height}: H.264 needs even sizes of 16 or more")
    return width, height


def _ping_pong(count: int, available: int) -> list[int]:
    """Source frame of each output frame: forward, then backward, ... (no cut at the loop)."""
    cycle = list(range(available)) + list(range(available - 2, 0, -1)) or [0]
    return [cycle[i % len(cycle)] for i in range(count)]


def make_test_clip(source: Path, size: tuple[int, int], frames: int, path: Path) -> StreamInfo:
    """Write a colour H.264 clip of ``frames`` frames at ``size`` from ``source``'s footage."""
    footage = list(iter_clip(source, frames))
    width, height = size
    matrix = color.default_matrix(height)
    info = StreamInfo(
        path=source,
        width=width,
        height=height,
        bit_depth=8,
        pix_fmt="yuv420p",
        time_base=1 / _RATE,
        frame_rate=_RATE,
        color=ColorTags(matrix=matrix, full_range=False),
        frame_count=frames,
    )
    with open_sink(path, info, "h264", overwrite=True) as sink:
        for index, position in enumerate(_ping_pong(frames, len(footage))):
            rgb = cv2.resize(footage[position], size, interpolation=cv2.INTER_LINEAR)
            ycbcr = color.rgb_to_ycbcr(rgb.astype(np.float32) / 255.0, matrix)
            codes = color.encode_luma(ycbcr[..., 0], info.code_range)
            sink.write(Frame(index, codes, index, info.time_base), ycbcr[..., 1:])
    return info


def _fps(frames: int, seconds: float) -> float | None:
    return frames / seconds if seconds > 0 else None


def _timed_decode(clip: Path) -> tuple[StreamInfo, list[np.ndarray], float]:
    start = time.perf_counter()
    with open_source(clip) as source:
        codes = [frame.luma for frame in source]
        info = source.info
    return info, codes, time.perf_counter() - start


def _timed_flow(smalls: Sequence[np.ndarray]) -> float:
    settings = PropagationSettings()
    estimator = FlowEstimator(
        settings.flow_preset, settings.flow_patch_stride, settings.flow_refinement
    )
    inputs = [to_flow_input(small) for small in smalls]
    start = time.perf_counter()
    for a, b in itertools.pairwise(inputs):
        estimator(a, b)
    return time.perf_counter() - start


def _timed_fill_and_encode(
    info: StreamInfo,
    codes: Sequence[np.ndarray],
    smalls: Sequence[np.ndarray],
    reference: np.ndarray,
    output: Path,
) -> tuple[float, float]:
    """Seconds of refine + upsample and of encoding, over every frame of the clip."""
    size = (smalls[0].shape[1], smalls[0].shape[0])
    ref_luma, ref_ab = reference_chroma(reference, size)
    prior = ColourPrior([ref_luma], [ref_ab])
    settings = PropagationSettings()
    rng = np.random.default_rng(0)
    fill = encode = 0.0
    sink = open_sink(output, info, "h264", overwrite=True)
    try:
        for index, (frame_codes, small) in enumerate(zip(codes, smalls, strict=True)):
            trust = rng.uniform(0.0, 1.0, small.shape).astype(np.float32)
            full = color.decode_luma(frame_codes, info.code_range)
            start = time.perf_counter()
            ab = refine(ref_ab, trust, small, prior, settings).ab
            cbcr_small = color.lab_chroma_to_cbcr(small, ab, info.color.matrix)
            cbcr = guided_upsample(cbcr_small, small, full)
            middle = time.perf_counter()
            sink.write(Frame(index, frame_codes, index, info.time_base), cbcr)
            fill += middle - start
            encode += time.perf_counter() - middle
        start = time.perf_counter()
        sink.close()
        encode += time.perf_counter() - start
    except BaseException:
        sink.abort()
        raise
    return fill, encode


def _timed_network(
    smalls: Sequence[np.ndarray], reference: np.ndarray, network: ColorNetwork
) -> float:
    size = (smalls[0].shape[1], smalls[0].shape[0])
    _, ref_ab = reference_chroma(reference, size)
    rng = np.random.default_rng(0)
    seconds = 0.0
    for small in smalls:
        trust = rng.uniform(0.0, 1.0, small.shape).astype(np.float32)
        start = time.perf_counter()
        network(small, ref_ab, trust)
        seconds += time.perf_counter() - start
    return seconds


def _timed_end_to_end(
    clip: Path, info: StreamInfo, output: Path, settings: EngineSettings
) -> tuple[float, float]:
    """Seconds of shot detection and of colouring (decode, colourise per shot, encode)."""
    start = time.perf_counter()
    shots = detect_shots(clip)
    shot_seconds = time.perf_counter() - start
    starts = {shot.start for shot in shots}
    references = {
        index: rgb.astype(np.float32) / 255.0
        for index, rgb in enumerate(iter_clip(clip, max(starts) + 1))
        if index in starts
    }
    stage = ColorizeStage(info, shots, references, settings=settings)
    start = time.perf_counter()
    run_pipeline(clip, output, stage, overwrite=True, progress=False)
    return shot_seconds, time.perf_counter() - start


def measure_size(source: Path, size: tuple[int, int], frames: int, folder: Path) -> dict:
    """Every stage's seconds and frames per second on one test clip of ``size``."""
    clip = folder / f"clip_{size[0]}x{size[1]}.mp4"
    make_test_clip(source, size, frames, clip)
    info, codes, decode = _timed_decode(clip)
    count = len(codes)
    work = work_size(info.width, info.height, 480)
    smalls = [resize(color.decode_luma(c, info.code_range), work) for c in codes]
    flow = _timed_flow(smalls)
    reference = next(iter_clip(clip, 1)).astype(np.float32) / 255.0
    fill, encode = _timed_fill_and_encode(info, codes, smalls, reference, folder / "encode.mp4")
    start = time.perf_counter()
    run_pipeline(clip, folder / "floor.mp4", GreyStage(), overwrite=True, progress=False)
    floor = time.perf_counter() - start
    network = ColorNetwork()
    net = _timed_network(smalls, reference, network)
    settings = EngineSettings(network=network)
    shots, colour = _timed_end_to_end(clip, info, folder / "colour.mp4", settings)
    flow_only = EngineSettings(network=network, propagation=PropagationSettings(match_every=0))
    _, without_matching = _timed_end_to_end(clip, info, folder / "flow.mp4", flow_only)
    finished = EngineSettings(network=network, finish_with_network=True)
    _, with_network = _timed_end_to_end(clip, info, folder / "network.mp4", finished)
    seconds = {
        "decode": decode,
        "flow": flow,
        "network": net,
        "fill_upsample": fill,
        "encode": encode,
        "shots": shots,
        "floor": floor,
        "end_to_end": shots + colour,
        "end_to_end_flow_only": shots + without_matching,
        "end_to_end_network": shots + with_network,
    }
    units = {stage: count for stage in STAGES} | {"flow": max(count - 1, 0)}
    return {
        "size": f"{info.width}x{info.height}",
        "width": info.width,
        "height": info.height,
        "frames": count,
        "work_size": f"{work[0]}x{work[1]}",
        "fps": {
            stage: None if seconds[stage] is None else _fps(units[stage], seconds[stage])
            for stage in STAGES
        },
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_speed_bench(
    source: Path | None = None,
    sizes: Sequence[tuple[int, int]] = DEFAULT_SIZES,
    frames: int | None = None,
) -> dict:
    """Time every stage at each size (in order; peak RSS is the process's, so it only grows).
    ``frames`` per test clip, default :data:`DEFAULT_FRAMES`."""
    source = source or demo_footage()
    frames = frames or DEFAULT_FRAMES
    with tempfile.TemporaryDirectory(prefix="videocolor-speed-") as folder:
        results = [measure_size(source, size, frames, Path(folder)) for size in sizes]
    return {
        "source": str(source),
        "clips": results,
        "peak_rss_mb": peak_rss_mb(),
        "videocolor_version": __version__,
        "notes": {
            "flow": "one DIS call per frame pair at the working resolution (unit cost)",
            "network": "the network on every working-resolution frame, at its default lines",
            "floor": "decode + encode of the grey pipeline",
            "peak_rss_mb": "whole process so far, measured after each size",
        },
    }


def speed_table(result: dict) -> str:
    """A plain-text table: one row per stage, one column of frames per second per size."""
    clips = result["clips"]
    header = ["stage (frames/s)", *(clip["size"] for clip in clips)]
    rows = [
        [stage, *("n/a" if c["fps"][stage] is None else f"{c['fps'][stage]:.1f}" for c in clips)]
        for stage in STAGES
    ]
    rows.append(["peak RSS (MiB)", *(f"{clip['peak_rss_mb']:.0f}" for clip in clips)])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    )
