"""Editing media from the coloured reel: one file for the whole reel or one per shot, each
stamped with the source timecode of its first frame and the source's reel name, so that an
editor's conform finds every frame by reel and timecode.

The colouriser's lossless FFV1 intermediate is encoded once: the whole reel with its audio as
PCM (what every editor reads), or split into shots by ffmpeg's segment muxer at the cut frames
(exact with the intra-only codecs used here) and each shot stamped by a stream copy. Per-shot
media carries no audio; the reel's audio is written beside it as a Broadcast WAV whose time
reference is the source timecode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import ffmpeg

from videocolor.handoff.clock import SourceClock
from videocolor.hosts.ffmpeg_chain import (
    conversion_filter,
    encoder_arguments,
    reporting,
    run_ffmpeg,
)
from videocolor.shots.shot import Shot

#: The container each hand-off codec is written in: the one its editors read.
CONTAINERS = {"prores": ".mov", "dnxhr": ".mov", "ffv1": ".mkv"}
_MUXERS = {".mov": "mov", ".mkv": "matroska"}
_AUDIO_CODEC = "pcm_s24le"  # PCM: every editor reads it, and 24 bits hold any source's samples


@dataclass(frozen=True)
class MediaFile:
    """One file of the hand-off: source frames ``first`` to ``first + frames - 1``."""

    path: Path
    first: int
    frames: int

    def holds(self, frame: int) -> bool:
        return self.first <= frame < self.first + self.frames


def _stamp(clock: SourceClock, first: int, reel: str) -> dict[str, str]:
    """ffmpeg output options naming the media's reel and its first frame's timecode."""
    return {"timecode": clock.timecode(first), "metadata:s:v:0": f"reel_name={reel}"}


def _video_options(codec: str, depth: int) -> dict[str, str]:
    options = encoder_arguments(codec, depth)
    if conversion_filter(codec):
        options["vf"] = conversion_filter(codec)
    return options


def render_reel(
    coloured: Path,
    source: Path,
    target: Path,
    *,
    clock: SourceClock,
    reel: str,
    codec: str,
    depth: int,
    frames: int,
    progress: bool,
) -> MediaFile:
    """The whole coloured reel with the source's audio streams, as one file ``target``."""
    graph = ffmpeg.output(
        ffmpeg.input(str(coloured)).video,
        ffmpeg.input(str(source))["a?"],
        str(target),
        map_metadata="-1",
        **_video_options(codec, depth),
        **{"c:a": _AUDIO_CODEC},
        **_stamp(clock, 0, reel),
    )
    run_ffmpeg(reporting(graph.overwrite_output()).compile(), frames, "editing media", progress)
    return MediaFile(target, 0, frames)


def render_shots(
    coloured: Path,
    targets: Sequence[Path],
    shots: Sequence[Shot],
    *,
    work: Path,
    clock: SourceClock,
    reel: str,
    codec: str,
    depth: int,
    progress: bool,
) -> list[MediaFile]:
    """One file per shot, ``targets[i]`` holding ``shots[i]``; ``work`` keeps the pieces."""
    suffix = targets[0].suffix
    cuts = ",".join(str(shot.start) for shot in shots[1:])
    options = {"segment_frames": cuts} if cuts else {}
    pieces = work / f"%06d{suffix}"
    graph = ffmpeg.input(str(coloured)).video.output(
        str(pieces),
        f="segment",
        segment_format=_MUXERS[suffix],
        reset_timestamps="1",
        map_metadata="-1",
        **options,
        **_video_options(codec, depth),
    )
    frames = shots[-1].end
    run_ffmpeg(reporting(graph.overwrite_output()).compile(), frames, "editing media", progress)
    media = []
    for index, (shot, target) in enumerate(zip(shots, targets, strict=True)):
        piece = ffmpeg.input(str(work / f"{index:06d}{suffix}"))
        stamped = piece.video.output(
            str(target), c="copy", map_metadata="-1", **_stamp(clock, shot.start, reel)
        )
        run_ffmpeg(reporting(stamped.overwrite_output()).compile(), None, "stamping", False)
        media.append(MediaFile(target, shot.start, shot.length))
    return media


def write_audio(source: Path, target: Path, *, clock: SourceClock, frames: int) -> MediaFile:
    """The source's first audio stream as a Broadcast WAV starting at the source timecode."""
    with av.open(str(source)) as container:
        sample_rate = container.streams.audio[0].rate
    # BWF's time reference counts samples since midnight: where the reel's first frame sits.
    since_midnight = round(clock.origin / clock.rate * sample_rate)
    graph = ffmpeg.input(str(source))["a:0"].output(
        str(target),
        write_bext="1",
        map_metadata="-1",
        **{"c:a": _AUDIO_CODEC, "metadata": f"time_reference={since_midnight}"},
    )
    run_ffmpeg(reporting(graph.overwrite_output()).compile(), None, "audio", False)
    return MediaFile(target, 0, frames)
