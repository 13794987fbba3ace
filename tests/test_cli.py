"""The command line as a user meets it: help, probe, the demo, and a torch-free runtime."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from videocolor.cli import main
from videocolor.demo import demo_footage


def test_help_lists_commands(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exit_info:
        assert exit_info.code == 0
    out = capsys.readouterr().out
    for name in ("probe", "grayscale", "demo"):
        assert name in out


def test_probe_json(capsys, clip: Path) -> None:
    assert main(["probe", str(clip), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["width"] == 64 and info["frame_rate"] == "24" and info["frame_count"] == 12
    assert info["color"]["matrix"] == "bt601" and info["pix_fmt"] == "yuv420p"


def test_probe_table(capsys, clip: Path) -> None:
    assert main(["probe", str(clip)]) == 0
    out = capsys.readouterr().out
    assert "frame_count" in out and "yuv420p" in out


def test_demo_writes_video_and_picture(tmp_path: Path, capsys) -> None:
    assert demo_footage().name == "bikes.mp4"
    assert main(["-q", "demo", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "before_after.png") in out
    picture = cv2.imread(str(tmp_path / "before_after.png"))
    assert picture.shape[1] == 3 * 640
    source, grey, coloured = np.split(picture[40:].astype(int), 3, axis=1)
    chroma = lambda rgb: np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean()  # noqa: E731
    assert chroma(grey) < 1.5 < chroma(coloured)  # the colour really came back
    assert np.abs(coloured - source).mean() < np.abs(grey - source).mean()
    assert len(list((tmp_path / "references").glob("*.png"))) >= 1


def test_runtime_never_imports_torch_or_ray() -> None:
    """Every module of the package imports without torch: the runtime and bench are torch-free;
    nor does any import Ray, which only a run given ``--cluster`` loads (the cluster extra).
    The VapourSynth host's modules need ``vapoursynth`` (its Python 3.12 venv) and are left out
    where it is not installed."""
    code = (
        "import importlib, importlib.util, pkgutil, sys, videocolor\n"
        "hosts = {'videocolor.vapoursynth', 'videocolor.hosts.vapoursynth'}\n"
        "absent = importlib.util.find_spec('vapoursynth') is None\n"
        "for module in pkgutil.walk_packages(videocolor.__path__, 'videocolor.'):\n"
        "    if module.name != 'videocolor.__main__' and not (absent and module.name in hosts):\n"
        "        importlib.import_module(module.name)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
