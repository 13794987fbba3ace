"""Which original frames a video method may see: the reference protocol of a benchmark run.

``ref0`` gives the ground-truth frame 0 only, the protocol of the published reference-based
DAVIS/Videvo tables (ColorMNet, BiSTNet, DeepExemplar); ``every:N`` gives frames 0, N, 2N, ...,
how a colourist paints keyframes; ``auto`` gives none (automatic colourisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from videocolor.errors import VideocolorError

_EVERY = re.compile(r"every:(\d+)")


@dataclass(frozen=True)
class Protocol:
    """A reference protocol; ``interval`` is N of ``every:N``."""

    kind: Literal["ref0", "every", "auto"]
    interval: int = 0

    @property
    def name(self) -> str:
        return f"every:{self.interval}" if self.kind == "every" else self.kind

    def reference_indices(self, frames: int) -> list[int]:
        """The frames of a clip of ``frames`` frames that are given as references."""
        if self.kind == "auto":
            return []
        step = self.interval if self.kind == "every" else max(frames, 1)  # ref0: frame 0 alone
        return list(range(0, frames, step))


def parse_protocol(text: str) -> Protocol:
    """``ref0``, ``every:N`` (N >= 1) or ``auto``."""
    if text in ("ref0", "auto"):
        return Protocol(text)
    match = _EVERY.fullmatch(text)
    if match is None or int(match.group(1)) < 1:
        raise VideocolorError(f"unknown protocol {text!r}; expected ref0, every:N (N >= 1) or auto")
    return Protocol("every", int(match.group(1)))
