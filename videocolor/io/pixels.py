"""Getting native-depth luma out of a decoded PyAV frame, whatever its pixel format.

Y'CbCr and grey formats already hold the stream's luma in plane 0, so it is copied out untouched
(bit-exact, any depth up to 16 bits). RGB and palette formats are reduced to Y' with the stream's
matrix. Formats that carry no meaningful luma (1-bit, Bayer mosaics, float, hardware surfaces) are
refused with a message that names the format.
"""

from __future__ import annotations

import av
import numpy as np

from videocolor.color import CodeRange, Matrix, encode_luma, rgb_to_luma
from videocolor.errors import UnsupportedFormatError

# Semi-planar and high-bit-packed Y'CbCr layouts: converted once to the planar format of the same
# depth, which keeps the luma codes.
_PLANAR_EQUIVALENT = {8: "yuv420p", 10: "yuv420p10le", 12: "yuv420p12le", 16: "yuv420p16le"}


def luma_bit_depth(fmt: av.VideoFormat) -> int:
    """Bits per luma sample of a pixel format, after the checks of :func:`check_pixel_format`."""
    bits = fmt.components[0].bits
    if fmt.has_palette:
        return 8
    if fmt.is_rgb:  # reduced to luma at 8 or 16 bits, whichever holds the source's precision
        return 8 if bits <= 8 else 16
    return bits


def check_pixel_format(fmt: av.VideoFormat) -> None:
    """Raise :class:`UnsupportedFormatError` for formats videocolor cannot take luma from."""
    name = fmt.name
    reason = None
    if fmt.is_bit_stream:
        reason = "1-bit bitstream formats carry no grey levels"
    elif fmt.is_bayer:
        reason = "Bayer mosaics must be debayered first"
    elif "f32" in name or "f16" in name or "f64" in name:
        reason = "floating-point formats are not supported"
    elif fmt.components and fmt.components[0].bits > 16:
        reason = "more than 16 bits per sample is not supported"
    elif not fmt.components:
        reason = "hardware frames must be downloaded first"
    if reason:
        raise UnsupportedFormatError(
            f"unsupported pixel format {name!r}: {reason}; convert the source to a Y'CbCr, grey or "
            "RGB format first (e.g. ffmpeg -pix_fmt yuv444p16le)"
        )


def _plane_array(frame: av.VideoFrame, index: int, bits: int) -> np.ndarray:
    plane = frame.planes[index]
    dtype = np.dtype("<u2") if bits > 8 else np.uint8
    rows = np.frombuffer(plane, dtype=dtype).reshape(plane.height, -1)
    return np.ascontiguousarray(rows[:, : plane.width]).astype(
        np.uint16 if bits > 8 else np.uint8, copy=False
    )


def frame_luma(frame: av.VideoFrame, matrix: Matrix, code_range: CodeRange) -> np.ndarray:
    """The luma plane of ``frame`` as code values in ``code_range`` (the stream's own)."""
    fmt = frame.format
    if fmt.is_rgb or fmt.has_palette:
        deep = fmt.components[0].bits > 8
        rgb = frame.to_ndarray(format="rgb48le" if deep else "rgb24")
        unit = rgb.astype(np.float32) / (65535.0 if deep else 255.0)
        return encode_luma(rgb_to_luma(unit, matrix), code_range)
    bits = fmt.components[0].bits
    plain_planar = (fmt.name.startswith(("yuv", "gray")) and fmt.is_planar) or fmt.name.startswith(
        "gray"
    )
    if not plain_planar or fmt.is_big_endian:
        target = _PLANAR_EQUIVALENT.get(bits)
        if target is None:
            raise UnsupportedFormatError(f"unsupported {bits}-bit pixel format {fmt.name!r}")
        frame = frame.reformat(format=target)
    return _plane_array(frame, 0, bits)
