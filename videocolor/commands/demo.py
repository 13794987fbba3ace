"""``videocolor demo``: the main job on footage an installed package ships, offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from videocolor.demo import run_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the demo on bundled real footage",
        description="Run videocolor on real footage shipped by an "
        "installed package; prints where the outputs are.",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("demo-output"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    result = run_demo(args.output_dir, progress=not args.quiet)
    print(f"source footage:      {result.source}")
    print(f"black-and-white:     {result.black_and_white}")
    print(f"references:          {result.references} (one per shot, {result.shots} shots)")
    print(f"colourised:          {result.colourised}")
    print(f"before/after:        {result.before_after}")
    return 0
