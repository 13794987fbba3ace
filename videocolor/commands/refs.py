"""``videocolor refs``: suggest the keyframes to paint, and check painted references.

``refs suggest`` writes a folder of canvases (``000123.png``), ``refs.json`` and a contact sheet;
``refs check`` compares each reference with the frame it names and exits 1 when any is unusable,
so a script can stop before colouring from a wrong reference.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from videocolor.commands.arguments import add_input_arguments, positive_int, print_json
from videocolor.errors import VideocolorError
from videocolor.refs.additions import refuse_outside
from videocolor.refs.canvas import CONTACT_SHEET, suggest_more_references, suggest_references
from videocolor.refs.check import ReferenceReport, check_references
from videocolor.refs.suggest import Keyframe, SuggestSettings
from videocolor.shots.shot import timecode

log = logging.getLogger("videocolor")

_STYLE = {"OK": "green", "WARN": "yellow", "ERROR": "bold red"}


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "refs",
        help="suggest keyframes to paint; check painted references",
        description="Reference frames: which to paint (suggest) and whether they fit (check).",
    )
    actions = parser.add_subparsers(dest="refs_action", metavar="ACTION", required=True)

    suggest = actions.add_parser(
        "suggest",
        help="write canvases of the keyframes to paint, refs.json and a contact sheet",
        description="Choose keyframes shot by shot (sharp, well exposed, representative; more "
        "where optical-flow coverage falls) and write them as PNG canvases named by frame.",
    )
    add_input_arguments(suggest)
    suggest.add_argument("-o", "--output", required=True, type=Path, help="folder to write")
    suggest.add_argument(
        "--max-per-shot",
        type=positive_int,
        default=SuggestSettings.max_per_shot,
        help="most keyframes in one shot (default %(default)s)",
    )
    suggest.add_argument(
        "--min-coverage",
        type=_share,
        default=SuggestSettings.min_coverage,
        help="add a keyframe where less than this share of a frame is reachable by flow "
        "from the keyframes (default %(default)s)",
    )
    suggest.add_argument(
        "--every",
        type=positive_int,
        metavar="N",
        help="a budget instead of the coverage threshold: max(1, round(length / N)) keyframes "
        "in each shot, placed where they colour the most",
    )
    suggest.add_argument(
        "--add",
        nargs=2,
        metavar=("K", "REFDIR"),
        help="given the keyframes already painted in REFDIR, write the K frames whose painting "
        "would raise quality most, each with the reason, and a contact sheet of the weakest "
        "frames as the painted keyframes colour them now",
    )
    suggest.add_argument(
        "--offset",
        type=int,
        default=0,
        help="with --add: added to frame numbers taken from REFDIR's file names, for references "
        "numbered from another origin (e.g. --offset -869)",
    )
    suggest.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    suggest.add_argument("--json", action="store_true", help="print a JSON summary")
    suggest.set_defaults(handler=run_suggest)

    check = actions.add_parser(
        "check",
        help="check each reference against its frame",
        description="Match every reference to the frame its name gives (the last number in the "
        "file name, 0-based; or refs.json) and report wrong frames, framing, tones, colour and "
        "size. Exit code 1 when any reference is unusable.",
    )
    add_input_arguments(check)
    check.add_argument("refdir", type=Path, help="folder of reference images")
    check.add_argument(
        "--offset",
        type=int,
        default=0,
        help="added to frame numbers taken from file names, for references numbered from "
        "another origin (e.g. --offset -869)",
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check.set_defaults(handler=run_check)


#: Painted keyframes are shown at the flow resolution: a copy this wide is plenty.
_PAINTED_WIDTH = 512


def painted_keyframes(report: ReferenceReport) -> tuple[list[int], dict[int, np.ndarray]]:
    """The painted frames ``colorize`` would use and each one's image as it would use it
    (resized to the frame, aligned where the check found it framed differently: RGB in [0, 1], at
    most :data:`_PAINTED_WIDTH` wide, so a reel's worth of 4K paintings fits in memory). A
    reference ``colorize`` would refuse is reported and left out, as there."""
    width, height = report.frame_size
    size = (min(width, _PAINTED_WIDTH), max(1, round(height * min(width, _PAINTED_WIDTH) / width)))
    images = {}
    for reference in report.references:
        if reference.frame is None:
            continue
        if not reference.usable:
            log.warning("%s: not used (%s)", reference.path.name, reference.refusal)
            continue
        rgb = reference.frame_rgb(width, height)
        images[reference.frame] = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return sorted(images), images


def _refuse_outside(report: ReferenceReport) -> None:
    """Painted frames numbered from another origin would be ignored without a word."""
    named = [r.frame for r in report.references if r.frame is not None]
    hint = report.offset_hint.message if report.offset_hint else None
    refuse_outside(named, report.shots, hint)


def run_add(args: argparse.Namespace) -> int:
    count_text, refdir = args.add
    try:
        count = positive_int(count_text)
    except (ValueError, argparse.ArgumentTypeError):
        raise VideocolorError(
            f"--add K REFDIR: K is how many frames to add, a number from 1; got {count_text!r}"
        ) from None
    report = check_references(
        args.input, Path(refdir), offset=args.offset, fps=args.fps, progress=not args.quiet
    )
    _refuse_outside(report)
    painted, images = painted_keyframes(report)
    additions = suggest_more_references(
        args.input,
        painted,
        count,
        args.output,
        shots=report.shots,
        overwrite=args.overwrite,
        fps=args.fps,
        progress=not args.quiet,
        images=images,
    )
    summary = {
        "painted": list(additions.painted),
        "expected_loss_db_before": round(additions.loss_before, 3),
        "expected_loss_db_after": round(additions.loss_after, 3),
    }
    title = f"keyframes to paint next in {args.input} ({len(painted)} painted)"
    _report(args, additions.keyframes, additions.frame_rate, title, summary)
    if not args.json:
        print(
            f"wrote {len(additions.keyframes)} keyframes to add to {len(painted)} painted in "
            f"{args.output} (contact sheet of the weakest frames: {args.output / CONTACT_SHEET})"
        )
    return 0


def _report(
    args: argparse.Namespace,
    keyframes: Sequence[Keyframe],
    rate: Fraction,
    title: str,
    summary: dict[str, object],
) -> None:
    """The keyframes written: JSON on stdout with ``--json``, else a table unless ``--quiet``."""
    if args.json:
        rows = [{"frame": k.frame, "shot": k.shot, "reason": k.reason} for k in keyframes]
        contact_sheet = str(args.output / CONTACT_SHEET)
        print_json(
            {
                "output": str(args.output),
                **summary,
                "keyframes": rows,
                "contact_sheet": contact_sheet,
            }
        )
    elif not args.quiet:
        table = Table(title=title)
        for column in ("shot", "frame", "timecode", "why"):
            table.add_column(column)
        for k in keyframes:
            table.add_row(str(k.shot), str(k.frame), timecode(k.frame, rate), k.reason)
        Console().print(table)


def run_suggest(args: argparse.Namespace) -> int:
    if args.add:
        return run_add(args)
    settings = SuggestSettings(
        max_per_shot=args.max_per_shot, min_coverage=args.min_coverage, every=args.every
    )
    suggestion = suggest_references(
        args.input,
        args.output,
        settings=settings,
        overwrite=args.overwrite,
        fps=args.fps,
        progress=not args.quiet,
    )
    title = f"keyframes to paint in {args.input}"
    summary = {"shots": len(suggestion.plans)}
    _report(args, suggestion.keyframes, suggestion.frame_rate, title, summary)
    if not args.json:
        print(
            f"wrote {len(suggestion.keyframes)} keyframes for {len(suggestion.plans)} shots to "
            f"{args.output} (contact sheet: {args.output / CONTACT_SHEET})"
        )
    return 0


def _print_report(report: ReferenceReport) -> None:
    table = Table(
        title=f"references in {report.refdir} for {report.source.name} "
        f"({report.frame_count} frames, {len(report.shots)} shots)"
    )
    for column in ("file", "frame", "shot", "status", "r", "notes"):
        table.add_column(column, overflow="fold")
    for ref in report.references:
        frame = "exemplar" if ref.is_exemplar else str(ref.frame)
        score = f"{ref.match.score:.2f}" if ref.match else "-"
        notes = "; ".join(f.message for f in ref.ordered_findings())
        table.add_row(
            ref.path.name,
            frame,
            "-" if ref.shot is None else str(ref.shot),
            f"[{_STYLE[ref.status]}]{ref.status}[/]",
            score,
            notes,
        )
    console = Console()
    console.print(table)
    counts = report.counts()
    console.print(
        f"{len(report.references)} references: {counts['OK']} OK, {counts['WARN']} WARN, "
        f"{counts['ERROR']} ERROR",
        highlight=False,
    )
    if report.offset_hint:
        console.print(report.offset_hint.message, highlight=False)


def run_check(args: argparse.Namespace) -> int:
    report = check_references(
        args.input, args.refdir, offset=args.offset, fps=args.fps, progress=not args.quiet
    )
    if args.json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    return 0 if report.ok else 1
