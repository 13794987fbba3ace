"""Held-out shot-detection reels: the clips of ``video/train`` in a tuning and a scored half.

The detector's thresholds were first set on :func:`tests.film_defects.train_reel`, whose 26 clips
and single transition length it has seen. These reels measure it on material it was not tuned
on, with a fixed recipe:

- **clips**: every ``*.mp4`` of ``../shared/data/video/train`` in sorted name order, less the two
  that hold a real cut of their own (:data:`REAL_CUT_CLIPS`: a piece of them could carry an
  unlisted cut); alternating names go to the ``tune`` half (0th, 2nd, ...) and the ``score``
  half (1st, 3rd, ...). Thresholds may be chosen on ``tune`` only; ``score`` is what is reported.
- **pieces**: each reel shuffles its half's clips with ``numpy.random.default_rng(seed)`` and
  takes from each a piece of 30 to 60 frames (uniform) at a random start; a clip shorter than
  that is played forwards and backwards until long enough (a long take without a cut: a motion
  reversal the detector must not cut). Pieces are scaled to cover 480x360 and centre-cropped.
- **joins**: half hard cuts, a quarter fades through black, a quarter dissolves; a gradual
  join's length is drawn from :data:`LENGTHS`, among the lengths that leave both pieces at
  least :data:`CLEAN` frames without a transition (a hard cut when none does).
- **defects**: :class:`~tests.film_defects.FilmDefects` with its defaults (flicker ±0.15, grain
  0.035, weave ±3 px, 6 dust specks a frame, scratches) and the reel's seed, on every frame;
  24 fps, lossless FFV1.

:data:`SEEDS` gives two reels per half (seeds 11 and 12 for ``tune``, 21 and 22 for ``score``):
about 4,000 frames and 90 transitions a half. Scoring follows the issue's rule (see
:func:`tests.film_defects.score`): a hard cut counts within 2 frames, a dissolve when the cut
lies within half its length of its middle, a fade when it lies within the faded frames.

Run ``python -m tests.shot_reels`` to print the recipe and score the detector on both halves.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from tests.film_defects import FilmDefects, Reel, ReelBuilder, Score, _fit, _ping_pong, score
from videocolor.io import read_all_luma

#: Clips of ``video/train`` with a real cut (``../shared/data/README.md``): left out of the reels.
REAL_CUT_CLIPS = ("askanything_making-cake", "superglue_freiburg")
LENGTHS = (8, 12, 16, 24, 32, 48)  # dissolve and fade lengths, frames
CLEAN = 6  # frames of each piece that no transition may touch, so every shot is seen plainly
PIECE = (30, 60)  # piece length range, frames (inclusive)
SEEDS = {"tune": (11, 12), "score": (21, 22)}
SIZE = (480, 360)


def split(data: Path) -> dict[str, tuple[str, ...]]:
    """The clip names of each half, by alternating sorted names."""
    names = sorted(
        p.stem for p in (data / "video" / "train").glob("*.mp4") if p.stem not in REAL_CUT_CLIPS
    )
    return {"tune": tuple(names[0::2]), "score": tuple(names[1::2])}


def _piece(luma: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` frames from a random start, ping-ponging a clip that is too short."""
    if len(luma) < length:
        passes = 2
        while len(_ping_pong(luma, passes)) < length:
            passes += 1
        luma = _ping_pong(luma, passes)
    start = int(rng.integers(0, len(luma) - length + 1))
    return luma[start : start + length]


def build(
    folder: Path, data: Path, names: Sequence[str], seed: int, limit: int | None = None
) -> Reel:
    """One reel of the clips ``names`` (the first ``limit`` after shuffling) with ``seed``."""
    rng = np.random.default_rng(seed)
    order = [names[i] for i in rng.permutation(len(names))][:limit]
    reel = ReelBuilder()
    free = 0  # frames at the reel's tail that a transition may still cover
    for name in order:
        luma = read_all_luma(data / "video" / "train" / f"{name}.mp4")[1]
        length = int(rng.integers(PIECE[0], PIECE[1] + 1))
        piece = _fit(_piece(luma, length, rng), *SIZE)
        draw = rng.random()
        join = "cut" if draw < 0.5 else "fade" if draw < 0.75 else "dissolve"
        fits = [n for n in LENGTHS if n <= min(free, len(piece)) - CLEAN]
        span = int(rng.choice(fits)) if fits else 0
        if join != "cut" and not fits:
            join = "cut"
        reel.add(piece, join, span)
        # a fade's or dissolve's length is taken from the new piece's head too
        free = len(piece) - (span if join != "cut" else 0) - CLEAN
    return reel.write(folder / f"shot_reel_{seed}.mkv", Fraction(24), FilmDefects(seed=seed))


def recall_by_kind(result: Score, reel: Reel) -> dict[str, str]:
    """Recall of each kind of transition, as ``found/made`` (precision has no kind: a false cut
    matches nothing)."""
    made = {k: sum(t.kind == k for t in reel.transitions) for k in ("cut", "fade", "dissolve")}
    missed = {k: sum(t.kind == k for t in result.missed) for k in made}
    return {k: f"{made[k] - missed[k]}/{made[k]}" for k in made}


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="shared data folder")
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / "videocolor-shot-reels"
    )
    parser.add_argument("--half", choices=("tune", "score", "both"), default="both")
    args = parser.parse_args()
    from tests.conftest import shared_data
    from videocolor.shots.detection import detect_shots

    data = args.data or shared_data()
    if data is None:
        raise SystemExit("shared data folder absent (set VIDEOCOLOR_DATA)")
    args.folder.mkdir(parents=True, exist_ok=True)
    halves = split(data)
    for half in ("tune", "score") if args.half == "both" else (args.half,):
        print(f"{half}: {len(halves[half])} clips: {', '.join(halves[half])}")
        cuts_all: list[tuple[Sequence[int], Reel]] = []
        for seed in SEEDS[half]:
            reel = build(args.folder, data, halves[half], seed)
            began = time.perf_counter()
            cuts = detect_shots(reel.path).cut_frames
            kinds = {k: sum(t.kind == k for t in reel.transitions) for k in ("cut", "fade")}
            print(
                f"  seed {seed}: {reel.frame_count} frames, {kinds['cut']} cuts, "
                f"{kinds['fade']} fades, "
                f"{len(reel.transitions) - sum(kinds.values())} dissolves  "
                f"[detection {time.perf_counter() - began:.1f} s]"
            )
            result = score(cuts, reel.transitions)
            print(f"    {result.line()}")
            print(f"    recall by kind {recall_by_kind(result, reel)}")
            cuts_all.append((cuts, reel))
        hits = sum(score(c, r.transitions).true_positives for c, r in cuts_all)
        found = sum(len(c) for c, _ in cuts_all)
        truth = sum(len(r.transitions) for _, r in cuts_all)
        print(f"  {half} half: precision {hits / found:.3f}  recall {hits / truth:.3f}")


if __name__ == "__main__":
    _main()
