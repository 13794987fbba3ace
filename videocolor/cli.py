"""Command-line interface: turns options into library calls, and errors into one line.

Every subcommand is a thin function over the library (``videocolor.pipeline``, ``videocolor.io``,
...), so plugins and tests use the same code paths. Exit codes: 0 success, 1 error, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from videocolor import __version__
from videocolor.allocator import reuse_freed_memory
from videocolor.errors import VideocolorError
from videocolor.io import CODECS

log = logging.getLogger("videocolor")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``-o``, ``--codec`` and ``--overwrite``: the same on every command that writes video."""
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file (.mp4/.mov/.mkv) or folder for --codec png/tiff",
    )
    parser.add_argument(
        "--codec",
        choices=sorted(CODECS),
        default="h264",
        help="; ".join(f"{s.name}: {s.description}" for s in CODECS.values()),
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


def _build_parser() -> argparse.ArgumentParser:
    from videocolor.commands import COMMAND_MODULES

    parser = argparse.ArgumentParser(
        prog="videocolor",
        description="Colour black-and-white film from a few painted keyframes.",
    )
    parser.add_argument("--version", action="version", version=f"videocolor {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    _add_common_flags(subparsers)
    return parser


def _add_common_flags(subparsers: argparse._SubParsersAction) -> None:
    """-q/--debug also after a (nested) command name, without overriding the top-level ones."""
    for subparser in subparsers.choices.values():
        nested = [a for a in subparser._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            _add_common_flags(action)
        if not nested:
            subparser.add_argument(
                "-q",
                "--quiet",
                action="store_true",
                default=argparse.SUPPRESS,
                help="no progress bars or notes",
            )
            subparser.add_argument(
                "--debug",
                action="store_true",
                default=argparse.SUPPRESS,
                help="show tracebacks and debug logs",
            )


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.debug else (logging.ERROR if args.quiet else logging.INFO)
    logging.basicConfig(level=level, format="videocolor: %(message)s", stream=sys.stderr)
    logging.getLogger("videocolor").setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``videocolor`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args)
    reuse_freed_memory()
    try:
        return int(args.handler(args) or 0)
    except VideocolorError as exc:
        if args.debug:
            raise
        print(f"videocolor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("videocolor: interrupted; partial outputs were removed", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"videocolor: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
