"""``videocolor colorize``: decode → shots → references → propagate → recombine → encode."""

from __future__ import annotations

import argparse
import logging
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from videocolor import __version__
from videocolor.cluster.connect import connect
from videocolor.cluster.driver import ClusterOptions, ClusterReport, run_on_cluster
from videocolor.colorizers.network import ColorNetwork
from videocolor.commands.arguments import (
    add_input_arguments,
    add_output_arguments,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    print_json,
)
from videocolor.engine.clip import EngineSettings
from videocolor.engine.options import EngineOptions
from videocolor.engine.options import check_refs_given as refs_or_network
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import ReferenceImageError
from videocolor.io import StreamInfo, open_source
from videocolor.io.codecs import check_output
from videocolor.io.passthrough import check_stream_copy
from videocolor.io.safe_output import check_output_path
from videocolor.jobs.folder import JobFolder
from videocolor.jobs.identity import content_hash, folder_identity, input_identity
from videocolor.jobs.workspace import already_complete
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.resumable import run_resumable
from videocolor.pipeline.run import RunSummary
from videocolor.pipeline.run import run as run_pipeline
from videocolor.refs.check import ReferenceReport, check_references
from videocolor.refs.reference import Reference
from videocolor.shots.detection import detect_shots
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "colorize",
        help="colour a black-and-white video from painted reference frames",
        description="Colour every shot from the references that fall inside it (or its "
        "exemplars), propagating along optical flow; the film's luma is kept exactly and audio "
        "is copied.",
    )
    add_input_arguments(parser)
    add_output_arguments(parser)
    add_colouring_arguments(parser)
    add_resume_argument(parser)
    add_cluster_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=run)


def add_colouring_arguments(parser: argparse.ArgumentParser) -> None:
    """References and engine options: the same on every command that colours."""
    parser.add_argument(
        "--refs",
        type=Path,
        help="folder of coloured reference frames "
        "(000123.png = frame 123, 0-based; see `videocolor refs check`)",
    )
    parser.add_argument(
        "--offset",
        type=int,
        default=0,
        help="add N to every reference's frame number (references numbered "
        "in another cut of the film)",
    )
    parser.add_argument(
        "--work-res",
        type=int,
        default=480,
        metavar="LINES",
        help="working resolution in lines (default 480)",
    )
    parser.add_argument(
        "--flow",
        choices=["ultrafast", "fast", "medium"],
        default="medium",
        help="optical-flow preset (default medium)",
    )
    parser.add_argument(
        "--match-every",
        type=non_negative_int,
        default=PropagationSettings.match_every,
        metavar="N",
        help="every N frames, blend in colour matched straight to the keyframes where the "
        f"flow chain is unsure (default {PropagationSettings.match_every}; 0: flow only, faster)",
    )
    parser.add_argument(
        "--engine",
        choices=["auto", "network", "classical"],
        default="auto",
        help="auto (default): propagation with the classical fill, the network colouring shots "
        "without references; network: the network also finishes every propagated frame; "
        "classical: no network",
    )
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda", "tensorrt"],
        default="auto",
        help="where the network runs (default auto: TensorRT/CUDA when present, else CPU)",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="another exported colourisation model (.onnx)"
    )
    parser.add_argument(
        "--allow-auto",
        action="store_true",
        help="when no file of --refs can be used, colour automatically instead of refusing",
    )


def check_refs_given(args: argparse.Namespace) -> None:
    """Refuse to colour without references when automatic colour is ruled out."""
    refs_or_network(args.refs, args.engine)


def engine_settings(args: argparse.Namespace) -> EngineSettings:
    """The engine of :func:`add_colouring_arguments`, its network loaded unless classical."""
    return EngineOptions.from_args(args).build()


def engine_text(network: ColorNetwork | None, finish: bool) -> str:
    if network is None:
        return "classical fill"
    return f"{'network' if finish else 'classical'} fill, network on {network.provider}"


def _split(
    references: list[Reference], width: int, height: int
) -> tuple[dict[int, np.ndarray], dict[int, list[np.ndarray]]]:
    """Painted keyframes by frame, and exemplars by shot (-1: every shot); unusable ones are
    reported and left out, usable ones with warnings reported, one line each."""
    keyframes, exemplars = {}, {}
    for reference in references:
        cautions = "; ".join(f.message for f in reference.findings if f.level == "warn")
        if not reference.usable:
            log.warning("%s: not used (%s)", reference.path.name, reference.refusal)
            continue
        if cautions:  # the colour may land off: say why, so the colourist can fix the file
            log.warning("%s: used, but %s", reference.path.name, cautions)
        if reference.frame is not None:
            keyframes[reference.frame] = reference.frame_rgb(width, height)
        else:
            shot = -1 if reference.shot is None else reference.shot
            exemplars.setdefault(shot, []).append(reference.rgb())
    return keyframes, exemplars


def _refusal(refdir: Path, report: ReferenceReport, *, can_go_auto: bool) -> str:
    """One line naming every reference file and why it was refused."""
    reasons = []
    for reference in report.references:
        reasons.append(f"{reference.path.name}: {reference.refusal or 'not usable'}")
    hint = f" ({report.offset_hint.message})" if report.offset_hint else ""
    auto = "; --allow-auto colours automatically instead" if can_go_auto else ""
    return f"{refdir}: no usable reference image{hint}: {' | '.join(reasons)}{auto}"


@dataclass(frozen=True)
class Colouring:
    """What one colourisation did, for the command's summary."""

    summary: RunSummary
    shots: int
    references: int
    exemplar_shots: list[int]
    network: ColorNetwork | None
    shot_list: tuple[Shot, ...]
    keyframe_files: dict[int, Path]  # frame: the reference file painted for it
    cluster: ClusterReport | None = None  # where the tasks ran, with --cluster


def add_resume_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep finished shots in a job folder beside the output (OUTPUT.videocolor-job) "
        "and, when one exists, continue it instead of starting over",
    )


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cluster`` and how the job is spread over it (Ray, the ``cluster`` extra)."""
    group = parser.add_argument_group('cluster (pip install "videocolor[cluster]")')
    group.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="colour shots as tasks on a Ray cluster: auto, HOST:PORT, ray://HOST:PORT, or local "
        "(start Ray on this machine); the job folder is kept, so --resume continues a stopped run",
    )
    group.add_argument(
        "--task-frames",
        type=positive_int,
        default=48,
        metavar="N",
        help="batch short shots into tasks of at least N frames (default 48)",
    )
    group.add_argument(
        "--task-cpus",
        type=positive_float,
        default=1.0,
        metavar="N",
        help="CPUs each task asks for (default 1)",
    )
    group.add_argument(
        "--gpu-share",
        type=non_negative_float,
        default=0.25,
        metavar="F",
        help="share of a GPU each network task asks for where the cluster has GPUs "
        "(default 0.25: four tasks a GPU; 0: never ask)",
    )
    group.add_argument(
        "--shared-storage",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="every node reads the input and writes segments at the driver's paths (default); "
        "--no-shared-storage sends each task its packets and its segments back through Ray",
    )
    group.add_argument(
        "--task-retries",
        type=non_negative_int,
        default=3,
        metavar="N",
        help="times Ray retries a task whose worker or node died (default 3)",
    )


def job_identity(args: argparse.Namespace, settings: EngineSettings) -> dict[str, object]:
    """Everything that decides a job's frames: a resumed run must match it exactly."""
    network = settings.network
    return {
        "videocolor": __version__,
        "input": input_identity(args.input),
        "fps": str(args.fps),
        "references": folder_identity(args.refs) if args.refs else None,
        "offset": args.offset,
        "model": content_hash(network.model_path) if network else None,
        "device": network.provider if network else None,
        "engine": {
            "engine": args.engine,
            "work_res": args.work_res,
            "flow": args.flow,
            "match_every": args.match_every,
        },
        "codec": args.codec,
    }


def colour_video(args: argparse.Namespace, *, keep_job: bool = False) -> Colouring:
    """Colour ``args.input`` into ``args.output`` with the colouring arguments of
    :func:`add_colouring_arguments`: the one code path of ``colorize``, ``render`` and
    ``handoff``. With ``args.resume`` finished shots are kept in a job folder; ``keep_job`` keeps
    it after the output is joined, for a command whose own job folder holds this one. With
    ``args.cluster`` the shots are coloured as tasks on a Ray cluster, always through a job
    folder (kept if the run stops, for ``--resume``)."""
    check_refs_given(args)
    with open_source(args.input, args.fps) as source:
        info = source.info
    spec = check_output(args.codec, args.output, info.width, info.height)
    check_output_path(args.output, inputs=(args.input,), overwrite=args.overwrite)
    if not spec.is_image_sequence and (info.audio_streams or info.subtitle_streams):
        check_stream_copy(args.input, args.output)
    address = getattr(args, "cluster", None)
    with ExitStack() as stack:
        # Connected before the long shot pass, so a wrong address fails in seconds.
        ray = stack.enter_context(connect(address)) if address else None
        colouring = _colour(args, info, ray, keep_job)
    return colouring


def _colour(
    args: argparse.Namespace, info: StreamInfo, ray: ModuleType | None, keep_job: bool
) -> Colouring:
    settings = engine_settings(args)
    network = settings.network
    job = None
    if getattr(args, "resume", False) or ray is not None:
        job = JobFolder.open(args.output, job_identity(args, settings), resume=args.resume)
    else:
        JobFolder(args.output).refuse_if_present()
    if args.refs is None:
        shots = detect_shots(args.input, fps=args.fps, progress=not args.quiet).shots
        keyframes, exemplars, files = {}, {}, {}
    else:
        report = check_references(
            args.input, args.refs, offset=args.offset, fps=args.fps, progress=not args.quiet
        )
        shots = report.shots
        nothing_usable = not any(reference.usable for reference in report.references)
        if nothing_usable and (network is None or not args.allow_auto):
            raise ReferenceImageError(_refusal(args.refs, report, can_go_auto=network is not None))
        keyframes, exemplars = _split(report.references, info.width, info.height)
        files = {r.frame: r.path for r in report.references if r.usable and r.frame is not None}
    stage = ColorizeStage(info, shots, keyframes, exemplars, settings)
    options = {
        "codec": args.codec,
        "overwrite": args.overwrite,
        "fps": args.fps,
        "progress": not args.quiet,
        "description": "colourising",
    }
    cluster = None
    if job is None:
        summary = run_pipeline(args.input, args.output, stage, **options)
    else:
        try:
            job.check_shots(shots)
            if ray is None:
                summary = run_resumable(
                    args.input, args.output, stage, job, shots, keep_job=keep_job, **options
                )
            else:
                summary, cluster = run_on_cluster(
                    ray,
                    ClusterOptions.from_args(args),
                    args.output,
                    stage,
                    job,
                    shots,
                    EngineOptions.from_args(args),
                    keep_job=keep_job,
                    **options,
                )
        finally:
            job.release()
    return Colouring(
        summary,
        len(shots),
        len(keyframes),
        sorted(exemplars),
        network,
        tuple(shots),
        files,
        cluster,
    )


def run(args: argparse.Namespace) -> int:
    if args.resume and already_complete(args.output):
        return 0
    done = colour_video(args)
    if args.json:
        print_json(
            {
                **asdict(done.summary),
                "shots": done.shots,
                "references": done.references,
                "exemplar_shots": done.exemplar_shots,
                "engine": args.engine,
                "device": done.network.provider if done.network else None,
                **({"cluster": done.cluster.as_json()} if done.cluster else {}),
            }
        )
    elif not args.quiet:
        engine = engine_text(done.network, args.engine == "network")
        spilled = done.summary.spilled_mb
        disk = f"; long shots held up to {spilled:.0f} MB on disk" if spilled >= 1 else ""
        print(
            f"coloured {done.summary.frames_written} frames in {done.shots} shots from "
            f"{done.references} references ({engine}{disk}): {done.summary.output}"
        )
    return 0
