"""The colourisation stage of the streaming pipeline: shot by shot, from references to chroma.

Frames are buffered until their shot ends (in a spill array, so a long shot costs disk rather
than memory), then the shot is coloured from the references that fall inside it and emitted. A
shot with no painted frame is coloured automatically by the network (nudged by its exemplar images
when it has any) on one keyframe that is then propagated; without the network, exemplars colour it
through the luma-conditioned prior and a shot with neither stays black-and-white, with a warning.
State never crosses a shot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import numpy as np

from videocolor import color
from videocolor.color import decode_luma
from videocolor.engine.clip import EngineSettings, colorize_clip, exemplar_prior, resize, work_size
from videocolor.io import Frame, StreamInfo
from videocolor.memory.spill import spill_array
from videocolor.pipeline.run import Output
from videocolor.shots.shot import Shot

log = logging.getLogger("videocolor")


class _ShotLumas(Sequence[np.ndarray]):
    """The buffered shot's luma codes seen as Y' in [0, 1], converted one frame at a time."""

    def __init__(self, codes: np.ndarray, info: StreamInfo) -> None:
        self._codes, self._range = codes, info.code_range

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, index):  # type: ignore[override]
        return decode_luma(self._codes[index], self._range)


class ColorizeStage:
    """Pipeline stage (see :class:`videocolor.pipeline.run.Stage`) that colours each shot.

    A shot's luma codes are buffered in a spill array (RAM when small, a temporary file when
    long) and its coloured frames are emitted lazily, one at a time, so memory does not grow with
    the length of a shot or of the reel.
    """

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
        self._timing: list[tuple[int, int | None]] = []  # (index, pts) of buffered frames
        self._codes: np.ndarray | None = None

    def _shot_of(self, frame_index: int) -> Shot:
        while self._shot_index < len(self.shots) - 1 and (
            frame_index >= self.shots[self._shot_index].end
        ):
            self._shot_index += 1
        return self.shots[self._shot_index]

    def process(self, frame: Frame) -> Iterator[Output]:
        shot = self._shot_of(frame.index)
        if self._codes is None:
            shape = (shot.length, self.info.height, self.info.width)
            self._codes = spill_array(shape, frame.luma.dtype)
        self._codes[min(frame.index - shot.start, shot.length - 1)] = frame.luma
        self._timing.append((frame.index, frame.pts))
        return self._finish(shot) if frame.index >= shot.end - 1 else iter(())

    def flush(self) -> Iterator[Output]:
        if not self._timing:
            return iter(())
        return self._finish(self._shot_of(self._timing[-1][0]))

    def _finish(self, shot: Shot) -> Iterator[Output]:
        timing, codes = self._timing, self._codes[: len(self._timing)]
        self._timing, self._codes = [], None
        chroma = self._colour_shot(shot, _ShotLumas(codes, self.info))
        for (index, pts), luma, cbcr in zip(timing, codes, chroma, strict=True):
            yield Frame(index, np.asarray(luma), pts, self.info.time_base), cbcr

    def _colour_shot(self, shot: Shot, lumas: _ShotLumas) -> Iterator[np.ndarray | None]:
        matrix = self.info.color.matrix
        in_shot = {
            frame - shot.start: rgb
            for frame, rgb in self.references.items()
            if shot.start <= frame < shot.start + len(lumas)
        }
        if in_shot:
            return colorize_clip(lumas, in_shot, matrix, self.settings)
        exemplars = self.exemplars.get(shot.index) or self.exemplars.get(-1)
        if self.settings.network is not None:  # automatic, nudged by exemplars if any
            return colorize_clip(lumas, {}, matrix, self.settings, exemplars)
        if exemplars:
            return self._from_exemplars(lumas, exemplars)
        log.warning(
            "shot %d (frames %d-%d) has no reference: left black-and-white",
            shot.index,
            shot.start,
            shot.end - 1,
        )
        return iter([None] * len(lumas))

    def _from_exemplars(
        self, lumas: _ShotLumas, exemplars: list[np.ndarray]
    ) -> Iterator[np.ndarray]:
        """Colour from the exemplars' luma-to-chroma statistics: low confidence, no positions."""
        height, width = self.info.height, self.info.width
        size = work_size(width, height, self.settings.work_lines)
        prior = exemplar_prior(exemplars, size)
        for luma in lumas:
            small = resize(np.ascontiguousarray(luma), size)
            cbcr = color.lab_chroma_to_cbcr(small, prior(small), self.info.color.matrix)
            yield resize(cbcr, (width, height))
