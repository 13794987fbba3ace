"""Train the colourisation network.

``python -m training.train --config training/configs/colornet.toml [--data DIR] [--out DIR]
[--resume] [--steps N] [--max-minutes M]``

Everything a run needs is in its config file; the run folder (``runs/<name>`` by default) gets
``last.pt`` and ``best.pt`` checkpoints (model, optimiser, step, random state: ``--resume``
continues exactly), ``log.jsonl`` (one line per log/validation event), ``loss.png`` and the cached
video pairs. Validation uses fixed batches from held-aside photos and clips, one per hint kind,
and reports the mean absolute ab error next to what the hints alone would give.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import tomllib
import torch
import torch.nn.functional as F

from training import data as td
from training.models.colornet import AB_SCALE, ColorNet, ColorNetConfig

DEFAULT_KINDS = {"auto": 0.25, "points": 0.25, "dense": 0.2, "video": 0.3}


@dataclass
class TrainConfig:
    name: str
    photos: str = "folders"  # "folders" (photo_folders under --data) or "skimage"
    photo_folders: list[str] = field(default_factory=list)
    video_folder: str = ""
    video_keyframe_every: list[int] = field(default_factory=list)  # see data.video_chains
    init_from: str = ""  # start from this checkpoint's weights (a fine-tuning run)
    # Keep every batch-norm in eval mode: needed from a checkpoint recovered from an ONNX file
    # (training.recover), whose batch-norms stand for the identity plus a folded bias.
    frozen_norm: bool = False
    pretrained: bool = True
    steps: int = 1000
    batch: int = 16
    crop: int = 128
    lr: float = 2e-3
    warmup: int = 100
    weight_decay: float = 1e-4
    huber_beta: float = 0.05  # in units of AB_SCALE: robust beyond ~5 ab units
    val_every: int = 500
    val_batches: int = 4
    log_every: int = 25
    checkpoint_every: int = 250
    max_minutes: float = 0.0  # stop (and save) after this long; 0 = no limit
    seed: int = 0
    require_val_drop: bool = False  # fail the run if validation loss did not fall (smoke)
    kind_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_KINDS))

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        raw = tomllib.loads(path.read_text())
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
        return cls(**raw)


# ------------------------------------------------------------------------------ data


def default_data_root() -> Path:
    return Path(
        os.environ.get("VIDEOCOLOR_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")
    )


def build_sources(config: TrainConfig, root: Path, out: Path) -> dict[str, td.SampleSource]:
    """Training and validation sample sources (photos in memory, video pairs cached in ``out``)."""
    if config.photos == "skimage":
        photos = td.sample_photos()
        parts = {"train": photos, "val": photos}  # smoke only: too few photos to hold any aside
    else:
        paths = td.photo_paths([root / f for f in config.photo_folders])
        parts = {
            part: [td.load_rgb(p, 256) for p in td.split(paths, part)] for part in ("train", "val")
        }
    video: dict[str, dict[str, np.ndarray] | None] = {"train": None, "val": None}
    if config.video_keyframe_every:
        clips = sorted(p for p in (root / config.video_folder).iterdir() if p.suffix != ".tsv")
        for part in ("train", "val"):
            video[part] = cached_chains(
                out / f"video_chains_{part}.npz", td.split(clips, part), config
            )
    return {
        part: td.SampleSource(parts[part], video[part], config.crop, config.kind_weights)
        for part in ("train", "val")
    }


def cached_chains(path: Path, clips: list[Path], config: TrainConfig) -> dict[str, np.ndarray]:
    """The propagated frames of ``clips`` (:func:`training.data.video_chains`), computed once
    per run folder, one clip per CPU core, each clip with its own seeded generator so the result
    does not depend on the order the workers finish in."""
    if path.exists():
        with np.load(path) as stored:
            return dict(stored)
    started = time.time()
    seeds = [np.random.default_rng([config.seed, index]) for index in range(len(clips))]
    every = [config.video_keyframe_every] * len(clips)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        parts = list(pool.map(td.video_chains, [[clip] for clip in clips], seeds, every))
    frames = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    np.savez(path.with_suffix(".tmp.npz"), **frames)
    path.with_suffix(".tmp.npz").replace(path)
    count, seconds = len(frames["luma"]), time.time() - started
    print(f"{count} propagated frames from {len(clips)} clips in {seconds:.0f} s", flush=True)
    return frames


def to_tensors(samples: list[td.Sample]) -> tuple[torch.Tensor, ...]:
    def stack(planes: list[np.ndarray]) -> torch.Tensor:
        array = np.stack([p if p.ndim == 3 else p[..., None] for p in planes])
        return (
            torch.from_numpy(array)
            .permute(0, 3, 1, 2)
            .contiguous(memory_format=torch.channels_last)
        )

    return (
        stack([s.luma for s in samples]),
        stack([s.hint_ab for s in samples]),
        stack([s.hint_conf for s in samples]),
        stack([s.ab for s in samples]),
    )


# ------------------------------------------------------------------------------ training


def loss_fn(predicted: torch.Tensor, truth: torch.Tensor, beta: float) -> torch.Tensor:
    return F.smooth_l1_loss(predicted / AB_SCALE, truth / AB_SCALE, beta=beta)


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 5 % of the peak."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@torch.no_grad()
def validate(model: ColorNet, batches: dict[str, list[td.Sample]], beta: float) -> dict[str, float]:
    """Per hint kind: loss, mean |Δab| of the network and of the hints taken as they are (the
    model is left in eval mode)."""
    model.eval()
    result = {}
    for kind, samples in batches.items():
        luma, hint_ab, hint_conf, ab = to_tensors(samples)
        predicted = model(luma, hint_ab, hint_conf)
        result[f"{kind}_loss"] = float(loss_fn(predicted, ab, beta))
        result[f"{kind}_mae"] = float((predicted - ab).abs().mean())
        if kind != "auto":
            result[f"{kind}_hint_mae"] = float((hint_ab - ab).abs().mean())
    result["loss"] = float(np.mean([result[f"{k}_loss"] for k in batches]))
    return result


def training_mode(model: ColorNet, frozen_norm: bool = False) -> None:
    """Train the decoder; the frozen encoder keeps ImageNet's batch-norm statistics, and with
    ``frozen_norm`` every batch-norm keeps its statistics (its scale and shift still learn)."""
    model.train()
    model.encoder.eval()
    if frozen_norm:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eval()


def widen_hint_input(
    state: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """``state`` with its first hint convolution given zero weights for input channels it lacks,
    so a checkpoint from before a hint plane was added starts out computing exactly what it
    computed before."""
    key = "hints.levels.0.0.weight"
    weight, wanted = state[key], target[key]
    if weight.shape != wanted.shape:
        extra = wanted.shape[1] - weight.shape[1]
        state = {
            **state,
            key: torch.cat(
                [weight, weight.new_zeros(weight.shape[0], extra, *weight.shape[2:])], dim=1
            ),
        }
    return state


def save_checkpoint(path: Path, **state: object) -> None:
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)


def plot(log_path: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = [json.loads(line) for line in log_path.read_text().splitlines()]
    train = [e for e in events if e["event"] == "train"]
    val = [e for e in events if e["event"] == "val"]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot([e["step"] for e in train], [e["loss"] for e in train], label="train", alpha=0.6)
    kinds = sorted({k[:-5] for e in val for k in e if k.endswith("_loss") and k != "loss"})
    for kind in kinds:
        axis.plot(
            [e["step"] for e in val], [e[f"{kind}_loss"] for e in val], "o-", label=f"val {kind}"
        )
    axis.set_xlabel("step")
    axis.set_ylabel("Huber loss (ab / 110)")
    axis.set_yscale("log")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    plt.close(figure)


def train(config: TrainConfig, root: Path, out: Path, resume: bool) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    sources = build_sources(config, root, out)
    val_rng = np.random.default_rng(10_000 + config.seed)
    val_batches = {
        kind: sources["val"].batch(val_rng, config.batch * config.val_batches, kind)
        for kind in sources["val"].kinds
    }
    model = ColorNet(ColorNetConfig(pretrained=config.pretrained))
    model.freeze_encoder()
    model = model.to(memory_format=torch.channels_last)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    step, best, first_val = 0, math.inf, None
    log_path = out / "log.jsonl"
    if resume and (out / "last.pt").exists():
        state = torch.load(out / "last.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        step, best, first_val = state["step"], state["best"], state["first_val"]
        print(f"resumed at step {step}")
    else:
        if config.init_from:
            initial = torch.load(config.init_from, weights_only=False)["model"]
            model.load_state_dict(widen_hint_input(initial, model.state_dict()))
            print(f"weights from {config.init_from}")
        log_path.unlink(missing_ok=True)

    def checkpoint(path: Path) -> None:
        save_checkpoint(
            path,
            model=model.state_dict(),
            optimiser=optimiser.state_dict(),
            rng=rng.bit_generator.state,
            torch_rng=torch.get_rng_state(),
            step=step,
            best=best,
            first_val=first_val,
            config=asdict(config),
        )

    def log(event: dict[str, object]) -> None:
        with log_path.open("a") as handle:
            handle.write(json.dumps(event) + "\n")

    if first_val is None:
        first_val = validate(model, val_batches, config.huber_beta)
        log({"event": "val", "step": 0, **first_val})
    training_mode(model, config.frozen_norm)
    started, losses, last = time.time(), [], None
    start_step = step
    while step < config.steps:
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(config, step)
        luma, hint_ab, hint_conf, ab = to_tensors(sources["train"].batch(rng, config.batch))
        loss = loss_fn(model(luma, hint_ab, hint_conf), ab, config.huber_beta)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        step += 1
        elapsed = time.time() - started
        if step % config.log_every == 0 or step == config.steps:
            per_step = elapsed / (step - start_step)
            eta = per_step * (config.steps - step)
            log(
                {
                    "event": "train",
                    "step": step,
                    "loss": float(np.mean(losses)),
                    "s_per_step": per_step,
                }
            )
            print(
                f"step {step}/{config.steps} loss {np.mean(losses):.4f} "
                f"{per_step:.2f} s/step ETA {eta / 60:.0f} min",
                flush=True,
            )
            losses = []
        timed_out = config.max_minutes and elapsed > config.max_minutes * 60
        if step % config.val_every == 0 or step == config.steps or timed_out:
            last = validate(model, val_batches, config.huber_beta)
            training_mode(model, config.frozen_norm)
            log({"event": "val", "step": step, **last})
            print("val " + " ".join(f"{k} {v:.4f}" for k, v in last.items()), flush=True)
            if last["loss"] < best:
                best = last["loss"]
                checkpoint(out / "best.pt")
            plot(log_path, out / "loss.png")
        if step % config.checkpoint_every == 0 or step == config.steps or timed_out:
            checkpoint(out / "last.pt")
        if timed_out:
            print(f"stopped at step {step}: max_minutes {config.max_minutes} reached")
            break
    last = last or validate(model, val_batches, config.huber_beta)
    if config.require_val_drop and not last["loss"] < first_val["loss"]:
        raise SystemExit(
            f"validation loss did not fall: {first_val['loss']:.4f} -> {last['loss']:.4f}"
        )
    return {"first_val": first_val["loss"], "last_val": last["loss"], "step": step}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=None, help="shared data root")
    parser.add_argument("--out", type=Path, default=None, help="run folder (default runs/NAME)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--steps", type=int, default=None, help="override the config's steps")
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    config = TrainConfig.load(args.config)
    if args.steps is not None:
        config.steps = args.steps
    if args.max_minutes is not None:
        config.max_minutes = args.max_minutes
    if args.threads:
        torch.set_num_threads(args.threads)
    out = args.out or Path("runs") / config.name
    result = train(config, (args.data or default_data_root()).resolve(), out, args.resume)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
