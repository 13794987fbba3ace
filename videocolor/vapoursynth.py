"""``import videocolor.vapoursynth as vc``: colour a VapourSynth clip (``vc.colorize``) and use
the single-input automatic model under vs-mlrt (``vc.AUTOMATIC_MODEL``, ``vc.with_ab``); see
:mod:`videocolor.hosts.vapoursynth` and ``plugins/vapoursynth/README.md``."""

from videocolor.hosts.vapoursynth import (
    AUTOMATIC_MODEL,
    Colorizer,
    FormatError,
    colorize,
    network_size,
    with_ab,
)

__all__ = ["AUTOMATIC_MODEL", "Colorizer", "FormatError", "colorize", "network_size", "with_ab"]
