"""Test reels with known transitions: real footage cut, dissolved and faded, then aged like film.

Shot detection is only worth what it measures on material that looks like its input, so the reels
are built from real moving footage (the demo clip ``bikes.mp4``, and the training clips of
``../shared/data/video/train`` when present), converted to black and white, and damaged the way
old prints are: random per-frame brightness flicker, grain, drifting vertical scratches, dust and
gate weave. The ground truth is known exactly because this module makes every transition.

``bikes.mp4`` is not one continuous shot: it holds five hard cuts of its own (frames 30, 76, 137,
187 and 242). Reels take their pieces from inside those shots, so the only transitions in a reel
are the ones made here.

Run ``python -m tests.film_defects --measure`` to print precision and recall of
:func:`videocolor.shots.detection.detect_shots` on every reel that can be built on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from videocolor.demo import demo_footage
from videocolor.io import read_all_luma

#: Native shots of ``bikes.mp4`` (start, end exclusive): its own cuts are at their starts.
BIKES_SHOTS = ((0, 30), (30, 76), (76, 137), (137, 187), (187, 242), (242, 250))

#: Training clips with one continuous shot each in their first 40 frames, at 24 fps: checked by
#: eye on contact sheets, and the detector finds no transition in them.
TRAIN_CLIPS = (
    "aniportrait_speech",
    "askanything_hitting-baseball",
    "askanything_playing-guitar",
    "askanything_yoga",
    "centertrack_nuscenes-mini",
    "davis17_car-turn",
    "davis17_dolphins",
    "davis17_lady-running",
    "davis17_rollercoaster",
    "davis17_schoolgirls",
    "decord_flipping-pancake",
    "dvp_bedroom",
    "dvp_venice-haze",
    "groundedsam2_highway",
    "hybrik_taiji",
    "imageio_cockatoo",
    "intel_asl-book",
    "mmaction2_basketball",
    "pllava_cooking",
    "pysot_bag",
    "rerender_pexels-6649832",
    "tokenflow_woman-running",
    "tuneavideo_man-skiing",
    "upscaleavideo_leopard",
    "videollama_dog-barking",
    "yolov4deepsort_street",
)

_FULL_RANGE = 2  # AVCOL_RANGE_JPEG: grey codes 0-255, as the reels are made
BLACK = 8  # the 8-bit base of a fade: film black is never code 0, and grain sits on top of it


@dataclass(frozen=True)
class Transition:
    """A made transition: frames ``start`` to ``end`` inclusive (equal for a hard cut, where
    ``start`` is the first frame of the new shot)."""

    kind: str  # "cut", "dissolve" or "fade"
    start: int
    end: int


@dataclass(frozen=True)
class Reel:
    path: Path
    frame_count: int
    transitions: tuple[Transition, ...]
    #: frame ranges (start, end exclusive) that hold one shot with defects only: no cut may fall
    #: inside them
    still_ranges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    true_positives: int
    false_positives: tuple[int, ...]  # detected cut frames matching no transition
    missed: tuple[Transition, ...]

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"(hits {self.true_positives}, false cuts {list(self.false_positives)}, "
            f"missed {[(t.kind, t.start, t.end) for t in self.missed]})"
        )


def score(cuts: Sequence[int], truth: Sequence[Transition], tolerance: int = 2) -> Score:
    """Precision and recall of detected cut frames against the made transitions.

    A hard cut or a fade matches a cut that lies in ``[start - tolerance, end + tolerance]``; a
    dissolve one within half its length of its middle (the issue's rule: a dissolve is found when
    its middle is), or within ``tolerance`` of it for a dissolve shorter than ``2 * tolerance``.
    Each transition takes at most one cut, so a transition reported twice costs precision.
    """
    unmatched = list(truth)
    hits, false = 0, []
    for cut in sorted(cuts):
        match = next((t for t in unmatched if _matches(cut, t, tolerance)), None)
        if match is None:
            false.append(cut)
        else:
            unmatched.remove(match)
            hits += 1
    precision = hits / len(cuts) if cuts else 1.0
    recall = hits / len(truth) if truth else 1.0
    return Score(precision, recall, hits, tuple(false), tuple(unmatched))


def _matches(cut: int, made: Transition, tolerance: int) -> bool:
    if made.kind == "dissolve":
        reach = max((made.end - made.start + 1) / 2, tolerance)
        return abs(cut - (made.start + made.end) / 2) <= reach
    return made.start - tolerance <= cut <= made.end + tolerance


@dataclass
class FilmDefects:
    """Ages clean luma frames like a worn print; deterministic for a given ``seed``.

    Scratches live for many frames and drift, as a scratch along the film does; dust, flicker,
    grain and weave are new every frame.
    """

    seed: int = 0
    flicker: float = 0.15  # brightness gain drawn uniformly from 1 ± flicker per frame
    grain: float = 0.035  # standard deviation of the grain, in unit luma
    weave: float = 3.0  # gate weave: per-frame translation drawn from ± weave pixels
    dust_per_frame: float = 6.0
    scratch_rate: float = 0.08  # chance per frame that a new scratch starts
    _rng: np.random.Generator = field(init=False, repr=False)
    _scratches: list[list[float]] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def apply(self, clean: np.ndarray) -> np.ndarray:
        """One aged frame of 8-bit luma."""
        rng = self._rng
        height, width = clean.shape
        clean = np.ascontiguousarray(clean, dtype=np.float32) / 255
        dx, dy = rng.uniform(-self.weave, self.weave, 2)
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        frame = cv2.warpAffine(clean, shift, (width, height), borderMode=cv2.BORDER_REFLECT)
        frame = frame * rng.uniform(1 - self.flicker, 1 + self.flicker)
        self._scratch(frame)
        self._dust(frame)
        noise = cv2.GaussianBlur(rng.standard_normal((height, width), np.float32), (0, 0), 0.7)
        frame += noise * (self.grain / 0.4)  # the blur leaves about 0.4 of the noise's deviation
        return np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)

    def _scratch(self, frame: np.ndarray) -> None:
        rng = self._rng
        height, width = frame.shape
        if len(self._scratches) < 3 and rng.random() < self.scratch_rate:
            # x, drift per frame, width, signed strength, frames left, top, bottom
            top = rng.uniform(0, 0.5) * height if rng.random() < 0.5 else 0
            self._scratches.append(
                [
                    rng.uniform(0.05, 0.95) * width,
                    rng.uniform(-0.8, 0.8),
                    rng.integers(1, 4),
                    rng.choice([-1, 1]) * rng.uniform(0.15, 0.4),
                    rng.integers(5, 40),
                    top,
                    height,
                ]
            )
        for scratch in self._scratches:
            x, drift, thickness, strength, _, top, bottom = scratch
            left = int(np.clip(x, 0, width - thickness))
            rows = slice(int(top), int(bottom))
            frame[rows, left : left + int(thickness)] += strength
            scratch[0] = x + drift + rng.normal(0, 0.3)
            scratch[4] -= 1
        self._scratches = [s for s in self._scratches if s[4] > 0]

    def _dust(self, frame: np.ndarray) -> None:
        rng = self._rng
        height, width = frame.shape
        for _ in range(rng.poisson(self.dust_per_frame)):
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            axes = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
            value = 0.02 if rng.random() < 0.6 else 0.98
            cv2.ellipse(frame, centre, axes, float(rng.uniform(0, 180)), 0, 360, value, -1)


def _mix(a: np.ndarray, b: np.ndarray | float, alpha: float) -> np.ndarray:
    """``(1 - alpha) a + alpha b`` of 8-bit frames (or a level), back in 8 bits."""
    mixed = (1 - alpha) * a.astype(np.float32) + alpha * np.float32(b)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


class ReelBuilder:
    """Joins clean 8-bit luma pieces of one size with cuts, dissolves and fades.

    Frames stay 8-bit until they are aged, so a reel of a thousand frames costs tens of
    megabytes, not hundreds.
    """

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []
        self.transitions: list[Transition] = []
        self.still_ranges: list[tuple[int, int]] = []

    def add(
        self, piece: np.ndarray, join: str = "cut", length: int = 12, *, still: bool = False
    ) -> None:
        """Append ``piece`` (T, H, W); ``join`` is how it meets what came before.

        ``dissolve`` overlaps the last ``length`` frames of the reel with the first ``length`` of
        the piece; ``fade`` darkens the reel's tail to black over ``length`` frames, holds black
        for ``length // 2`` frames and brings the piece up from black; ``fade-out`` does the same
        but cuts straight into the piece from black. Transitions may not overlap: a piece too
        short for the transitions at both its ends is refused.
        """
        frames = list(piece)
        if not self.frames:
            join = "none"
        start = len(self.frames)
        settled = self.transitions[-1].end + 1 if self.transitions else 0
        if join in ("dissolve", "fade", "fade-out") and (
            start - length < settled or len(frames) < length
        ):
            raise ValueError(
                f"a {length}-frame {join} at frame {start} overlaps another transition"
            )
        if join == "cut":
            self.transitions.append(Transition("cut", start, start))
        elif join == "dissolve":
            start -= length
            for k in range(length):
                alpha = (k + 1) / (length + 1)
                self.frames[start + k] = _mix(self.frames[start + k], frames[k], alpha)
            frames = frames[length:]
            self.transitions.append(Transition("dissolve", start, start + length - 1))
        elif join in ("fade", "fade-out"):
            first = start - length
            for k in range(length):
                alpha = (k + 1) / (length + 1)
                self.frames[first + k] = _mix(self.frames[first + k], BLACK, alpha)
            black = np.full_like(frames[0], BLACK)
            self.frames += [black] * (length // 2)
            if join == "fade":
                for k in range(length):
                    alpha = (k + 1) / (length + 1)
                    frames[k] = _mix(frames[k], BLACK, 1 - alpha)
                last = len(self.frames) + length - 1
            else:
                last = len(self.frames)
            self.transitions.append(Transition("fade", first, last))
        if still:
            self.still_ranges.append((len(self.frames), len(self.frames) + len(frames)))
        self.frames += frames

    def write(self, path: Path, rate: Fraction, defects: FilmDefects) -> Reel:
        """Age every frame and encode the reel losslessly (FFV1, 8-bit grey)."""
        height, width = self.frames[0].shape
        with av.open(str(path), "w") as container:
            stream = container.add_stream("ffv1", rate=rate, options={"level": "3", "g": "1"})
            stream.width, stream.height, stream.pix_fmt = width, height, "gray"
            stream.codec_context.color_range = _FULL_RANGE
            for index, clean in enumerate(self.frames):
                frame = av.VideoFrame.from_ndarray(defects.apply(clean), format="gray")
                frame.color_range = _FULL_RANGE
                frame.pts, frame.time_base = index, 1 / rate
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return Reel(path, len(self.frames), tuple(self.transitions), tuple(self.still_ranges))


def _ping_pong(frames: np.ndarray, passes: int) -> np.ndarray:
    """One shot played forwards, backwards, forwards...: a long take without any cut."""
    runs = [frames if k % 2 == 0 else frames[::-1][1:-1] for k in range(passes)]
    return np.concatenate(runs)


def bikes_reel(folder: Path, defects: FilmDefects | None = None, transition: int = 12) -> Reel:
    """A 667-frame reel from ``bikes.mp4`` alone (runs anywhere the dev extras are installed).

    Seven hard cuts (one into a mirrored take of similar content), two dissolves, a fade through
    black, a fade out cut into the next shot, and a 181-frame take with defects and no cut.
    Dissolves and fades last ``transition`` frames.
    """
    info, luma = read_all_luma(demo_footage())
    shot = [luma[a:b] for a, b in BIKES_SHOTS]
    reel = ReelBuilder()
    reel.add(shot[3])  # fence and town
    reel.add(shot[1])  # man among cars
    reel.add(shot[0])  # white post on a wall
    reel.add(shot[4], "dissolve", transition)  # legs and parked bike
    reel.add(_ping_pong(shot[2], 3), still=True)  # car front and cyclist: the long take
    reel.add(shot[3][:, :, ::-1], "fade", transition)
    reel.add(shot[1][::-1])
    reel.add(shot[1][:, :, ::-1])  # the same take mirrored: a cut between similar pictures
    reel.add(shot[0][::-1], "dissolve", transition)
    reel.add(shot[4][::-1])
    reel.add(shot[2][:40])
    reel.add(shot[3], "fade-out", transition)
    rate = info.frame_rate or Fraction(25)
    return reel.write(folder / "bikes_reel.mkv", rate, defects or FilmDefects(seed=1))


def _fit(luma: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale a clip to cover ``width`` x ``height`` and crop the centre."""
    clip_h, clip_w = luma.shape[1:]
    scale = max(width / clip_w, height / clip_h)
    size = (max(width, round(clip_w * scale)), max(height, round(clip_h * scale)))
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return np.stack(
        [
            cv2.resize(f, size, interpolation=cv2.INTER_AREA)[
                top : top + height, left : left + width
            ]
            for f in luma
        ]
    )


def _train_clips(data: Path) -> Iterator[np.ndarray]:
    for name in TRAIN_CLIPS:
        path = data / "video" / "train" / f"{name}.mp4"
        if path.is_file():
            yield _fit(read_all_luma(path)[1][:40], 480, 360)


def train_reel(
    folder: Path, data: Path, defects: FilmDefects | None = None, transition: int = 12
) -> Reel:
    """A reel of the 26 clips of :data:`TRAIN_CLIPS` (40 frames each), 480x360 at 24 fps.

    Every fifth join is a dissolve and every seventh a fade through black, lasting
    ``transition`` frames; the other 17 are hard cuts.
    """
    reel = ReelBuilder()
    for number, piece in enumerate(_train_clips(data)):
        join = "fade" if number % 7 == 6 else "dissolve" if number % 5 == 4 else "cut"
        reel.add(piece, join, transition)
    if not reel.frames:
        raise FileNotFoundError(f"{data}/video/train: none of the listed clips is present")
    return reel.write(folder / "train_reel.mkv", Fraction(24), defects or FilmDefects(seed=2))


def measure(reel: Reel) -> Score:
    """Run the detector on a reel and score it."""
    from videocolor.shots.detection import detect_shots

    return score(detect_shots(reel.path).cut_frames, reel.transitions)


def bikes_truth() -> tuple[Transition, ...]:
    """The five hard cuts that ``bikes.mp4`` itself holds."""
    return tuple(Transition("cut", start, start) for start, _ in BIKES_SHOTS[1:])


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="run the detector and score it")
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / "videocolor-film-defects"
    )
    parser.add_argument("--data", type=Path, default=None, help="shared data folder")
    parser.add_argument("--seed", type=int, default=0, help="added to each reel's defect seed")
    parser.add_argument("--transition", type=int, default=12, help="dissolve and fade frames")
    parser.add_argument("--flicker", type=float, default=0.15, help="brightness flicker, ±")
    parser.add_argument("--grain", type=float, default=0.035, help="grain deviation, unit luma")
    args = parser.parse_args()
    from tests.conftest import shared_data
    from videocolor.shots.detection import detect_shots

    def defects(seed: int) -> FilmDefects:
        return FilmDefects(seed + args.seed, flicker=args.flicker, grain=args.grain)

    args.folder.mkdir(parents=True, exist_ok=True)
    builders = [("bikes", lambda: bikes_reel(args.folder, defects(1), args.transition))]
    data = args.data or shared_data()
    if data is not None:
        builders.append(
            ("train", lambda: train_reel(args.folder, data, defects(2), args.transition))
        )
    if args.measure:
        began = time.perf_counter()
        result = score(detect_shots(demo_footage()).cut_frames, bikes_truth())
        print("bikes.mp4 as shipped (its own 5 cuts, no defects)")
        print(f"  {result.line()}  [{time.perf_counter() - began:.1f} s]")
    for name, build in builders:
        try:
            reel = build()
        except ValueError as exc:
            print(f"{name}: not built ({exc})")
            continue
        cuts = sum(t.kind == "cut" for t in reel.transitions)
        print(
            f"{name}: {reel.path} ({reel.frame_count} frames, {cuts} hard cuts, "
            f"{len(reel.transitions) - cuts} dissolves and fades)"
        )
        if args.measure:
            began = time.perf_counter()
            result = measure(reel)
            print(f"  {result.line()}  [{time.perf_counter() - began:.1f} s]")


if __name__ == "__main__":
    _main()
