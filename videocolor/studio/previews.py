"""A shot propagated at the preview resolution, frame by frame, with where its colour is unsure.

The engine runs as it does in a render (:func:`videocolor.engine.clip.propagate_working`: the
shot's painted keyframes, or the network's automatic keyframe when it has none), on frames shrunk
to :data:`videocolor.studio.pictures.PREVIEW_LINES`. Its finishing step is wrapped to keep each
frame's fused confidence, which becomes the overlay of where the colour is unsure; where to
paint next is the frame ``refs suggest --add 1`` would propose for the shot. Each frame is
written as soon as the engine delivers it, so the page shows the first ones while the rest are
coloured.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videocolor.engine.candidate import Candidate
from videocolor.engine.clip import (
    EngineSettings,
    automatic_keyframe,
    propagate_working,
    reference_chroma,
)
from videocolor.engine.prior import Prior
from videocolor.engine.shot import classical_finish
from videocolor.shots.shot import Shot
from videocolor.studio.frames import ReelFrames
from videocolor.studio.pictures import colour_rgb, encode, grey_rgb, shrink, to_8bit, unsure_overlay
from videocolor.studio.suggestions import Suggested

log = logging.getLogger("videocolor")


@dataclass(frozen=True)
class PreviewFrame:
    """One delivered frame: its pictures (file names in the preview's folder) and the mean
    confidence of its colour."""

    frame: int
    before: str
    after: str
    unsure: str
    confidence: float


class ShotPreview:
    """The preview of one shot; filled by :meth:`run` (in a worker thread) while the page reads
    :meth:`snapshot`."""

    def __init__(self, shot: Shot, folder: Path, run_number: int) -> None:
        self.shot, self.folder, self.run_number = shot, folder, run_number
        self.state = "queued"  # queued, running, done, failed
        self.error: str | None = None
        self.keyframes: list[int] = []
        self.automatic = False
        self.first_frame_s: float | None = None
        #: Where painting would help the shot most (step 11's suggestion), once measured.
        self.next_keyframe: Suggested | None = None
        self._frames: list[PreviewFrame] = []
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, object]:
        """What the page shows: state, frames so far, and where to paint next."""
        with self._lock:
            frames = list(self._frames)
        return {
            "shot": self.shot.index,
            "state": self.state,
            "error": self.error,
            "run": self.run_number,
            "total": self.shot.length,
            "keyframes": self.keyframes,
            "automatic": self.automatic,
            "first_frame_s": self.first_frame_s,
            "frames": [
                {
                    "frame": f.frame,
                    "before": f.before,
                    "after": f.after,
                    "unsure": f.unsure,
                    "confidence": round(f.confidence, 3),
                }
                for f in frames
            ],
            "paint_next": self._paint_next(frames),
        }

    def _paint_next(self, frames: list[PreviewFrame]) -> dict[str, object] | None:
        suggested = self.next_keyframe
        if suggested is None:
            return None
        shown = next((f for f in frames if f.frame == suggested.frame), None)
        return {
            "frame": suggested.frame,
            "confidence": None if shown is None else round(shown.confidence, 3),
            "reason": suggested.reason,
        }

    def run(
        self,
        frames: ReelFrames,
        references: dict[int, np.ndarray],
        settings: EngineSettings,
        suggest_next: Callable[[], Suggested | None] | None = None,
    ) -> None:
        """Colour the shot from ``references`` (frame → R'G'B' in [0, 1], any size; none: the
        network's automatic keyframe) and write every frame's pictures as it comes; then ask
        ``suggest_next`` where to paint next, before the preview counts as done."""
        started = time.monotonic()
        self.state = "running"
        try:
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir(parents=True)
            shot = self.shot
            lumas = [shrink(luma) for luma in frames.lumas(shot.start, shot.end)]
            size = (lumas[0].shape[1], lumas[0].shape[0])
            if not references:
                middle = shot.core[len(shot.core) // 2]
                references = {middle: automatic_keyframe(lumas[middle - shot.start], settings)}
                self.automatic = True
            self.keyframes = sorted(references)
            keyframes, ref_lumas = {}, []
            for frame in self.keyframes:
                _, keyframes[frame - shot.start] = reference_chroma(references[frame], size)
                ref_lumas.append(lumas[frame - shot.start])
            confidences: list[float] = []

            def finish(luma: np.ndarray, fused: Candidate | None, prior: Prior) -> np.ndarray:
                # the engine's own finishing, with the confidence it had kept aside
                confidences.append(fused.confidence if fused is not None else np.zeros_like(luma))
                return classical_finish(luma, fused, prior)

            chroma = propagate_working(lumas, keyframes, ref_lumas, settings, finish)
            for position, ab in enumerate(chroma):
                self._write(shot.start + position, lumas[position], ab, confidences[position])
                if self.first_frame_s is None:
                    self.first_frame_s = time.monotonic() - started
            if suggest_next is not None:
                self.next_keyframe = suggest_next()
            self.state = "done"
        except Exception as error:  # shown on the page; the server carries on
            log.warning("preview of shot %d failed: %s", self.shot.index, error)
            self.error, self.state = f"{type(error).__name__}: {error}", "failed"

    def _write(self, frame: int, luma: np.ndarray, ab: np.ndarray, confidence: np.ndarray) -> None:
        names = (f"before-{frame:06d}.jpg", f"after-{frame:06d}.jpg", f"unsure-{frame:06d}.png")
        pictures = (
            encode(to_8bit(grey_rgb(luma))),
            encode(to_8bit(colour_rgb(luma, ab))),
            encode(unsure_overlay(confidence), ".png"),
        )
        for name, data in zip(names, pictures, strict=True):
            (self.folder / name).write_bytes(data)
        with self._lock:
            self._frames.append(PreviewFrame(frame, *names, float(np.mean(confidence))))
