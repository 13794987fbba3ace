"""Shared fixtures: generated clips, the real demo footage, and the shared data folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.clips import make_video

ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path | None:
    """``$VIDEOCOLOR_DATA`` or ``../shared/data`` beside the project, when present."""
    candidate = Path(os.environ.get("VIDEOCOLOR_DATA", ROOT.parent / "shared" / "data"))
    return candidate if candidate.is_dir() else None


@pytest.fixture
def data_dir() -> Path:
    found = shared_data()
    if found is None:
        pytest.skip("shared data folder absent (set VIDEOCOLOR_DATA or place ../shared/data)")
    return found


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "clip.mp4", frames=12)


@pytest.fixture(autouse=True)
def fail_on_error_logs(caplog: pytest.LogCaptureFixture):
    """A test that makes videocolor log an ERROR fails, even if its assertions pass.

    The CLI sets the ``videocolor`` logger's level (``-q``); it is reset so tests stay independent.
    """
    logging.getLogger("videocolor").setLevel(logging.NOTSET)
    yield
    errors = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.name.startswith("videocolor")
    ]
    assert not errors, f"videocolor logged errors: {[r.getMessage() for r in errors]}"
