"""Pictures for the benchmark reports: labelled contact sheets (OpenCV) and PSNR plots.

Numbers hide what a failure looks like (a colour bleeding over an edge, a chain that drifted to
sepia), so every report shows the frames. Plots use matplotlib, a development dependency that the
runtime does not install: it is imported only here, on use, and :func:`require_matplotlib` lets a
command fail before a long run rather than after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from videocolor.errors import OutputError, VideocolorError

THUMB_WIDTH = 320
_LABEL_WIDTH = 170
_HEADER = 26
_GAP = 4
_CHAR_WIDTH = 9  # pixels per character of the label font
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def require_matplotlib() -> None:
    """Raise a one-line error when matplotlib (needed for the plots) is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise VideocolorError(
            "--report draws plots with matplotlib, which is not installed: "
            "pip install matplotlib (it comes with the [dev] extra)"
        ) from None


def spread(total: int, count: int) -> list[int]:
    """Up to ``count`` indices spread evenly over ``range(total)``, first and last included."""
    return sorted({round(float(i)) for i in np.linspace(0, total - 1, min(count, total))})


def thumbnail(rgb: np.ndarray, width: int = THUMB_WIDTH, height: int | None = None) -> np.ndarray:
    """An 8-bit RGB image scaled to fit ``width`` x ``height`` (aspect kept; never enlarged)."""
    scale = min(1.0, width / rgb.shape[1], (height or rgb.shape[0]) / rgb.shape[0])
    if scale == 1.0:
        return rgb.copy()
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def mark_points(image: np.ndarray, points: np.ndarray, colours: np.ndarray) -> None:
    """Draw each point (row, column) of ``points`` as a dot of its RGB colour, outlined in black."""
    for (row, col), colour in zip(points, colours, strict=True):
        centre = (round(float(col)), round(float(row)))
        cv2.circle(image, centre, 4, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(image, centre, 3, tuple(int(c) for c in colour), -1, cv2.LINE_AA)


def _text(image: np.ndarray, text: str, origin: tuple[int, int]) -> None:
    cv2.putText(image, text, origin, _FONT, 0.5, (0, 0, 0), 1, cv2.LINE_AA)


def contact_sheet(
    rows: Mapping[str, Sequence[np.ndarray]], column_titles: Sequence[str], path: Path
) -> Path:
    """A grid of RGB thumbnails, one labelled row per entry of ``rows``, titled columns, as PNG.

    Thumbnails of a column may differ in size (photos): each cell is as large as the largest.
    """
    cells = [image for images in rows.values() for image in images]
    cell_h = max(image.shape[0] for image in cells)
    cell_w = max(image.shape[1] for image in cells)
    columns = len(column_titles)
    height = _HEADER + len(rows) * (cell_h + _GAP)
    width = _LABEL_WIDTH + columns * (cell_w + _GAP)
    sheet = np.full((height, width, 3), 255, np.uint8)
    fitting = max(4, cell_w // _CHAR_WIDTH)
    for column, title in enumerate(column_titles):
        title = title if len(title) <= fitting else title[: fitting - 2] + ".."
        _text(sheet, title, (_LABEL_WIDTH + column * (cell_w + _GAP) + 4, _HEADER - 8))
    for row, (label, images) in enumerate(rows.items()):
        top = _HEADER + row * (cell_h + _GAP)
        _text(sheet, label, (6, top + cell_h // 2))
        for column, image in enumerate(images):
            left = _LABEL_WIDTH + column * (cell_w + _GAP)
            sheet[top : top + image.shape[0], left : left + image.shape[1]] = image
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise OutputError(f"{path}: could not write image")
    return path


def psnr_plot(
    series: Mapping[str, Sequence[float]], references: Sequence[int], title: str, path: Path
) -> Path:
    """Per-frame PSNR of several methods on one plot, reference frames marked, as PNG."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for index in references:
        axes.axvline(index, color="0.8", linestyle=":", linewidth=1)
    for name, values in series.items():
        values = np.asarray(values, dtype=np.float64)
        values[~np.isfinite(values)] = np.nan  # an exact frame (infinite PSNR) leaves a gap
        axes.plot(np.arange(values.size), values, label=name, linewidth=1.2)
    axes.set_xlabel("frame (dotted: reference)" if references else "frame")
    axes.set_ylabel("PSNR (dB)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
