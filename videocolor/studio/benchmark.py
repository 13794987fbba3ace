"""How responsive the studio is: ``python -m videocolor.studio.benchmark [--runs N]``.

Measures what a colourist waits for, through the HTTP layer as the page calls it: a point hint
recolouring a keyframe of a 480p reel at the preview resolution, and the first preview frame of
a 100-frame 480p shot. The reel is generated (a camera panning across a textured picture, one
shot, H.264) into a temporary folder; the studio's opening analysis is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FRAMES = 854, 480, 100


def _picture(width: int, height: int) -> np.ndarray:
    """A smooth colourful picture with texture, wider than the frame for panning (uint8 RGB)."""
    rng = np.random.default_rng(3)
    coarse = rng.uniform(0, 255, (height // 40, width // 40, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(rng.normal(0, 30, (height, width, 1)).astype(np.float32), (0, 0), 1.5)
    return np.clip(smooth + grain[..., None], 0, 255).astype(np.uint8)


def make_reel(path: Path) -> Path:
    """A 100-frame 854x480 grey H.264 shot panning 3 pixels a frame."""
    picture = _picture(WIDTH + 3 * FRAMES, HEIGHT)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(FRAMES):
            rgb = np.ascontiguousarray(picture[:, 3 * index : 3 * index + WIDTH])
            grey = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            frame = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, 24)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def measure(runs: int) -> dict[str, float]:
    """Seconds: median point-hint round trip and first preview frame (median of ``runs``)."""
    from fastapi.testclient import TestClient

    from videocolor.studio.app import create_app
    from videocolor.studio.session import Studio

    with tempfile.TemporaryDirectory() as folder:
        reel = make_reel(Path(folder) / "reel480.mp4")
        studio = Studio(reel)
        client = TestClient(create_app(studio))
        hints = [{"x": 0.3, "y": 0.4, "color": "#d03a2a"}]
        client.post("/api/hints/50", json={"hints": hints})  # the first run warms onnxruntime
        hint_times = []
        for run in range(runs):
            hints.append({"x": 0.1 + 0.08 * run, "y": 0.6, "color": "#2040e0"})
            started = time.perf_counter()
            response = client.post("/api/hints/50", json={"hints": hints})
            hint_times.append(time.perf_counter() - started)
            response.raise_for_status()
        first_frames = []
        for _ in range(runs):
            started = time.perf_counter()
            client.post("/api/previews/0").raise_for_status()
            while not client.get("/api/previews/0").json()["frames"]:
                time.sleep(0.01)
            first_frames.append(time.perf_counter() - started)
            while client.get("/api/previews/0").json()["state"] == "running":
                time.sleep(0.05)
        studio.close()
    return {
        "hint_s": statistics.median(hint_times),
        "hint_max_s": max(hint_times),
        "first_preview_frame_s": statistics.median(first_frames),
        "first_preview_frame_max_s": max(first_frames),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    args = parser.parse_args()
    for name, seconds in measure(args.runs).items():
        print(f"{name}: {seconds:.3f}")


if __name__ == "__main__":
    main()
