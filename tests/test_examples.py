"""The shell examples of the README's integrations and of ``plugins/*/README.md``, run as written
against the real ffmpeg on a small reel, so the documentation cannot drift from the program."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clips import painted_photo_reel
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg binary"),
]
FRAMES = 32


def shell_blocks(markdown: Path, section: str | None = None) -> list[str]:
    """The ```sh blocks of a Markdown file, or of one ``## section`` of it."""
    text = markdown.read_text()
    if section is not None:
        start = text.index(f"\n## {section}\n")
        end = text.find("\n## ", start + 1)
        text = text[start : end if end != -1 else None]
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", text, flags=re.S | re.M)
    return [re.sub(r"^ {2}", "", block, flags=re.M) for block in blocks]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``reel.mkv`` (three grey shots with a sound track) and ``refs/`` painting a frame of each."""
    root = tmp_path_factory.mktemp("examples")
    grey, _ = painted_photo_reel(root, (10, 12, 10), painted=(2, 14, 25))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(grey), "-f", "lavfi", "-i", "sine=d=1.4",
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "pcm_s16le", "-shortest",
         str(root / "reel.mkv")],
        check=True,
    )  # fmt: skip
    return root


def run_examples(blocks: list[str], cwd: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{script}\n--- stderr ---\n{done.stderr}"


def probe(path: Path) -> dict:
    command = ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(path)]
    streams = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    return {s["codec_type"]: s for s in streams["streams"]}


def test_the_ffmpeg_plugin_examples(workdir: Path) -> None:
    blocks = shell_blocks(ROOT / "plugins" / "ffmpeg" / "README.md")
    assert len(blocks) == 3
    run_examples(blocks, workdir)
    coloured, master = probe(workdir / "coloured.mkv"), probe(workdir / "master.mkv")
    assert coloured["video"]["nb_read_frames"] == str(FRAMES) and "audio" in coloured
    assert master["video"]["pix_fmt"] == "bgr0" or master["video"]["pix_fmt"].startswith("gbrp16")
    graded, preview = probe(workdir / "graded.mov"), probe(workdir / "preview.mp4")
    assert graded["video"]["codec_name"] == "prores" and "audio" in graded
    assert preview["video"]["height"] == 120
    assert preview["video"]["nb_read_frames"] == str(FRAMES)


def test_the_readme_integration_examples(workdir: Path) -> None:
    blocks = shell_blocks(ROOT / "README.md", "Integrations")
    assert blocks
    run_examples(blocks, workdir)
