"""Reference frames: naming, the manifest, checks against the frames, suggested keyframes, CLI.

The test clip pans across a real photo (scikit-image's astronaut), so the colour crop of frame k
*is* a perfect painted reference for frame k, and content drifts out of view as the pan goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from skimage import data as skdata

from videocolor.cli import main
from videocolor.errors import ReferenceImageError
from videocolor.io import open_source
from videocolor.refs.canvas import suggest_references
from videocolor.refs.check import check_references
from videocolor.refs.manifest import (
    Manifest,
    ManifestEntry,
    read_manifest,
    write_manifest,
)
from videocolor.refs.reference import frame_number, load_references, read_references
from videocolor.refs.suggest import SuggestSettings, suggest_keyframes
from videocolor.shots.shot import Shot

WIDTH, HEIGHT, PAN_FRAMES, STEP = 160, 120, 60, 3


def _pan_crop(k: int) -> np.ndarray:
    """RGB uint8 frame k of the pan: a window moving STEP pixels right per frame."""
    x = 40 + STEP * k
    return np.ascontiguousarray(skdata.astronaut()[150 : 150 + HEIGHT, x : x + WIDTH])


def _still_crop(k: int) -> np.ndarray:
    """A nearly still shot of another photo (one pixel of drift every few frames)."""
    x = 20 + k // 4
    return np.ascontiguousarray(skdata.chelsea()[60 : 60 + HEIGHT, x : x + WIDTH])


def _encode(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24, options={"crf": "14"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def pan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pan")
    return _encode(folder / "pan.mp4", [_pan_crop(k) for k in range(PAN_FRAMES)])


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pan, then a hard cut to 30 frames of a still shot."""
    folder = tmp_path_factory.mktemp("two_shots")
    return _encode(folder / "two_shots.mp4", _two_shot_frames())


def _two_shot_frames() -> list[np.ndarray]:
    return [_pan_crop(k) for k in range(PAN_FRAMES)] + [_still_crop(k) for k in range(30)]


def _save(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _grey(rgb: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=-1)


def _codes(reference) -> set[str]:
    return {f.code for f in reference.findings}


def _by_name(report, name: str):
    return next(r for r in report.references if r.path.name == name)


# ----------------------------------------------------------------------------- naming


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("000123.png", 123),
        ("123.jpg", 123),
        ("shot4_000123.tif", 123),
        ("0000874_out.png", 874),
        ("reel2-take3-v007.png", 7),
        ("sky.jpg", None),
    ],
)
def test_frame_number_is_the_last_digit_group(name: str, number: int | None) -> None:
    assert frame_number(name) == number


def test_offset_applies_to_names_and_manifest_wins(tmp_path: Path) -> None:
    _save(tmp_path / "0001005.png", _pan_crop(5))
    _save(tmp_path / "shot1_001010.jpg", _pan_crop(10))
    _save(tmp_path / "take2.png", _pan_crop(12))  # listed in the manifest with its frame
    _save(tmp_path / "sky.png", _pan_crop(0))
    write_manifest(tmp_path, Manifest((ManifestEntry("take2.png", frame=12),)))
    refs = {r.path.name: r for r in read_references(tmp_path, offset=-1000)}
    assert (refs["0001005.png"].number, refs["0001005.png"].frame) == (1005, 5)
    assert refs["shot1_001010.jpg"].frame == 10
    assert (refs["take2.png"].frame, refs["take2.png"].named_by) == (12, "refs.json")
    assert refs["sky.png"].is_exemplar and refs["sky.png"].frame is None
    assert refs["0001005.png"].rgb().dtype == np.float32


def test_exemplar_shot_comes_from_manifest_or_single_shot(tmp_path: Path, pan: Path) -> None:
    _save(tmp_path / "sky.png", _pan_crop(0))
    _save(tmp_path / "grass.png", _pan_crop(30))
    info = open_source(pan).info
    single = {r.path.name: r for r in load_references(tmp_path, info, [Shot(0, 0, 60)])}
    assert single["sky.png"].shot == 0 and single["sky.png"].usable
    two = [Shot(0, 0, 30), Shot(1, 30, 60)]
    unplaced = load_references(tmp_path, info, two)
    assert all(r.status == "ERROR" and "no-shot" in _codes(r) for r in unplaced)
    write_manifest(tmp_path, Manifest((ManifestEntry("grass.png", shot=1),)))
    placed = {r.path.name: r for r in load_references(tmp_path, info, two)}
    assert placed["grass.png"].shot == 1 and placed["grass.png"].usable
    assert not placed["sky.png"].usable


def test_sixteen_bit_reference_keeps_its_depth(tmp_path: Path, pan: Path) -> None:
    deep = _pan_crop(3).astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "000003.png"), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    (ref,) = load_references(tmp_path, open_source(pan).info, [Shot(0, 0, 60)])
    assert ref.image.dtype == np.uint16 and ref.usable
    assert abs(float(ref.rgb().max()) - deep.max() / 65535) < 1e-6


# ---------------------------------------------------------------------------- manifest


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = Manifest(
        (
            ManifestEntry("000012.png", 12, 0, "00:00:00:12", "first keyframe"),
            ManifestEntry("sky.jpg", None, 1),
        ),
        "contact_sheet.png",
        {"source": "clip.mp4", "frame_count": 60},
    )
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not a readable JSON manifest"),
        ('{"version": 99, "references": []}', "version 99"),
        ('{"version": 1, "references": [{"frame": 3}]}', '"file"'),
        ('{"version": 1, "references": [{"file": "a.png", "frame": "3"}]}', "whole number"),
    ],
)
def test_bad_manifest_is_one_clear_error(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "refs.json").write_text(text)
    with pytest.raises(ReferenceImageError, match=problem):
        read_manifest(tmp_path)


# ------------------------------------------------------------------------------ checks


def test_check_flags_wrong_frame_grey_aspect_and_outside(tmp_path: Path, pan: Path) -> None:
    _save(tmp_path / "000020.png", _pan_crop(20))  # right
    _save(tmp_path / "000010.png", _pan_crop(45))  # painted on frame 45, named 10
    _save(tmp_path / "000030.png", _grey(_pan_crop(30)))  # never painted
    wide = cv2.resize(_pan_crop(40), (240, 120), interpolation=cv2.INTER_LINEAR)
    _save(tmp_path / "000040.png", wide)  # another aspect
    _save(tmp_path / "000500.png", _pan_crop(50))  # beyond the 60 frames
    brighter = np.rint(255 * (_pan_crop(15) / 255) ** 0.7).astype(np.uint8)
    _save(tmp_path / "000015.png", brighter)  # tones changed
    report = check_references(pan, tmp_path, shots=[Shot(0, 0, PAN_FRAMES)])

    right = _by_name(report, "000020.png")
    assert right.status == "OK" and right.match.r > 0.98 and right.shot == 0

    wrong = _by_name(report, "000010.png")
    assert wrong.status in ("WARN", "ERROR") and "better-match" in _codes(wrong)
    assert abs(wrong.best_match.frame - 45) <= 1 and wrong.best_match.score > 0.95

    grey = _by_name(report, "000030.png")
    assert grey.status == "ERROR" and "grey" in _codes(grey)

    stretched = _by_name(report, "000040.png")
    assert "aspect" in _codes(stretched) and stretched.usable

    toned = _by_name(report, "000015.png")
    assert "tones" in _codes(toned) and toned.match.score > 0.98 and toned.usable

    outside = _by_name(report, "000500.png")
    assert outside.status == "ERROR" and "outside" in _codes(outside)
    message = next(f.message for f in outside.findings if f.code == "outside")
    assert "60 frames" in message and "best match: frame" in message
    assert abs(outside.best_match.frame - 50) <= 1
    assert not report.ok and report.offset_hint is None


def test_constant_offset_is_found_and_applied(tmp_path: Path, pan: Path) -> None:
    for k in (8, 25, 47):
        _save(tmp_path / f"reel_{k + 1000:07d}.png", _pan_crop(k))
    shots = [Shot(0, 0, PAN_FRAMES)]
    report = check_references(pan, tmp_path, shots=shots)
    assert not report.ok
    hint = report.offset_hint
    assert hint is not None and hint.offset == -1000 and hint.fitting == hint.numbered == 3
    assert "--offset -1000" in hint.message
    json.dumps(report.as_dict())  # plain JSON types only

    fixed = check_references(pan, tmp_path, shots=shots, offset=-1000)
    assert fixed.ok and fixed.offset_hint is None
    assert sorted(r.frame for r in fixed.references) == [8, 25, 47]
    assert all(r.match.score > 0.98 for r in fixed.references)


def test_reframed_reference_is_aligned_and_reported(tmp_path: Path, pan: Path) -> None:
    """A reference exported with a different crop (as the A-bomb ones are) still matches once
    aligned, and the shift its colours would have is reported."""
    crop = _pan_crop(30)[8:, 6:]
    _save(tmp_path / "000030.png", cv2.resize(crop, (WIDTH, HEIGHT)))
    (ref,) = check_references(pan, tmp_path, shots=[Shot(0, 0, PAN_FRAMES)]).references
    assert "framing" in _codes(ref) and ref.usable
    assert ref.match.r_aligned > 0.97 and ref.match.shift_px > 5


# --------------------------------------------------------------------------- suggest


def test_suggest_adds_keyframes_where_a_pan_drifts(pan: Path) -> None:
    suggestion = suggest_keyframes(pan, shots=[Shot(0, 0, PAN_FRAMES)])
    (plan,) = suggestion.plans
    assert len(plan.keyframes) >= 2
    assert all(k.reason.startswith(f"frame {k.frame}: ") for k in plan.keyframes)
    assert any("of the picture is" in k.reason for k in plan.keyframes)
    assert plan.lowest_coverage >= SuggestSettings().min_coverage

    capped = suggest_keyframes(
        pan, shots=[Shot(0, 0, PAN_FRAMES)], settings=SuggestSettings(max_per_shot=1)
    )
    assert len(capped.keyframes) == 1 and capped.plans[0].lowest_coverage < 0.6


def test_suggest_writes_canvases_manifest_and_sheet(tmp_path: Path, two_shots: Path) -> None:
    out = tmp_path / "refs"
    shots = [Shot(0, 0, PAN_FRAMES), Shot(1, PAN_FRAMES, PAN_FRAMES + 30)]
    suggestion = suggest_references(two_shots, out, shots=shots)
    plans = {plan.shot.index: plan for plan in suggestion.plans}
    assert len(plans[0].keyframes) >= 2  # the pan drifts
    assert len(plans[1].keyframes) == 1  # the still shot does not
    assert all(k.frame in shots[k.shot].core for k in suggestion.keyframes)

    pngs = sorted(p.name for p in out.glob("[0-9]*.png"))
    assert pngs == [f"{k.frame:06d}.png" for k in suggestion.keyframes]
    canvas = cv2.imread(str(out / pngs[0]), cv2.IMREAD_UNCHANGED)
    assert canvas.shape == (HEIGHT, WIDTH, 3) and np.array_equal(canvas[..., 0], canvas[..., 2])

    manifest = json.loads((out / "refs.json").read_text())
    assert manifest["version"] == 1 and manifest["frame_count"] == PAN_FRAMES + 30
    entry = manifest["references"][0]
    assert {"file", "frame", "timecode", "shot", "reason"} <= set(entry)
    assert entry["timecode"].count(":") == 3

    sheet = cv2.imread(str(out / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] > 2 * HEIGHT
    assert not list(tmp_path.glob(".refs*"))  # no temporary folder left

    refs = read_references(out)  # the contact sheet is not taken for an exemplar
    assert [r.frame for r in refs] == [k.frame for k in suggestion.keyframes]


# ------------------------------------------------------------------------------- CLI


def test_cli_suggest_then_check(tmp_path: Path, two_shots: Path, capsys) -> None:
    out = tmp_path / "refs"
    assert main(["-q", "refs", "suggest", str(two_shots), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["shots"] == 2 and {k["shot"] for k in summary["keyframes"]} == {0, 1}

    # Unpainted canvases are grey: unusable, exit 1.
    assert main(["-q", "refs", "check", str(two_shots), str(out), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["ERROR"] == len(summary["keyframes"])

    # "Paint" them with the true colours: all usable, exit 0.
    frames = _two_shot_frames()
    for k in summary["keyframes"]:
        _save(out / f"{k['frame']:06d}.png", frames[k["frame"]])
    assert main(["-q", "refs", "check", str(two_shots), str(out)]) == 0
    assert ", 0 ERROR" in capsys.readouterr().out

    assert main(["-q", "refs", "suggest", str(two_shots), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_cli_errors_are_one_line(tmp_path: Path, pan: Path, capsys) -> None:
    assert main(["refs", "check", str(pan), str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such reference folder" in err

    (tmp_path / "empty").mkdir()
    assert main(["refs", "check", str(pan), str(tmp_path / "empty")]) == 1
    assert "no reference images" in capsys.readouterr().err

    with pytest.raises(SystemExit) as exit_info:
        main(["refs", "suggest", str(pan), "-o", str(tmp_path / "x"), "--max-per-shot", "0"])
    assert exit_info.value.code == 2


# ----------------------------------------------------------------------------- real data


@pytest.mark.data
def test_abomb_references_fit_an_offset(data_dir: Path) -> None:
    folder = data_dir / "film" / "abomb"
    video, refdir = folder / "a-bomb_blast_effects_part.mp4", folder / "references"
    report = check_references(video, refdir)
    assert len(report.references) == 4 and not report.ok
    assert all("outside" in _codes(r) for r in report.references)
    assert report.offset_hint is not None and report.offset_hint.offset == -869
    assert report.offset_hint.fitting == 4

    fixed = check_references(video, refdir, shots=report.shots, offset=-869)
    assert fixed.ok
    assert [r.frame for r in fixed.references] == [5, 99, 194, 351]
    for ref in fixed.references:
        assert {"aspect", "framing"} <= _codes(ref)
        assert ref.match.score > 0.97
