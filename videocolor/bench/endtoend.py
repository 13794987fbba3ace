"""Run the product on a benchmark clip as a user does: grey file, ``videocolor colorize``, output.

The in-process bench hands the engine its luma as numbers, so a fault in reading or writing real
files cannot show there. Here the clip's grey input (the same 8-bit full-range luma codes) is
written with the ``ffmpeg`` binary, either as FFV1 ``gray16le`` in MKV with no range tag (codes
times 257, what film scanners write) or as H.264 ``yuv420p`` in limited range, tagged; the
protocol's references become ``{frame:06d}.png`` files; the CLI runs in a subprocess; and its
output is decoded by ``ffmpeg`` into raw planes of the file's own pixel format and converted to
8-bit RGB here with the range and matrix the file declares, so no scaler of ffmpeg's stands
between the product's codes and the score.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from videocolor.color import CodeRange, Matrix, decode_luma, encode_luma, planes_to_rgb
from videocolor.errors import VideocolorError

#: ``--through`` choices: the grey file the product reads, or ``memory`` (in-process, no files).
THROUGH = ("ffv1", "h264", "memory")
MEMORY = "memory"
#: The bench of record is the user's path.
DEFAULT_THROUGH = "ffv1"

#: Frame rate of the grey files (what the product assumes for an untimed image sequence).
FRAME_RATE = 24

_FULL_8 = CodeRange(8, full_range=True)
_LIMITED_8 = CodeRange(8, full_range=False)
_MATRIX_TAG = {"bt601": "bt470bg", "bt709": "bt709", "bt2020": "bt2020nc"}
_MATRIX_BY_TAG: dict[str, Matrix] = {
    "bt470bg": "bt601",
    "smpte170m": "bt601",
    "bt709": "bt709",
    "bt2020nc": "bt2020",
}
_RANGE_BY_TAG = {"pc": True, "tv": False}
_DEPTH_BY_PIX_FMT = {"yuv444p": 8, "yuv444p10le": 10, "yuv444p12le": 12, "yuv444p16le": 16}


class EndToEndError(VideocolorError, RuntimeError):
    """A tool of the end-to-end path (ffmpeg, ffprobe, the CLI) failed or gave what is not
    expected."""


@dataclass(frozen=True)
class ClipFiles:
    """One clip on disk: its grey input file and its reference folder (None: no references)."""

    folder: Path
    grey: Path
    refs: Path | None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EndToEndError(
            f"bench video --through ffv1|h264 needs the {name} binary on PATH; "
            "install ffmpeg or use --through memory"
        )
    return path


def _run(command: Sequence[str], stdin: Iterable[bytes] = ()) -> bytes:
    """Run a tool, feeding it ``stdin`` chunk by chunk; its stdout, or an error with its stderr."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        for chunk in stdin:
            process.stdin.write(chunk)
    except BrokenPipeError:
        pass  # the tool stopped reading: its status and message below say why
    out, err = process.communicate()
    if process.returncode != 0:
        message = err.decode(errors="replace").strip() or "no message"
        raise EndToEndError(f"{Path(command[0]).name} exited with {process.returncode}: {message}")
    return out


def write_grey(path: Path, codes: Sequence[np.ndarray], matrix: Matrix, through: str) -> Path:
    """Write 8-bit full-range luma codes as the grey file of ``through`` (``ffv1``: untagged
    FFV1 ``gray16le``, codes times 257; ``h264``: limited-range ``yuv420p`` H.264 tagged ``tv`` and
    ``matrix``)."""
    height, width = codes[0].shape
    if through == "ffv1":
        pix_fmt = "gray16le"
        frames: Iterable[bytes] = ((c.astype("<u2") * 257).tobytes() for c in codes)
        encode = ["-c:v", "ffv1", "-level", "3", "-pix_fmt", "gray16le"]
    elif through == "h264":
        if width % 2 or height % 2:
            raise EndToEndError(f"{width}x{height}: H.264 4:2:0 needs an even width and height")
        pix_fmt = "yuv420p"
        neutral = np.full((height // 2, width // 2), 128, np.uint8).tobytes() * 2
        frames = (
            encode_luma(decode_luma(c, _FULL_8), _LIMITED_8).tobytes() + neutral for c in codes
        )
        encode = [
            *("-c:v", "libx264", "-crf", "16", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
            *("-color_range", "tv", "-colorspace", _MATRIX_TAG[matrix]),
        ]
    else:
        raise ValueError(f"no grey file for --through {through}")
    command = [
        _tool("ffmpeg"),
        *("-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", pix_fmt),
        *("-s", f"{width}x{height}", "-r", str(FRAME_RATE), "-i", "-"),
        *encode,
        str(path),
    ]
    _run(command, frames)
    return path


def write_references(folder: Path, references: Mapping[int, np.ndarray]) -> Path:
    """Write 8-bit RGB reference frames as ``{frame:06d}.png`` (0-based), as a user names them."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, rgb in references.items():
        bgr = np.ascontiguousarray(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
        if not cv2.imwrite(str(folder / f"{index:06d}.png"), bgr):
            raise EndToEndError(f"{folder}: could not write reference {index:06d}.png")
    return folder


@contextmanager
def clip_files(
    codes: Sequence[np.ndarray],
    references: Mapping[int, np.ndarray],
    matrix: Matrix,
    through: str,
) -> Iterator[ClipFiles]:
    """A temporary folder holding the clip's grey file and references, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="videocolor-bench-") as temp:
        folder = Path(temp)
        grey = write_grey(folder / "grey.mkv", codes, matrix, through)
        refs = write_references(folder / "refs", references) if references else None
        yield ClipFiles(folder, grey, refs)


def colorize_command(files: ClipFiles, output: Path, flags: Sequence[str]) -> list[str]:
    """``python -m videocolor -q colorize GREY -o OUTPUT --codec ffv1 [--refs DIR] FLAGS``."""
    refs = ["--refs", str(files.refs)] if files.refs is not None else []
    return [
        sys.executable,
        *("-m", "videocolor", "-q", "colorize", str(files.grey), "-o", str(output)),
        *("--codec", "ffv1", *refs, *flags),
    ]


def run_cli(command: Sequence[str]) -> float:
    """Run the CLI; its wall time in seconds, or an error carrying its stderr."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.strip() or "no message on stderr"
        shown = shlex.join(["python", *command[1:]])
        raise EndToEndError(f"`{shown}` exited with {done.returncode}: {message}")
    return seconds


def _video_stream(path: Path) -> dict[str, object]:
    command = [_tool("ffprobe"), "-v", "error", "-of", "json", "-show_streams", str(path)]
    streams = json.loads(_run(command)).get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"]
    if not video:
        raise EndToEndError(f"{path}: no video stream")
    return video[0]


def _declared(stream: Mapping[str, object], path: Path) -> tuple[int, CodeRange, Matrix]:
    """Bit depth, code range and matrix the file declares; refuses what it cannot read exactly."""
    pix_fmt, tag_range, tag_space = (
        stream.get(key) for key in ("pix_fmt", "color_range", "color_space")
    )
    if pix_fmt not in _DEPTH_BY_PIX_FMT:
        raise EndToEndError(f"{path}: pixel format {pix_fmt}, expected 4:4:4 planar Y'CbCr")
    if tag_range not in _RANGE_BY_TAG:
        raise EndToEndError(f"{path}: colour range {tag_range!r}, expected tagged pc or tv")
    if tag_space not in _MATRIX_BY_TAG:
        raise EndToEndError(
            f"{path}: colour matrix {tag_space!r}, expected one of {', '.join(_MATRIX_BY_TAG)}"
        )
    depth = _DEPTH_BY_PIX_FMT[pix_fmt]
    return depth, CodeRange(depth, _RANGE_BY_TAG[tag_range]), _MATRIX_BY_TAG[tag_space]


def read_rgb(path: Path) -> list[np.ndarray]:
    """The frames of the product's output as 8-bit RGB, from its own planes, range and matrix."""
    stream = _video_stream(path)
    depth, code_range, matrix = _declared(stream, path)
    width, height = int(stream["width"]), int(stream["height"])
    pix_fmt = str(stream["pix_fmt"])
    command = [
        _tool("ffmpeg"),
        *("-v", "error", "-i", str(path), "-map", "0:v:0", "-vsync", "passthrough"),
        *("-f", "rawvideo", "-pix_fmt", pix_fmt, "-"),
    ]
    data = np.frombuffer(_run(command), np.uint8 if depth == 8 else np.dtype("<u2"))
    if data.size % (3 * height * width):
        raise EndToEndError(f"{path}: {data.size} samples are not whole {width}x{height} frames")
    planes = data.reshape(-1, 3, height, width)
    return [
        np.rint(
            planes_to_rgb(*(np.ascontiguousarray(p) for p in frame), code_range, matrix) * 255.0
        ).astype(np.uint8)
        for frame in planes
    ]


def colorize(files: ClipFiles, flags: Sequence[str], name: str) -> tuple[list[np.ndarray], float]:
    """Colour the clip's grey file with the CLI and ``flags``: its 8-bit RGB frames and the
    CLI's wall time."""
    output = files.folder / f"{name}.mkv"
    seconds = run_cli(colorize_command(files, output, flags))
    try:
        return read_rgb(output), seconds
    finally:
        output.unlink(missing_ok=True)
