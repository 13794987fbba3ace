"""``videocolor render``: colour a video between an ffmpeg pre-chain and a post-chain.

The pre-chain's output is what is coloured, so references are matched against its frames;
reference numbers stay the source's as the user sees it, which holds while the pre-chain keeps
every frame (denoise, deflicker, crop, scale). A pre-chain that drops or adds frames (``fps``,
``select``, ``trim``) is refused when references are given: their numbers would name other
pictures; such filters belong in the post-chain. A crop or scale in the pre-chain is fine: each
reference is scaled to the frame it is matched to (``refs check`` shows how well it matches).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
from pathlib import Path

from videocolor.commands import colorize
from videocolor.commands.arguments import (
    add_input_arguments,
    add_output_arguments,
    video_file_info,
)
from videocolor.errors import ReferenceImageError
from videocolor.hosts.ffmpeg_chain import (
    apply_pre_chain,
    check_copied_streams,
    check_filters,
    encode_with_post_chain,
)
from videocolor.io.codecs import check_output
from videocolor.io.safe_output import check_output_path
from videocolor.jobs.identity import input_identity
from videocolor.jobs.workspace import already_complete, made_once, work_folder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="colour a video between ffmpeg filter chains, keeping its audio and subtitles",
        description="Run an ffmpeg filter chain (--pre) before colouring and another (--post) "
        "after it, then encode; audio and subtitles are copied from the source. Reference frame "
        "numbers are the source's: a --pre that drops or adds frames is refused with references.",
    )
    add_input_arguments(parser)
    add_output_arguments(parser, video_only=True)
    parser.add_argument(
        "--pre", metavar="FILTERS", help="ffmpeg filter chain before colouring, e.g. hqdn3d"
    )
    parser.add_argument(
        "--post", metavar="FILTERS", help="ffmpeg filter chain after colouring, e.g. eq=gamma=1.1"
    )
    parser.add_argument(
        "--encoder-args",
        type=shlex.split,
        default=[],
        metavar="'ARGS'",
        help="extra ffmpeg output options for the final encoding, one quoted string, "
        "e.g. '-crf 18 -tune film'",
    )
    colorize.add_colouring_arguments(parser)
    colorize.add_resume_argument(parser)
    colorize.add_cluster_arguments(parser)
    parser.set_defaults(handler=run)


#: --encoder-args that choose what happens to audio and subtitles instead of copying them.
_STREAM_OPTIONS = {"-c", "-codec", "-c:a", "-acodec", "-an", "-c:s", "-scodec", "-sn"}


def _video_packets(path: Path) -> int:
    """Frames of the first video stream, counted from its packets (no decoding)."""
    command = [
        "ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
        "-show_entries", "stream=nb_read_packets", "-of", "json", str(path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(json.loads(result.stdout)["streams"][0]["nb_read_packets"])


def run(args: argparse.Namespace) -> int:
    if args.resume and already_complete(args.output):
        return 0
    info = video_file_info(args.input, "render")
    check_output(args.codec, args.output, info.width, info.height)
    check_output_path(args.output, inputs=(args.input,), overwrite=args.overwrite)
    if not _STREAM_OPTIONS.intersection(args.encoder_args):
        check_copied_streams(args.input, args.output)
    for option, filters in (("--pre", args.pre), ("--post", args.post)):
        if filters:
            check_filters(filters, option, info.width, info.height)
    identity = {
        "input": input_identity(args.input),
        "pre": args.pre,
        "post": args.post,
        "encoder_args": args.encoder_args,
        "codec": args.codec,
    }
    with work_folder(args.output, identity, resume=args.resume, prefix=".videocolor-render-") as (
        work,
        job,
    ):
        coloured_input = args.input
        if args.pre:
            coloured_input = made_once(
                work / "pre.mkv",
                lambda target: apply_pre_chain(
                    args.input, args.pre, target, info.frame_count, not args.quiet
                ),
            )
            before, after = _video_packets(args.input), _video_packets(coloured_input)
            if args.refs is not None and before != after:
                raise ReferenceImageError(
                    f"--pre {args.pre!r} turned {before} frames into {after}: reference numbers "
                    "would name other pictures; put frame-rate or trimming filters in --post"
                )
        coloured = work / "colour.mkv"
        colouring = {"input": coloured_input, "output": coloured, "codec": "ffv1"}
        done = colorize.colour_video(
            argparse.Namespace(**{**vars(args), **colouring, "overwrite": True}), keep_job=True
        )
        staged = work / f"out{args.output.suffix}"
        encode_with_post_chain(
            coloured,
            args.input,
            staged,
            filters=args.post,
            codec=args.codec,
            source_depth=info.bit_depth,
            encoder_args=args.encoder_args,
            frames=info.frame_count,
            progress=not args.quiet,
        )
        if job is not None:
            job.mark_complete(staged)
        staged.replace(args.output)
    if not args.quiet:
        print(
            f"rendered {args.output}: {done.summary.frames_written} frames in {done.shots} shots "
            f"coloured from {done.references} references"
        )
    return 0
