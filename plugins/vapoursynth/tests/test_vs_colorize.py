"""``videocolor.vapoursynth.colorize`` on a real VapourSynth core: frames asked for in any order
from several threads, each shot coloured once; cuts from the clip's scene-change properties;
every supported format in and out; and the errors a user sees for the rest."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs
from vsclips import clip_from, make_reel

import videocolor.vapoursynth as vc
from videocolor.errors import InputNotFoundError, UnsupportedFormatError

#: The first frame of a reel may take reading the frames up to its shot's end plus the
#: detector's lookahead, and colouring that one shot: seconds, on two shared cores.
FIRST_FRAME_SECONDS = 20.0


def planes(frame: vs.VideoFrame) -> np.ndarray:
    return np.stack([np.asarray(frame[p]) for p in range(frame.format.num_planes)])


def test_random_order_from_threads_colours_each_shot_once(core, reel: Path) -> None:
    """Eight threads ask for every frame in a shuffled order; the pictures are those of asking
    in order, and each of the three shots was coloured exactly once."""
    source = core.bs.VideoSource(str(reel))
    shuffled = vc.Colorizer(source, reel.parent / "refs")
    order = list(range(source.num_frames))
    random.Random(3).shuffle(order)
    got: dict[int, np.ndarray] = {}

    def ask(frames: list[int]) -> None:
        for n in frames:
            got[n] = planes(shuffled.clip.get_frame(n))

    threads = [threading.Thread(target=ask, args=(order[k::8],)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [(s.start, s.end) for s in sorted(shuffled.cache.computed, key=lambda s: s.start)] == [
        (0, 10),
        (10, 22),
        (22, 32),
    ]
    in_order = vc.Colorizer(source, reel.parent / "refs", keep_shots=1)
    for n in range(source.num_frames):
        assert np.array_equal(planes(in_order.clip.get_frame(n)), got[n]), n
    assert len(in_order.cache.computed) == 3
    assert all(np.ptp(got[n][1:]) > 10 for n in range(source.num_frames))  # in colour


def test_the_first_frame_costs_one_shot(core, tmp_path: Path) -> None:
    """On a reel whose last shot is long, frame 0 colours only the first shot and reads the
    frames only as far as the detector needs to settle its end."""
    reel = make_reel(tmp_path, (10, 12, 150), (2,))
    source = core.bs.VideoSource(str(reel))
    start = time.perf_counter()
    colorizer = vc.Colorizer(source, reel.parent / "refs", allow_auto=True)
    colorizer.clip.get_frame(0)
    first_frame = time.perf_counter() - start
    print(f"time to the first frame: {first_frame:.2f} s")
    assert [(s.start, s.end) for s in colorizer.cache.computed] == [(0, 10)]
    assert colorizer.finder.frames_read < source.num_frames
    assert first_frame < FIRST_FRAME_SECONDS


def mark(clip: vs.VideoNode, starts: set[int], ends: set[int]) -> vs.VideoNode:
    """``clip`` with ``_SceneChangePrev`` on ``starts`` and ``_SceneChangeNext`` on ``ends``."""

    def props(n: int, f: vs.VideoFrame) -> vs.VideoFrame:
        out = f.copy()
        out.props["_SceneChangePrev"] = int(n in starts)
        out.props["_SceneChangeNext"] = int(n in ends)
        return out

    return clip.std.ModifyFrame(clip, props)


def test_scene_change_properties_set_the_shots(core, reel: Path) -> None:
    """Cuts marked on the frames replace the detector's (at 10 and 22): a shot starts at
    frame 6 (``_SceneChangePrev``) and after frame 17 (``_SceneChangeNext``); ``scenes=
    "detect"`` ignores the marks. The output marks the shots it coloured."""
    marked = mark(core.bs.VideoSource(str(reel)), starts={6}, ends={17})
    colorizer = vc.Colorizer(marked, reel.parent / "refs", allow_auto=True)
    firsts = [n for n in range(32) if colorizer.clip.get_frame(n).props["_SceneChangePrev"]]
    lasts = [n for n in range(32) if colorizer.clip.get_frame(n).props["_SceneChangeNext"]]
    assert firsts == [0, 6, 18] and lasts == [5, 17, 31]
    assert [(s.start, s.end) for s in colorizer.cache.computed] == [(0, 6), (6, 18), (18, 32)]
    detected = vc.Colorizer(marked, reel.parent / "refs", scenes="detect")
    detected.clip.get_frame(31)
    assert [(s.start, s.end) for s in detected.cache.computed] == [(22, 32)]
    assert detected.finder.shot_of(5).end == 10


def luma_frames(depth: int, count: int = 6) -> list[np.ndarray]:
    """A textured pan of ``count`` 96x64 frames, codes of ``depth`` bits (0 = float)."""
    rng = np.random.default_rng(5)
    scene = rng.uniform(0.1, 0.9, (64, 120)).astype(np.float32)
    frames = [np.ascontiguousarray(scene[:, 2 * i : 2 * i + 96]) for i in range(count)]
    if depth == 0:
        return frames
    dtype = np.uint8 if depth == 8 else np.uint16
    return [np.rint(f * ((1 << depth) - 1)).astype(dtype) for f in frames]


@pytest.mark.parametrize(
    ("fmt", "depth", "yuv", "rgb"),
    [
        (vs.GRAY8, 8, vs.YUV444P8, vs.RGB24),
        (vs.GRAY10, 10, vs.YUV444P10, vs.RGB48),
        (vs.YUV420P16, 16, vs.YUV444P16, vs.RGB48),
        (vs.GRAYS, 0, vs.YUV444PS, vs.RGBS),
    ],
    ids=["GRAY8", "GRAY10", "YUV420P16", "GRAYS"],
)
def test_formats_in_and_out(core, fmt: int, depth: int, yuv: int, rgb: int) -> None:
    """Every output keeps the input's luma: the Y' plane bit for bit, RGB's luma to within
    its rounding; the chroma is coloured (automatic colour: no references)."""
    frames = luma_frames(depth)
    clip = clip_from(frames, fmt)
    coloured = vc.colorize(clip)
    assert coloured.format.id == yuv and coloured.num_frames == len(frames)
    as_rgb = vc.colorize(clip, output="rgb")
    assert as_rgb.format.id == rgb
    for n in (0, len(frames) - 1):
        out = coloured.get_frame(n)
        assert np.array_equal(np.asarray(out[0]), frames[n])
        assert np.ptp(np.asarray(out[1])) > 0
        matrix = vs.MatrixCoefficients(out.props["_Matrix"])
        assert matrix == vs.MATRIX_ST170_M  # 64 lines, untagged: BT.601, as for a file
        picture = planes(as_rgb.get_frame(n)).astype(np.float64)
        scale = 1.0 if depth == 0 else (1 << rgb_bits(rgb)) - 1
        luma = np.tensordot([0.299, 0.587, 0.114], picture / scale, axes=1)
        expected = frames[n] / (1.0 if depth == 0 else (1 << depth) - 1)
        if fmt == vs.YUV420P16:  # untagged Y'CbCr is limited range
            expected = np.clip((frames[n] / 256.0 - 16) / 219, 0, 1)
        assert np.abs(luma - expected).max() < 3 / 255


def rgb_bits(fmt: int) -> int:
    return vs.core.get_video_format(fmt).bits_per_sample


@pytest.mark.parametrize(
    ("make", "arrived"),
    [
        (lambda: vs.core.std.BlankClip(format=vs.RGB24), "a RGB24 clip arrived; RGB"),
        (lambda: vs.core.std.BlankClip(format=vs.GRAYH), "a GrayH clip arrived"),
        (lambda: vs.core.std.BlankClip(format=vs.GRAY32), "a Gray32 clip arrived"),
        (
            lambda: vs.core.std.Splice(
                [
                    vs.core.std.BlankClip(format=vs.GRAY8, width=64, height=48),
                    vs.core.std.BlankClip(format=vs.GRAY16, width=32, height=48),
                ],
                mismatch=True,
            ),
            "format or size changes from frame to frame",
        ),
    ],
    ids=["RGB24", "GRAYH", "GRAY32", "variable"],
)
def test_unsupported_formats_are_refused_naming_the_fix(make, arrived: str) -> None:
    with pytest.raises(vs.Error) as caught:
        vc.colorize(make())
    assert isinstance(caught.value, UnsupportedFormatError)
    message = str(caught.value)
    assert arrived in message and "expected a clip of constant format" in message
    assert "core.resize.Bicubic" in message


def test_a_missing_reference_folder_is_refused(core, tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="nowhere: no such reference folder"):
        vc.colorize(clip_from(luma_frames(8, 2), vs.GRAY8), refs=tmp_path / "nowhere")


def run_script(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    (folder / "bad.vpy").write_text(script)
    return subprocess.run(
        ["vspipe", "-c", "y4m", "bad.vpy", "-"], cwd=folder, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'clip = vc.colorize(core.bs.VideoSource("reel.mkv"), refs="nowhere/")',
            "InputNotFoundError: nowhere: no such reference folder",
        ),
        (
            "clip = vc.colorize(core.std.BlankClip(format=vs.RGB24))",
            "FormatError: videocolor.vapoursynth.colorize: a RGB24 clip arrived",
        ),
    ],
    ids=["missing-refs", "RGB24"],
)
def test_what_vspipe_shows_on_bad_input(reel: Path, vspipe_env, body: str, message: str) -> None:
    header = "import vapoursynth as vs\nimport videocolor.vapoursynth as vc\ncore = vs.core\n"
    done = run_script(f"{header}{body}\nclip.set_output()\n", reel.parent, vspipe_env)
    print(done.stderr)
    assert done.returncode != 0 and done.stdout == ""
    assert "Script evaluation failed" in done.stderr and message in done.stderr
