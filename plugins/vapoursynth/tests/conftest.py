"""Fixtures of the VapourSynth host's tests, which run in the Python 3.12 venv (``make vs312``)
with a real VapourSynth core: a generated reel, the core, and a vspipe that
finds this venv's Python through a configuration written to a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import vapoursynth as vs
from vsclips import make_reel

from tests.conftest import fail_on_error_logs

__all__ = ["fail_on_error_logs"]  # a videocolor ERROR log fails these tests too


@pytest.fixture(scope="session")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three shots of 10, 12 and 10 frames (cuts at 10 and 22), frames 2, 14 and 25 painted."""
    return make_reel(tmp_path_factory.mktemp("reel"), (10, 12, 10), (2, 14, 25))


@pytest.fixture(scope="session")
def vspipe_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment in which ``vspipe`` loads this venv's Python: ``vapoursynth config``
    writes where it is found, under ``XDG_CONFIG_HOME``, here a temporary folder."""
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(
        [sys.executable, "-m", "vapoursynth", "config"], env=env, check=True, capture_output=True
    )
    return env


@pytest.fixture
def core() -> vs.Core:
    """The core, its threads set to two as on this machine (VapourSynth's default: the CPUs)."""
    vs.core.num_threads = 2
    return vs.core
