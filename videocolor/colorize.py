"""The colourisation stage of the streaming pipeline: shot by shot, from references to chroma.

Frames are buffered until their shot ends (in a spill array, so a long shot costs disk rather
than memory), then the shot is coloured from the references that fall inside it and emitted. A
shot with no painted frame takes its colour from its exemplar images through the luma-conditioned
prior; a shot with neither stays black-and-white, with a warning. State never crosses a shot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from videocolor import color
from videocolor.engine import EngineSettings, colorize_clip, reference_chroma, resize, work_size
from videocolor.io import Frame, StreamInfo
from videocolor.pipeline import Output
from videocolor.prior import ColourPrior
from videocolor.shot import Shot
from videocolor.spill import spill_array

log = logging.getLogger("videocolor")


class ColorizeStage:
    """Pipeline stage (see :class:`videocolor.pipeline.Stage`) that colours each shot."""

    def __init__(
        self,
        info: StreamInfo,
        shots: Sequence[Shot],
        references: dict[int, np.ndarray],
        exemplars: dict[int, list[np.ndarray]] | None = None,
        settings: EngineSettings = EngineSettings(),  # noqa: B008 - frozen
    ) -> None:
        self.info = info
        self.shots = list(shots)
        self.references = references
        self.exemplars = exemplars or {}
        self.settings = settings
        self._shot_index = 0
        self._frames: list[Frame] = []
        self._lumas: np.ndarray | None = None

    def _shot_of(self, frame_index: int) -> Shot:
        while self._shot_index < len(self.shots) - 1 and (
            frame_index >= self.shots[self._shot_index].end
        ):
            self._shot_index += 1
        return self.shots[self._shot_index]

    def process(self, frame: Frame) -> list[Output]:
        shot = self._shot_of(frame.index)
        if self._lumas is None:
            self._lumas = spill_array((shot.length, self.info.height, self.info.width), np.float32)
        position = min(frame.index - shot.start, shot.length - 1)
        self._lumas[position] = frame.luma_unit(self.info.code_range)
        self._frames.append(frame)
        return self._finish(shot) if frame.index >= shot.end - 1 else []

    def flush(self) -> list[Output]:
        if not self._frames:
            return []
        return self._finish(self._shot_of(self._frames[-1].index))

    def _finish(self, shot: Shot) -> list[Output]:
        frames, lumas = self._frames, self._lumas[: len(self._frames)]
        self._frames, self._lumas = [], None
        chroma = self._colour_shot(shot, lumas)
        return [(frame, cbcr) for frame, cbcr in zip(frames, chroma, strict=True)]

    def _colour_shot(self, shot: Shot, lumas: np.ndarray) -> list[np.ndarray | None]:
        matrix = self.info.color.matrix
        in_shot = {
            frame - shot.start: rgb
            for frame, rgb in self.references.items()
            if shot.start <= frame < shot.start + len(lumas)
        }
        if in_shot:
            return list(colorize_clip(lumas, in_shot, matrix, self.settings))
        exemplars = self.exemplars.get(shot.index) or self.exemplars.get(-1)
        if exemplars:
            return self._from_exemplars(lumas, exemplars)
        log.warning(
            "shot %d (frames %d-%d) has no reference: left black-and-white",
            shot.index,
            shot.start,
            shot.end - 1,
        )
        return [None] * len(lumas)

    def _from_exemplars(self, lumas: np.ndarray, exemplars: list[np.ndarray]) -> list[np.ndarray]:
        """Colour from the exemplars' luma-to-chroma statistics: low confidence, no positions."""
        height, width = lumas[0].shape
        size = work_size(width, height, self.settings.work_lines)
        pairs = [reference_chroma(rgb, size) for rgb in exemplars]
        prior = ColourPrior([p[0] for p in pairs], [p[1] for p in pairs])
        out = []
        for luma in lumas:
            small = resize(np.ascontiguousarray(luma), size)
            cbcr = color.lab_chroma_to_cbcr(small, prior(small), self.info.color.matrix)
            out.append(resize(cbcr, (width, height)))
        return out
