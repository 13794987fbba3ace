"""Arguments shared by the subcommands: input and output options, value types (a bad value is
one argparse error line), and JSON printing."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

from videocolor.errors import UnsupportedFormatError
from videocolor.io import CODECS, StreamInfo, open_source
from videocolor.io.imageseq import looks_like_image_sequence


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def add_output_arguments(parser: argparse.ArgumentParser, *, video_only: bool = False) -> None:
    """``-o``, ``--codec`` and ``--overwrite``: the same on every command that writes video;
    ``video_only`` leaves out the image-sequence codecs."""
    specs = [s for s in CODECS.values() if not (video_only and s.is_image_sequence)]
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file (.mp4/.mov/.mkv)"
        + ("" if video_only else " or folder for --codec png/tiff"),
    )
    parser.add_argument(
        "--codec",
        choices=sorted(s.name for s in specs),
        default="h264",
        help="; ".join(f"{s.name}: {s.description}" for s in specs),
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", type=Path, help="video file, image folder, or pattern such as scan/%%06d.dpx"
    )
    parser.add_argument(
        "--fps",
        type=Fraction,
        default=None,
        help="frame rate of an image-sequence input (default 24)",
    )


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, default=str))


def video_file_info(path: Path, command: str) -> StreamInfo:
    """The stream of a command's input, refused when it is an image sequence: ``render`` and
    ``handoff`` hand the file itself to ffmpeg."""
    if looks_like_image_sequence(path):
        raise UnsupportedFormatError(
            f"{path}: {command} takes a video file; colour image sequences with colorize"
        )
    with open_source(path) as source:
        return source.info
