"""ffmpeg filter chains around the colouriser: a pre-chain before it, a post-chain and the final
encoding after it, with the source's audio and subtitles, as ffmpeg-python graphs.

The pre-chain (deflicker, denoise, crop, scale...) writes a lossless FFV1 intermediate that the
colouriser reads; the colouriser writes another; the post-chain (eq, unsharp, lut3d, scale,
format...) reads that and encodes the output, taking audio and subtitles from the source as they
are. Each ffmpeg run reports its progress on a pipe, shown with an ETA.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from videocolor.errors import VideocolorError
from videocolor.io.codecs import CODECS
from videocolor.progress import Reporter


def encoder_arguments(codec: str, source_depth: int) -> dict[str, str]:
    """ffmpeg output options that encode as the product's sinks do for ``codec``."""
    spec = CODECS[codec]
    options = {"c:v": spec.encoder, "pix_fmt": spec.pix_fmt(source_depth)}
    if spec.matrix:
        options["colorspace"] = spec.matrix
    options.update(spec.encoder_options(source_depth))
    return options


class FilterChainError(VideocolorError):
    """An ffmpeg run of a filter chain failed; the message carries ffmpeg's first error line."""


def _first_line(stderr: str, otherwise: str) -> str:
    """ffmpeg's first error line (the cause; later lines report its consequences)."""
    return stderr.strip().splitlines()[0] if stderr.strip() else otherwise


def run_ffmpeg(
    command: Sequence[str], frames: int | None, description: str, progress: bool
) -> None:
    """Run ffmpeg with ``-progress pipe:1``, advancing a progress bar by the frames it reports."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    done = 0
    with Reporter(description, frames, enabled=progress) as reporter:
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "frame" and value.isdigit():
                reporter.advance(int(value) - done)
                done = int(value)
    error = process.stderr.read()
    if process.wait() != 0:
        first = _first_line(error, f"exit {process.returncode}")
        raise FilterChainError(f"ffmpeg ({description}) failed: {first}")


def check_filters(filters: str, option: str, width: int, height: int) -> None:
    """Refuse a filter chain ffmpeg cannot build (a misspelt filter, a missing LUT file) on a
    moment of grey at the video's size, before any long work starts."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",
        "-i", f"color=c=gray:s={width}x{height}:d=0.04,format=yuv444p",
        "-vf", filters, "-f", "null", "-",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FilterChainError(f"{option} {filters!r}: {_first_line(result.stderr, 'failed')}")


def check_copied_streams(source: Path, target: Path) -> None:
    """Refuse, before any work, a target container that cannot carry the source's audio and
    subtitle streams as they are, by asking the ffmpeg that will mux them (its muxers' rules
    differ between versions: Debian's ffmpeg 5.1 refuses PCM in .mp4)."""
    with tempfile.TemporaryDirectory(prefix="videocolor-mux-") as folder:
        command = [
            "ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-map", "0:a?",
            "-map", "0:s?", "-c", "copy", "-t", "0", str(Path(folder) / f"probe{target.suffix}"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise FilterChainError(
            f"{target}: the source's audio or subtitles cannot be copied into a {target.suffix} "
            f"file ({_first_line(result.stderr, 'refused')}); write .mkv, which carries any "
            'stream, or re-encode them with --encoder-args "-c:a ..."'
        )


def reporting(stream: ffmpeg.nodes.OutputStream) -> ffmpeg.nodes.OutputStream:
    """``stream`` with the global options :func:`run_ffmpeg` reads progress and errors from."""
    return stream.global_args("-nostdin", "-nostats", "-loglevel", "error", "-progress", "pipe:1")


def conversion_filter(codec: str) -> str | None:
    """The filter that converts frames to the range and matrix a codec always has (ProRes and
    DNxHR are video range, DNxHR is Rec. 709), so they are converted, not merely tagged; None
    when the codec follows the source."""
    spec = CODECS[codec]
    options = [f"out_color_matrix={spec.matrix}"] if spec.matrix else []
    options += ["out_range=tv"] if spec.full_range is False else []
    return f"scale={':'.join(options)}" if options else None


def apply_pre_chain(
    source: Path, filters: str, target: Path, frames: int | None, progress: bool = True
) -> None:
    """``source`` through the ffmpeg filter chain ``filters`` into a lossless FFV1 ``target``
    (video only)."""
    graph = ffmpeg.input(str(source)).video.output(
        str(target), vf=filters, **{"c:v": "ffv1", "level": "3"}
    )
    run_ffmpeg(reporting(graph.overwrite_output()).compile(), frames, "pre-chain", progress)


def encode_with_post_chain(
    coloured: Path,
    source: Path,
    target: Path,
    *,
    filters: str | None,
    codec: str,
    source_depth: int,
    encoder_args: Sequence[str] = (),
    frames: int | None = None,
    progress: bool = True,
) -> None:
    """The coloured video through ``filters`` (None: none), encoded with ``codec`` and
    ``encoder_args``, muxed with the source's audio and subtitle streams copied as they are."""
    video_input = ffmpeg.input(str(coloured))
    source_input = ffmpeg.input(str(source))
    options = encoder_arguments(codec, source_depth)
    chain = ",".join(f for f in (filters, conversion_filter(codec)) if f)
    if chain:
        options["vf"] = chain
    graph = ffmpeg.output(
        video_input.video,
        source_input["a?"],
        source_input["s?"],
        str(target),
        **{**options, "c:a": "copy", "c:s": "copy"},
    )
    command = reporting(graph.overwrite_output()).compile()
    # Extra encoder options go just before the output name, where ffmpeg reads output options.
    command[command.index(str(target)) : command.index(str(target))] = list(encoder_args)
    run_ffmpeg(command, frames, "post-chain and encoding", progress)
