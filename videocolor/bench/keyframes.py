"""The keyframe comparison of ``bench video``: suggested keyframes against even spacing.

``suggest:N`` paints the frames ``videocolor refs suggest --every N`` picks in each clip: the CLI
runs on the clip's grey file (16-bit FFV1, as :mod:`videocolor.bench.endtoend` writes it) and its
``--json`` summary gives the frames. ``even:N`` paints as many per clip, evenly spaced. The
suggestion is asked once per clip and N and kept for the other arm (:class:`SuggestedKeyframes`).

:func:`comparison` pairs the two arms clip by clip at each N, and :func:`keyframe_plot` draws
PSNR against keyframes per 100 frames.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from videocolor.bench import endtoend
from videocolor.color import Matrix

_METRIC = "psnr"


class SuggestedKeyframes:
    """The frames ``refs suggest`` picks per clip, asked of the CLI once each."""

    def __init__(self) -> None:
        self._frames: dict[tuple[str, int, str, int], list[int]] = {}

    def frames(
        self, name: str, codes: Sequence[np.ndarray], matrix: Matrix, every: int
    ) -> list[int]:
        """What ``refs suggest --every N`` picks."""
        key = (name, len(codes), "every", every)
        if key not in self._frames:
            self._frames[key] = _ask_cli(codes, matrix, ["--every", str(every)], {})
        return self._frames[key]

    def added(
        self,
        name: str,
        codes: Sequence[np.ndarray],
        matrix: Matrix,
        first: np.ndarray,
        count: int,
    ) -> list[int]:
        """What ``refs suggest --add K`` picks with frame 0 painted (``first``, 8-bit RGB)."""
        key = (name, len(codes), "add", count)
        if key not in self._frames:
            self._frames[key] = _ask_cli(codes, matrix, ["--add", str(count)], {0: first})
        return self._frames[key]


def _ask_cli(
    codes: Sequence[np.ndarray],
    matrix: Matrix,
    options: Sequence[str],
    painted: Mapping[int, np.ndarray],
) -> list[int]:
    with tempfile.TemporaryDirectory(prefix="videocolor-suggest-") as temp:
        grey = endtoend.write_grey(Path(temp) / "grey.mkv", codes, matrix, "ffv1")
        if painted:
            refdir = endtoend.write_references(Path(temp) / "painted", painted)
            options = [*options, str(refdir)]
        command = [
            sys.executable,
            *("-m", "videocolor", "-q", "refs", "suggest", str(grey)),
            *("-o", str(Path(temp) / "refs"), *options, "--json"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise endtoend.EndToEndError(
                f"refs suggest {' '.join(options)} exited with {done.returncode}: "
                f"{done.stderr.strip() or 'no message'}"
            )
        return sorted(k["frame"] for k in json.loads(done.stdout)["keyframes"])


def _clip_psnr(result: Mapping[str, object]) -> dict[str, tuple[float, int, int]]:
    """Per clip: mean PSNR over the frames kept, how many, and the keyframes given."""
    rows = {}
    for clip in result["clips"]:  # type: ignore[union-attr]
        out = set(clip["scored_out"])
        kept = [p for i, p in enumerate(clip["psnr_frames"]) if i not in out]
        rows[clip["name"]] = (float(np.mean(kept)), len(kept), len(clip["references"]))
    return rows


def comparison(results: Sequence[Mapping[str, object]], method: str) -> list[dict[str, object]]:
    """For each N with both arms in ``results``: pooled PSNR of each (frames of neither arm),
    keyframes per 100 frames, and the per-clip difference suggested - even."""
    by_arm = {str(r["protocol"]): r for r in results if r["method"] == method}
    rows = []
    for name, suggested in by_arm.items():
        kind, _, interval = name.partition(":")
        even = by_arm.get(f"even:{interval}")
        if kind != "suggest" or even is None:
            continue
        ours, theirs = _clip_psnr(suggested), _clip_psnr(even)
        frames = sum(len(c["psnr_frames"]) for c in suggested["clips"])  # type: ignore[union-attr]
        keys = sum(v[2] for v in ours.values())
        delta = {clip: ours[clip][0] - theirs[clip][0] for clip in ours}
        rows.append(
            {
                "every": int(interval),
                "keyframes": keys,
                "keyframes_per_100": 100.0 * keys / frames,
                "suggest": suggested["pooled_excl_refs"][_METRIC],  # type: ignore[index]
                "even": even["pooled_excl_refs"][_METRIC],  # type: ignore[index]
                "per_clip": delta,
                "worst_clip": min(delta, key=delta.get),
            }
        )
    return sorted(rows, key=lambda row: -row["every"])


def comparison_lines(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """A Markdown table of :func:`comparison`'s rows."""
    lines = [
        "| N | keyframes | per 100 frames | suggested PSNR | even PSNR | gain | worst clip |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        worst = str(row["worst_clip"])
        lines.append(
            f"| {row['every']} | {row['keyframes']} | {row['keyframes_per_100']:.2f} "
            f"| {row['suggest']:.3f} | {row['even']:.3f} | {row['suggest'] - row['even']:+.3f} "
            f"| {worst} {row['per_clip'][worst]:+.2f} |"
        )
    if rows:
        mean = float(np.mean([row["suggest"] - row["even"] for row in rows]))
        lines += ["", f"Mean gain over the budgets: {mean:+.3f} dB."]
    return lines


def _kept_mean(clip: Mapping[str, object], out: set[int]) -> float:
    frames = clip["psnr_frames"]  # type: ignore[index]
    return float(np.mean([p for i, p in enumerate(frames) if i not in out]))


def addition_comparison(
    results: Sequence[Mapping[str, object]], method: str
) -> dict[str, object] | None:
    """``add:K`` against the best ``at:F`` (the fraction whose pooled PSNR, frames of neither
    arm left out, is highest): per clip, the PSNR of each on the frames that are a keyframe of
    neither, and on how many clips the addition is better."""
    arms = {str(r["protocol"]): r for r in results if r["method"] == method}
    added = next((r for name, r in arms.items() if name.startswith("add:")), None)
    fixed = {name: r for name, r in arms.items() if name.startswith("at:")}
    if added is None or not fixed:
        return None

    def paired(rule: Mapping[str, object]) -> dict[str, tuple[float, float]]:
        pairs = {}
        for ours, theirs in zip(added["clips"], rule["clips"], strict=True):  # type: ignore[arg-type]
            out = set(ours["references"]) | set(theirs["references"])
            pairs[ours["name"]] = (_kept_mean(ours, out), _kept_mean(theirs, out))
        return pairs

    pooled = {name: float(np.mean([p[1] for p in paired(r).values()])) for name, r in fixed.items()}
    best = max(pooled, key=pooled.get)
    pairs = paired(fixed[best])
    return {
        "added": str(added["protocol"]),
        "best_rule": best,
        "rules": pooled,
        "per_clip": pairs,
        "wins": sum(ours > theirs for ours, theirs in pairs.values()),
        "clips": len(pairs),
        "keyframes": {c["name"]: c["references"] for c in added["clips"]},  # type: ignore[union-attr]
    }


def addition_lines(summary: Mapping[str, object]) -> list[str]:
    """A Markdown table of :func:`addition_comparison`'s result."""
    rules = ", ".join(f"{name} {value:.2f}" for name, value in summary["rules"].items())
    lines = [
        f"{summary['added']} against the best fixed rule, {summary['best_rule']} (mean clip PSNR "
        f"of each rule: {rules}):",
        "",
        "| clip | added | PSNR added | PSNR rule | difference |",
        "|---|---|---|---|---|",
    ]
    for clip, (ours, theirs) in summary["per_clip"].items():
        added = [k for k in summary["keyframes"][clip] if k != 0]
        lines.append(f"| {clip} | {added} | {ours:.2f} | {theirs:.2f} | {ours - theirs:+.2f} |")
    lines += ["", f"The addition is better on {summary['wins']} of {summary['clips']} clips."]
    return lines


def keyframe_plot(rows: Sequence[Mapping[str, object]], title: str, path: Path) -> Path:
    """PSNR (frames of neither arm) against keyframes per 100 frames, suggested and even."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ordered = sorted(rows, key=lambda row: row["keyframes_per_100"])
    x = [row["keyframes_per_100"] for row in ordered]
    figure, axes = plt.subplots(figsize=(6, 4), dpi=110)
    axes.plot(x, [row["suggest"] for row in ordered], "o-", label="refs suggest --every N")
    axes.plot(x, [row["even"] for row in ordered], "s--", label="even, centred")
    for row, at in zip(ordered, x, strict=True):
        axes.annotate(
            f"N={row['every']}",
            (at, row["suggest"]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=8,
        )
    axes.set_xlabel("keyframes per 100 frames")
    axes.set_ylabel("PSNR (dB), frames that are a keyframe of neither")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
