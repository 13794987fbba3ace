"""``videocolor handoff`` with the real ffmpeg, the real ``melt`` and OpenTimelineIO's readers, on
a three-shot reel with a timecode tag and sound; and ``plugins/editors/README.md``'s examples,
run as written."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import opentimelineio as otio
import pytest

from tests.clips import make_video, photo_pan
from videocolor.cli import main
from videocolor.handoff.clock import SourceClock, TimecodeError, source_clock
from videocolor.handoff.interchange import FORMATS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "plugins" / "editors" / "README.md"

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
needs_melt = pytest.mark.skipif(
    shutil.which("melt") is None,
    reason="needs MLT's melt (Debian package melt; `make setup` installs it)",
)

SHOTS = [(0, 6), (6, 5), (11, 5)]  # (first frame, frames) of the reel made below
PAINTED = (2, 8, 13)  # one reference keyframe in each shot
START = "10:00:00:00"
RATE = 24
ORIGIN = 10 * 3600 * RATE  # frames from 00:00:00:00 to the reel's first frame


def _three_shots(index: int, width: int, height: int) -> np.ndarray:
    """A camera panning across three photos in turn: two hard cuts, at frames 6 and 11."""
    from skimage import data

    for (first, frames), photo in zip(
        SHOTS, (data.astronaut, data.coffee, data.chelsea), strict=True
    ):
        if index < first + frames:
            return photo_pan(photo(), step=3)(index - first, width, height)
    raise IndexError(index)


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``scan.mkv``, a grey FFV1 reel tagged 10:00:00:00 with a 440 Hz tone, and ``refs/`` with
    frames 2, 8 and 13 painted in their true colour."""
    root = tmp_path_factory.mktemp("handoff-reel")
    frames = sum(length for _, length in SHOTS)
    colour = make_video(
        root / "colour.mkv", frames=frames, width=320, height=240, codec="ffv1",
        pix_fmt="yuv444p", picture=_three_shots,
    )  # fmt: skip
    assert (
        main(["-q", "grayscale", str(colour), "-o", str(root / "grey.mkv"), "--codec", "ffv1"]) == 0
    )
    scan = root / "scan.mkv"
    tone = f"sine=frequency=440:sample_rate=48000:duration={frames / RATE}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(root / "grey.mkv"), "-f", "lavfi", "-i", tone,
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "pcm_s16le",
         "-timecode", START, str(scan)],
        check=True,
    )  # fmt: skip
    refs = root / "refs"
    refs.mkdir()
    with av.open(str(colour)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in PAINTED:
                cv2.imwrite(str(refs / f"{index:06d}.png"), frame.to_ndarray(format="bgr24"))
    return scan, refs


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def handoffs(reel, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole-reel ProRes hand-off and the per-shot DNxHR one; the input is left as it was."""
    scan, refs = reel
    before = _digest(scan)
    root = tmp_path_factory.mktemp("handoffs")
    made = {}
    for mode, extra in (("whole", []), ("per-shot", ["--per-shot", "--codec", "dnxhr"])):
        made[mode] = root / mode
        args = ["-q", "handoff", str(scan), "--refs", str(refs), "-o", str(made[mode]), *extra]
        assert main(args) == 0
    assert _digest(scan) == before
    assert sorted(p.name for p in root.iterdir()) == ["per-shot", "whole"]  # no work files left
    return made


@pytest.fixture(scope="module")
def coloured(reel, tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    """The frames ``colorize`` makes of the reel: what the hand-off's media must show."""
    scan, refs = reel
    out = tmp_path_factory.mktemp("colorize") / "c.mkv"
    assert (
        main(["-q", "colorize", str(scan), "-o", str(out), "--refs", str(refs), "--codec", "ffv1"])
        == 0
    )
    return _frames(out)


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


def _media(folder: Path) -> list[Path]:
    """The hand-off's video files in reel order (their names sort by shot)."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".mov", ".mkv"))


def _probe(path: Path) -> dict:
    command = ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)]
    return json.loads(subprocess.run(command, capture_output=True, check=True).stdout)


def _timecode(frame: int) -> str:
    return SourceClock(RATE, ORIGIN).timecode(frame)


MODES = ["whole", "per-shot"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_media_are_the_coloured_reel_stamped_with_source_timecode(
    mode: str, handoffs, coloured
) -> None:
    media = _media(handoffs[mode])
    firsts = [0] if mode == "whole" else [first for first, _ in SHOTS]
    stem = "scan_colour" if mode == "whole" else "scan_shot"
    assert [p.name for p in media] == [
        f"{stem}{'' if mode == 'whole' else f'{i:03d}'}_{_timecode(f).replace(':', '-')}.mov"
        for i, f in enumerate(firsts)
    ]
    for path, first in zip(media, firsts, strict=True):
        streams = _probe(path)["streams"]
        video = streams[0]
        assert video["codec_name"] == ("prores" if mode == "whole" else "dnxhd")
        assert video["tags"]["timecode"] == _timecode(first)
        assert any(s.get("tags", {}).get("reel_name") == "SCAN" for s in streams)
    frames = [f for path in media for f in _frames(path)]
    assert len(coloured) == 16
    # ProRes and DNxHR are 4:2:2 and lossy: about two codes on average against 4:4:4 FFV1.
    numbers = _assert_frame_for_frame(frames, coloured, mean_below=3, peak_at_most=64)
    print(f"{mode} media against colorize: {numbers}")
    assert min(np.ptp(f, axis=2).mean() for f in frames) > 5  # colour, not grey


@pytest.mark.slow
def test_sound_is_kept_in_the_reel_or_as_a_broadcast_wav(handoffs) -> None:
    whole = _probe(_media(handoffs["whole"])[0])["streams"]
    audio = [s for s in whole if s["codec_type"] == "audio"]
    assert [(s["codec_name"], s["sample_rate"]) for s in audio] == [("pcm_s24le", "48000")]
    wav = handoffs["per-shot"] / f"scan_audio_{START.replace(':', '-')}.wav"
    probe = _probe(wav)
    # BWF's time reference is samples since midnight: 10 hours at 48 kHz.
    assert int(probe["format"]["tags"]["time_reference"]) == 10 * 3600 * 48000
    assert float(probe["format"]["duration"]) == pytest.approx(16 / RATE, abs=1 / RATE)


def _read(path: Path) -> otio.schema.Timeline:
    options = {"rate": RATE} if path.suffix == ".edl" else {}
    return otio.adapters.read_from_file(str(path), **options)


def _frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("suffix", [spec.suffix for spec in FORMATS])
def test_timelines_read_back_with_the_shots_at_source_timecode(
    mode: str, suffix: str, handoffs
) -> None:
    folder = handoffs[mode]
    timeline = _read(folder / f"scan{suffix}")
    video, *others = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    assert others == []
    clips = list(video.find_clips())
    assert [
        (c.source_range.start_time.to_frames(), c.source_range.duration.to_frames()) for c in clips
    ] == [(ORIGIN + first, frames) for first, frames in SHOTS]
    # Record time: each shot where it is in the source (the EDL reader keeps the first record
    # timecode as the track's negative start, the others as the timeline's start).
    if video.source_range is not None:
        start = -video.source_range.start_time.to_frames()
    else:
        start = timeline.global_start_time.to_frames()
    records = [start + c.range_in_parent().start_time.to_frames() for c in clips]
    assert records == [ORIGIN + first for first, _ in SHOTS]
    for clip in clips:
        media = Path(clip.media_reference.target_url.removeprefix("file://"))
        assert media.parent == folder and media.is_file(), clip.media_reference.target_url
        first_tc = _probe(media)["streams"][0]["tags"]["timecode"]
        media_start = otio.opentime.from_timecode(first_tc, RATE).to_frames()
        held = range(media_start, media_start + _frame_count(media))
        assert clip.source_range.start_time.to_frames() in held
        assert clip.source_range.end_time_inclusive().to_frames() in held
        available = clip.media_reference.available_range
        if available is not None:  # EDLs carry no media length
            assert (available.start_time.to_frames(), available.duration.to_frames()) == (
                held.start,
                len(held),
            )
    if suffix != ".aaf":  # the AAF writer writes no markers
        markers = [
            (m.name, m.marked_range.start_time.to_frames()) for c in clips for m in c.markers
        ]
        # FCP 7 XML counts clip markers from the media's first frame (OTIO reads them as they are).
        media_firsts = [0 if mode == "whole" else first for first, _ in SHOTS]
        expected = [
            (f"{frame:06d}.png (frame {frame})",
             frame - media_first if suffix == ".xml" else ORIGIN + frame)
            for frame, media_first in zip(PAINTED, media_firsts, strict=True)
        ]  # fmt: skip
        if suffix == ".edl":  # LOC comments are upper case
            expected = [(name.upper(), at) for name, at in expected]
        assert markers == expected


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_the_sound_track_follows_the_shots(mode: str, handoffs) -> None:
    timeline = _read(handoffs[mode] / "scan.otio")
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert len(audio) == 1
    clips = list(audio[0].find_clips())
    assert [c.source_range.start_time.to_frames() for c in clips] == [ORIGIN + f for f, _ in SHOTS]
    expected = "scan_colour" if mode == "whole" else "scan_audio"
    assert {Path(c.media_reference.target_url).name.rsplit("_", 1)[0] for c in clips} == {expected}


def _melt(mlt: Path, target: Path, codec: str) -> None:
    """Render an MLT XML with melt, losslessly in the media's own chroma layout."""
    layout = ["pix_fmt=yuv422p"] if codec != "ffv1" else ["mlt_image_format=rgb", "pix_fmt=yuv444p"]
    command = ["melt", "-quiet", str(mlt), "-consumer", f"avformat:{target}", "vcodec=ffv1",
               *layout, "acodec=pcm_s16le"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and target.is_file(), result.stderr[-2000:]


def _assert_frame_for_frame(
    got: list[np.ndarray], expected: list[np.ndarray], *, mean_below: float, peak_at_most: int
) -> dict[str, float]:
    """Each frame of ``got`` is the frame of ``expected`` at its place in the reel, and no
    other; returns the frame count, the mean and the largest difference."""
    assert len(got) == len(expected)
    errors = np.array([[np.abs(g - e).mean() for e in expected] for g in got])
    assert errors.argmin(axis=1).tolist() == list(range(len(expected)))
    same = np.diag(errors)
    peak = max(int(np.abs(g - e).max()) for g, e in zip(got, expected, strict=True))
    assert same.max() < mean_below and peak <= peak_at_most, (same, peak)
    neighbours = errors[np.arange(len(expected) - 1), np.arange(1, len(expected))]
    assert neighbours.min() > 2 * same.max()  # the frames differ enough for this to mean something
    return {"frames": len(got), "mean": round(float(same.mean()), 3), "max": peak}


@needs_melt
@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_melt_renders_the_timeline_frame_for_frame(mode: str, handoffs, tmp_path: Path) -> None:
    folder = handoffs[mode]
    rendered_path = tmp_path / "melt.mkv"
    _melt(folder / "scan.mlt", rendered_path, "prores")
    media = [f for path in _media(folder) for f in _frames(path)]
    # melt renders 10-bit ProRes at 8 bits: under a code on average, a few at most.
    numbers = _assert_frame_for_frame(_frames(rendered_path), media, mean_below=1.5, peak_at_most=8)
    print(f"melt {mode}: {numbers}")
    with av.open(str(rendered_path)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples == pytest.approx(16 / RATE * 48000, abs=48000 / RATE)


@needs_melt
@pytest.mark.slow
def test_a_lossless_hand_off_renders_exactly(reel, tmp_path: Path) -> None:
    scan, refs = reel
    folder = tmp_path / "ffv1"
    args = ["-q", "handoff", str(scan), "--refs", str(refs), "-o", str(folder), "--codec", "ffv1"]
    assert main([*args, "--per-shot", "--start-timecode", "01:00:00:00"]) == 0
    names = [f"scan_shot{i:03d}_01-00-00-{first:02d}.mkv" for i, (first, _) in enumerate(SHOTS)]
    assert [p.name for p in _media(folder)] == names
    assert _probe(_media(folder)[1])["format"]["tags"]["TIMECODE"] == "01:00:00:06"
    _melt(folder / "scan.mlt", tmp_path / "melt.mkv", "ffv1")
    rendered, media = (
        _frames(tmp_path / "melt.mkv"),
        [f for p in _media(folder) for f in _frames(p)],
    )
    _assert_frame_for_frame(rendered, media, mean_below=0.01, peak_at_most=1)


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


@needs_melt
@pytest.mark.slow
def test_the_readme_examples_run_as_written(reel, tmp_path: Path) -> None:
    """Every ``sh`` block of the README, run in a folder holding ``scan.mkv`` and ``refs/`` (the
    names the README uses); every melt render it makes is the hand-off's media, frame for
    frame."""
    blocks = _sh_blocks(README.read_text())
    commands = "\n".join(blocks)
    assert "videocolor handoff scan.mkv" in commands and "melt " in commands
    scan, refs = reel
    shutil.copy(scan, tmp_path / "scan.mkv")
    shutil.copytree(refs, tmp_path / "refs")
    # The console script of this environment, running this checkout's code.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    for block in blocks:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"
    renders = re.findall(r"melt (\S+\.mlt) .*?avformat:(\S+)", commands)
    assert renders
    for mlt, target in renders:
        media = [f for path in _media((tmp_path / mlt).parent) for f in _frames(path)]
        _assert_frame_for_frame(_frames(tmp_path / target), media, mean_below=1.5, peak_at_most=8)


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err.strip()


@pytest.mark.slow
def test_an_existing_hand_off_folder_is_refused_and_kept(reel, tmp_path: Path, capsys) -> None:
    scan, refs = reel
    folder = tmp_path / "handoff"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n")
    code, err = _run(capsys, "handoff", str(scan), "--refs", str(refs), "-o", str(folder))
    assert (
        code == 1
        and err == f"videocolor: error: {folder}: already exists (use --overwrite to replace it)"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["handoff"]
    assert (folder / "notes.txt").read_text() == "keep me\n"
    code, _ = _run(
        capsys, "-q", "handoff", str(scan), "--refs", str(refs), "-o", str(folder), "--overwrite"
    )
    assert code == 0 and not (folder / "notes.txt").exists() and (folder / "scan.otio").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["handoff"]


@pytest.mark.parametrize(
    "case", ["missing-refs", "missing-input", "bad-timecode", "image-sequence", "odd-width"]
)
def test_bad_input_is_one_line_and_leaves_nothing(case: str, reel, tmp_path: Path, capsys) -> None:
    scan, refs = reel
    out = tmp_path / "out" / "handoff"
    out.parent.mkdir()
    args = ["handoff", str(scan), "--refs", str(refs), "-o", str(out)]
    expected = {
        "missing-refs": f"{tmp_path / 'no-refs'}: no such reference folder",
        "missing-input": f"{tmp_path / 'nothing.mkv'}: no such file",
        "bad-timecode": "--start-timecode '01:00:00:30' is not HH:MM:SS:FF at 24 fps",
        "image-sequence": "handoff takes a video file; colour image sequences with colorize",
        "odd-width": "63x48 cannot be stored as yuv422p10le prores",
    }[case]
    if case == "missing-refs":
        args[3] = str(tmp_path / "no-refs")
    elif case == "missing-input":
        args[1] = str(tmp_path / "nothing.mkv")
    elif case == "bad-timecode":
        args += ["--start-timecode", "01:00:00:30"]
    elif case == "image-sequence":
        args[1] = str(tmp_path / "scan" / "%06d.png")
    else:
        odd = make_video(tmp_path / "odd.mkv", frames=4, width=63, codec="ffv1", pix_fmt="yuv444p")
        args[1] = str(odd)
    code, err = _run(capsys, *args)
    assert code == 1 and err.startswith("videocolor: error: ") and "\n" not in err
    assert expected in err, err
    assert list(out.parent.iterdir()) == []


def test_the_start_timecode_comes_from_the_tag_or_the_option(reel, tmp_path: Path) -> None:
    scan, _ = reel
    assert source_clock(scan, RATE).timecode(6) == "10:00:00:06"
    assert source_clock(scan, RATE, "01:00:00:00").timecode(30) == "01:00:01:06"
    untagged = make_video(tmp_path / "untagged.mov", frames=2, codec="mpeg4")
    assert source_clock(untagged, 25).timecode(0) == "00:00:00:00"
    tagged = tmp_path / "tagged.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(untagged), "-c", "copy", "-metadata", "timecode=1:2",
         str(tagged)],
        check=True,
    )  # fmt: skip
    with pytest.raises(TimecodeError, match="'1:2' is not HH:MM:SS:FF at 25 fps; give the right"):
        source_clock(tagged, 25)
    drop = source_clock(scan, Fraction(30000, 1001), "00:00:59;29")
    assert drop.drop_frame and drop.timecode(1) == "00:01:00;02"  # frames 00 and 01 are skipped
