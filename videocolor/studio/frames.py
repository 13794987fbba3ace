"""Frames of the reel by number, for the page: decoded from the keyframe before them.

The studio asks for one frame (a keyframe to paint) or one shot (a preview) at a time; decoding
the reel from its start for each would make the last shot of a long reel the slowest to open, so
the file's packet index (:func:`videocolor.io.seek.index_frames`, read once) says where to seek.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from videocolor.io import StreamInfo, open_source
from videocolor.io.seek import FrameIndex, SeekWindow, index_frames


class ReelFrames:
    """Random access to the frames of a video file or image sequence."""

    def __init__(
        self, path: Path, info: StreamInfo, frame_count: int, fps: Fraction | None
    ) -> None:
        self.path, self.info, self.frame_count, self.fps = path, info, frame_count, fps
        self._index: FrameIndex | None = None
        if not info.is_image_sequence:
            self._index = index_frames(path, frame_count)

    def _window(self, start: int, end: int) -> SeekWindow:
        return SeekWindow(start, end) if self._index is None else self._index.window(start, end)

    def lumas(self, start: int, end: int) -> Iterator[np.ndarray]:
        """Y' in [0, 1] of frames ``start`` to ``end`` (exclusive), in order."""
        with open_source(self.path, self.fps) as source:
            source.start_at(self._window(start, end))
            for frame in source:
                yield frame.luma_unit(self.info.code_range)

    def luma(self, frame: int) -> np.ndarray:
        """Y' in [0, 1] of one frame."""
        if not 0 <= frame < self.frame_count:
            raise IndexError(f"frame {frame} is outside the reel (0 to {self.frame_count - 1})")
        lumas = self.lumas(frame, frame + 1)
        try:
            return next(lumas)
        finally:
            lumas.close()  # closes the file now, not when the generator is collected
