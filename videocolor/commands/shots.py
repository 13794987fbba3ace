"""``videocolor shots``: the shots of a reel, as a table or JSON, and as OTIO / EDL for editors."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from videocolor.commands.arguments import add_input_arguments, print_json
from videocolor.io.safe_output import AtomicOutput
from videocolor.shots.detection import ShotList, detect_shots
from videocolor.shots.editorial import write_edl, write_otio
from videocolor.shots.shot import timecode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "shots",
        help="find the shots of a video (hard cuts, fades, dissolves)",
        description="Find shot boundaries on luma, robust to flicker, grain, scratches, dust and "
        "gate weave; dissolves and fades are cut in their middle.",
    )
    add_input_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--otio", type=Path, help="also write an OpenTimelineIO timeline here")
    parser.add_argument("--edl", type=Path, help="also write a CMX 3600 EDL here")
    parser.add_argument("--overwrite", action="store_true", help="replace existing OTIO/EDL files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # refuse unusable outputs before minutes of decoding, not after
    for path in (args.otio, args.edl):
        if path is not None:
            AtomicOutput(path, inputs=(args.input,), overwrite=args.overwrite)
    shots = detect_shots(args.input, fps=args.fps, progress=not args.quiet)
    if args.otio is not None:
        write_otio(shots, args.otio, overwrite=args.overwrite)
    if args.edl is not None:
        write_edl(shots, args.edl, overwrite=args.overwrite)
    if args.json:
        print_json(shots.as_dict())
    else:
        Console().print(_table(shots, str(args.input)))
    return 0


def _table(shots: ShotList, title: str) -> Table:
    rate = shots.frame_rate
    table = Table(title=f"{title}: {len(shots)} shots at {float(rate):.3f} fps")
    for column in ("shot", "first", "last", "start", "end", "frames", "enters by"):
        table.add_column(column, justify="left" if column == "enters by" else "right")
    entries = ["start", *(t.kind for t in shots.transitions)]
    for shot, entry in zip(shots, entries, strict=True):
        table.add_row(
            str(shot.index),
            str(shot.start),
            str(shot.end - 1),
            timecode(shot.start, rate),
            timecode(shot.end - 1, rate),
            str(shot.length),
            entry,
        )
    return table
