"""The VapourSynth host's tests (``plugins/vapoursynth/tests``), run with a real VapourSynth in
their own Python 3.12 venv, since VapourSynth 74 and later need 3.12: ``make vs312`` builds the
venv when it is missing (a fresh clone) and every one of those tests must pass there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
#: What the host must show with a real core, among the tests that must all pass.
REQUIRED = {
    "test_random_order_from_threads_colours_each_shot_once",
    "test_the_first_frame_costs_one_shot",
    "test_scene_change_properties_set_the_shots",
    "test_unsupported_formats_are_refused_naming_the_fix[RGB24]",
    "test_what_vspipe_shows_on_bad_input[missing-refs]",
    "test_what_vspipe_shows_on_bad_input[RGB24]",
    "test_the_automatic_model_under_core_ort",
}


@pytest.fixture(scope="session")
def python312() -> Path:
    """The venv's Python, the venv built first when it is missing or out of date."""
    found = subprocess.run(["make", "-s", "python312"], cwd=ROOT, capture_output=True, text=True)
    if not found.stdout.strip():
        pytest.skip("no Python 3.12 here (python3.12, or pyenv's 3.12.1): VapourSynth needs it")
    built = subprocess.run(
        ["make", "-s", "vs312"], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return ROOT / ".venv-vs312" / "bin" / "python"


def test_the_vapoursynth_host_passes_its_tests_in_python_312(python312: Path, tmp_path) -> None:
    report = tmp_path / "vapoursynth.xml"
    done = subprocess.run(
        [str(python312), "-m", "pytest", "plugins/vapoursynth/tests", "-q", "-p",
         "no:cacheprovider", f"--junitxml={report}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-4000:]
    suite = ElementTree.parse(report).getroot().find("testsuite")
    passed = {case.get("name") for case in suite.iter("testcase") if not len(case)}
    assert passed >= REQUIRED, sorted(REQUIRED - passed)
    reasons = [s.get("message", "") for s in suite.iter("skipped")]
    allowed = "ffmpeg" if shutil.which("ffmpeg") is None else None  # as tests/test_examples.py
    assert all(allowed and allowed in reason for reason in reasons), reasons
