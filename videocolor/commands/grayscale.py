"""``videocolor grayscale``: the black-and-white version of a source, luma kept exactly.

Useful to make test material from colour footage and to re-wrap a scan in another codec; it runs
the same streaming pipeline as colourisation, with neutral chroma.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from videocolor.commands.arguments import add_input_arguments, add_output_arguments, print_json
from videocolor.pipeline.run import GreyStage
from videocolor.pipeline.run import run as run_pipeline


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grayscale",
        help="write the black-and-white version of a video",
        description="Decode, keep only luma (the stream's own matrix), encode; audio is copied.",
    )
    add_input_arguments(parser)
    add_output_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    summary = run_pipeline(
        args.input,
        args.output,
        GreyStage(),
        codec=args.codec,
        overwrite=args.overwrite,
        fps=args.fps,
        progress=not args.quiet,
        description="grayscale",
    )
    if args.json:
        print_json(asdict(summary))
    elif not args.quiet:
        print(f"wrote {summary.frames_written} frames to {summary.output}")
    return 0
