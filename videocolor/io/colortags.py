"""How a source's colour description is decided: its tags first, ffmpeg's defaults where untagged.

Range decides what a luma code means, so a wrong guess changes every tone of the output as players
show it. Untagged grey formats (what film scanners and RAWcooked write) are full range, as ffmpeg
and every player read them; untagged Y'CbCr is limited range unless its format is a ``yuvj`` one;
RGB is full range by definition. The matrix, when untagged, follows the frame height as players
do. Every decision carries its reason, which ``videocolor probe`` shows.
"""

from __future__ import annotations

import av

from videocolor.color import default_matrix
from videocolor.io.frames import ColorTags

#: FFmpeg's AVColorSpace, AVColorPrimaries and AVColorTransferCharacteristic codes by name.
MATRIX_CODES = {"bt709": 1, "bt601": 6, "bt2020": 9}
PRIMARIES_CODES = {
    "bt709": 1,
    "bt470m": 4,
    "bt470bg": 5,
    "smpte170m": 6,
    "smpte240m": 7,
    "bt2020": 9,
}
TRANSFER_CODES = {
    "bt709": 1,
    "gamma22": 4,
    "gamma28": 5,
    "smpte170m": 6,
    "linear": 8,
    "iec61966-2-1": 13,
    "bt2020-10": 14,
    "bt2020-12": 15,
    "smpte2084": 16,
    "arib-std-b67": 18,
}
_MATRIX_BY_CODE = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 10: "bt2020"}
_PRIMARIES_BY_CODE = {code: name for name, code in PRIMARIES_CODES.items()}
_TRANSFER_BY_CODE = {code: name for name, code in TRANSFER_CODES.items()}
_RANGE_LIMITED, _RANGE_FULL = 1, 2


def _range(fmt: av.VideoFormat, range_code: int) -> tuple[bool, str]:
    if fmt.is_rgb or fmt.has_palette:
        return True, f"{fmt.name} is RGB: full range by definition"
    if range_code == _RANGE_FULL:
        return True, "tagged full range (pc)"
    if range_code == _RANGE_LIMITED:
        return False, "tagged limited range (tv)"
    if fmt.name.startswith("gray"):
        return True, f"untagged {fmt.name}: full range, as ffmpeg and players read grey formats"
    if fmt.name.startswith("yuvj"):
        return True, f"untagged {fmt.name}: full range, as its format says"
    return False, f"untagged {fmt.name}: limited range, ffmpeg's default for Y'CbCr"


def _matrix(space_code: int, height: int) -> tuple[str, str]:
    tagged = _MATRIX_BY_CODE.get(space_code)
    if tagged:
        return tagged, f"tagged {tagged}"
    guess = default_matrix(height)
    return guess, f"untagged: {guess} for {height} lines, as players assume"


def decide(
    fmt: av.VideoFormat,
    height: int,
    *,
    range_code: int = 0,
    space_code: int = 2,
    primaries_code: int = 2,
    transfer_code: int = 2,
) -> ColorTags:
    """The colour description of a stream from its FFmpeg codes (0/2 meaning untagged)."""
    full_range, range_reason = _range(fmt, range_code)
    matrix, matrix_reason = _matrix(space_code, height)
    return ColorTags(
        matrix=matrix,
        full_range=full_range,
        primaries=_PRIMARIES_BY_CODE.get(primaries_code, "unknown"),
        transfer=_TRANSFER_BY_CODE.get(transfer_code, "unknown"),
        range_reason=range_reason,
        matrix_reason=matrix_reason,
    )


def image_tags(height: int, grey: bool) -> ColorTags:
    """The colour description of an image sequence: full range, matrix from the height."""
    matrix = default_matrix(height)
    return ColorTags(
        matrix=matrix,
        full_range=True,
        range_reason="image files are full range",
        matrix_reason=(
            f"grey images: luma is the pixel value ({matrix} only colours the output)"
            if grey
            else f"images carry no matrix: {matrix} for {height} lines, as for untagged video"
        ),
    )
