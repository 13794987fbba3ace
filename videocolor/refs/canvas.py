"""The folder ``videocolor refs suggest`` writes: canvases to paint, a manifest, a contact sheet.

Each keyframe becomes ``000123.png`` (its 0-based frame number, six digits): the frame's Y' as
an RGB image with R = G = B, full range, 16-bit when the source is deeper than 8 bits. RGB rather
than a grey PNG so that paint programs open it in a colour mode; the colourist paints over it and
saves under the same name, and ``refs check`` then finds each painted frame where it belongs.
``refs.json`` records the frame, timecode, shot and reason of every keyframe, and
``contact_sheet.png`` shows them shot by shot.

The folder appears whole or not at all (:class:`videocolor.io.safe_output.AtomicOutput`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from videocolor.errors import OutputError
from videocolor.io import StreamInfo, open_source
from videocolor.io.safe_output import AtomicOutput
from videocolor.refs.additions import Additions, WeakFrame, suggest_additions
from videocolor.refs.contact_sheet import SheetRow, Tile, draw_contact_sheet
from videocolor.refs.manifest import Manifest, ManifestEntry, write_manifest
from videocolor.refs.suggest import Keyframe, Suggestion, SuggestSettings, suggest_keyframes
from videocolor.shots.shot import Shot, timecode

CONTACT_SHEET = "contact_sheet.png"
_TILE_WIDTH = 240


def canvas_name(frame: int) -> str:
    return f"{frame:06d}.png"


def canvas_image(luma_unit: np.ndarray, deep: bool) -> np.ndarray:
    """A frame's canvas to paint: Y' as RGB with R = G = B, full range, 16-bit when ``deep``."""
    scale, dtype = (65535.0, np.uint16) if deep else (255.0, np.uint8)
    grey = np.rint(np.clip(luma_unit, 0.0, 1.0) * scale).astype(dtype)
    return np.repeat(grey[..., None], 3, axis=-1)


def _write_canvases(
    source: Path, info: StreamInfo, rate: Fraction, wanted: set[int], folder: Path
) -> dict[int, np.ndarray]:
    """Write the canvas of every frame in ``wanted``; return an 8-bit thumbnail of each."""
    deep = info.bit_depth > 8
    size = (_TILE_WIDTH, max(8, round(_TILE_WIDTH * info.height / info.width)))
    thumbnails: dict[int, np.ndarray] = {}
    if not wanted:
        return thumbnails
    with open_source(source, rate) as opened:
        for frame in opened:
            if frame.index in wanted:
                unit = frame.luma_unit(info.code_range)
                path = folder / canvas_name(frame.index)
                if not cv2.imwrite(str(path), canvas_image(unit, deep)):
                    raise OutputError(f"{path}: could not write the PNG")
                small = cv2.resize(unit, size, interpolation=cv2.INTER_AREA)
                thumbnails[frame.index] = np.rint(small * 255.0).astype(np.uint8)
            if len(thumbnails) == len(wanted):
                break
    return thumbnails


def _shot_heading(shot: Shot, suggestion: Suggestion, lowest: float) -> tuple[str, ...]:
    rate = suggestion.frame_rate
    return (
        f"shot {shot.index}",
        f"frames {shot.start}-{shot.end - 1}",
        f"from {timecode(shot.start, rate)}",
        f"to   {timecode(shot.end - 1, rate)}",
        f"coverage >= {lowest:.2f}",
    )


def _sheet(suggestion: Suggestion, thumbnails: dict[int, np.ndarray]) -> np.ndarray:
    rows = []
    for plan in suggestion.plans:
        tiles = tuple(
            Tile(
                thumbnails[k.frame],
                (
                    f"frame {k.frame}",
                    timecode(k.frame, suggestion.frame_rate),
                    "first pick" if k.coverage is None else f"coverage {k.coverage:.2f}",
                ),
            )
            for k in plan.keyframes
            if k.frame in thumbnails
        )
        rows.append(SheetRow(_shot_heading(plan.shot, suggestion, plan.lowest_coverage), tiles))
    count = len(suggestion.keyframes)
    title = (
        f"{suggestion.source.name}: {len(suggestion.plans)} shots, {count} keyframes to paint "
        f"({suggestion.frame_count} frames at {float(suggestion.frame_rate):g} fps)"
    )
    aspect = suggestion.info.width / suggestion.info.height
    return draw_contact_sheet(title, rows, aspect, tile_width=_TILE_WIDTH)


def _manifest(suggestion: Suggestion) -> Manifest:
    rate = suggestion.frame_rate
    entries = _entries(suggestion.keyframes, rate)
    settings = suggestion.settings
    shots = [
        {
            **plan.shot.as_dict(rate),
            "keyframes": [k.frame for k in plan.keyframes],
            "lowest_coverage": round(plan.lowest_coverage, 3),
        }
        for plan in suggestion.plans
    ]
    extra = {
        "source": str(suggestion.source),
        "frame_count": suggestion.frame_count,
        "frame_rate": str(rate),
        "settings": {
            "max_per_shot": settings.max_per_shot,
            "min_coverage": settings.min_coverage,
            "flow_width": settings.flow_width,
            "every": settings.every,
        },
        "shots": shots,
    }
    return Manifest(entries, CONTACT_SHEET, extra)


Chosen = TypeVar("Chosen", Suggestion, Additions)


def _entries(keyframes: Sequence[Keyframe], rate: Fraction) -> tuple[ManifestEntry, ...]:
    return tuple(
        ManifestEntry(canvas_name(k.frame), k.frame, k.shot, timecode(k.frame, rate), k.reason)
        for k in keyframes
    )


def _write_folder(
    source: str | Path,
    folder: str | Path,
    overwrite: bool,
    choose: Callable[[], Chosen],
    manifest: Callable[[Chosen], Manifest],
    sheet: Callable[[Chosen, dict[int, np.ndarray]], np.ndarray],
) -> Chosen:
    """Choose keyframes and write their canvases, manifest and contact sheet to ``folder``,
    which is checked before any work starts and written under a temporary name."""
    output = AtomicOutput(folder, inputs=(Path(source),), overwrite=overwrite, is_dir=True)
    try:
        chosen = choose()
        wanted = {k.frame for k in chosen.keyframes}
        thumbnails = _write_canvases(
            chosen.source, chosen.info, chosen.frame_rate, wanted, output.temp
        )
        write_manifest(output.temp, manifest(chosen))
        if not cv2.imwrite(str(output.temp / CONTACT_SHEET), sheet(chosen, thumbnails)):
            raise OutputError(f"{output.temp / CONTACT_SHEET}: could not write the PNG")
    except BaseException:
        output.discard()
        raise
    output.commit()
    return chosen


def suggest_references(
    source: str | Path,
    refdir: str | Path,
    *,
    settings: SuggestSettings | None = None,
    shots: list[Shot] | None = None,
    overwrite: bool = False,
    fps: Fraction | None = None,
    progress: bool = False,
) -> Suggestion:
    """Choose keyframes for ``source`` and write the reference folder ``refdir``.

    The output folder is checked before any work starts and written under a temporary name.
    """

    def choose() -> Suggestion:
        return suggest_keyframes(
            source, shots=shots, settings=settings or SuggestSettings(), fps=fps, progress=progress
        )

    return _write_folder(source, refdir, overwrite, choose, _manifest, _sheet)


#: BGR of what the contact sheet marks as reached by no painted keyframe.
_UNREACHED = (255, 0, 255)


def _weak_tile_image(weak: WeakFrame) -> np.ndarray:
    """The weak frame as the painted keyframes colour it (grey when they were not given), with
    what none of them reaches tinted magenta on the grey and outlined in magenta on the colour."""
    height, width = weak.grey.shape
    mask = cv2.resize(weak.unreached, (width, height), interpolation=cv2.INTER_NEAREST)
    if weak.colour is not None:
        outlined = weak.colour.copy()
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(outlined, contours, -1, _UNREACHED, 1, cv2.LINE_AA)
        return outlined
    grey = cv2.cvtColor(weak.grey, cv2.COLOR_GRAY2BGR)
    inside = mask > 127
    tinted = grey.copy()
    tinted[inside] = (0.5 * grey[inside] + np.array(_UNREACHED) * 0.5).astype(np.uint8)
    return tinted


def _additions_sheet(additions: Additions, thumbnails: dict[int, np.ndarray]) -> np.ndarray:
    rate = additions.frame_rate
    paint = tuple(
        Tile(
            thumbnails[k.frame],
            (f"frame {k.frame}", timecode(k.frame, rate), *textwrap.wrap(k.reason, 30)[:3]),
        )
        for k in additions.keyframes
        if k.frame in thumbnails
    )
    weak = tuple(
        Tile(
            _weak_tile_image(w),
            (
                f"frame {w.frame} (shot {w.shot})",
                f"{w.coverage:.0%} reached, -{w.loss:.1f} dB",
                "magenta: no keyframe reaches",
            ),
        )
        for w in additions.weakest
    )
    rows = [
        SheetRow(("paint next", f"{len(paint)} frames"), paint),
        SheetRow(("weakest now", "as they look with", f"{len(additions.painted)} painted"), weak),
    ]
    title = (
        f"{additions.source.name}: {len(additions.keyframes)} keyframes to add to "
        f"{len(additions.painted)} painted (expected colour loss {additions.loss_before:.1f} -> "
        f"{additions.loss_after:.1f} dB a frame)"
    )
    aspect = additions.info.width / additions.info.height
    return draw_contact_sheet(title, rows, aspect, tile_width=_TILE_WIDTH)


def _additions_manifest(additions: Additions) -> Manifest:
    rate = additions.frame_rate
    entries = _entries(additions.keyframes, rate)
    extra = {
        "source": str(additions.source),
        "frame_count": additions.frame_count,
        "frame_rate": str(rate),
        "painted": list(additions.painted),
        "expected_loss_db_before": round(additions.loss_before, 3),
        "expected_loss_db_after": round(additions.loss_after, 3),
        "weakest": [
            {"frame": w.frame, "shot": w.shot, "reached": round(w.coverage, 3)}
            for w in additions.weakest
        ],
    }
    return Manifest(entries, CONTACT_SHEET, extra)


def suggest_more_references(
    source: str | Path,
    painted: list[int],
    count: int,
    outdir: str | Path,
    *,
    shots: list[Shot] | None = None,
    overwrite: bool = False,
    fps: Fraction | None = None,
    progress: bool = False,
    images: Mapping[int, np.ndarray] | None = None,
) -> Additions:
    """Choose ``count`` frames to paint next beside the ``painted`` ones and write them, with
    their manifest and a contact sheet of the weakest frames (coloured as they would look now
    when ``images``, painted frame → RGB in [0, 1], are given), to ``outdir``."""

    def choose() -> Additions:
        return suggest_additions(
            source, painted, count, shots=shots, fps=fps, progress=progress, images=images
        )

    return _write_folder(source, outdir, overwrite, choose, _additions_manifest, _additions_sheet)
