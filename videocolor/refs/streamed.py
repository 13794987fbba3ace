"""References for a stream that cannot be read twice: each keyframe is checked when its frame
passes.

A file is checked whole before colouring (:func:`videocolor.refs.check.check_references`); a pipe
sees every frame once. Each numbered reference is compared with its own frame as that frame
arrives, with the same comparison and the same verdict on whether it shows that frame, so a
keyframe a file check would use is used here too. What needs the whole video is left out: the
frame a reference shows best and the offset hint (run ``videocolor refs check`` on the file for
those), and exemplars without a shot number, since a stream's shot count is known only at its
end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from videocolor.io import StreamInfo
from videocolor.refs.check import frame_thumbnail, judge_alone, reference_luma
from videocolor.refs.match import compare
from videocolor.refs.reference import Reference, assess_image, read_references

log = logging.getLogger("videocolor")


class StreamedReferences:
    """The references of ``refdir`` for a stream described by ``info``.

    Call :meth:`see` with every frame in order: it returns the keyframes that frame made usable.
    ``exemplars`` maps shot numbers (from ``refs.json``) to exemplar images.
    """

    def __init__(self, refdir: str | Path, info: StreamInfo, *, offset: int = 0) -> None:
        self.info = info
        self.references = read_references(refdir, offset=offset)
        self.exemplars: dict[int, list[np.ndarray]] = {}
        self._waiting: dict[int, list[Reference]] = {}
        for reference in self.references:
            if reference.image is None:
                _report_unused(reference)
                continue
            assess_image(reference, info)
            if not reference.is_exemplar:
                self._waiting.setdefault(reference.frame, []).append(reference)
            elif reference.shot is None:
                reference.add(
                    "error",
                    "no-shot",
                    "no frame number in its name and no shot in refs.json: a stream's shots are "
                    "not known ahead; name the frame (000123.png) or give its shot in refs.json",
                )
            if not reference.usable:
                _report_unused(reference)
            elif reference.is_exemplar:
                self.exemplars.setdefault(reference.shot, []).append(reference.rgb())

    @property
    def usable(self) -> int:
        return sum(reference.usable for reference in self.references)

    def see(self, index: int, luma: np.ndarray) -> dict[int, np.ndarray]:
        """Judge the references named for frame ``index`` against its luma codes."""
        waiting = self._waiting.pop(index, [])
        keyframes = {}
        for reference in waiting:
            if not reference.usable:
                continue
            frame_size = (self.info.width, self.info.height)
            match = compare(
                reference_luma(reference, self.info),
                frame_thumbnail(luma, self.info),
                index,
                frame_size,
            )
            judge_alone(reference, match)
            if reference.usable:
                keyframes[index] = reference.frame_rgb(*frame_size)
            else:
                _report_unused(reference)
        return keyframes

    def never_reached(self) -> Sequence[Reference]:
        """References named for frames past the end of the stream (call when it has ended)."""
        late = [reference for frame in sorted(self._waiting) for reference in self._waiting[frame]]
        for reference in late:
            reference.add(
                "error", "outside", f"frame {reference.frame} is past the end of the stream"
            )
            _report_unused(reference)
        return late


def _report_unused(reference: Reference) -> None:
    log.warning("%s: not used (%s)", reference.path.name, reference.refusal)
