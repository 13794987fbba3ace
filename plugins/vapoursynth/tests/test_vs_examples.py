"""The guide's scripts and shell blocks (and the README's integration script), run as written
with the real ``vspipe`` on the reel: ``vspipe`` gives ``videocolor colorize``'s frames, and the
automatic model runs under vs-mlrt's ``core.ort.Model`` exactly as under videocolor's own
onnxruntime session."""

from __future__ import annotations

import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import vapoursynth as vs

from videocolor.colorizers.network import ColorNetwork

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary")
PLUGIN = Path(__file__).resolve().parents[1]
README = PLUGIN / "README.md"


def blocks(language: str, markdown: Path = README) -> list[str]:
    """The ```language blocks of a Markdown file, list indentation removed."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^ *```", markdown.read_text(), re.S | re.M)
    return [re.sub(rf"^{indent}", "", block, flags=re.M) for indent, block in found]


@pytest.fixture(scope="module")
def workdir(reel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reel, its references and the guide's scripts in one folder."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copy(reel, root / "reel.mkv")
    shutil.copytree(reel.parent / "refs", root / "refs")
    for script in PLUGIN.glob("*.vpy"):
        shutil.copy(script, root)
    return root


def yuv_frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="yuv444p") for f in container.decode(video=0)])


def test_the_guide_shows_the_scripts_as_they_are() -> None:
    shown = {block.split(":")[0].removeprefix("# "): block for block in blocks("python")}
    assert sorted(shown) == sorted(p.name for p in PLUGIN.glob("*.vpy"))
    for name, block in shown.items():
        assert block == (PLUGIN / name).read_text()
    integrations = blocks("python", PLUGIN.parents[1] / "README.md")
    assert integrations == [(PLUGIN / "colour.vpy").read_text()]


@pytest.mark.slow
def test_the_guide_s_shell_blocks_give_colorize_s_frames(workdir: Path, vspipe_env) -> None:
    script = "set -euo pipefail\n" + "\n".join(blocks("sh"))
    done = subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=vspipe_env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"{script}\n--- stderr ---\n{done.stderr}"
    subprocess.run(
        [sys.executable, "-m", "videocolor", "-q", "colorize", "reel.mkv", "-o", "c.mkv",
         "--codec", "ffv1", "--refs", "refs/"],
        cwd=workdir, check=True,
    )  # fmt: skip
    colorize = yuv_frames(workdir / "c.mkv")
    for name in ("coloured.y4m", "coloured.mkv"):
        piped = yuv_frames(workdir / name)
        assert piped.shape == colorize.shape == (32, 3, 240, 320)
        difference = np.abs(piped.astype(int) - colorize)
        print(f"{name} against colorize: mean |difference| {difference.mean()}, max", end=" ")
        print(difference.max())
        assert difference.mean() < 1.0
        assert np.array_equal(piped, colorize)  # the same shots, references and engine
    automatic = yuv_frames(workdir / "automatic.y4m")
    assert automatic.shape == colorize.shape
    assert np.array_equal(automatic[:, 0], colorize[:, 0])  # the film's luma, whatever the colour
    assert np.ptp(automatic[:, 1:]) > 10


def test_the_automatic_model_under_core_ort(workdir: Path, monkeypatch) -> None:
    """The script's ab planes from ``core.ort.Model`` equal the three-input network's with no
    hint, run by videocolor's onnxruntime session on the same luma."""
    monkeypatch.chdir(workdir)
    vs.clear_outputs()
    names = runpy.run_path(str(workdir / "automatic.vpy"))
    luma, ab = names["luma"], names["ab"]
    assert (luma.width % 32, luma.height % 32) == (0, 0)
    network = ColorNetwork(device="cpu")
    zero = np.zeros((luma.height, luma.width), np.float32)
    for n in (0, 15, 31):
        y = np.asarray(luma.get_frame(n)[0])
        frame = ab.get_frame(n)
        planes = [np.asarray(frame.props[f"ab{i}"][0]) for i in range(2)]
        expected = network.raw(y, np.dstack([zero, zero]), zero)
        assert np.abs(np.dstack(planes) - expected).max() < 1e-4
    coloured, source = names["clip"], names["core"].bs.VideoSource("reel.mkv")
    assert coloured.format.id == vs.YUV444P8
    assert np.array_equal(np.asarray(coloured.get_frame(3)[0]), np.asarray(source.get_frame(3)[0]))
