"""The colouriser: exact propagation of known motion, no leak across cuts, luma kept; the network
engine on the same cases and on shots without references."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from skimage import data as skdata

from tests.clips import make_video, painted_photo_pan, pattern_rgb, photo_pan
from videocolor import color
from videocolor.cli import main
from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.candidate import Candidate
from videocolor.engine.chain import ChainStep
from videocolor.engine.clip import EngineSettings, colorize_clip
from videocolor.engine.prior import ColourPrior
from videocolor.engine.settings import PropagationSettings
from videocolor.engine.shot import propagate_shot
from videocolor.io import open_source, read_all_luma
from videocolor.memory.spill import RamBudget, RowFile, spill_array
from videocolor.pipeline.colorize import ColorizeStage
from videocolor.pipeline.run import run
from videocolor.shots.shot import Shot


def _panning_frames(count: int, step: tuple[int, int]) -> list[np.ndarray]:
    photo = cv2.resize(skdata.astronaut(), (256, 256)).astype(np.float32) / 255
    frames = []
    for t in range(count):
        dx, dy = step[0] * t, step[1] * t
        frames.append(photo[20 + dy : 20 + dy + 96, 20 + dx : 20 + dx + 128])
    return frames


def _large_photo() -> np.ndarray:
    return cv2.resize(skdata.astronaut(), (1024, 1024)).astype(np.float32) / 255


def _large_pan(count: int) -> list[np.ndarray]:
    """``count`` 640x480 views of a photo panning: frame t + 1's content sits 6 px right and
    4 px down in frame t. 480 lines is the working resolution, so no frame is resized."""
    photo = _large_photo()
    return [photo[100 + 4 * t : 580 + 4 * t, 100 + 6 * t : 740 + 6 * t] for t in range(count)]


#: Pixels a frame the photo of :func:`_subpixel_pan` moves by, right and down.
SUBPIXEL_PAN = (0.37, 0.23)


def _subpixel_pan(steps: int) -> list[np.ndarray]:
    """A 220x160 view of a photo panned by :data:`SUBPIXEL_PAN` a frame: ``steps`` + 1 frames."""
    photo = cv2.resize(skdata.astronaut(), (320, 320)).astype(np.float32) / 255
    frames = []
    for t in range(steps + 1):
        shift = np.float32([[1, 0, -SUBPIXEL_PAN[0] * t], [0, 1, -SUBPIXEL_PAN[1] * t]])
        frames.append(cv2.warpAffine(photo, shift, (320, 320))[40:200, 40:260])
    return frames


def test_known_translation_is_propagated_with_near_zero_chroma_error() -> None:
    frames = _panning_frames(12, (3, 2))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    chroma = list(colorize_clip(lumas, {0: frames[0]}, "bt601"))
    errors = []
    for t in (4, 8, 11):
        truth = color.rgb_to_ycbcr(frames[t], "bt601")[..., 1:]
        inner = (slice(12, -12), slice(12, -36))  # away from the newly revealed right border
        errors.append(np.abs(chroma[t][inner] - truth[inner]).mean())
    grey_error = np.abs(color.rgb_to_ycbcr(frames[11], "bt601")[..., 1:]).mean()
    assert max(errors) < 0.15 * grey_error, (errors, grey_error)
    assert max(errors) < 0.006  # about one 8-bit chroma code value


def test_two_keyframes_fuse_both_directions() -> None:
    frames = _panning_frames(10, (2, 1))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    chroma = list(colorize_clip(lumas, {0: frames[0], 9: frames[9]}, "bt601"))
    truth = color.rgb_to_ycbcr(frames[5], "bt601")[..., 1:]
    assert np.abs(chroma[5][8:-8, 8:-8] - truth[8:-8, 8:-8]).mean() < 0.006


def test_engine_reads_frames_lazily_and_never_writes_them() -> None:
    """The shot's frames are read as the engine walks it (a few kept at the working size, not a
    copy of the whole shot made first) and are never written: read-only frames colour exactly as
    writable ones."""

    class CountingFrames(Sequence):
        reads = 0

        def __init__(self, frames: list[np.ndarray]) -> None:
            self.frames = frames

        def __len__(self) -> int:
            return len(self.frames)

        def __getitem__(self, index):  # iterating reads through here too
            CountingFrames.reads += 1
            return self.frames[index]

    frames = _panning_frames(40, (2, 1))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    settings = EngineSettings(work_lines=64)  # the working size differs from the frames'
    window = 2 * settings.propagation.smooth_lookahead
    writable = [luma.copy() for luma in lumas]
    expected = list(colorize_clip(writable, {0: frames[0]}, "bt601", settings))
    for luma in lumas:
        luma.flags.writeable = False
    chroma = colorize_clip(CountingFrames(lumas), {0: frames[0]}, "bt601", settings)
    first = next(chroma)
    reads_before_first_frame = CountingFrames.reads
    rest = list(chroma)
    # frame 0 (to size the shot, and as the keyframe), the smoother's window walked ahead of
    # the first frame handed out, and the next frame, whose flow is computed meanwhile
    assert reads_before_first_frame <= window + 4 < len(lumas)
    assert CountingFrames.reads < 4 * len(lumas)
    for got, want in zip([first, *rest], expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_chain_step_keeps_recent_flow_inputs_without_changing_the_flow() -> None:
    """Each frame's flow input is prepared once and reused by the next step; only a few are kept."""
    frames = _panning_frames(8, (3, 2))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    step = ChainStep(lumas, PropagationSettings())
    walked = [step.follow(t, t - 1) for t in range(1, 8)]
    other = ChainStep(lumas, PropagationSettings())
    fresh = other.follow(7, 6)
    other.close()
    np.testing.assert_array_equal(walked[-1].flow, fresh.flow)
    np.testing.assert_array_equal(walked[-1].trust, fresh.trust)
    assert len(step._inputs) <= ChainStep.CACHED_INPUTS
    step.close()


def test_tracking_the_keyframe_keeps_colour_sharp_over_a_long_subpixel_pan() -> None:
    """Colour warped again at every step is resampled every time and blurs; sampling the
    keyframe once at each pixel's tracked place does not. A photo panned by a fraction of a
    pixel a frame, 40 frames from its keyframe, without re-anchoring (which would hide it)."""
    frames = _subpixel_pan(40)
    lumas = [color.rgb_to_luma(f) for f in frames]
    key_ab = color.rgb_to_lab(frames[0])[..., 1:]
    truth = color.rgb_to_lab(frames[-1])[..., 1:]

    def error(track_sigma: float) -> float:
        settings = PropagationSettings(anchor_every=0, track_sigma=track_sigma)
        prior = ColourPrior([lumas[0]], [key_ab])
        last = list(propagate_shot(lumas, {0: key_ab}, prior, settings))[-1]
        inner = (slice(16, -16), slice(16, -32))
        return float(np.abs(last[inner] - truth[inner]).mean())

    tracked, chained = error(0.02), error(0.0)
    assert tracked < 0.7 * chained, (tracked, chained)


def test_tracked_places_follow_a_pan_up_to_the_strip_that_entered_the_picture() -> None:
    """Each pixel's tracked place in the keyframe is where the pan put it, 40 subpixel steps on,
    and the only pixels placed outside the keyframe are the strip of new picture at the edge: the
    pixels beside that strip are not lost one more column a frame."""
    steps = 40
    frames = _subpixel_pan(steps)
    lumas = [color.rgb_to_luma(f) for f in frames]
    key_ab = color.rgb_to_lab(frames[0])[..., 1:]
    prior = ColourPrior([lumas[0]], [key_ab])
    step = ChainStep(lumas, PropagationSettings(anchor_every=0))
    current = Candidate(key_ab, np.ones(lumas[0].shape, np.float32))
    for t in range(1, steps):
        current = step(current, t - 1, t, prior, (0, key_ab))
    to_keyframe = step.follow(steps, steps - 1, (0, key_ab)).to_keyframe
    step.close()
    width = lumas[0].shape[1]
    travelled = np.asarray(SUBPIXEL_PAN) * steps  # 14.8 and 9.2 pixels
    places = to_keyframe + np.dstack(np.meshgrid(np.arange(width), np.arange(160)))
    inner = places[16:-16, 16 : width - 32]
    # DIS's own error, composed over 40 steps, is about a pixel
    assert np.abs(to_keyframe[16:-16, 16 : width - 32] - travelled).mean() < 2.0
    outside_columns = (places[80, :, 0] > width - 1).sum()
    assert outside_columns <= travelled[0] + 4, outside_columns
    assert inner[..., 0].max() < width - 1


def test_picture_entering_at_the_edge_takes_the_colour_it_continues() -> None:
    """A pan over two colour bands of the same luma texture: what enters on the right goes on
    the band at the frame's edge, and takes its colour (edge trust) rather than what the fill
    guesses from luma alone, which also finds the other band's."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.random((96, 400)).astype(np.float32), (0, 0), 2.0)
    luma = 0.3 + 0.4 * (texture - texture.min()) / (texture.max() - texture.min())
    ab = np.zeros((96, 400, 2), np.float32)
    ab[:, :80] = (40, 30)
    ab[:, 80:] = (-20, -35)
    step, count = 6, 12
    lumas = [luma[:, step * t : step * t + 128].copy() for t in range(count)]
    key_ab = ab[:, :128]
    entered = (slice(None), slice(128 - step * (count - 1), None))

    def error(edge_trust: float) -> float:
        settings = PropagationSettings(edge_trust=edge_trust)
        prior = ColourPrior([lumas[0]], [key_ab])
        last = list(propagate_shot(lumas, {0: key_ab}, prior, settings))[-1]
        truth = ab[:, step * (count - 1) : step * (count - 1) + 128]
        return float(np.abs(last[entered] - truth[entered]).mean())

    with_edge, without = error(PropagationSettings().edge_trust), error(0.0)
    assert with_edge < 1.0 and with_edge < 0.5 * without, (with_edge, without)


def _strictly_checked(**knobs: float) -> PropagationSettings:
    """Settings whose check flow is too coarse to confirm much (24 lines, strict tolerance)."""
    return PropagationSettings(
        check_scale=0.05, check_min_lines=24, check_sigma=0.01, edge_trust=0.0, **knobs
    )


def test_a_step_trusts_what_its_flow_brings_back_where_the_check_cannot_confirm_it() -> None:
    """A check flow too coarse to confirm a pan distrusts much of it; the luma the step's flow
    brings back matches, so the step trusts it all the same. A frame of other content gains no
    such trust."""
    frames = _large_pan(2)
    frames.append(np.ascontiguousarray(np.rot90(_large_photo())[300:780, 200:840]))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    inner = (slice(20, -20), slice(20, -20))

    def trusts(luma_trust_sigma: float) -> tuple[float, float]:
        step = ChainStep(lumas, _strictly_checked(luma_trust_sigma=luma_trust_sigma))
        pan, other = step.follow(1, 0).trust[inner], step.follow(2, 0).trust[inner]
        step.close()
        return float(pan.mean()), float(other.mean())

    checked_only, _ = trusts(0.0)
    with_luma, other = trusts(PropagationSettings().luma_trust_sigma)
    assert checked_only < 0.8 and with_luma > 0.98, (checked_only, with_luma)
    assert other < 0.2, other


def test_reanchoring_trusts_the_keyframe_colour_where_the_luma_it_fetches_matches() -> None:
    """The direct flow to the keyframe, unconfirmed by a coarse check, still gives the
    keyframe's colour its weight where the keyframe's luma it fetches matches the frame's."""
    frames = _large_pan(6)
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    key_ab = color.rgb_to_lab(frames[0])[..., 1:]
    inner = (slice(40, -40), slice(40, -40))

    def weight(anchor_luma_sigma: float) -> float:
        step = ChainStep(lumas, _strictly_checked(anchor_luma_sigma=anchor_luma_sigma))
        anchored = step.anchor(5, (0, key_ab))
        step.close()
        return float(anchored.keyframe_weight[inner].mean())

    checked_only, with_luma = weight(0.0), weight(PropagationSettings().anchor_luma_sigma)
    assert with_luma > 0.99 and checked_only < with_luma - 0.1, (checked_only, with_luma)


def test_a_step_whose_chain_was_not_tracked_to_it_runs_untracked() -> None:
    """Tracking needs the chain's previous step's flow to the keyframe; asked for a step whose
    previous one was not tracked, the step gives its flow without tracking instead of failing."""
    frames = _panning_frames(4, (2, 1))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    key_ab = color.rgb_to_lab(frames[0])[..., 1:]
    step = ChainStep(lumas, PropagationSettings())
    untracked = step.follow(2, 1, (0, key_ab))
    first = step.follow(1, 0, (0, key_ab))  # from the keyframe itself: tracked
    step.close()
    assert untracked.to_keyframe is None and untracked.flow.shape == (96, 128, 2)
    assert first.to_keyframe is not None and first.keyframe_weight.max() > 0.9


def test_flow_worker_stops_when_a_shot_is_abandoned() -> None:
    """The thread that computes flows ahead ends with the shot, also when its consumer stops
    reading half way (an error downstream, a cancelled job)."""
    frames = _panning_frames(12, (2, 1))
    lumas = [color.rgb_to_luma(f) for f in frames]
    key_ab = color.rgb_to_lab(frames[0])[..., 1:]
    chroma = propagate_shot(lumas, {0: key_ab}, ColourPrior([lumas[0]], [key_ab]))
    next(chroma), next(chroma)
    assert any(t.name.startswith("videocolor-flow") for t in threading.enumerate())
    chroma.close()
    assert not any(t.name.startswith("videocolor-flow") for t in threading.enumerate())


def test_flow_carries_colour_at_the_working_resolution_and_is_checked_coarser() -> None:
    """At 480 lines the colour-carrying flow is the working resolution's own (fine motion kept)
    while the forward-backward check runs at 216 lines, and its trust comes back full size."""
    frames = _large_pan(2)
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    step = ChainStep(lumas, PropagationSettings())
    motion = step.follow(1, 0)  # frame 1's content sits 6 right, 4 down in frame 0
    flow, trust = motion.flow, motion.trust
    assert flow.shape == (480, 640, 2) and trust.shape == (480, 640)
    inner = (slice(40, -40), slice(40, -40))
    assert np.median(flow[inner][..., 0]) == pytest.approx(6.0, abs=0.25)
    assert np.median(flow[inner][..., 1]) == pytest.approx(4.0, abs=0.25)
    assert np.median(trust[inner]) > 0.8
    assert step._inputs[0][1].shape == (216, 288)  # the check's input
    step.close()


def test_cut_does_not_leak_colour(tmp_path: Path) -> None:
    source = make_video(tmp_path / "two_shots.mkv", frames=16, codec="ffv1", pix_fmt="yuv444p")
    info = open_source(source).info
    warm = np.zeros((48, 64, 3), np.float32) + np.array([0.8, 0.5, 0.3], np.float32)
    cool = np.zeros((48, 64, 3), np.float32) + np.array([0.3, 0.5, 0.8], np.float32)
    shots = [Shot(0, 0, 8), Shot(1, 8, 16)]
    stage = ColorizeStage(info, shots, {0: warm, 8: cool}, settings=EngineSettings())
    emitted = []
    with open_source(source) as frames:
        for frame in frames:
            emitted += stage.process(frame)
    emitted += stage.flush()
    assert [f.index for f, _ in emitted] == list(range(16))
    cr_first = np.mean([cbcr[..., 1].mean() for _, cbcr in emitted[:8]])
    cr_second = np.mean([cbcr[..., 1].mean() for _, cbcr in emitted[8:]])
    assert cr_first > 0.05 and cr_second < -0.05  # warm stays warm, cool stays cool
    assert min(cbcr[..., 1].min() for _, cbcr in emitted[8:]) < 0  # nothing warm after the cut
    assert max(cbcr[..., 1].max() for _, cbcr in emitted[8:]) < 0.02


def test_shot_without_reference_stays_grey_and_luma_is_identical(tmp_path: Path, caplog) -> None:
    source = make_video(tmp_path / "src.mkv", frames=10, codec="ffv1", pix_fmt="yuv444p")
    info, lumas = read_all_luma(source)
    rgb = cv2.cvtColor(cv2.resize(skdata.astronaut(), (64, 48)), cv2.COLOR_RGB2BGR)[..., ::-1]
    stage = ColorizeStage(info, [Shot(0, 0, 5), Shot(1, 5, 10)], {2: rgb.astype(np.float32) / 255})
    run(source, tmp_path / "out.mkv", stage, codec="ffv1", progress=False)
    _, out = read_all_luma(tmp_path / "out.mkv")
    assert np.array_equal(out, lumas)
    assert "shot 1 (frames 5-9) has no reference" in caplog.text


@pytest.mark.parametrize("work_lines", [24, 480])
def test_working_resolution_upsampling_keeps_shape(work_lines: int) -> None:
    frames = _panning_frames(3, (1, 1))
    lumas = [color.rgb_to_luma(f, "bt709") for f in frames]
    chroma = list(colorize_clip(lumas, {0: frames[0]}, "bt709", EngineSettings(work_lines)))
    assert all(c.shape == (96, 128, 2) for c in chroma)
    truth = color.rgb_to_ycbcr(frames[0], "bt709")[..., 1:]
    assert np.abs(chroma[0] - truth).mean() < (0.02 if work_lines == 24 else 0.002)


def test_colorize_command_restores_colour_from_one_painted_frame(tmp_path: Path, capsys) -> None:
    colour = make_video(tmp_path / "colour.mkv", frames=12, codec="ffv1", pix_fmt="yuv444p")
    assert (
        main(["-q", "grayscale", str(colour), "-o", str(tmp_path / "bw.mkv"), "--codec", "ffv1"])
        == 0
    )
    refs = tmp_path / "refs"
    refs.mkdir()
    cv2.imwrite(str(refs / "000000.png"), cv2.cvtColor(pattern_rgb(0, 64, 48), cv2.COLOR_RGB2BGR))
    assert (
        main(
            [
                "-q",
                "colorize",
                str(tmp_path / "bw.mkv"),
                "-o",
                str(tmp_path / "out.mkv"),
                "--refs",
                str(refs),
                "--codec",
                "ffv1",
            ]
        )
        == 0
    )
    _, grey = read_all_luma(tmp_path / "bw.mkv")
    _, out = read_all_luma(tmp_path / "out.mkv")
    assert np.array_equal(grey, out)  # the film's tones are untouched
    with av.open(str(tmp_path / "out.mkv")) as container:
        last = list(container.decode(video=0))[-1].to_ndarray(format="rgb24").astype(int)
    truth = pattern_rgb(11, 64, 48).astype(int)
    grey_rgb = np.repeat(grey[-1][..., None].astype(int), 3, axis=2)
    assert np.abs(last - truth).mean() < 0.5 * np.abs(grey_rgb - truth).mean()


def test_classical_engine_without_references_says_so(tmp_path: Path, capsys, clip: Path) -> None:
    args = ["colorize", str(clip), "-o", str(tmp_path / "x.mp4"), "--engine", "classical"]
    assert main(args) == 1
    assert "no references given" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_network_engine_propagates_known_translation() -> None:
    frames = _panning_frames(12, (3, 2))
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    settings = EngineSettings(network=ColorNetwork(device="cpu"))
    chroma = list(colorize_clip(lumas, {0: frames[0]}, "bt601", settings))
    truth = color.rgb_to_ycbcr(frames[11], "bt601")[..., 1:]
    inner = (slice(12, -12), slice(12, -36))
    error = np.abs(chroma[11][inner] - truth[inner]).mean()
    assert error < 0.15 * np.abs(truth).mean(), error


def test_without_references_the_network_colours_each_shot(tmp_path: Path, capsys) -> None:
    colour = make_video(
        tmp_path / "colour.mkv",
        frames=12,
        width=256,
        height=192,
        codec="ffv1",
        pix_fmt="yuv444p",
        picture=photo_pan(skdata.coffee()),
    )
    bw, out = tmp_path / "bw.mkv", tmp_path / "out.mkv"
    assert main(["-q", "grayscale", str(colour), "-o", str(bw), "--codec", "ffv1"]) == 0
    assert main(["-q", "colorize", str(bw), "-o", str(out), "--codec", "ffv1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["engine"] == "auto" and summary["device"] == "CPUExecutionProvider"
    _, grey = read_all_luma(bw)
    _, coloured = read_all_luma(out)
    assert np.array_equal(grey, coloured)
    with av.open(str(out)) as container:
        planes = [f.to_ndarray(format="yuv444p")[1:] for f in container.decode(video=0)]
    chroma = np.abs(np.stack(planes).astype(np.float32) - 128)
    assert chroma.mean() > 2.0  # coloured, not left grey


def test_long_shots_spill_to_disk_past_the_process_budget() -> None:
    budget = RamBudget(1 << 20)
    small = spill_array((4, 8, 8), np.float32, budget=budget)
    large = spill_array((64, 256, 256), np.float32, budget=budget)
    assert isinstance(small, np.ndarray) and isinstance(large, RowFile)
    large[63] = 7.0
    assert float(large[63].mean()) == 7.0 and float(large[0].max()) == 0.0
    assert budget.used == small.nbytes
    del small
    assert budget.used == 0  # freed arrays give their room back


@pytest.mark.slow
def test_the_same_job_gives_the_same_frames_every_time(tmp_path: Path) -> None:
    """Three separate processes (so the flow worker, decoder and encoder threads interleave
    differently) colour the same clip from the same references: the decoded frames are identical
    bit for bit. (The files themselves differ: Matroska gives every file a random segment id.)"""
    import subprocess
    import sys

    grey, refs = painted_photo_pan(tmp_path, frames=16, painted=(0, 15), step=4)
    decoded = []
    for run_number in range(3):
        out = tmp_path / f"out{run_number}.mkv"
        command = ["-m", "videocolor", "-q", "colorize", str(grey), "-o", str(out)]
        subprocess.run(
            [sys.executable, *command, "--refs", str(refs), "--codec", "ffv1"], check=True
        )
        with av.open(str(out)) as container:
            decoded.append([f.to_ndarray().tobytes() for f in container.decode(video=0)])
    assert len(decoded[0]) == 16
    assert decoded[0] == decoded[1] == decoded[2]
