"""``videocolor probe``: what a source is, and how its range and matrix were decided."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from videocolor.commands.arguments import add_input_arguments, print_json
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
    if args.json:
        print_json(info)
        return 0
    color = info.pop("color")
    table = Table(title=str(args.input), show_header=False)
    for key, value in info.items():
        table.add_row(key, str(value))
    table.add_row(
        "range",
        f"{'full (pc)' if color['full_range'] else 'limited (tv)'}: {color['range_reason']}",
    )
    table.add_row("matrix", f"{color['matrix']}: {color['matrix_reason']}")
    table.add_row("primaries", f"{color['primaries']} (written on outputs as read)")
    table.add_row("transfer", f"{color['transfer']} (written on outputs as read)")
    Console().print(table)
    return 0
