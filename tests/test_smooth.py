"""The smoother: a frame's colour takes in what the frames after it learnt, a bounded window
behind the forward pass, and never touches a keyframe or crosses what its links distrust."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from videocolor import color
from videocolor.engine.candidate import Candidate
from videocolor.engine.chain import ChainStep
from videocolor.engine.flow import identity_map
from videocolor.engine.prior import ColourPrior
from videocolor.engine.settings import PropagationSettings
from videocolor.engine.shot import propagate_shot
from videocolor.engine.smooth import Link, Smoother

SHAPE = (48, 64)  # the links' (coarse) resolution
FULL = (96, 128)  # the candidates' (working) resolution


def _still_link(trust: float = 1.0) -> Link:
    """A link of a scene that does not move: every pixel is where it was."""
    return Link(identity_map(*SHAPE).copy(), np.full(SHAPE, trust, np.float32))


def _candidate(ab: tuple[float, float], confidence: float) -> Candidate:
    return Candidate(
        np.broadcast_to(np.float32(ab), (*FULL, 2)).copy(),
        np.full(FULL, confidence, np.float32),
    )


def _run(smoother: Smoother, frames: list[tuple[Candidate | None, Link | None, bool]]):
    out = []
    for index, (candidate, link, fixed) in enumerate(frames):
        out.extend(smoother.push(index, candidate, link, fixed))
    out.extend(smoother.finish())
    return out


def test_later_frames_colour_reaches_back_and_the_keyframe_is_kept() -> None:
    """A keyframe, three unsure frames of a wrong colour, then sure frames of the right one: the
    unsure frames move towards the right colour, most where it is nearest, and the keyframe
    (which is neither) comes out exactly as painted."""
    wrong, right, painted = (40.0, 0.0), (0.0, 40.0), (-20.0, -20.0)
    frames = [(_candidate(painted, 1.0), None, True)]
    frames += [(_candidate(wrong, 0.2), _still_link(), False) for _ in range(3)]
    frames += [(_candidate(right, 0.9), _still_link(), False) for _ in range(4)]
    out = _run(Smoother(strength=4.0, decay=0.9, lookahead=8), frames)
    assert [index for index, _ in out] == list(range(len(frames)))
    np.testing.assert_array_equal(out[0][1].ab, frames[0][0].ab)
    towards_right = [float(out[i][1].ab[..., 1].mean()) / right[1] for i in (1, 2, 3)]
    assert 0.5 < towards_right[0] < towards_right[1] < towards_right[2] < 1.0, towards_right
    np.testing.assert_array_equal(out[2][1].confidence, frames[2][0].confidence)


def test_a_distrusted_link_carries_nothing_back() -> None:
    """Where the link's trust is 0 (the pixel is hidden in the next frame) the frame keeps its
    own colour, however sure the next frame is."""
    frames = [
        (_candidate((30.0, 0.0), 0.1), None, False),
        (_candidate((0.0, 30.0), 1.0), _still_link(trust=0.0), False),
    ]
    out = _run(Smoother(strength=4.0, decay=0.9, lookahead=2), frames)
    np.testing.assert_allclose(out[0][1].ab, frames[0][0].ab, atol=1e-4)


def test_frames_come_out_in_order_with_at_most_twice_the_lookahead_held() -> None:
    smoother = Smoother(strength=4.0, decay=0.9, lookahead=3)
    emitted = []
    for index in range(20):
        candidate = _candidate((float(index), 0.0), 0.5) if index != 7 else None
        link = _still_link() if index not in (0, 7, 8) else None
        emitted.extend(i for i, _ in smoother.push(index, candidate, link))
        assert index + 1 - len(emitted) < 2 * 3
    emitted.extend(i for i, _ in smoother.finish())
    assert emitted == list(range(20))


def test_no_smoothing_hands_every_frame_back_at_once_unchanged() -> None:
    smoother = Smoother(strength=4.0, decay=0.9, lookahead=0)
    candidate = _candidate((10.0, -5.0), 0.3)
    assert [(i, c.ab is candidate.ab) for i, c in smoother.push(0, candidate, None)] == [(0, True)]


def test_forward_steps_link_each_frame_back_to_the_one_before() -> None:
    """A forward step's link samples the frame before where its pixels went in this frame (the
    check flow, at the check's resolution), trusted inside the picture; backward steps, which
    the smoother never follows, make none."""
    photo = cv2.resize(skdata.astronaut(), (1024, 1024)).astype(np.float32) / 255
    frames = [photo[100 + 4 * t : 580 + 4 * t, 100 + 6 * t : 740 + 6 * t] for t in range(2)]
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    step = ChainStep(lumas, PropagationSettings())
    link = step.follow(1, 0).link
    assert link is not None and link.sampling.shape == (216, 288, 2)
    inner = (slice(20, -20), slice(20, -20))
    moved = link.sampling - identity_map(216, 288)
    scale = 216 / 480  # frame 0's content sits 6 left, 4 up in frame 1 (check pixels)
    assert np.median(moved[inner][..., 0]) == pytest.approx(-6.0 * scale, abs=0.2)
    assert np.median(moved[inner][..., 1]) == pytest.approx(-4.0 * scale, abs=0.2)
    assert np.median(link.trust[inner]) > 0.8
    assert step.follow(0, 1).link is None
    step.close()


def test_frames_between_two_keyframes_keep_their_fused_colour() -> None:
    """Between two keyframes a backward chain already brings what the later frames know, so the
    smoother leaves those frames as fused; after the last keyframe it smooths."""
    photo = cv2.resize(skdata.astronaut(), (256, 256)).astype(np.float32) / 255
    frames = [photo[20 + t : 116 + t, 20 + 2 * t : 148 + 2 * t] for t in range(14)]
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    keyframes = {i: color.rgb_to_lab(frames[i])[..., 1:] for i in (0, 9)}

    def run(strength: float) -> list[np.ndarray]:
        settings = PropagationSettings(smooth_strength=strength, match_every=0)
        prior = ColourPrior([lumas[0]], [keyframes[0]])
        return list(propagate_shot(lumas, keyframes, prior, settings))

    smoothed, plain = run(4.0), run(0.0)
    for index in range(10):
        np.testing.assert_array_equal(smoothed[index], plain[index])
    assert max(np.abs(smoothed[i] - plain[i]).max() for i in range(10, 13)) > 1e-3
