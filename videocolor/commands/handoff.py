"""``videocolor handoff``: colour a reel and hand it to editors as media and timelines.

The reel is coloured once (:func:`~videocolor.commands.colorize.colour_video`, into a lossless
intermediate), encoded as editing media stamped with the source timecode and reel name
(:mod:`videocolor.handoff.media`), and placed at its source timecodes on a timeline written as
OTIO, FCP 7 XML, CMX 3600 EDL, AAF and MLT XML, with the reference keyframes as markers. The
folder appears whole or not at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from videocolor.commands import colorize
from videocolor.commands.arguments import video_file_info
from videocolor.errors import InputNotFoundError, UnsupportedFormatError
from videocolor.handoff.clock import SourceClock, source_clock
from videocolor.handoff.interchange import write_interchange
from videocolor.handoff.media import (
    CONTAINERS,
    MediaFile,
    render_reel,
    render_shots,
    write_audio,
)
from videocolor.handoff.mlt import write_mlt
from videocolor.handoff.timeline import HandOff, hand_off_timeline
from videocolor.io import StreamInfo
from videocolor.io.codecs import CODECS, check_output
from videocolor.io.safe_output import AtomicOutput
from videocolor.jobs.identity import input_identity
from videocolor.jobs.workspace import already_complete, work_folder
from videocolor.shots.editorial import reel_name
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "handoff",
        help="colour a reel and hand it to editors: media at source timecode, and timelines",
        description="Colour a reel, encode it as editing media stamped with the source's "
        "timecode and reel name, and write a timeline placing the shots at their source "
        "timecodes with the references as markers: OTIO, FCP 7 XML (Premiere, Resolve), CMX "
        "3600 EDL, AAF (Avid) and MLT XML (Shotcut, Kdenlive, melt).",
    )
    parser.add_argument("input", type=Path, help="video file (a reel or a scene)")
    parser.add_argument(
        "-o", "--output", required=True, type=Path, help="hand-off folder to create"
    )
    parser.add_argument(
        "--codec",
        choices=list(CONTAINERS),
        default="prores",
        help="; ".join(f"{name}: {CODECS[name].description}" for name in CONTAINERS)
        + " (default prores)",
    )
    parser.add_argument(
        "--per-shot",
        action="store_true",
        help="one media file per shot (the audio as a WAV beside them) instead of one file for "
        "the whole reel",
    )
    parser.add_argument(
        "--start-timecode",
        metavar="HH:MM:SS:FF",
        help="timecode of the first frame (default: the input's timecode tag, else 00:00:00:00)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing hand-off folder"
    )
    colorize.add_colouring_arguments(parser)
    colorize.add_resume_argument(parser)
    colorize.add_cluster_arguments(parser)
    parser.set_defaults(handler=run)


def _media_name(stem: str, what: str, clock: SourceClock, frame: int, suffix: str) -> str:
    """``reel_shot003_01-00-00-05.mov``: what the file holds and its first timecode."""
    return f"{stem}_{what}_{clock.label(frame)}{suffix}"


def _render_media(
    args: argparse.Namespace,
    coloured: Path,
    folder: Path,
    info: StreamInfo,
    shots: tuple[Shot, ...],
    clock: SourceClock,
    work: Path,
) -> tuple[list[MediaFile], MediaFile | None]:
    """The hand-off's video media and the media that carries its sound (None: silent)."""
    stem, suffix = args.input.stem, CONTAINERS[args.codec]
    stamp = {"clock": clock, "reel": reel_name(stem), "codec": args.codec, "depth": info.bit_depth}
    frames = shots[-1].end
    if not args.per_shot:
        target = folder / _media_name(stem, "colour", clock, 0, suffix)
        reel = render_reel(
            coloured, args.input, target, **stamp, frames=frames, progress=not args.quiet
        )
        return [reel], reel if info.audio_streams else None
    targets = [
        folder / _media_name(stem, f"shot{shot.index:03d}", clock, shot.start, suffix)
        for shot in shots
    ]
    media = render_shots(coloured, targets, shots, work=work, **stamp, progress=not args.quiet)
    audio = None
    if info.audio_streams:
        wav = folder / _media_name(stem, "audio", clock, 0, ".wav")
        audio = write_audio(args.input, wav, clock=clock, frames=frames)
    return media, audio


def _moved(media: MediaFile, folder: Path) -> MediaFile:
    return dataclasses.replace(media, path=folder / media.path.name)


def run(args: argparse.Namespace) -> int:
    if args.resume and already_complete(args.output):
        return 0
    info = video_file_info(args.input, "handoff")
    if info.frame_rate is None:
        raise UnsupportedFormatError(f"{args.input}: no frame rate, so no timecode for its shots")
    stem = args.input.stem
    check_output(
        args.codec, args.output / f"{stem}{CONTAINERS[args.codec]}", info.width, info.height
    )
    clock = source_clock(args.input, info.frame_rate, args.start_timecode)
    # The commonest slip, refused before the network loads and the folder is begun.
    if args.refs is not None and not args.refs.is_dir():
        raise InputNotFoundError(f"{args.refs}: no such reference folder")
    output = AtomicOutput(args.output, inputs=(args.input,), overwrite=args.overwrite, is_dir=True)
    log.info("the reel starts at %s (%s)", clock.timecode(0), clock.found_in)
    try:
        identity = {
            "input": input_identity(args.input),
            "codec": args.codec,
            "per_shot": args.per_shot,
            "start_timecode": args.start_timecode,
        }
        with work_folder(
            args.output, identity, resume=args.resume, prefix=".videocolor-handoff-"
        ) as (work, job):
            coloured = work / "colour.mkv"
            colouring = {"output": coloured, "codec": "ffv1", "overwrite": True, "fps": None}
            done = colorize.colour_video(
                argparse.Namespace(**{**vars(args), **colouring}), keep_job=True
            )
            video, audio = _render_media(
                args, coloured, output.temp, info, done.shot_list, clock, work
            )
            handoff = HandOff(
                name=stem,
                reel=reel_name(stem),
                clock=clock,
                shots=done.shot_list,
                video=[_moved(media, output.final) for media in video],
                audio=_moved(audio, output.final) if audio else None,
                keyframes=done.keyframe_files,
            )
            written = write_interchange(hand_off_timeline(handoff), output.temp, stem)
            matrix = CODECS[args.codec].matrix or info.color.matrix
            written.append(write_mlt(handoff, info, matrix, output.temp / f"{stem}.mlt"))
            if job is not None:
                job.mark_complete(output.temp)
            output.commit()
    except BaseException:
        output.discard()
        raise
    if not args.quiet:
        kinds = " ".join(path.suffix for path in written)
        files = "1 media file" if len(video) == 1 else f"{len(video)} media files"
        print(
            f"handed off {len(handoff.shots)} shots in {files} ({args.codec}) with "
            f"{len(handoff.keyframes)} reference markers, timelines {kinds}: {output.final}"
        )
    return 0
