"""Starting to decode at a frame: a seek (or a window's packets) gives the frames, numbers and
timestamps that decoding from the first frame gives, for intra-only and long-GOP files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.clips import make_video
from videocolor.io import open_source
from videocolor.io.packets import PacketSource, read_packets
from videocolor.io.seek import SeekWindow, index_frames

CLIPS = {
    "ffv1": {"codec": "ffv1", "codec_options": {"g": "1"}},  # intra-only, as videocolor writes
    "ffv1 gop 12": {"codec": "ffv1"},  # FFmpeg's default: a keyframe every 12 frames
    "h264 b-frames": {"codec": "libx264", "codec_options": {"bf": "2", "g": "8"}},
}
WINDOWS = [(0, 40), (5, 17), (8, 9), (9, 40), (17, 25), (39, 40)]


def _frames(source) -> list[tuple[int, int | None, np.ndarray]]:
    return [(frame.index, frame.pts, frame.luma) for frame in source]


@pytest.fixture(scope="module", params=list(CLIPS))
def clip(request, tmp_path_factory) -> tuple[Path, list]:
    path = tmp_path_factory.mktemp("seek") / "clip.mkv"
    make_video(path, frames=40, **CLIPS[request.param])
    with open_source(path) as source:
        return path, _frames(source)


def _same(got: list, expected: list) -> bool:
    return len(got) == len(expected) and all(
        a[0] == b[0] and a[1] == b[1] and np.array_equal(a[2], b[2])
        for a, b in zip(got, expected, strict=True)
    )


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_a_seek_gives_the_frames_decoding_from_the_start_gives(clip, start, end) -> None:
    path, whole = clip
    index = index_frames(path, len(whole))
    assert index.problem is None
    window = index.window(start, end)
    assert (window.seek_pts is None) == (start == 0)
    with open_source(path) as source:
        source.start_at(window)
        assert _same(_frames(source), whole[start:end])


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_a_windows_packets_decode_elsewhere_to_the_same_frames(clip, start, end) -> None:
    path, whole = clip
    with open_source(path) as source:
        info = source.info
    packets = read_packets(info, index_frames(path, len(whole)).window(start, end))
    assert _same(_frames(PacketSource(packets, info)), whole[start:end])
    if start > 0:
        assert packets.size < path.stat().st_size  # a share of the file, not all of it


def test_untrustworthy_timestamps_decode_from_the_first_frame(clip) -> None:
    path, whole = clip
    index = index_frames(path, len(whole) + 1)  # a decoder that dropped a frame
    assert index.problem == f"{len(whole)} packets decode to {len(whole) + 1} frames"
    window = index.window(9, 20)
    assert window == SeekWindow(9, 20)
    with open_source(path) as source:
        source.start_at(window)
        assert _same(_frames(source), whole[9:20])


def test_a_seek_that_lands_past_the_frame_falls_back_to_the_start(clip) -> None:
    path, whole = clip
    # A seek point after the window's first frame, as a container without an index may land.
    pts = index_frames(path, len(whole)).pts
    window = SeekWindow(10, 14, pts[12], pts[10:14])
    with open_source(path) as source:
        source.start_at(window)
        assert _same(_frames(source), whole[10:14])


def test_image_sequences_start_at_their_file(tmp_path: Path) -> None:
    import cv2

    folder = tmp_path / "scan"
    folder.mkdir()
    for number in range(6):
        cv2.imwrite(str(folder / f"{number:04d}.png"), np.full((8, 8), number * 40, np.uint8))
    with open_source(folder) as source:
        whole = _frames(source)
    with open_source(folder) as source:
        source.start_at(SeekWindow(2, 5))
        assert _same(_frames(source), whole[2:5])
