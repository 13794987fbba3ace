"""Command-line interface: turns options into library calls, and errors into one line.

Every subcommand is a thin function over the library (``videocolor.pipeline.run``,
``videocolor.io``, ...), so plugins and tests use the same code paths. Exit codes: 0 success, 1
error, 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from videocolor import __version__
from videocolor.commands import COMMAND_MODULES
from videocolor.errors import VideocolorError
from videocolor.io.safe_output import disk_full, is_disk_full
from videocolor.jobs.folder import JobFolder
from videocolor.memory.allocator import reuse_freed_memory
from videocolor.progress import report_to_file
from videocolor.stopping import Interrupted, stop_on_signals

log = logging.getLogger("videocolor")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videocolor",
        description="Colour black-and-white film from a few painted keyframes.",
    )
    parser.add_argument("--version", action="version", version=f"videocolor {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument(
        "--progress-json",
        type=Path,
        metavar="FILE",
        help="also append progress to FILE as JSON lines (for programs that run videocolor)",
    )
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


def _after_stop(args: argparse.Namespace, argv: Sequence[str] | None) -> str:
    """What a stopped run left: nothing half-written, or a job to resume and the command."""
    if not (getattr(args, "resume", False) or getattr(args, "cluster", None)):
        return "partial outputs were removed"
    words = ["videocolor", *(sys.argv[1:] if argv is None else argv)]
    if "--resume" not in words:  # a cluster run keeps its job folder without --resume too
        words.append("--resume")
    return (
        f"the finished shots are kept in {JobFolder(args.output).path}; resume with: "
        f"{shlex.join(words)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``videocolor`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args)
    report_to_file(args.progress_json)
    reuse_freed_memory()
    try:
        with stop_on_signals():
            return int(args.handler(args) or 0)
    except VideocolorError as exc:
        if args.debug:
            raise
        print(f"videocolor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        print(f"videocolor: stopped by {signal.Signals(signum).name}; {_after_stop(args, argv)}",
              file=sys.stderr)  # fmt: skip
        return 128 + signum
    except Exception as exc:
        if args.debug:
            raise
        output = getattr(args, "output", None)
        if is_disk_full(exc) and output is not None:
            # A full disk outside the sinks (a job's files, an intermediate) reads as theirs do.
            full = disk_full(Path(output), resume=getattr(args, "resume", False))
            print(f"videocolor: error: {full}", file=sys.stderr)
            return 1
        print(
            f"videocolor: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
