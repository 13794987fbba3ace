"""``videocolor bench video|images|speed|memory``: quality against ground truth, speed, memory.

Results are JSON so that runs of different versions can be compared key for key. ``bench video``
writes, per method, one object::

    {"protocol", "dataset", "method", "through",
     "clips": [{"name", "frames", "psnr", "ssim", "qssim", "auc_ab", "auc_rgb", "cdc",
                "warp_error", "colorfulness", "fps", ...}],
     "pooled": {same metric keys, "frames", "clips"}, "pooled_excl_refs": {same},
     "speed": {"fps", "frames", "seconds", "peak_rss_mb"}, "psnr_convention", ...}

``through`` is the path the method's output took: ``ffv1`` or ``h264`` (a grey file of that kind
coloured by the ``videocolor colorize`` CLI, its output decoded) or ``memory`` (the engine called
in-process; baselines always). With one ``--method`` the file holds that object; with several,
a list of them in the order given.
``bench images`` writes the same shape (one object or a list) with ``images`` rows, ``pooled``,
``semantic`` (or null and ``semantic_note``) and ``speed``; ``bench speed`` one object with a
``clips`` entry per size. Non-finite numbers (an exact frame's PSNR) are written as null.

The benchmarks are imported when a subcommand runs (only the method registry and the
``--through`` choices, for the help text, at start-up), so the rest of the CLI never pays for
them nor for the engine the product loads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from videocolor.commands.arguments import non_negative_int, positive_int
from videocolor.errors import VideocolorError

_SCHEMA = "JSON: one object per method (a list when several); see `videocolor.commands.bench`."


def _add_common(parser: argparse.ArgumentParser, data_help: str, methods_help: str) -> None:
    parser.add_argument("--data", type=Path, required=True, help=data_help)
    parser.add_argument(
        "--method",
        action="append",
        metavar="NAME[,NAME...]",
        help=methods_help + "; repeat or give a comma list to run several side by side",
    )
    parser.add_argument(
        "--json", dest="json_path", type=Path, required=True, metavar="OUT.json", help=_SCHEMA
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also write DIR/report.md with contact sheets and plots (needs matplotlib)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure colourisation quality and speed against baselines",
        description="Score colourisation methods against ground truth (video clips or photos) "
        "and time the product's stages. Every output is built like the product's: the source's "
        "luma codes kept, the method's chroma recombined, 8-bit RGB.",
    )
    kinds = parser.add_subparsers(dest="bench", metavar="KIND", required=True)

    from videocolor.bench.endtoend import DEFAULT_THROUGH, THROUGH
    from videocolor.bench.methods import IMAGE_METHODS, PRODUCT, VIDEO_METHODS

    video = kinds.add_parser(
        "video",
        help="colour benchmark clips from reference frames and score them",
        description="Each clip is made grey, coloured by each method from the protocol's "
        "reference frames, and compared with the original at full resolution. PSNR, SSIM and "
        "QSSIM are means of per-frame values.",
    )
    _add_common(
        video,
        "folder with one folder of frames (or one video file) per clip, "
        "e.g. ../shared/data/video/davis2016_val_480p",
        f"method ({', '.join(VIDEO_METHODS)}; default {PRODUCT})",
    )
    video.add_argument(
        "--protocol",
        required=True,
        metavar="ref0|every:N|suggest:N|even:N|auto",
        help="references: original frame 0 (published DAVIS tables), frames 0, N, 2N..., the "
        "frames `refs suggest --every N` picks, as many evenly spaced (each centred in its "
        "stretch), or none; a comma list runs each in turn (suggest:N and even:N are then scored "
        "on the same frames, and compared)",
    )
    video.add_argument("--clips", metavar="A,B", help="only these clips (comma list)")
    video.add_argument(
        "--through",
        choices=THROUGH,
        default=DEFAULT_THROUGH,
        help="how the product's methods run: ffv1 (default: a 16-bit grey FFV1 file coloured by "
        "the CLI, as a user does), h264 (an 8-bit limited-range grey H.264 file, likewise) or "
        "memory (the engine called in-process, faster; baselines always run so)",
    )
    video.add_argument(
        "--max-frames", type=positive_int, metavar="N", help="only the first N frames of a clip"
    )
    video.set_defaults(handler=run_video)

    images = kinds.add_parser(
        "images",
        help="colour photos automatically or from sparse hints and score them",
        description="Each photo is made grey and coloured with no hint (auto) or with N true "
        "colour hints; ImageNet photos (file names starting with a WordNet id) are also scored "
        "by a classifier on original, grey and colourised versions.",
    )
    _add_common(
        images,
        "folder of photos, e.g. ../shared/data/photos/test/kodak24",
        f"method ({', '.join(IMAGE_METHODS)}; default: all)",
    )
    images.add_argument(
        "--hints",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="N random 3x3 true-colour hints per photo (default 0: automatic)",
    )
    images.add_argument(
        "--classes",
        type=Path,
        metavar="TSV",
        help="imagenet_classes.tsv (default: found beside or above --data, or $VIDEOCOLOR_DATA)",
    )
    images.set_defaults(handler=run_images)

    speed = kinds.add_parser(
        "speed",
        help="frames per second of each stage at 480p and 1080p",
        description="Time decode, flow, fill/upsample, encode, shot detection and the whole "
        "colourisation on test clips made from real footage, beside decode + encode alone.",
    )
    speed.add_argument(
        "--data",
        type=Path,
        help="footage to make the test clips from: a clip folder or video file "
        "(default: the demo's bikes.mp4)",
    )
    speed.add_argument(
        "--sizes",
        default="480,1080",
        metavar="SIZE,...",
        help="WxH or lines (16:9), comma list (default 480,1080)",
    )
    speed.add_argument(
        "--frames",
        type=positive_int,
        metavar="N",
        help="frames per test clip (default 240: ten seconds, so that start-up and the "
        "encoder's look-ahead weigh about as little as on a reel)",
    )
    speed.add_argument("--json", dest="json_path", type=Path, required=True, metavar="OUT.json")
    speed.set_defaults(handler=run_speed)

    memory = kinds.add_parser(
        "memory",
        help="resident memory over a long generated reel, as a curve",
        description="Generate grey reels (long shots among many short ones), colour each with "
        "the CLI while sampling its resident memory, and write memory.json and memory.png.",
    )
    memory.add_argument(
        "--reel",
        action="append",
        required=True,
        metavar="SIZE:FRAMES:LONG",
        help="a reel to generate: frame size (WxH or lines), frames, longest shot; repeat for "
        "several, e.g. --reel 480:20000:600 --reel 1080:2000:600 --reel 480:5000:5000",
    )
    memory.add_argument("--work", type=Path, required=True, metavar="DIR", help="reels go here")
    memory.add_argument("--report", type=Path, required=True, metavar="DIR")
    memory.set_defaults(handler=run_memory)

    cluster = kinds.add_parser(
        "cluster",
        help="one reel on Ray with 1 and 2 worker processes, the per-task overhead, and a "
        "scaling table for N nodes",
        description="Colour a generated reel on one machine and through --cluster on a local "
        "Ray head with 1 and 2 CPUs, compare the outputs byte for byte, time the driver's own "
        "passes and a task's overhead, and write cluster.json and cluster.md (needs the "
        "cluster extra).",
    )
    cluster.add_argument("--frames", type=positive_int, default=360, help="reel length (360)")
    cluster.add_argument(
        "--size", default="320x240", metavar="WxH", help="frame size or lines (default 320x240)"
    )
    cluster.add_argument(
        "--long-shot", type=positive_int, default=120, metavar="N", help="longest shot (120)"
    )
    cluster.add_argument("--work", type=Path, required=True, metavar="DIR", help="reels go here")
    cluster.add_argument("--report", type=Path, required=True, metavar="DIR")
    cluster.set_defaults(handler=run_cluster)


def _split(text: str | None) -> list[str] | None:
    return [item.strip() for item in text.split(",") if item.strip()] if text else None


def run_video(args: argparse.Namespace) -> int:
    from videocolor.bench import figures, keyframes, report, video
    from videocolor.bench.methods import PRODUCT, VIDEO_METHODS, method_names
    from videocolor.bench.protocol import parse_protocols
    from videocolor.bench.results import write_json
    from videocolor.bench.scores import METRICS

    protocols = parse_protocols(args.protocol)
    methods = method_names(args.method, VIDEO_METHODS, [PRODUCT])
    if args.report:
        figures.require_matplotlib()
    suggestions = keyframes.SuggestedKeyframes()
    results = []
    for protocol in protocols:
        bench = video.run_video_bench(
            args.data,
            protocol,
            methods,
            clips=_split(args.clips),
            max_frames=args.max_frames,
            keep_samples=args.report is not None,
            progress=not args.quiet,
            through=args.through,
            suggestions=suggestions,
        )
        arm = [video.method_result(bench, method) for method in methods]
        results += arm
        if args.report:
            folder = (
                args.report
                if len(protocols) == 1
                else args.report / protocol.name.replace(":", "-")
            )
            report.write_video_report(bench, arm, folder)
        if not args.quiet:
            table = report.summary_table(arm, "pooled", METRICS)
            print("\n".join([report.video_title(bench), "", *table]))
    write_json(args.json_path, results[0] if len(results) == 1 else results)
    for method in methods:
        summary = keyframes.addition_comparison(results, method)
        if summary is not None:
            lines = keyframes.addition_lines(summary)
            if args.report:
                args.report.mkdir(parents=True, exist_ok=True)
                (args.report / f"additions_{method}.md").write_text("\n".join([*lines, ""]))
            if not args.quiet:
                print("\n".join(["", *lines]))
        rows = keyframes.comparison(results, method)
        if not rows:
            continue
        lines = [
            f"Suggested against even keyframes, {method}:",
            "",
            *keyframes.comparison_lines(rows),
        ]
        if args.report:
            plot = keyframes.keyframe_plot(
                rows, f"{args.data.name}: {method}", args.report / f"keyframes_{method}.png"
            )
            (args.report / f"keyframes_{method}.md").write_text(
                "\n".join([*lines, "", f"![plot]({plot.name})", ""])
            )
        if not args.quiet:
            print("\n".join(["", *lines]))
    return 0


def run_images(args: argparse.Namespace) -> int:
    from videocolor.bench import figures, images, report
    from videocolor.bench.methods import DEFAULT_IMAGE_METHODS, IMAGE_METHODS, method_names
    from videocolor.bench.results import write_json

    methods = method_names(args.method, IMAGE_METHODS, DEFAULT_IMAGE_METHODS)
    if args.report:
        figures.require_matplotlib()
    bench = images.run_image_bench(
        args.data,
        methods,
        hints=args.hints,
        classes=args.classes,
        keep_samples=args.report is not None,
        progress=not args.quiet,
    )
    results = [images.method_result(bench, method) for method in methods]
    write_json(args.json_path, results[0] if len(results) == 1 else results)
    if args.report:
        report.write_image_report(bench, results, args.report)
    if not args.quiet:
        tables = report.summary_table(results, "pooled", report.IMAGE_METRICS)
        print("\n".join(tables + report.semantic_table(results)))
    return 0


def run_memory(args: argparse.Namespace) -> int:
    from videocolor.bench.figures import require_matplotlib
    from videocolor.bench.memory import (
        ReelPlan,
        colorize_command,
        sample_run,
        write_reel,
        write_report,
    )
    from videocolor.bench.speed import parse_size

    require_matplotlib()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = {}
    for text in args.reel:
        try:
            size_text, frames, longest = text.split(":")
            plan = ReelPlan.mixed(int(frames), int(longest))
        except ValueError:
            raise VideocolorError(f"--reel {text!r}: expected SIZE:FRAMES:LONG") from None
        size = parse_size(size_text)
        label = f"{size[0]}x{size[1]}, {plan.frames} frames, longest shot {max(plan.lengths)}"
        reel = write_reel(args.work / f"reel_{text.replace(':', '_')}.mkv", plan, size)
        run = sample_run(colorize_command(reel, args.work / "coloured.mkv"))
        runs[label] = (plan, size, run)
        if not args.quiet:
            print(f"{label}: peak {run.peak_rss_mb} MB, {plan.frames / run.seconds:.1f} fps")
    write_report(runs, args.report)
    return 0


def run_cluster(args: argparse.Namespace) -> int:
    from videocolor.bench.cluster import run_cluster_bench
    from videocolor.bench.speed import parse_size
    from videocolor.cluster import import_ray

    import_ray()  # one line on how to install it, before any reel is made
    bench = run_cluster_bench(
        args.work, args.frames, parse_size(args.size), args.long_shot, progress=not args.quiet
    )
    args.report.mkdir(parents=True, exist_ok=True)
    (args.report / "cluster.json").write_text(json.dumps(bench.as_json(), indent=1))
    (args.report / "cluster.md").write_text(bench.markdown())
    if not args.quiet:
        print(bench.markdown())
    return 0


def run_speed(args: argparse.Namespace) -> int:
    from videocolor.bench.results import write_json
    from videocolor.bench.speed import parse_size, run_speed_bench, speed_table

    sizes = [parse_size(size) for size in _split(args.sizes) or []]
    if not sizes:
        raise VideocolorError("--sizes: no size given (e.g. 480,1080 or 1920x1080)")
    result = run_speed_bench(args.data, sizes, args.frames)
    write_json(args.json_path, result)
    if not args.quiet:
        print(speed_table(result))
    return 0
