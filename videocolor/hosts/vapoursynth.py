"""The VapourSynth host: a clip in, the same clip coloured out, its luma untouched.

:func:`colorize` takes a GRAY or YUV clip (8-16-bit integer or 32-bit float) and returns
Y'CbCr 4:4:4 at the same depth, whose Y' plane is the clip's own, or RGB. VapourSynth asks
for frames out of order and from several threads; each request finds its shot and colours it
the first time (:mod:`videocolor.hosts.random_access`), reading that shot's source frames with
``get_frame`` from inside the frame callback, which VapourSynth allows from its worker threads
by lending the pool another thread while the callback waits. Cuts come from the frames'
``_SceneChangePrev``/``_SceneChangeNext`` when the clip carries them, from the detector of
``videocolor colorize`` otherwise, so on the same frames the two give the same pictures.

:func:`with_ab` turns CIELAB ab planes from the single-input automatic model
(:data:`AUTOMATIC_MODEL`, run by vs-mlrt's ``core.ort.Model``) into a coloured clip.

This is the only module that imports ``vapoursynth`` (Python 3.12 and later).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np
import vapoursynth as vs

from videocolor.color import (
    CodeRange,
    decode_luma,
    encode_chroma,
    fit_chroma_to_gamut,
    lab_chroma_to_cbcr,
    planes_to_rgb,
    recombine,
    ycbcr_to_rgb,
)
from videocolor.colorizers.network import PACKAGED_MODEL, network_size
from videocolor.engine.options import check_refs_given, engine_for
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import ReferenceImageError, UnsupportedFormatError
from videocolor.hosts.random_access import MarkedShots, ShotCache, ShotFinder, colour_shot
from videocolor.io import StreamInfo
from videocolor.io.colortags import MATRIX_CODES, decide
from videocolor.memory.spill import FrameQueue, RamBudget
from videocolor.refs.streamed import StreamedReferences
from videocolor.shots.shot import Shot
from videocolor.shots.stream import ShotStream

__all__ = ["AUTOMATIC_MODEL", "Colorizer", "FormatError", "colorize", "network_size", "with_ab"]

log = logging.getLogger("videocolor")

#: The colourisation network with its hint inputs fixed at zero: one input ``luma`` (N,1,H,W) in
#: [0, 1], one output ``ab`` (N,2,H,W); H, W multiples of 32 (``export/automatic.py``).
AUTOMATIC_MODEL = PACKAGED_MODEL.with_name("colornet_automatic.onnx")
#: RAM a kept coloured shot may take before the rest of it goes to a temporary file.
SHOT_RAM_BYTES = 64 * 1024 * 1024
_EXPECTED = (
    "expected a clip of constant format and size, GRAY or YUV, 8-16-bit integer or 32-bit "
    "float, whose first plane is the film's luma"
)
_RANGE_CODES = {"limited": 1, "full": 2}  # FFmpeg's codes, as colortags.decide takes them


class FormatError(UnsupportedFormatError, vs.Error):
    """A clip videocolor cannot take or give: caught as ``vs.Error`` or as ``ValueError``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.value = message  # what vs.Error's __str__ shows


def _check_input(clip: vs.VideoNode, name: str) -> vs.VideoFormat:
    fmt = clip.format
    if fmt is None or fmt.id == 0 or clip.width == 0 or clip.height == 0:
        raise FormatError(
            f"{name}: the clip's format or size changes from frame to frame; {_EXPECTED}. Make it "
            "constant first, e.g. core.resize.Bicubic(clip, width=W, height=H, format=vs.YUV420P8)"
        )
    integer = fmt.sample_type == vs.INTEGER
    if fmt.color_family not in (vs.GRAY, vs.YUV) or (
        not 8 <= fmt.bits_per_sample <= 16 if integer else fmt.bits_per_sample != 32
    ):
        family = (
            "RGB: black-and-white film is read as grey or Y'CbCr; "
            if (fmt.color_family == vs.RGB)
            else ""
        )
        raise FormatError(
            f"{name}: a {fmt.name} clip arrived; {family}{_EXPECTED}. Convert it first, e.g. "
            "core.resize.Bicubic(clip, format=vs.GRAY16, matrix_s='709')"
        )
    return fmt


def _luma_codes(plane: np.ndarray) -> np.ndarray:
    """The luma plane as the engine's integer codes: float Y' becomes 16-bit full-range codes."""
    if plane.dtype == np.float32:
        return np.rint(np.clip(plane, 0.0, 1.0) * 65535.0).astype(np.uint16)
    return np.array(plane, copy=True)


def _frame_luma(frame: vs.VideoFrame) -> np.ndarray:
    return _luma_codes(np.asarray(frame[0]))


def stream_info(
    clip: vs.VideoNode,
    props: vs.FrameProps,
    color_range: Literal["full", "limited"] | None = None,
    matrix: Literal["bt601", "bt709", "bt2020"] | None = None,
) -> StreamInfo:
    """What the engine needs to know of ``clip``: its size, and the range and matrix that the
    first frame's ``_Range``/``_Matrix`` say, decided as for a file where they are absent
    (:func:`videocolor.io.colortags.decide`) unless given here."""
    fmt = clip.format
    float_input = fmt.sample_type == vs.FLOAT
    range_code = _RANGE_CODES.get(color_range or "", 0)
    if not range_code and "_Range" in props:
        range_code = 2 if props["_Range"] == vs.RANGE_FULL else 1
    tags = decide(
        av.VideoFormat("gray" if fmt.color_family == vs.GRAY else "yuv444p", 16, 16),
        clip.height,
        range_code=2 if float_input else range_code,  # float Y' is 0..1 whatever the tag
        space_code=MATRIX_CODES[matrix] if matrix else int(props.get("_Matrix", 2)),
        primaries_code=int(props.get("_Primaries", 2)),
        transfer_code=int(props.get("_Transfer", 2)),
    )
    rate = Fraction(clip.fps.numerator, clip.fps.denominator) if clip.fps.numerator else None
    return StreamInfo(
        path=Path("vapoursynth"),
        width=clip.width,
        height=clip.height,
        bit_depth=16 if float_input else fmt.bits_per_sample,
        pix_fmt=fmt.name,
        time_base=1 / (rate or Fraction(24)),
        frame_rate=rate,
        color=tags,
        frame_count=clip.num_frames,
        container="vapoursynth",
    )


class _Output:
    """Turns luma plus Cb/Cr into the planes of the output format, Y'CbCr 4:4:4 or RGB.

    Between colouring and output a frame's chroma is kept as it will be written: Cb, Cr codes
    of the input's depth and range (fitted into the gamut against the luma), or normalised
    floats for float input.
    """

    def __init__(self, clip: vs.VideoNode, info: StreamInfo, output: str, name: str) -> None:
        fmt = clip.format
        self.float = fmt.sample_type == vs.FLOAT
        self.rgb = output == "rgb"
        if output not in ("yuv444", "rgb"):
            raise FormatError(f"{name}: output={output!r}; choose 'yuv444' or 'rgb'")
        self.info, self.range, self.matrix = info, info.code_range, info.color.matrix
        if self.rgb:
            bits = 32 if self.float else 8 if fmt.bits_per_sample == 8 else 16
            self.format = vs.core.query_video_format(vs.RGB, fmt.sample_type, bits, 0, 0)
        else:
            self.format = vs.core.query_video_format(
                vs.YUV, fmt.sample_type, fmt.bits_per_sample, 0, 0
            )
        self.out_range = CodeRange(self.format.bits_per_sample, True)
        self.chroma_dtype = np.float32 if self.float else self.range.dtype

    def chroma(self, luma: np.ndarray, cbcr: np.ndarray | None) -> np.ndarray:
        """(2, H, W) Cb, Cr to keep for a frame whose luma codes are ``luma``."""
        if cbcr is None:
            neutral = 0.0 if self.float else encode_chroma(np.zeros(1), self.range)[0]
            return np.full((2, *luma.shape), neutral, self.chroma_dtype)
        if self.float:
            fitted = fit_chroma_to_gamut(decode_luma(luma, self.range), cbcr, self.matrix)
            return np.ascontiguousarray(fitted.transpose(2, 0, 1))
        _, cb, cr = recombine(luma, cbcr, self.range, self.matrix)
        return np.stack([cb, cr])

    def planes(self, y: np.ndarray, chroma: np.ndarray) -> list[np.ndarray]:
        """The output planes of a frame whose source luma plane is ``y``."""
        if not self.rgb:
            return [y, chroma[0], chroma[1]]
        if self.float:
            ycbcr = np.dstack([np.clip(y, 0.0, 1.0), chroma[0], chroma[1]])
            rgb = np.clip(ycbcr_to_rgb(ycbcr, self.matrix), 0.0, 1.0)
        else:
            rgb = planes_to_rgb(y, chroma[0], chroma[1], self.range, self.matrix)
            rgb = np.rint(rgb * self.out_range.max_code).astype(self.out_range.dtype)
        return [rgb[..., 0], rgb[..., 1], rgb[..., 2]]

    def frame(
        self, blank: vs.VideoFrame, source: vs.VideoFrame, chroma: np.ndarray
    ) -> vs.VideoFrame:
        """A new frame holding ``chroma`` beside ``source``'s luma, with its properties."""
        out = blank.copy()
        for index, plane in enumerate(self.planes(np.asarray(source[0]), chroma)):
            np.copyto(np.asarray(out[index]), plane)
        out.props.update(source.props)
        out.props.pop("_ChromaLocation", None)
        if self.rgb:
            out.props["_Matrix"], out.props["_Range"] = 0, vs.RANGE_FULL
        else:
            out.props["_Matrix"] = MATRIX_CODES[self.matrix]
            full = self.info.color.full_range or self.float
            out.props["_Range"] = vs.RANGE_FULL if full else vs.RANGE_LIMITED
        return out

    def node(
        self, clip: vs.VideoNode, make: Callable[..., vs.VideoFrame], *extra: vs.VideoNode
    ) -> vs.VideoNode:
        """``clip`` remade frame by frame by ``make(n, blank, source, *extra_frames)``."""
        blank = clip.std.BlankClip(format=self.format.id, keep=True)
        return blank.std.ModifyFrame([blank, clip, *extra], lambda n, f: make(n, *f))


class Colorizer:
    """The filter behind :func:`colorize`: ``clip`` is the coloured clip, ``cache.computed``
    lists the shots coloured so far and ``finder`` how far the shots have been read."""

    def __init__(
        self,
        clip: vs.VideoNode,
        refs: str | Path | None = None,
        *,
        offset: int = 0,
        output: Literal["yuv444", "rgb"] = "yuv444",
        scenes: Literal["auto", "props", "detect"] = "auto",
        color_range: Literal["full", "limited"] | None = None,
        matrix: Literal["bt601", "bt709", "bt2020"] | None = None,
        engine: Literal["auto", "network", "classical"] = "auto",
        device: Literal["auto", "cpu", "cuda", "tensorrt"] = "auto",
        model: str | Path | None = None,
        work_res: int = 480,
        flow: Literal["ultrafast", "fast", "medium"] = "medium",
        match_every: int = PropagationSettings.match_every,
        allow_auto: bool = False,
        keep_shots: int = 4,
    ) -> None:
        name = "videocolor.vapoursynth.colorize"
        _check_input(clip, name)
        if scenes not in ("auto", "props", "detect"):
            raise ValueError(f"{name}: scenes={scenes!r}; choose 'auto', 'props' or 'detect'")
        self.source = clip
        first = clip.get_frame(0)
        self.info = stream_info(clip, first.props, color_range, matrix)
        self.output = _Output(clip, self.info, output, name)
        check_refs_given(refs, engine)
        self.settings = engine_for(
            engine=engine, model=model, device=device, work_res=work_res, flow=flow,
            match_every=match_every,
        )  # fmt: skip
        self.references = self._references(refs, offset, allow_auto)
        self.keyframes: dict[int, np.ndarray] = {}
        marked = "_SceneChangePrev" in first.props or "_SceneChangeNext" in first.props
        self.marked = scenes == "props" or (scenes == "auto" and marked)
        self._marks = MarkedShots()
        self._stream = ShotStream(code_range=self.info.code_range)
        self.finder = ShotFinder(clip.num_frames, self._read, self._finish)
        self.cache = ShotCache(self._colour, keep_shots)
        self.clip = self.output.node(clip, self._make)

    def _references(
        self, refs: str | Path | None, offset: int, allow_auto: bool
    ) -> StreamedReferences | None:
        if refs is None:
            return None
        references = StreamedReferences(refs, self.info, offset=offset)
        network = self.settings.network is not None
        if references.usable == 0 and not (network and allow_auto):
            auto = "; allow_auto=True colours automatically instead" if network else ""
            raise ReferenceImageError(f"{refs}: no usable reference image{auto}")
        return references

    def _luma(self, index: int) -> np.ndarray:
        return _frame_luma(self.source.get_frame(index))

    def _read(self, index: int) -> list[Shot]:
        """Frame ``index`` passing in order: its reference is judged, its cuts are found."""
        frame = self.source.get_frame(index)
        luma = _frame_luma(frame)
        if self.references is not None:
            self.keyframes.update(self.references.see(index, luma))
        if self.marked:
            props = frame.props
            starts, ends = props.get("_SceneChangePrev", 0), props.get("_SceneChangeNext", 0)
            return self._marks.add(bool(starts), bool(ends))
        return self._stream.add(luma)

    def _finish(self) -> list[Shot]:
        if self.references is not None:
            self.references.never_reached()
        return self._marks.finish() if self.marked else self._stream.finish()

    def _colour(self, shot: Shot) -> Sequence[np.ndarray]:
        info = self.info
        shape = (2, info.height, info.width)
        kept = FrameQueue(shape, self.output.chroma_dtype, budget=RamBudget(SHOT_RAM_BYTES))
        exemplars = self.references.exemplars if self.references is not None else {}
        # A copy: the finder may add later frames' keyframes while this shot is coloured.
        keyframes = dict(self.keyframes)
        for frame, cbcr in colour_shot(shot, self._luma, info, keyframes, exemplars, self.settings):
            kept.append(self.output.chroma(frame.luma, cbcr))
        return kept

    def _make(self, n: int, blank: vs.VideoFrame, source: vs.VideoFrame) -> vs.VideoFrame:
        shot = self.finder.shot_of(n)
        out = self.output.frame(blank, source, self.cache.get(shot)[n - shot.start])
        out.props["_SceneChangePrev"] = int(n == shot.start)
        out.props["_SceneChangeNext"] = int(n == shot.end - 1)
        return out


def colorize(clip: vs.VideoNode, refs: str | Path | None = None, **options: Any) -> vs.VideoNode:
    """``clip`` coloured from the painted frames of ``refs`` (automatic colour without).

    ``clip``: GRAY or YUV, 8-16-bit integer or 32-bit float; only its luma is read and it is
    kept bit for bit. Returns Y'CbCr 4:4:4 of the same depth (``output="yuv444"``) or RGB
    (``output="rgb"``: RGB24 from 8 bits, RGB48 from more, RGBS from float). Options as
    ``videocolor colorize``: ``offset``, ``engine``, ``device``, ``model``, ``work_res``,
    ``flow``, ``match_every``, ``allow_auto``; and ``scenes`` ("auto": the clip's
    ``_SceneChangePrev``/``_SceneChangeNext`` when its first frame has them, else "detect";
    or "props"), ``color_range`` and ``matrix`` (default: the first frame's ``_Range`` and
    ``_Matrix``, else as for a file), ``keep_shots`` (coloured shots kept, default 4). See
    :class:`Colorizer`.
    """
    return Colorizer(clip, refs, **options).clip


def with_ab(
    clip: vs.VideoNode,
    a: vs.VideoNode,
    b: vs.VideoNode,
    *,
    output: Literal["yuv444", "rgb"] = "yuv444",
    color_range: Literal["full", "limited"] | None = None,
    matrix: Literal["bt601", "bt709", "bt2020"] | None = None,
) -> vs.VideoNode:
    """``clip`` coloured frame by frame with CIELAB a* and b* from two GRAYS clips of any size
    (what ``core.ort.Model`` makes of :data:`AUTOMATIC_MODEL`), scaled to the frame; the luma
    is kept as in :func:`colorize`. Frames are coloured alone: expect some flicker that
    :func:`colorize`'s propagation does not have."""
    name = "videocolor.vapoursynth.with_ab"
    _check_input(clip, name)
    for plane, label in ((a, "a"), (b, "b")):
        if plane.format is None or plane.format.id != vs.GRAYS:
            shown = plane.format.name if plane.format is not None else "variable"
            raise FormatError(f"{name}: {label} is {shown}; expected GRAYS (core.ort.Model's)")
        if plane.num_frames != clip.num_frames:
            raise FormatError(
                f"{name}: {label} has {plane.num_frames} frames, the clip {clip.num_frames}"
            )
    info = stream_info(clip, clip.get_frame(0).props, color_range, matrix)
    out = _Output(clip, info, output, name)
    size = (clip.width, clip.height)

    def make(n: int, blank: vs.VideoFrame, source: vs.VideoFrame, *ab: vs.VideoFrame):
        planes = [cv2.resize(np.asarray(p[0]), size, interpolation=cv2.INTER_LINEAR) for p in ab]
        luma = _frame_luma(source)
        cbcr = lab_chroma_to_cbcr(decode_luma(luma, info.code_range), np.dstack(planes))
        return out.frame(blank, source, out.chroma(luma, cbcr))

    return out.node(clip, make, a, b)
