"""A contact sheet: one row per shot, its keyframes as captioned thumbnails.

The colourist's overview of what to paint: which shots there are, how many frames each asks for,
and where they sit (frame number and timecode under every thumbnail, so a frame can be found in
any editor). Drawn with OpenCV's Hershey font at a size that stays legible in a PNG viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SCALE = 0.5
_LINE = 20
_PAD = 12
_HEADING_WIDTH = 190
_BACKGROUND = (32, 32, 32)
_STRIPE = (44, 44, 44)
_TEXT = (235, 235, 235)
_DIM = (170, 170, 170)


@dataclass(frozen=True)
class Tile:
    """A thumbnail (grey uint8 or BGR uint8, any size) and the lines written under it."""

    image: np.ndarray
    caption: tuple[str, ...]


@dataclass(frozen=True)
class SheetRow:
    heading: tuple[str, ...]
    tiles: tuple[Tile, ...]


def _text(canvas: np.ndarray, lines: Sequence[str], x: int, y: int, first_bold: bool) -> None:
    for i, line in enumerate(lines):
        bold = first_bold and i == 0
        cv2.putText(
            canvas,
            line,
            (x, y + (i + 1) * _LINE - 5),
            _FONT,
            _SCALE,
            _TEXT if bold or not first_bold else _DIM,
            2 if bold else 1,
            cv2.LINE_AA,
        )


def _bgr(image: np.ndarray, width: int, height: int) -> np.ndarray:
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_GRAY2BGR) if small.ndim == 2 else small


def draw_contact_sheet(
    title: str, rows: Sequence[SheetRow], aspect: float, *, tile_width: int = 240
) -> np.ndarray:
    """The sheet as a BGR uint8 image; ``aspect`` (width / height) sizes every thumbnail."""
    tile_height = max(8, round(tile_width / aspect))
    caption_lines = max((len(t.caption) for r in rows for t in r.tiles), default=0)
    heading_lines = max((len(r.heading) for r in rows), default=0)
    row_height = max(tile_height + caption_lines * _LINE, heading_lines * _LINE) + 2 * _PAD
    columns = max((len(r.tiles) for r in rows), default=1)
    width = max(_HEADING_WIDTH + columns * (tile_width + _PAD) + _PAD, 480)
    top = _LINE + 2 * _PAD
    sheet = np.full((top + row_height * len(rows), width, 3), _BACKGROUND, np.uint8)
    _text(sheet, [title], _PAD, _PAD, first_bold=True)
    for r, row in enumerate(rows):
        y = top + r * row_height
        if r % 2 == 0:
            sheet[y : y + row_height] = _STRIPE
        _text(sheet, row.heading, _PAD, y + _PAD, first_bold=True)
        for c, tile in enumerate(row.tiles):
            x = _HEADING_WIDTH + c * (tile_width + _PAD)
            ty = y + _PAD
            sheet[ty : ty + tile_height, x : x + tile_width] = _bgr(
                tile.image, tile_width, tile_height
            )
            _text(sheet, tile.caption, x, ty + tile_height, first_bold=False)
    return sheet
