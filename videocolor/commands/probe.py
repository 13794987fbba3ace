"""``videocolor probe``: what a source is, as a table or JSON."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from videocolor.cli import add_input_arguments, print_json
from videocolor.io import open_source


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "probe",
        help="show a video's metadata",
        description="Show the metadata videocolor reads from a source.",
    )
    add_input_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with open_source(args.input, args.fps) as source:
        info = asdict(source.info)
    info["color"] = {k: v for k, v in info["color"].items()}
    if args.json:
        print_json(info)
        return 0
    table = Table(title=str(args.input), show_header=False)
    for key, value in info.items():
        if key == "color":
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        table.add_row(key, str(value))
    Console().print(table)
    return 0
