"""Keyframes that earn their paint: ``refs suggest --every N``, ``--add K`` and the bench's
``suggest:N`` / ``even:N`` comparison.

The clips pan across a real photo (scikit-image's astronaut), so how much of a frame a keyframe
reaches is known from the pan's speed: a still stretch keeps nearly all of it, a fast one loses a
column of the picture with every frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from tests.clips import make_video
from videocolor.bench.data import read_clip
from videocolor.bench.methods import VIDEO_METHODS
from videocolor.bench.metrics import fidelity
from videocolor.bench.protocol import even_frames, parse_protocol, parse_protocols
from videocolor.bench.render import compose, luma_codes, unit_luma
from videocolor.cli import main
from videocolor.color import default_matrix
from videocolor.commands.refs import painted_keyframes
from videocolor.errors import VideocolorError
from videocolor.refs import suggest
from videocolor.refs.additions import suggest_additions
from videocolor.refs.check import check_references
from videocolor.refs.suggest import SuggestSettings, suggest_keyframes
from videocolor.shots.shot import Shot

WIDTH, HEIGHT = 160, 120


def _crop(x: float) -> np.ndarray:
    left = round(x)
    return np.ascontiguousarray(skdata.astronaut()[150 : 150 + HEIGHT, left : left + WIDTH])


def _encode(path: Path, frames: list[np.ndarray]) -> Path:
    return make_video(
        path,
        frames=len(frames),
        width=WIDTH,
        height=HEIGHT,
        codec_options={"crf": "14"},
        picture=lambda index, _width, _height: frames[index],
    )


@pytest.fixture(scope="module")
def steady_pan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 frames panning 3 pixels a frame."""
    folder = tmp_path_factory.mktemp("steady")
    return _encode(folder / "steady.mp4", [_crop(20 + 3 * k) for k in range(60)])


@pytest.fixture(scope="module")
def still_then_fast(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 frames: 40 nearly still (half a pixel a frame), then 40 panning 6 pixels a frame."""
    folder = tmp_path_factory.mktemp("speeding")
    positions = np.concatenate([20 + 0.5 * np.arange(40), 40 + 6 * np.arange(40)])
    return _encode(folder / "speeding.mp4", [_crop(x) for x in positions])


@pytest.fixture(scope="module")
def flashed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A nearly still shot of 31 frames whose middle frame is a flash and whose frame 10 is
    damaged (a large blotch): the even choice, the middle, must not be proposed."""
    folder = tmp_path_factory.mktemp("flashed")
    frames = [_crop(100 + 0.2 * k) for k in range(31)]
    frames[15] = np.clip(frames[15].astype(int) + 90, 0, 255).astype(np.uint8)
    frames[10] = frames[10].copy()
    cv2.circle(frames[10], (80, 60), 45, (250, 250, 250), -1)
    return _encode(folder / "flashed.mp4", frames)


def _frames(suggestion) -> list[int]:
    return [k.frame for k in suggestion.keyframes]


@pytest.mark.parametrize(("every", "count"), [(60, 1), (20, 3), (12, 5)])
def test_budget_spreads_keyframes_over_a_steady_pan(
    steady_pan: Path, every: int, count: int
) -> None:
    """Where every frame is reached alike, each equal stretch of the shot gets one keyframe."""
    settings = SuggestSettings(every=every)
    frames = _frames(suggest_keyframes(steady_pan, shots=[Shot(0, 0, 60)], settings=settings))
    assert len(frames) == count
    assert sorted(frame * count // 60 for frame in frames) == list(range(count))


def _colour_psnr(clip: Path, keys: list[int]) -> np.ndarray:
    """Per-frame PSNR of the engine's colour for ``clip`` from its own colour at ``keys``."""
    rgb = read_clip(clip)
    matrix = default_matrix(rgb.shape[1])
    codes = [luma_codes(frame, matrix) for frame in rgb]
    refs = {k: rgb[k].astype(np.float32) / 255 for k in keys}
    coloured = VIDEO_METHODS["videocolor"]([unit_luma(c) for c in codes], refs, matrix)
    return np.array(
        [
            fidelity.psnr_from_mse(fidelity.mse(compose(codes[i], ab, matrix), rgb[i]))
            for i, ab in enumerate(coloured)
        ]
    )


def test_one_keyframe_goes_where_the_engine_colours_the_shot_best(steady_pan: Path) -> None:
    """Frames before a shot's first keyframe lose more in the training footage, so one keyframe
    for a steady pan goes before the middle, and this pan comes out better coloured from it than
    from the middle frame."""
    settings = SuggestSettings(every=60)
    (key,) = _frames(suggest_keyframes(steady_pan, shots=[Shot(0, 0, 60)], settings=settings))
    assert key < 30
    neither = [i for i in range(60) if i not in (key, 30)]
    ours, middle = _colour_psnr(steady_pan, [key]), _colour_psnr(steady_pan, [30])
    assert ours[neither].mean() > middle[neither].mean() + 1.0


def test_keyframes_leave_even_spacing_only_for_a_gain_the_model_is_sure_of(
    still_then_fast: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the pan speeds up, the loss model expects a pair nearer the fast part to gain about
    0.05 dB a frame over the evenly spaced pair (20, 60): under the margin, so the pair stays
    evenly spaced; without the margin it moves."""
    settings = SuggestSettings(every=40)
    shots = [Shot(0, 0, 80)]
    even = even_frames(80, 2)
    assert _frames(suggest_keyframes(still_then_fast, shots=shots, settings=settings)) == even
    monkeypatch.setattr(suggest, "EVEN_MARGIN_DB", 0.0)
    moved = _frames(suggest_keyframes(still_then_fast, shots=shots, settings=settings))
    assert len(moved) == 2 and moved != even


def test_flash_and_damaged_frames_are_never_proposed(flashed: Path) -> None:
    for every in (50, 15, 8):
        settings = SuggestSettings(every=every)
        frames = _frames(suggest_keyframes(flashed, shots=[Shot(0, 0, 31)], settings=settings))
        assert frames and not {10, 15} & set(frames)


def test_keyframes_stay_out_of_a_dissolve(steady_pan: Path) -> None:
    """A shot whose first 20 frames are a dissolve from the one before: none of them."""
    shot = Shot(1, 0, 60, transition_in=20)
    suggestion = suggest_keyframes(steady_pan, shots=[shot], settings=SuggestSettings(every=10))
    assert suggestion.keyframes and all(k.frame in shot.core for k in suggestion.keyframes)


def test_each_keyframe_says_why(steady_pan: Path) -> None:
    suggestion = suggest_keyframes(
        steady_pan, shots=[Shot(0, 0, 60)], settings=SuggestSettings(every=20)
    )
    reasons = [k.reason for k in suggestion.keyframes]
    assert any("of the picture is new since frame" in r for r in reasons), reasons


def test_keyframes_say_when_the_picture_changes_without_moving(tmp_path: Path) -> None:
    """A still picture dissolving slowly into another, taken as one shot: the flow reaches every
    frame, and what the keyframes lack is a look at the other picture."""
    first = _crop(60).astype(np.float32)
    second = cv2.resize(skdata.coffee(), (WIDTH, HEIGHT)).astype(np.float32)
    frames = [((1 - k / 59) * first + k / 59 * second).astype(np.uint8) for k in range(60)]
    clip = _encode(tmp_path / "changing.mp4", frames)
    suggestion = suggest_keyframes(clip, shots=[Shot(0, 0, 60)], settings=SuggestSettings(every=30))
    reasons = [k.reason for k in suggestion.keyframes]
    assert len(reasons) == 2 and all(
        "look unlike anything in the other keyframes" in r for r in reasons
    )


def test_add_one_to_a_painted_first_frame(steady_pan: Path) -> None:
    additions = suggest_additions(steady_pan, [0], 1, shots=[Shot(0, 0, 60)])
    (added,) = additions.keyframes
    assert 25 <= added.frame <= 55  # far enough from frame 0 to bring what it cannot reach
    assert added.reason.startswith(f"frame {added.frame}: ") and "since frame 0" in added.reason
    assert additions.loss_after < additions.loss_before - 1.0
    weakest = additions.weakest[0]
    assert weakest.frame > 40 and weakest.unreached.mean() > 0.4 * 255


def _chroma(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)[..., 1:].astype(np.float32)


def test_weakest_frames_are_shown_as_the_painted_keyframes_colour_them(steady_pan: Path) -> None:
    painted = {k: _crop(20 + 3 * k).astype(np.float32) / 255 for k in (0, 59)}
    additions = suggest_additions(steady_pan, [0, 59], 1, shots=[Shot(0, 0, 60)], images=painted)
    weak = additions.weakest[0]
    assert 0 < weak.frame < 59 and weak.colour is not None
    size = weak.grey.shape[::-1]
    truth = cv2.resize(_crop(20 + 3 * weak.frame), size, interpolation=cv2.INTER_AREA)
    truth = _chroma(cv2.cvtColor(truth, cv2.COLOR_RGB2BGR))
    grey = _chroma(cv2.cvtColor(weak.grey, cv2.COLOR_GRAY2BGR))
    # the painted colour carried there: far nearer the truth than grey (or than swapped channels)
    assert np.abs(_chroma(weak.colour) - truth).mean() < 0.4 * np.abs(grey - truth).mean()


def _painted_folder(tmp_path: Path, name: int, shows: int = 0) -> Path:
    """A folder holding one painted keyframe named ``name``: the pan's frame ``shows`` in
    colour."""
    painted = tmp_path / "painted"
    painted.mkdir()
    picture = cv2.cvtColor(_crop(20 + 3 * shows), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(painted / f"{name:06d}.png"), picture)
    return painted


def test_add_colours_from_the_painted_images_as_colorize_takes_them(
    steady_pan: Path, tmp_path: Path
) -> None:
    """A painting framed 12 lines lower than its frame is aligned by the check before the weak
    frames are coloured from it, as ``colorize`` aligns it; a painting of another picture is
    left out, as ``colorize`` leaves it out."""
    painted = tmp_path / "painted"
    painted.mkdir()
    lower = skdata.astronaut()[162 : 162 + HEIGHT, 20 : 20 + WIDTH]
    cv2.imwrite(str(painted / "000000.png"), cv2.cvtColor(lower, cv2.COLOR_RGB2BGR))
    other = skdata.chelsea()[:HEIGHT, :WIDTH]
    cv2.imwrite(str(painted / "000030.png"), cv2.cvtColor(other, cv2.COLOR_RGB2BGR))
    report = check_references(steady_pan, painted)
    frames, images = painted_keyframes(report)
    assert frames == [0]
    truth = _crop(20).astype(np.float32) / 255
    as_painted = lower.astype(np.float32) / 255
    assert np.abs(images[0] - truth).mean() < 0.5 * np.abs(as_painted - truth).mean()


def test_cli_add_writes_canvases_manifest_and_sheet(
    steady_pan: Path, tmp_path: Path, capsys
) -> None:
    painted = _painted_folder(tmp_path, 0)
    out = tmp_path / "next"
    args = ["-q", "refs", "suggest", str(steady_pan), "--add", "2", str(painted), "-o", str(out)]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["painted"] == [0] and len(summary["keyframes"]) == 2
    assert summary["expected_loss_db_after"] < summary["expected_loss_db_before"]
    names = sorted(p.name for p in out.glob("[0-9]*.png"))
    assert names == [f"{k['frame']:06d}.png" for k in summary["keyframes"]]
    manifest = json.loads((out / "refs.json").read_text())
    assert manifest["painted"] == [0] and manifest["weakest"]
    assert cv2.imread(str(out / "contact_sheet.png")) is not None


def test_cli_add_refuses_a_bad_count_and_a_missing_folder(
    steady_pan: Path, tmp_path: Path, capsys
) -> None:
    base = ["refs", "suggest", str(steady_pan), "-o", str(tmp_path / "out")]
    assert main([*base, "--add", "none", str(tmp_path)]) == 1
    assert "--add K REFDIR: K" in capsys.readouterr().err
    assert main([*base, "--add", "1", str(tmp_path / "nowhere")]) == 1
    assert "no such reference folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_add_refuses_painted_frames_outside_the_video_unless_offset(
    steady_pan: Path, tmp_path: Path, capsys
) -> None:
    painted = _painted_folder(tmp_path, 110, shows=10)
    base = ["-q", "refs", "suggest", str(steady_pan), "--add", "1", str(painted)]
    assert main([*base, "-o", str(tmp_path / "out")]) == 1
    assert "name frames 110, outside the video's frames 0-59" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main([*base, "--offset", "-100", "-o", str(tmp_path / "out"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["painted"] == [10]


# ------------------------------------------------------------------------- bench protocols


def test_suggest_and_even_protocols() -> None:
    assert even_frames(100, 1) == [50] and even_frames(100, 4) == [12, 37, 62, 87]
    suggest, even = parse_protocols("suggest:25,even:25")
    assert (suggest.name, even.name) == ("suggest:25", "even:25")
    assert suggest.reference_indices(100, [3, 40]) == [3, 40]
    assert even.reference_indices(100, [3, 40]) == [25, 75]
    assert suggest.scored_out(100, [3, 40]) == even.scored_out(100, [3, 40]) == [3, 25, 40, 75]
    assert parse_protocol("every:5").scored_out(12) == [0, 5, 10]
    at = parse_protocol("at:0.6")
    assert at.name == "at:0.6" and at.reference_indices(11) == [0, 6] == at.scored_out(11)
    assert parse_protocol("add:1").reference_indices(11, [7]) == [0, 7]
    with pytest.raises(VideocolorError):
        parse_protocol("suggest:0")


def test_bench_compares_suggested_and_even_keyframes_on_the_same_frames(
    steady_pan: Path, still_then_fast: Path, tmp_path: Path, capsys
) -> None:
    pytest.importorskip("matplotlib")
    data = tmp_path / "clips"
    data.mkdir()
    for clip in (steady_pan, still_then_fast):
        (data / clip.name).symlink_to(clip)
    out, report = tmp_path / "kf.json", tmp_path / "report"
    arms = "suggest:20,even:20,add:1,at:0.3,at:0.9"
    args = ["bench", "video", "--data", str(data), "--protocol", arms]
    args += ["--through", "memory", "--json", str(out), "--report", str(report)]
    assert main(args) == 0
    suggested, even, added, *fixed = json.loads(out.read_text())
    assert (suggested["protocol"], even["protocol"]) == ("suggest:20", "even:20")
    for ours, theirs in zip(suggested["clips"], even["clips"], strict=True):
        assert len(ours["references"]) == len(theirs["references"]) == round(ours["frames"] / 20)
        assert theirs["references"] == even_frames(theirs["frames"], len(theirs["references"]))
        assert ours["scored_out"] == theirs["scored_out"]
        assert set(ours["references"]) | set(theirs["references"]) == set(ours["scored_out"])
    assert [r["protocol"] for r in fixed] == ["at:0.3", "at:0.9"]
    for clip, rule in zip(added["clips"], fixed[0]["clips"], strict=True):
        assert len(clip["references"]) == 2 and clip["references"][0] == 0
        assert rule["references"] == [0, round(0.3 * (rule["frames"] - 1))]
    printed = capsys.readouterr().out
    assert "Suggested against even keyframes" in printed and "| 20 | 7 |" in printed
    assert "add:1 against the best fixed rule" in printed and "of 2 clips" in printed
    assert (report / "keyframes_videocolor.png").stat().st_size > 10_000
    assert (report / "suggest-20" / "report.md").exists()
