"""Train the keyframe matcher's head: correspondence learnt by colouring one frame from another.

``python -m training.matching [--data DIR] [--out DIR] [--steps N] [--seed S]``

Self-supervised on the real-motion clips (``video/train`` under the data folder; never the
benchmark): for two frames of one shot, up to :data:`MAX_GAP` frames apart in either direction,
the later one's colour is predicted by the softmax attention of each of its positions over all
of the other frame's, and the loss is the Huber error of that colour against the true ab at the
feature stride. (The runtime matcher, :mod:`videocolor.colorizers.matcher`, lets only the positions
close to each best match vote; training keeps every position so that a true match that starts
outside that margin still gets a gradient.) To predict colour well the features must find *the same
thing* again, not just the same kind of thing, which is what the engine needs of them.

The trunk is frozen, so its features are computed once per frame (by onnxruntime, at the
matcher's 288 lines) and kept in memory as float16; a step then costs only the head and the
attention. Every :data:`VAL_EVERY`-th clip is held aside, and validation reports the mean |Δab|
of the matched colour on fixed pairs from it, next to the untrained trunk's. The run folder
gets ``head.pt`` (the best validation), ``log.jsonl`` and ``loss.png``; ``python -m
export.features --head RUN/head.pt`` builds the runtime model from it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from training.data import luma_and_ab
from training.models.matching import MatchingFeatures, MatchingHead
from training.train import default_data_root, save_checkpoint
from videocolor.colorizers import matcher

MAX_GAP = 60
VAL_EVERY = 10
VAL_PAIRS = 300
HUBER_BETA = 2.0  # ab units: robust beyond a barely visible difference
LEARNING_RATE = 1e-3
BATCH = 8


@dataclass(frozen=True)
class ShotFeatures:
    """One shot of a training clip: frozen trunk features and true ab at the feature stride."""

    features: torch.Tensor  # (T, C, h, w) float16
    ab: torch.Tensor  # (T, h * w, 2) float16


def clip_paths(root: Path) -> list[Path]:
    """The training clips: video files and folders of frames, sorted by name."""
    return sorted(p for p in root.iterdir() if p.suffix == ".mp4" or p.is_dir())


def trunk_matcher(folder: Path) -> matcher.ReferenceMatcher:
    """The runtime matcher (onnxruntime) with an untrained head: the frozen trunk's features at
    the matcher's own scale, about ten times faster than torch's CPU kernels for this network's
    depthwise convolutions."""
    from export.features import export

    path = folder / "trunk.onnx"
    export(MatchingFeatures(MatchingHead()).eval().requires_grad_(False), path)
    return matcher.ReferenceMatcher(path, device="cpu")


def shot_features(trunk: matcher.ReferenceMatcher, clip: Path) -> list[ShotFeatures]:
    """Every shot of ``clip`` (the product's own cut detection) as the matcher sees it."""
    from videocolor.bench.data import read_clip
    from videocolor.shots.detection import detect_shots

    pairs = [luma_and_ab(frame) for frame in read_clip(clip)]
    lumas = [luma for luma, _ in pairs]
    shots = []
    for shot in detect_shots(lumas):
        if shot.length < 2:
            continue
        features, abs_ = [], []
        for luma, ab in pairs[shot.start : shot.end]:
            frame_features = trunk.features(luma)
            size = (frame_features.shape[1], frame_features.shape[0])
            features.append(frame_features.transpose(2, 0, 1))
            abs_.append(cv2.resize(ab, size, interpolation=cv2.INTER_AREA).reshape(-1, 2))
        shots.append(
            ShotFeatures(
                torch.from_numpy(np.stack(features)).half(), torch.from_numpy(np.stack(abs_)).half()
            )
        )
    return shots


def sample_pairs(
    shots: list[ShotFeatures], count: int, rng: np.random.Generator
) -> list[tuple[ShotFeatures, int, int]]:
    """(shot, source, target) frame pairs; longer shots are drawn more often."""
    lengths = np.array([len(s.features) for s in shots], np.float64)
    pairs = []
    for choice in rng.choice(len(shots), size=count, p=lengths / lengths.sum()):
        length = int(lengths[choice])
        source = int(rng.integers(length))
        gap = int(rng.integers(1, min(MAX_GAP, length - 1) + 1))
        target = source + gap if source + gap < length else max(0, source - gap)
        pairs.append((shots[choice], source, target))
    return pairs


def matched_colour(
    head: MatchingHead | None, shot: ShotFeatures, source: int, target: int
) -> torch.Tensor:
    """The target's ab (h * w, 2) as the attention over the source's positions gives it
    (``head`` None: the untrained trunk's features at the untrained matcher's temperature)."""
    pair = shot.features[[source, target]].float()
    features = pair if head is None else head(pair)
    keys, queries = features.flatten(2)
    temperature = head.log_temperature.exp() if head is not None else matcher.DEFAULT_TEMPERATURE
    weights = torch.softmax(queries.T @ keys / temperature, dim=1)
    return weights @ shot.ab[source].float()


@torch.no_grad()
def validate(head: MatchingHead | None, pairs: list[tuple[ShotFeatures, int, int]]) -> float:
    """Mean |Δab| of the matched colour over ``pairs``."""
    errors = [
        (matched_colour(head, shot, s, t) - shot.ab[t].float()).abs().mean().item()
        for shot, s, t in pairs
    ]
    return float(np.mean(errors))


def plot(log: list[dict[str, float]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    train = [e for e in log if "train_loss" in e]
    val = [e for e in log if "val_abs_ab" in e]
    axes.plot([e["step"] for e in train], [e["train_loss"] for e in train], label="train Huber")
    axes.plot([e["step"] for e in val], [e["val_abs_ab"] for e in val], "o-", label="val |Δab|")
    axes.axhline(log[0]["untrained_abs_ab"], color="grey", linestyle=":", label="untrained trunk")
    axes.set_xlabel("step")
    axes.set_ylabel("ab units")
    axes.legend()
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    plt.close(figure)


def train(clips: list[Path], out: Path, steps: int, seed: int, hidden: int) -> dict[str, float]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    trunk = trunk_matcher(out)
    started = time.time()
    train_shots: list[ShotFeatures] = []
    val_shots: list[ShotFeatures] = []
    for number, clip in enumerate(clips):
        (val_shots if number % VAL_EVERY == 0 else train_shots).extend(shot_features(trunk, clip))
        elapsed = time.time() - started
        remaining = elapsed / (number + 1) * (len(clips) - number - 1)
        print(
            f"\rfeatures: clip {number + 1}/{len(clips)}, about {remaining:.0f} s left",
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)
    if not train_shots or not val_shots:
        raise SystemExit(
            f"need at least 2 clips with a shot of 2+ frames, found {len(clips)} clips"
        )
    val_pairs = sample_pairs(val_shots, VAL_PAIRS, np.random.default_rng(seed + 1))
    head = MatchingHead(hidden)
    untrained = validate(None, val_pairs)
    log: list[dict[str, float]] = [{"step": 0, "untrained_abs_ab": untrained}]
    print(
        f"{len(train_shots)} training shots, {len(val_shots)} held aside; features in "
        f"{time.time() - started:.0f} s; untrained trunk val |Δab| {untrained:.3f}",
        flush=True,
    )
    optimiser = torch.optim.AdamW(head.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # linear warm-up, then cosine decay
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / steps))
    )
    best, losses, every = float("inf"), [], max(1, steps // 10)
    for step in range(1, steps + 1):
        loss = (
            sum(
                F.smooth_l1_loss(
                    matched_colour(head, shot, s, t), shot.ab[t].float(), beta=HUBER_BETA
                )
                for shot, s, t in sample_pairs(train_shots, BATCH, rng)
            )
            / BATCH
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            val = validate(head, val_pairs)
            entry = {
                "step": step,
                "train_loss": float(np.mean(losses[-every:])),
                "val_abs_ab": val,
                "temperature": head.temperature,
                "minutes": (time.time() - started) / 60,
            }
            log.append(entry)
            print(json.dumps(entry), flush=True)
            if val < best:
                best = val
                save_checkpoint(  # written to a temporary name, then renamed
                    out / "head.pt",
                    head=head.state_dict(),
                    hidden=hidden,
                    step=step,
                    val_abs_ab=val,
                    untrained_abs_ab=untrained,
                )
    (out / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in log))
    plot(log, out / "loss.png")
    return {
        "untrained_abs_ab": untrained,
        "best_val_abs_ab": best,
        "minutes": (time.time() - started) / 60,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.matching", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, default=None, help="data folder (video/train in it)")
    parser.add_argument("--out", type=Path, default=Path("runs/matching"))
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=128)
    args = parser.parse_args(argv)
    folder = (args.data or default_data_root()) / "video" / "train"
    if not folder.is_dir():
        print(f"error: {folder}: no training clips", file=sys.stderr)
        return 2
    result = train(clip_paths(folder), args.out, args.steps, args.seed, args.hidden)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
