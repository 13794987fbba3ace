"""``bench video``: colour each benchmark clip from its references, score it against the original.

Each clip is read as 8-bit RGB, turned into the product's grey input (:mod:`.render`), coloured
by each method in turn from the protocol's reference frames (:mod:`.protocol`), recombined into
the picture the product would deliver, and scored frame by frame at full resolution
(:mod:`.scores`). The clip is loaded once for all methods, and the warping error's flow is
computed once per clip (:mod:`.motion`), so several methods side by side cost little more than
their own running time plus the per-frame metrics.

The product's methods take one of two paths (``through``): ``memory`` calls the engine in this
process on the luma codes; ``ffv1`` and ``h264`` write the same codes as a grey file and run the
CLI on it as a user does (:mod:`.endtoend`), so that the score covers the product's file I/O too.
Baselines have no CLI and run in-process on either path.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from videocolor import __version__
from videocolor.bench import endtoend, figures
from videocolor.bench.data import ClipEntry, find_clips, read_clip
from videocolor.bench.keyframes import SuggestedKeyframes
from videocolor.bench.methods import CLI_FLAGS, VIDEO_METHODS
from videocolor.bench.motion import InputMotion
from videocolor.bench.protocol import Protocol
from videocolor.bench.render import compose, luma_codes, unit_luma
from videocolor.bench.scores import PSNR_CONVENTION, ClipScores, pool
from videocolor.bench.timing import TimedIterable, peak_rss_mb
from videocolor.color import Matrix, default_matrix
from videocolor.progress import Reporter

#: Frames shown per clip in the report's contact sheets.
SHEET_FRAMES = 6


@dataclass
class ClipSamples:
    """Thumbnails of a few frames of one clip, per row (original, grey, each method)."""

    name: str
    indices: list[int]
    references: frozenset[int]
    rows: dict[str, list[np.ndarray]] = field(default_factory=dict)


@dataclass
class VideoBench:
    """The results of one ``bench video`` run: per method, the scores of every clip."""

    data: Path
    protocol: Protocol
    max_frames: int | None
    scores: dict[str, list[ClipScores]]
    samples: list[ClipSamples]
    peak_rss_mb: float = 0.0
    through: str = endtoend.DEFAULT_THROUGH

    @property
    def dataset(self) -> str:
        return self.data.name

    def through_of(self, method: str) -> str:
        """The path ``method`` took: the bench's, or ``memory`` for a method without a CLI."""
        return self.through if method in CLI_FLAGS else endtoend.MEMORY


@dataclass(frozen=True)
class _Clip:
    """One clip ready for the methods: originals, grey input, references."""

    name: str
    rgb: np.ndarray  # (T, H, W, 3) uint8 originals
    matrix: Matrix
    codes: list[np.ndarray]  # grey input as 8-bit luma codes
    lumas: list[np.ndarray]  # the same in [0, 1], what a method is given
    references: dict[int, np.ndarray]
    scored_out: frozenset[int]  # frames left out of the summaries without references


def _load_clip(
    entry: ClipEntry,
    protocol: Protocol,
    max_frames: int | None,
    suggestions: SuggestedKeyframes | None,
) -> _Clip:
    rgb = read_clip(entry.path, max_frames)
    matrix = default_matrix(rgb.shape[1])
    codes = [luma_codes(frame, matrix) for frame in rgb]
    suggested: list[int] = []
    if protocol.needs_suggestion:
        suggestions = suggestions or SuggestedKeyframes()
        if protocol.kind == "add":
            suggested = suggestions.added(entry.name, codes, matrix, rgb[0], protocol.interval)
        else:
            suggested = suggestions.frames(entry.name, codes, matrix, protocol.interval)
    references = {
        i: rgb[i].astype(np.float32) / 255.0
        for i in protocol.reference_indices(len(rgb), suggested)
    }
    scored_out = frozenset(protocol.scored_out(len(rgb), suggested))
    lumas = [unit_luma(c) for c in codes]
    return _Clip(entry.name, rgb, matrix, codes, lumas, references, scored_out)


def _run_method(name: str, clip: _Clip, reporter: Reporter) -> tuple[ClipScores, list[np.ndarray]]:
    """Colour the clip with one method, scoring each output frame as it arrives."""
    scores = ClipScores(clip.name, clip.scored_out, clip.references)
    chroma = TimedIterable(partial(VIDEO_METHODS[name], clip.lumas, clip.references, clip.matrix))
    outputs = []
    for index, cbcr in enumerate(chroma):
        if index >= len(clip.rgb):
            raise ValueError(f"method {name} gave more than {len(clip.rgb)} frames for {clip.name}")
        output = compose(clip.codes[index], cbcr, clip.matrix)
        scores.add(index, output, clip.rgb[index])
        outputs.append(output)
        reporter.advance()
    if len(outputs) != len(clip.rgb):
        raise ValueError(f"method {name} gave {len(outputs)} of {len(clip.rgb)} frames")
    scores.seconds = chroma.seconds
    return scores, outputs


def _run_through_files(
    name: str, clip: _Clip, files: endtoend.ClipFiles, reporter: Reporter
) -> tuple[ClipScores, list[np.ndarray]]:
    """Colour the clip's grey file with the CLI as ``name`` and score the decoded output."""
    scores = ClipScores(clip.name, clip.scored_out, clip.references)
    try:
        outputs, scores.seconds = endtoend.colorize(files, CLI_FLAGS[name], name)
        shapes = {output.shape for output in outputs}
        if len(outputs) != len(clip.rgb) or shapes != {clip.rgb.shape[1:]}:
            raise endtoend.EndToEndError(
                f"the CLI wrote {len(outputs)} frames of {sorted(shapes)}, expected "
                f"{len(clip.rgb)} of {clip.rgb.shape[1:]}"
            )
    except endtoend.EndToEndError as exc:
        raise endtoend.EndToEndError(f"clip {clip.name}, method {name}: {exc}") from exc
    for index, output in enumerate(outputs):
        scores.add(index, output, clip.rgb[index])
        reporter.advance()
    return scores, outputs


def _clip_files(
    clip: _Clip, bench: VideoBench
) -> AbstractContextManager[endtoend.ClipFiles | None]:
    """The clip's grey file and references when a method goes through files, else nothing."""
    if not any(bench.through_of(name) != endtoend.MEMORY for name in bench.scores):
        return nullcontext(None)
    originals = {index: clip.rgb[index] for index in clip.references}
    return endtoend.clip_files(clip.codes, originals, clip.matrix, bench.through)


def _bench_clip(
    entry: ClipEntry,
    bench: VideoBench,
    reporter: Reporter,
    keep_samples: bool,
    suggestions: SuggestedKeyframes | None,
) -> None:
    clip = _load_clip(entry, bench.protocol, bench.max_frames, suggestions)
    motion = InputMotion(clip.codes)
    shown = figures.spread(len(clip.rgb), SHEET_FRAMES)
    samples = ClipSamples(clip.name, shown, frozenset(clip.references))
    samples.rows["original"] = [figures.thumbnail(clip.rgb[i]) for i in shown]
    samples.rows["grey"] = [
        figures.thumbnail(compose(clip.codes[i], None, clip.matrix)) for i in shown
    ]
    with _clip_files(clip, bench) as files:
        for name, runs in bench.scores.items():
            if files is not None and bench.through_of(name) != endtoend.MEMORY:
                scores, outputs = _run_through_files(name, clip, files, reporter)
            else:
                scores, outputs = _run_method(name, clip, reporter)
            scores.add_sequence(outputs, motion)
            runs.append(scores)
            samples.rows[name] = [figures.thumbnail(outputs[i]) for i in shown]
    if keep_samples:
        bench.samples.append(samples)


def run_video_bench(
    data: Path,
    protocol: Protocol,
    methods: Sequence[str],
    *,
    clips: Sequence[str] | None = None,
    max_frames: int | None = None,
    keep_samples: bool = False,
    progress: bool = True,
    through: str = endtoend.DEFAULT_THROUGH,
    suggestions: SuggestedKeyframes | None = None,
) -> VideoBench:
    """Score ``methods`` (names in :data:`VIDEO_METHODS`) on the clips of ``data``.

    ``clips`` keeps only the named clips, ``max_frames`` only the first frames of each;
    ``keep_samples`` keeps thumbnails for the report's contact sheets; ``through`` (one of
    :data:`endtoend.THROUGH`) is the product's path: a grey file and the CLI, or ``memory``;
    ``suggestions`` keeps the suggested keyframes of each clip for the next arm of a comparison.
    """
    if through not in endtoend.THROUGH:
        raise ValueError(f"through {through!r}: expected one of {', '.join(endtoend.THROUGH)}")
    entries = find_clips(data, clips)
    scores: dict[str, list[ClipScores]] = {name: [] for name in methods}
    bench = VideoBench(data, protocol, max_frames, scores, [], through=through)
    counts = [min(e.frames, max_frames or e.frames) if e.frames else None for e in entries]
    total = None if None in counts else sum(counts) * len(methods)
    with Reporter("bench video", total, enabled=progress) as reporter:
        for entry in entries:
            _bench_clip(entry, bench, reporter, keep_samples, suggestions)
    bench.peak_rss_mb = peak_rss_mb()
    return bench


def _clip_row(scores: ClipScores) -> dict[str, object]:
    return {
        "name": scores.name,
        **scores.summary(),
        "references": sorted(scores.given),
        "scored_out": sorted(scores.references),
        "seconds": scores.seconds,
        "psnr_frames": [frame.psnr for frame in scores.frames],
    }


def method_result(bench: VideoBench, method: str) -> dict[str, object]:
    """One method's JSON object (see the command's documentation for the schema)."""
    clips = bench.scores[method]
    frames = sum(len(clip.frames) for clip in clips)
    seconds = sum(clip.seconds for clip in clips)
    return {
        "protocol": bench.protocol.name,
        "dataset": bench.dataset,
        "method": method,
        "through": bench.through_of(method),
        "clips": [_clip_row(clip) for clip in clips],
        "pooled": pool(clips),
        "pooled_excl_refs": pool(clips, exclude_refs=True),
        "speed": {
            "fps": frames / seconds if seconds > 0 else None,
            "frames": frames,
            "seconds": seconds,
            "peak_rss_mb": bench.peak_rss_mb,
        },
        "psnr_convention": PSNR_CONVENTION,
        "peak_rss_scope": "the whole bench process: all methods, clip buffers and metrics",
        "data": str(bench.data),
        "max_frames": bench.max_frames,
        "videocolor_version": __version__,
    }
