"""Real input formats by output codecs, judged by the ffmpeg binary: decoded by ffmpeg, the output's
luma equals the input's, and the colour arrives as it does through the lossless path.

Inputs are what archives hold (grey FFV1 at 8/10/16 bits, untagged or tagged; H.264 in both
ranges; ProRes; grey PNG/TIFF sequences; 10-bit DPX), made by ``ffmpeg`` from one real photo
panned; every cell is one ``videocolor colorize`` run. The judge reads luma the way ffmpeg does:
the Y plane as stored (``extractplanes=y``) with the range the file declares, untagged grey being
full range and untagged Y'CbCr limited; RGB outputs weighed with the matrix videocolor wrote them
with, since image files declare none.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from videocolor.cli import main

pytestmark = [
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary"),
    pytest.mark.slow,
]

FRAMES = 10
REFERENCE_FRAMES = (0, FRAMES - 1)
SD, HD = (320, 240), (1280, 720)
WEIGHTS = {"bt601": (0.299, 0.587, 0.114), "bt709": (0.2126, 0.7152, 0.0722)}
OUTPUTS = {
    "ffv1": "out.mkv",
    "h264": "out.mkv",
    "prores": "out.mov",
    "dnxhr": "out.mov",
    "png": "out",
    "tiff": "out",
}
#: Largest luma difference on the 8-bit scale: RGB outputs round R, G and B (±0.5 each); ProRes
#: is lossy even at its finest quantiser (measured 1.01 at worst, 0.69 at the 99.9th percentile).
LUMA_MAX = {"png": 1.0, "tiff": 1.0, "prores": 1.05}
PRORES_LUMA_P999 = 0.75
#: Luma PSNR (dB) against the input of the codecs whose luma coding is lossy by design: H.264 at
#: CRF 14.5 (measured 45.3-46.2) and DNxHR HQ/HQX at their fixed bit rates (46.3 on 8-bit grey).
LOSSY_LUMA_PSNR = {"h264": 44.0, "dnxhr": 44.0}
#: Chroma PSNR (dB, on the codec's chroma grid) a cell may lose against the same input's FFV1
#: output: 8-bit RGB rounding (measured 0.19), ProRes quantising (0.37), x264 at CRF 14.5 (5.1),
#: DNxHR at its fixed bit rate (4.9).
CHROMA_LOSS = {"ffv1": 0.0, "png": 0.25, "tiff": 0.25, "prores": 0.5, "dnxhr": 5.5, "h264": 5.5}
#: Chroma PSNR an input's FFV1 output may lose against a 16-bit grey scan's: 8-bit limited-range
#: luma has 219 levels, lossy luma a little noise, and both steer flow and fill (measured 0.95).
INPUT_LOSS = 1.2


@dataclass(frozen=True)
class InputFormat:
    """How one test input is written: ffmpeg's raw pixel format fed in, and its encoding."""

    name: str
    raw_pix_fmt: str
    full_range: bool
    args: tuple[str, ...]
    file: str
    rgb: bool = False
    size: tuple[int, int] = SD

    @property
    def matrix(self) -> str:
        return "bt709" if self.size[1] >= 720 else "bt601"


def _ffv1(fmt: str, tag: str, size: tuple[int, int] = SD) -> InputFormat:
    tags = () if tag == "untagged" else ("-color_range", tag)
    name = f"ffv1-{fmt}-{tag}" + ("-hd" if size == HD else "")
    return InputFormat(name, fmt, tag != "tv", ("-c:v", "ffv1", *tags), "in.mkv", size=size)


INPUTS = [
    *(
        _ffv1(fmt, tag)
        for fmt in ("gray", "gray10le", "gray16le")
        for tag in ("untagged", "pc", "tv")
    ),
    _ffv1("gray16le", "untagged", HD),
    InputFormat(
        "h264-yuv420p-tv",
        "yuv420p",
        False,
        ("-c:v", "libx264", "-crf", "10", "-color_range", "tv", "-colorspace", "smpte170m"),
        "in.mp4",
    ),
    InputFormat("h264-yuvj420p", "yuvj420p", True, ("-c:v", "libx264", "-crf", "10"), "in.mp4"),
    InputFormat("prores-yuv422p10le", "yuv422p10le", False, ("-c:v", "prores_ks"), "in.mov"),
    InputFormat("png8", "gray", True, (), "in/%06d.png"),
    InputFormat("png16", "gray16le", True, (), "in/%06d.png"),
    InputFormat("tiff8", "gray", True, (), "in/%06d.tif"),
    InputFormat("tiff16", "gray16le", True, (), "in/%06d.tif"),
    InputFormat("dpx10", "rgb48le", True, ("-pix_fmt", "gbrp10le"), "in/%06d.dpx", rgb=True),
]
#: The lossless path every input's colour is held against: a 16-bit grey scan to FFV1.
LOSSLESS = {
    size: next(
        f
        for f in INPUTS
        if f.size == size
        and f.raw_pix_fmt == "gray16le"
        and f.name.startswith("ffv1")
        and "untagged" in f.name
    )
    for size in (SD, HD)
}


def _photo(size: tuple[int, int]) -> np.ndarray:
    """A camera panning across a real photo: (T, H, W, 3) uint8."""
    from skimage import data

    width, height = size
    photo = cv2.resize(data.astronaut(), (width * 3 // 2, height * 3 // 2))
    step = max(1, width // 80)
    return np.stack([photo[:height, i * step : i * step + width] for i in range(FRAMES)])


def _ycbcr(rgb: np.ndarray, matrix: str) -> np.ndarray:
    """Normalised Y'CbCr of RGB in [0, 1] (last axis)."""
    kr, kg, kb = WEIGHTS[matrix]
    y = kr * rgb[..., 0] + kg * rgb[..., 1] + kb * rgb[..., 2]
    return np.stack([y, (rgb[..., 2] - y) / (2 - 2 * kb), (rgb[..., 0] - y) / (2 - 2 * kr)], -1)


def _codes(unit: np.ndarray, bits: int, full_range: bool) -> np.ndarray:
    scale = 1 << (bits - 8)
    offset, gain = (0.0, (1 << bits) - 1.0) if full_range else (16.0 * scale, 219.0 * scale)
    return np.rint(unit * gain + offset).astype(np.uint16 if bits > 8 else np.uint8)


def _raw_frames(fmt: InputFormat, luma: np.ndarray) -> bytes:
    """Raw frames of ``fmt.raw_pix_fmt`` holding ``luma`` (T, H, W) in [0, 1], neutral chroma."""
    if fmt.rgb:
        return np.repeat(_codes(luma, 16, True)[..., None], 3, axis=-1).astype("<u2").tobytes()
    bits = _bits(fmt.raw_pix_fmt)
    dtype = np.dtype("<u2") if bits > 8 else np.dtype(np.uint8)
    y = _codes(luma, bits, fmt.full_range).astype(dtype)
    if fmt.raw_pix_fmt.startswith("gray"):
        return y.tobytes()
    width, height = fmt.size
    sub_h = 2 if "420" in fmt.raw_pix_fmt else 1
    neutral = np.full((height // sub_h, width // 2), 1 << (bits - 1), dtype).tobytes()
    return b"".join(frame.tobytes() + neutral * 2 for frame in y)


def _ffmpeg(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *args], input=stdin, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _probe(path: str) -> dict[str, str]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", "-select_streams", "v:0", path],
        capture_output=True,
        check=True,
    )
    return json.loads(result.stdout)["streams"][0]


def _write_input(root: Path, fmt: InputFormat, luma: np.ndarray) -> str:
    path = root / fmt.name / fmt.file
    path.parent.mkdir(parents=True)
    width, height = fmt.size
    raw = ["-f", "rawvideo", "-pix_fmt", fmt.raw_pix_fmt, "-s", f"{width}x{height}", "-r", "24"]
    _ffmpeg(*raw, "-i", "-", *fmt.args, str(path), stdin=_raw_frames(fmt, luma))
    return str(path)


@dataclass(frozen=True)
class Decoded:
    """What ffmpeg decodes from a file: luma on the 8-bit scale, chroma, and Y codes if Y'CbCr."""

    luma: np.ndarray  # (T, H, W) float64, 0..255 (beyond it for codes outside the nominal range)
    cbcr: np.ndarray  # (T, H, W, 2) float64 normalised, full resolution
    codes: np.ndarray | None
    full_range: bool | None


def _bits(pix_fmt: str) -> int:
    if pix_fmt.startswith("rgb48"):
        return 16
    return next((bits for bits in (10, 12, 16) if str(bits) in pix_fmt), 8)


def _decode(path: str, size: tuple[int, int], matrix: str) -> Decoded:
    """Decode with the ffmpeg binary; luma by the file's declared range, chroma upsampled."""
    width, height = size
    stream = _probe(path)
    pix_fmt = stream["pix_fmt"]
    bits = _bits(pix_fmt)
    if pix_fmt.startswith(("rgb", "gbr", "bgr")):
        # Native depth: ffmpeg widens 8-bit RGB to 16 bits by a shift, which would bias the judge.
        raw = _ffmpeg(
            "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb48le" if bits > 8 else "rgb24", "-"
        )
        rgb = np.frombuffer(raw, "<u2" if bits > 8 else np.uint8).reshape(-1, height, width, 3)
        ycbcr = _ycbcr(rgb / (65535.0 if bits > 8 else 255.0), matrix)
        return Decoded(ycbcr[..., 0] * 255.0, ycbcr[..., 1:], None, None)
    declared = stream.get("color_range", "unknown")
    full = declared == "pc" or (declared == "unknown" and pix_fmt.startswith(("gray", "yuvj")))
    # The file's own pixel format: ffmpeg copies the planes as stored (as extractplanes would).
    raw = _ffmpeg("-i", path, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    dtype = (
        np.dtype(np.uint8) if bits == 8 else np.dtype(">u2" if pix_fmt.endswith("be") else "<u2")
    )
    sub_w = 2 if "420" in pix_fmt or "422" in pix_fmt else 1
    sub_h = 2 if "420" in pix_fmt else 1
    chroma = 0 if pix_fmt.startswith("gray") else 2 * (height // sub_h) * (width // sub_w)
    frames = np.frombuffer(raw, dtype).astype(np.float64).reshape(-1, height * width + chroma)
    codes = frames[:, : height * width].reshape(-1, height, width)
    scale = 1 << (bits - 8)
    y_offset, y_gain = (0.0, (1 << bits) - 1.0) if full else (16.0 * scale, 219.0 * scale)
    if chroma:
        c_gain = (1 << bits) - 1.0 if full else 224.0 * scale
        planes = frames[:, height * width :].reshape(-1, 2, height // sub_h, width // sub_w)
        planes = np.repeat(np.repeat(planes, sub_h, axis=2), sub_w, axis=3)
        cbcr = np.moveaxis((planes - (1 << (bits - 1))) / c_gain, 1, -1)
    else:
        cbcr = np.zeros((*codes.shape, 2))
    return Decoded((codes - y_offset) / y_gain * 255.0, cbcr, codes.astype(np.int64), full)


def _chroma_grid(cbcr: np.ndarray, codec: str) -> np.ndarray:
    """Chroma averaged onto the codec's own chroma grid, so subsampling itself is not scored."""
    sub_h, sub_w = {"h264": (2, 2), "prores": (1, 2), "dnxhr": (1, 2)}.get(codec, (1, 1))
    t, h, w, c = cbcr.shape
    return cbcr.reshape(t, h // sub_h, sub_h, w // sub_w, sub_w, c).mean(axis=(2, 4))


def _chroma_psnr(cbcr: np.ndarray, truth: np.ndarray) -> float:
    """PSNR (peak 1) of normalised chroma on the frames that are not references."""
    frames = [i for i in range(len(truth)) if i not in REFERENCE_FRAMES]
    mse = float(np.mean((cbcr[frames] - truth[frames]) ** 2))
    return 10 * np.log10(1.0 / mse)


@dataclass
class Workspace:
    """Every input written once, the painted references and true chroma per size, the outputs."""

    root: Path
    inputs: dict[str, str]
    refs: dict[tuple[int, int], Path]
    truth: dict[tuple[int, int], np.ndarray]
    outputs: dict[tuple[str, str], str] = field(default_factory=dict)
    decoded: dict[str, Decoded] = field(default_factory=dict)

    def colorize(self, fmt: InputFormat, codec: str) -> str:
        """One CLI run per cell, kept for the cells that compare against it."""
        key = (fmt.name, codec)
        if key not in self.outputs:
            out = self.root / "out" / fmt.name / codec / OUTPUTS[codec]
            out.parent.mkdir(parents=True)
            args = ["-q", "colorize", self.inputs[fmt.name], "-o", str(out), "--codec", codec]
            refs = ["--refs", str(self.refs[fmt.size]), "--engine", "classical"]
            assert main([*args, *refs]) == 0
            pattern = {"png": "%06d.png", "tiff": "%06d.tif"}.get(codec)
            self.outputs[key] = str(out / pattern) if pattern else str(out)
        return self.outputs[key]

    def decode(self, path: str, fmt: InputFormat) -> Decoded:
        if path not in self.decoded:
            self.decoded[path] = _decode(path, fmt.size, fmt.matrix)
        return self.decoded[path]

    def chroma_psnr(self, fmt: InputFormat, codec: str, grid: str) -> float:
        """Chroma PSNR of a cell's output against the truth, on ``grid``'s chroma grid."""
        decoded = self.decode(self.colorize(fmt, codec), fmt)
        truth = _chroma_grid(self.truth[fmt.size][..., 1:], grid)
        return _chroma_psnr(_chroma_grid(decoded.cbcr, grid), truth)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("formats")
    truth, refs = {}, {}
    for size in (SD, HD):
        photo = _photo(size)
        truth[size] = _ycbcr(photo / 255.0, "bt709" if size == HD else "bt601")
        refs[size] = root / f"refs-{size[0]}x{size[1]}"
        refs[size].mkdir()
        for index in REFERENCE_FRAMES:
            bgr = cv2.cvtColor(photo[index], cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(refs[size] / f"{index:06d}.png"), bgr)
    inputs = {fmt.name: _write_input(root, fmt, truth[fmt.size][..., 0]) for fmt in INPUTS}
    return Workspace(root, inputs, refs, truth)


@pytest.mark.parametrize("codec", list(OUTPUTS))
@pytest.mark.parametrize("fmt", INPUTS, ids=[fmt.name for fmt in INPUTS])
def test_luma_kept_and_colour_arrives(workspace: Workspace, fmt: InputFormat, codec: str) -> None:
    source = workspace.decode(workspace.inputs[fmt.name], fmt)
    output = workspace.decode(workspace.colorize(fmt, codec), fmt)
    assert output.luma.shape == source.luma.shape
    assert abs(output.luma.mean() - source.luma.mean()) < 0.05
    if codec == "ffv1" and source.codes is not None:
        assert output.full_range == source.full_range
        np.testing.assert_array_equal(output.codes, source.codes)
    elif codec == "ffv1":  # an RGB scan: its luma is computed once and stored at 16 bits
        assert np.abs(output.luma - source.luma).max() <= 255 / 65535
    elif codec in LOSSY_LUMA_PSNR:
        mse = float(np.mean((output.luma - source.luma) ** 2))
        assert 10 * np.log10(255.0**2 / mse) >= LOSSY_LUMA_PSNR[codec]
    else:
        # RGB holds no code below black or above white, so a source's foot- and headroom clips.
        nominal = np.clip(source.luma, 0.0, 255.0) if codec in ("png", "tiff") else source.luma
        error = np.abs(output.luma - nominal)
        assert error.max() <= LUMA_MAX[codec]
        if codec == "prores":
            assert np.percentile(error, 99.9) <= PRORES_LUMA_P999
    same_input_lossless = workspace.chroma_psnr(fmt, "ffv1", codec)
    assert workspace.chroma_psnr(fmt, codec, codec) >= same_input_lossless - CHROMA_LOSS[codec]
    scan = workspace.chroma_psnr(LOSSLESS[fmt.size], "ffv1", "ffv1")
    grey = _chroma_psnr(
        np.zeros_like(workspace.truth[fmt.size][..., 1:]), workspace.truth[fmt.size][..., 1:]
    )
    assert scan > grey + 6
    assert workspace.chroma_psnr(fmt, "ffv1", "ffv1") >= scan - INPUT_LOSS


@pytest.mark.parametrize(
    ("name", "full_range", "reason"),
    [
        ("ffv1-gray16le-untagged", True, "untagged gray16le: full range"),
        ("ffv1-gray10le-tv", False, "tagged limited range"),
        ("png8", True, "image files are full range"),
        ("prores-yuv422p10le", False, "limited range"),
        ("h264-yuvj420p", True, "full range"),
    ],
)
def test_probe_says_how_the_range_was_decided(
    workspace: Workspace, capsys: pytest.CaptureFixture, name: str, full_range: bool, reason: str
) -> None:
    assert main(["probe", workspace.inputs[name], "--json"]) == 0
    color = json.loads(capsys.readouterr().out)["color"]
    assert color["full_range"] is full_range
    assert reason in color["range_reason"]
    assert color["matrix"] == "bt601" and color["matrix_reason"]
