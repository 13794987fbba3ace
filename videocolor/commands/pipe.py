"""``videocolor pipe``: colour raw frames from stdin to stdout, between two ffmpeg processes.

Shots are decided as the frames pass (:class:`videocolor.shots.stream.ShotStream`) and each is
coloured when its end is certain, so the output equals ``colorize`` on the same frames and
trails the input by one shot plus the detector's lookahead. Frames waiting for their shot to end
spill to disk past a memory limit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from fractions import Fraction
from typing import BinaryIO

from videocolor.commands.arguments import positive_int
from videocolor.commands.colorize import add_colouring_arguments, check_refs_given, engine_settings
from videocolor.errors import OutputError, ReferenceImageError, UnsupportedFormatError
from videocolor.hosts.raw_pipe import OUTPUT_FORMATS, RawLayout, RawWriter, raw_layout, read_frames
from videocolor.io.background import prefetch
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.progress import Reporter
from videocolor.refs.streamed import StreamedReferences
from videocolor.shots.stream import ShotStream

log = logging.getLogger("videocolor")


def frame_size(text: str) -> tuple[int, int]:
    """``WxH`` as ffmpeg's ``-s`` writes it."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 720x576, got {text!r}"
        ) from None
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"width and height must be positive, got {text!r}")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pipe",
        help="colour raw frames from stdin to stdout, between two ffmpeg processes",
        description="Read raw frames on stdin (ffmpeg -f rawvideo), colour each shot as soon as "
        "it ends, write raw frames on stdout. Reference frame numbers count the frames as they "
        "arrive, from 0.",
        epilog="example: ffmpeg -i reel.mkv -vf format=gray -f rawvideo - | videocolor pipe "
        "--size 720x576 --rate 24 --refs refs/ | ffmpeg -f rawvideo -pix_fmt rgb24 -s 720x576 "
        "-r 24 -i - -i reel.mkv -map 0:v -map 1:a? -c:a copy out.mkv",
    )
    parser.add_argument("--size", type=frame_size, required=True, metavar="WxH")
    parser.add_argument("--rate", type=Fraction, required=True, metavar="R", help="e.g. 24000/1001")
    parser.add_argument(
        "--pix-fmt",
        default="gray",
        metavar="FMT",
        help="input pixel format as ffmpeg names it (default gray; gray16le, yuv420p, ...)",
    )
    parser.add_argument(
        "--range",
        choices=["pc", "tv"],
        default=None,
        help="input range (default as ffmpeg reads the format: pc for grey, tv for yuv)",
    )
    parser.add_argument(
        "--matrix",
        choices=["bt709", "bt601", "bt2020"],
        default=None,
        help="input matrix (default by frame height, as players assume)",
    )
    parser.add_argument(
        "--out-pix-fmt",
        choices=OUTPUT_FORMATS,
        default="rgb24",
        help="output pixel format (default rgb24; yuv444p* keep the input's range: tell the "
        "next ffmpeg with -color_range)",
    )
    parser.add_argument(
        "--frames", type=positive_int, default=None, help="frames to expect, for the ETA"
    )
    add_colouring_arguments(parser)
    parser.set_defaults(handler=run)


def _check_ends(stdin: BinaryIO, stdout: BinaryIO) -> None:
    if stdin.isatty():
        raise UnsupportedFormatError(
            "pipe reads raw frames on stdin: pipe them from ffmpeg (-f rawvideo -)"
        )
    if stdout.isatty():
        raise OutputError("pipe writes raw frames on stdout: pipe them to ffmpeg or a file")


def _references(args: argparse.Namespace, layout: RawLayout, network: bool):
    if args.refs is None:
        return None
    refs = StreamedReferences(args.refs, layout.info, offset=args.offset)
    if refs.usable == 0 and not (network and args.allow_auto):
        auto = "; --allow-auto colours automatically instead" if network else ""
        raise ReferenceImageError(f"{args.refs}: no usable reference image{auto}")
    return refs


def run(args: argparse.Namespace) -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _check_ends(stdin, stdout)
    check_refs_given(args)
    width, height = args.size
    layout = raw_layout(
        args.pix_fmt, width, height, args.rate, code_range=args.range, matrix=args.matrix
    )
    writer = RawWriter(args.out_pix_fmt, layout.info)
    settings = engine_settings(args)
    refs = _references(args, layout, settings.network is not None)
    stage = ColorizeStage(
        layout.info,
        ShotStream(code_range=layout.info.code_range),
        {},
        refs.exemplars if refs else None,
        settings,
    )
    written = 0
    try:
        with Reporter("colourising", args.frames, enabled=not args.quiet) as reporter:
            for frame in prefetch(read_frames(stdin, layout)):
                if refs is not None:
                    stage.references.update(refs.see(frame.index, frame.luma))
                for ready, cbcr in stage.process(frame):
                    stdout.write(writer.frame_bytes(ready.luma, cbcr))
                    written += 1
                reporter.advance()
            for ready, cbcr in stage.flush():
                stdout.write(writer.frame_bytes(ready.luma, cbcr))
                written += 1
        stdout.flush()
    except BrokenPipeError:
        # Python would report the closed stdout again at exit; point it at nothing instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(
            f"stdout closed by the reader after {written} frames: the output is incomplete"
        ) from None
    if refs is not None:
        refs.never_reached()
    if written == 0:
        raise UnsupportedFormatError("stdin: no frames arrived")
    log.info(
        "coloured %d frames in %d shots from %d references",
        written,
        stage.shots_coloured,
        len(stage.references),
    )
    return 0
