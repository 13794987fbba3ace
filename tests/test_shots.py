"""Shot detection measured on aged real footage, and the ``shots`` command's outputs.

The reels come from :mod:`tests.film_defects`: real clips cut, dissolved and faded at known
frames, then given flicker, grain, scratches, dust and gate weave. ``bikes.mp4`` alone runs
everywhere; the larger reel and the real film excerpt need ``../shared/data``.
"""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from tests.film_defects import (
    BIKES_SHOTS,
    FilmDefects,
    Reel,
    bikes_reel,
    bikes_truth,
    score,
    train_reel,
)
from tests.shot_reels import SEEDS, split
from tests.shot_reels import build as build_shot_reel
from videocolor.cli import main
from videocolor.demo import demo_footage
from videocolor.io import read_all_luma
from videocolor.shots.detect.decide import Transition
from videocolor.shots.detection import ShotList, detect_shots
from videocolor.shots.editorial import edl_rate
from videocolor.shots.shot import Shot
from videocolor.shots.stream import shot_between

TARGET = 0.95  # precision and recall the detector must reach on every reel


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Reel, ShotList]:
    made = bikes_reel(tmp_path_factory.mktemp("reel"))
    return made, detect_shots(made.path)


def test_bikes_reel_precision_and_recall(reel: tuple[Reel, ShotList]) -> None:
    made, shots = reel
    result = score(shots.cut_frames, made.transitions)
    assert result.precision >= TARGET and result.recall >= TARGET, result.line()


def test_no_cut_inside_the_long_take(reel: tuple[Reel, ShotList]) -> None:
    made, shots = reel
    ((first, last),) = made.still_ranges
    truth_frames = {f for t in made.transitions for f in range(t.start - 2, t.end + 3)}
    inside = [c for c in shots.cut_frames if first <= c < last and c not in truth_frames]
    assert not inside


def test_gradual_transitions_are_found_as_such(reel: tuple[Reel, ShotList]) -> None:
    made, shots = reel
    for truth in (t for t in made.transitions if t.kind != "cut"):
        found = [t for t in shots.transitions if truth.start - 2 <= t.cut <= truth.end + 2]
        assert len(found) == 1 and found[0].kind == truth.kind, (truth, found)
        overlap = min(found[0].end, truth.end) - max(found[0].start, truth.start) + 1
        assert overlap >= 0.6 * (truth.end - truth.start + 1), (truth, found)


def test_shots_cover_the_reel_and_keep_transition_frames_out_of_their_core(
    reel: tuple[Reel, ShotList],
) -> None:
    made, shots = reel
    assert shots.frame_count == made.frame_count and shots.frame_rate == 25
    assert shots[0].start == 0 and shots[-1].end == made.frame_count
    assert all(a.end == b.start for a, b in pairwise(shots))
    for transition in (t for t in shots.transitions if t.kind != "cut"):
        for shot in shots:
            assert not set(shot.core) & set(range(transition.start, transition.end + 1))


def test_one_long_take_with_every_defect_has_no_cut() -> None:
    """181 frames of one real take, played back and forth, aged as frames in memory."""
    luma = read_all_luma(demo_footage())[1][slice(*BIKES_SHOTS[2])]
    take = np.concatenate([luma, luma[::-1][1:-1], luma])
    defects = FilmDefects(seed=7, flicker=0.2, grain=0.05)
    shots = detect_shots((defects.apply(frame) for frame in take), fps=Fraction(25))
    assert shots.frame_count == len(take)
    assert len(shots) == 1 and not shots.transitions


def test_the_cuts_bikes_mp4_itself_holds() -> None:
    shots = detect_shots(demo_footage())
    assert shots.cut_frames == [t.start for t in bikes_truth()]
    assert {t.kind for t in shots.transitions} == {"cut"}


@pytest.mark.data
def test_train_clip_reel_precision_and_recall(data_dir: Path, tmp_path: Path) -> None:
    made = train_reel(tmp_path, data_dir)
    result = score(detect_shots(made.path).cut_frames, made.transitions)
    assert sum(t.kind == "cut" for t in made.transitions) >= 15
    assert result.precision >= TARGET and result.recall >= TARGET, result.line()


@pytest.mark.data
def test_held_out_reel_from_the_scored_half(data_dir: Path, tmp_path: Path) -> None:
    """The first 24 clips of the scored half's first reel (about 1,000 frames, 23 transitions),
    clips the thresholds were never chosen on: see tests/shot_reels.py."""
    made = build_shot_reel(tmp_path, data_dir, split(data_dir)["score"], SEEDS["score"][0], 24)
    result = score(detect_shots(made.path).cut_frames, made.transitions)
    assert result.precision >= TARGET and result.recall >= TARGET, result.line()


@pytest.mark.data
def test_real_film_excerpt(data_dir: Path) -> None:
    """Checked by eye: a man in a truck, a sign, trucks in the desert, soldiers in brush."""
    film = data_dir / "film" / "abomb" / "a-bomb_blast_effects_part.mp4"
    if not film.is_file():
        pytest.skip(f"{film} absent")
    assert detect_shots(film).cut_frames == [44, 134, 299]


def test_shots_count_mixed_frames_on_the_side_of_the_cut_where_they_lie() -> None:
    cut, dissolve = Transition("cut", 10, 10, 10), Transition("dissolve", 30, 25, 34)
    shots = [
        shot_between(0, 0, 10, None, cut),
        shot_between(1, 10, 30, cut, dissolve),
        shot_between(2, 30, 50, dissolve, None),
    ]
    assert shots == [
        Shot(0, 0, 10),
        Shot(1, 10, 30, transition_out=5),
        Shot(2, 30, 50, transition_in=5),
    ]
    assert shots[1].core == range(10, 25) and shots[2].core == range(35, 50)
    assert Shot(0, 0, 4, transition_in=2, transition_out=3).core == range(1, 2)


def test_cli_json_and_editor_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    otio_path, edl_path = tmp_path / "bikes.otio", tmp_path / "bikes.edl"
    code = main(["-q", "shots", str(demo_footage()), "--json", "--otio", str(otio_path),
                 "--edl", str(edl_path)])  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["frame_rate"] == "25" and payload["frame_count"] == 250
    first = payload["shots"][1]
    assert first == {
        "shot": 1,
        "start": 30,
        "end": 75,
        "frames": 46,
        "start_timecode": "00:00:01:05",
        "end_timecode": "00:00:03:00",
        "transition_in": 0,
        "transition_out": 0,
    }
    assert [s["start"] for s in payload["shots"]] == [0, 30, 76, 137, 187, 242]
    assert [t["cut"] for t in payload["transitions"]] == [30, 76, 137, 187, 242]

    expected = [(a, b - a) for a, b in BIKES_SHOTS]
    timeline = otio.adapters.read_from_file(str(otio_path))
    clips = list(timeline.tracks[0])
    assert [(c.source_range.start_time.to_frames(), c.source_range.duration.to_frames())
            for c in clips] == expected  # fmt: skip
    assert clips[0].source_range.start_time.rate == 25
    assert clips[0].media_reference.target_url == demo_footage().resolve().as_uri()

    assert edl_rate(Fraction(25)) == 25
    edl = otio.adapters.read_from_file(str(edl_path), adapter_name="cmx_3600", rate=25)
    assert [(c.source_range.start_time.to_frames(), c.source_range.duration.to_frames())
            for c in edl.tracks[0]] == expected  # fmt: skip


def test_cli_table(capsys: pytest.CaptureFixture) -> None:
    assert main(["-q", "shots", str(demo_footage())]) == 0
    out = capsys.readouterr().out
    assert "6 shots" in out and "00:00:09:16" in out  # last frame, 249 at 25 fps


def test_edl_rate_for_rates_without_timecode() -> None:
    assert edl_rate(Fraction(24000, 1001)) == pytest.approx(23.976, abs=1e-3)
    assert edl_rate(Fraction(18)) == 24 and edl_rate(Fraction(29)) == 30


@pytest.mark.parametrize("make", ["missing", "text", "existing-output"])
def test_cli_errors_are_one_line(make: str, tmp_path: Path, capsys) -> None:
    source = tmp_path / "input.mp4"
    args = ["shots", str(source)]
    if make == "text":
        source.write_text("not a video\n")
    if make == "existing-output":
        source = demo_footage()
        (tmp_path / "cuts.edl").write_text("keep me\n")
        args = ["shots", str(source), "--edl", str(tmp_path / "cuts.edl")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("videocolor: error:") and "\n" not in err
    if make == "existing-output":
        assert (tmp_path / "cuts.edl").read_text() == "keep me\n"
