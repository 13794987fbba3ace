"""Colour by semantic correspondence: the bundled feature model, served by onnxruntime, finds a
keyframe's colours in a frame that optical flow could not relate to it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data as photos

from videocolor import color
from videocolor.colorizers.matcher import PACKAGED_MODEL, KeyframeMemory, ReferenceMatcher, attend
from videocolor.engine.candidate import Candidate, with_matched_colour
from videocolor.engine.clip import EngineSettings, colorize_clip
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import ModelError


@pytest.fixture(scope="module")
def matcher() -> ReferenceMatcher:
    return ReferenceMatcher(device="cpu")


def _luma_ab(rgb8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = rgb8.astype(np.float32) / 255.0
    return color.rgb_to_luma(rgb), color.rgb_to_lab(rgb)[..., 1:]


def _error(ab: np.ndarray, truth: np.ndarray) -> float:
    return float(np.hypot(*(ab - truth).transpose(2, 0, 1)).mean())


def test_bundled_feature_model_is_small_and_described(matcher: ReferenceMatcher) -> None:
    assert PACKAGED_MODEL.stat().st_size < 5e6
    meta = dict(matcher.session.get_modelmeta().custom_metadata_map)
    assert meta["videocolor.model"] == "matching-features"
    # the head's trained temperature travels in the file and the matcher uses it
    assert matcher.temperature == float(meta["videocolor.temperature"]) != 0.05


def test_a_rearranged_frame_gets_its_keyframe_colours(matcher: ReferenceMatcher) -> None:
    """The keyframe is a photo; the frame is the same scene mirrored and with its halves
    swapped, so no position keeps its colour: matching must find each place by what it is."""
    key_luma, key_ab = _luma_ab(photos.chelsea())
    half = key_luma.shape[1] // 2
    frame_luma = np.roll(key_luma[:, ::-1], half, axis=1)
    frame_ab = np.roll(key_ab[:, ::-1], half, axis=1)
    matched = matcher(frame_luma, matcher.memory([key_luma], [key_ab]))
    assert matched.shape == frame_ab.shape
    mean_colour = np.broadcast_to(key_ab.mean(axis=(0, 1)), key_ab.shape)
    assert _error(matched, frame_ab) < 0.6 * _error(mean_colour, frame_ab)
    assert _error(matched, frame_ab) < 0.6 * _error(key_ab, frame_ab)  # the unmoved keyframe


def test_memory_holds_every_keyframe(matcher: ReferenceMatcher) -> None:
    """Two keyframes of different scenes: a frame of either takes the colours of its own."""
    cat, coffee = _luma_ab(photos.chelsea()), _luma_ab(photos.coffee()[:300, :451])
    memory = matcher.memory([cat[0], coffee[0]], [cat[1], coffee[1]])
    for luma, ab in (cat, coffee):
        other = coffee if luma is cat[0] else cat
        other_mean = np.broadcast_to(other[1].mean(axis=(0, 1)), ab.shape)
        assert _error(matcher(luma, memory), ab) < 0.5 * _error(other_mean, ab)


def test_many_poor_matches_do_not_outvote_the_best_ones() -> None:
    """One keyframe position matches the query well (red); a thousand match it a little less
    (green). A softmax over all of them is pulled towards green by their number alone; only
    positions within the margin of the best match vote, so the colour stays red."""
    query = np.array([[1.0, 0.0]], np.float32)
    poor = np.array([np.cos(0.3), np.sin(0.3)], np.float32)  # similarity 0.955: 0.045 below
    keys = np.vstack([query, np.tile(poor, (1000, 1))]).astype(np.float32)
    colours = np.vstack([[40.0, 30.0], np.tile([-40.0, 30.0], (1000, 1))])
    memory = KeyframeMemory.of(keys, colours)
    dense = attend(query, memory, temperature=0.0463, margin=np.inf)
    close_only = attend(query, memory, temperature=0.0463, margin=0.04)
    assert dense[0, 0] < 0  # the crowd wins without the margin
    assert np.allclose(close_only[0], [40.0, 30.0])


def test_confident_pixels_keep_their_chained_colour() -> None:
    chained = np.full((4, 4, 2), 20.0, np.float32)
    confidence = np.zeros((4, 4), np.float32)
    confidence[:2] = 1.0
    candidate = Candidate(chained, confidence, 5, matched=np.zeros_like(chained))
    blended = with_matched_colour(candidate, 1.0)
    assert np.allclose(blended.ab[:2], 20.0) and np.allclose(blended.ab[2:], 0.0)
    assert blended.distance == 5 and blended.confidence is confidence
    assert np.allclose(with_matched_colour(candidate, 0.25).ab[2:], 15.0)


def test_places_the_chain_is_sure_of_keep_its_colour(matcher: ReferenceMatcher) -> None:
    """Matching only spends the attention where the chain is unsure: a sure half keeps the
    chain's colour, an unsure half gets the keyframe's colour as if matched alone."""
    key_luma, key_ab = _luma_ab(photos.chelsea())
    memory = matcher.memory([key_luma], [key_ab])
    chain_ab = np.full_like(key_ab, 30.0)
    confidence = np.ones(key_luma.shape, np.float32)
    confidence[:, : key_luma.shape[1] // 2] = 0.0  # the left half unsure
    alone = matcher(key_luma, memory)
    known = matcher(key_luma, memory, (chain_ab, confidence))
    middle = key_luma.shape[1] // 2  # the edge-following upsampling blends across it: skip 64 px
    left, right = slice(None, middle - 64), slice(middle + 64, None)
    assert np.allclose(known[:, left], alone[:, left], atol=1e-3)
    assert np.abs(known[:, right] - 30.0).max() < 1.0
    truth = key_ab[:, right]
    assert _error(alone[:, right], truth) < 0.5 * _error(chain_ab[:, right], truth)


def test_missing_feature_model_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelError, match=r"python -m export\.features"):
        ReferenceMatcher(tmp_path / "none.onnx")


def test_the_engine_recovers_colour_the_flow_loses() -> None:
    """A shot whose picture is rearranged after its keyframe (no motion to follow): with matching
    the chains get the keyframe's colours back, with flow alone they keep guessing."""
    rgb = cv2.resize(photos.chelsea(), (240, 160)).astype(np.float32) / 255.0
    half = rgb.shape[1] // 2
    rearranged = np.roll(rgb[:, ::-1], half, axis=1)
    frames = [rgb] + [rearranged] * 6
    lumas = [color.rgb_to_luma(f, "bt601") for f in frames]
    truth = color.rgb_to_ycbcr(rearranged, "bt601")[..., 1:]

    def error(match_every: int) -> float:
        settings = EngineSettings(propagation=PropagationSettings(match_every=match_every))
        last = list(colorize_clip(lumas, {0: rgb}, "bt601", settings))[-1]
        return float(np.abs(last - truth).mean())

    assert error(1) < 0.7 * error(0), (error(1), error(0))
