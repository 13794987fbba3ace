"""Memory over a generated reel with a long shot: flat with length, spilling to disk past the
budget, and the same frames whether or not it spills (the full curve is ``bench memory``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from videocolor.bench.memory import ReelPlan, sample_run, write_reel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary"),
]


def _frames(path: Path) -> bytes:
    command = ["ffmpeg", "-v", "error", "-i", str(path), "-f", "framemd5", "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def test_a_long_shot_spills_past_the_budget_and_memory_stays_flat(tmp_path: Path) -> None:
    plan = ReelPlan.mixed(frames=320, long_shot=160)
    reel = write_reel(tmp_path / "reel.mkv", plan, (320, 240), progress=False)
    colorize = [sys.executable, "-m", "videocolor", "-q", "colorize", str(reel), "--codec",
                "ffv1", "--json", "-o"]  # fmt: skip
    plain = subprocess.run(
        [*colorize, str(tmp_path / "plain.mkv")], capture_output=True, check=True
    )
    assert plain.returncode == 0 and json.loads(plain.stdout)["spilled_mb"] == 0
    env = {**os.environ, "VIDEOCOLOR_SPILL_MB": "8"}
    run = sample_run([*colorize, str(tmp_path / "spilled.mkv")], every=0.2, env=env)
    assert json.loads(run.stdout)["spilled_mb"] > 20  # the long shot's stores went to disk
    assert _frames(tmp_path / "spilled.mkv") == _frames(tmp_path / "plain.mkv")
    # After the first shots the resident set may not climb more than the allocator's noise. The
    # last fifth is left out: every run steps up by a fixed amount near its end, whatever its
    # length (docs/benchmarks.md), which says nothing about growth with length.
    early = max(s[1] for s in run.samples if s[0] < 0.5 * run.seconds)
    middle = [s[1] for s in run.samples if 0.5 * run.seconds <= s[0] < 0.8 * run.seconds]
    assert max(middle) <= early + 48
