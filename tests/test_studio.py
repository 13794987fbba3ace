"""The studio's HTTP API: every endpoint, on a generated two-shot reel (320x240, 8 + 8 frames).

The studio is opened once for the module (shot detection, suggestions and the network load are
its expensive part); tests that change its references use frames no other test relies on.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio extra (fastapi) is not installed")
pytest.importorskip("httpx2", reason="FastAPI's TestClient needs httpx2")

from fastapi.testclient import TestClient

from tests.clips import painted_photo_reel
from videocolor.cli import main
from videocolor.color import decode_luma
from videocolor.io import read_all_luma
from videocolor.studio import app as app_module
from videocolor.studio import session as session_module
from videocolor.studio.app import create_app
from videocolor.studio.session import Studio
from videocolor.studio.workspace import Workspace, WorkspacePathError


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A grey two-shot reel and a folder of its frames 3, 5 and 12 in true colour."""
    return painted_photo_reel(tmp_path_factory.mktemp("reel"), (8, 8), (3, 5, 12))


@pytest.fixture(scope="module")
def studio(reel: tuple[Path, Path]) -> Studio:
    grey, _ = reel
    opened = Studio(grey, workspace=grey.parent / "grey.mkv.studio")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(studio: Studio) -> TestClient:
    return TestClient(create_app(studio))


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> object:
    """The first truthy value of ``condition``, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def upload(client: TestClient, data: bytes, name: str, frame: int | None = None):
    fields = {} if frame is None else {"frame": str(frame)}
    return client.post("/api/refs", files={"file": (name, data, "image/png")}, data=fields)


def png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def decode(data: bytes) -> np.ndarray:
    return cv2.cvtColor(
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )


# ---------------------------------------------------------------------------- the reel


def test_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "static/app.js" in page.text
    for asset, kind in (("app.js", "javascript"), ("style.css", "css")):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert "http" not in client.get("/").text.split("<body>")[0].replace("http-equiv", "")


def test_reel_lists_shots_transitions_thumbnails_and_suggestions(client: TestClient) -> None:
    reel = client.get("/api/reel").json()
    assert (reel["width"], reel["height"], reel["frame_count"]) == (320, 240, 16)
    shots = reel["shots"]
    assert [(s["start"], s["end"]) for s in shots] == [(0, 7), (8, 15)]
    assert shots[0]["transition_after"]["kind"] == "cut" and shots[0]["transition_before"] is None
    assert shots[0]["duration_s"] == pytest.approx(8 / 24, abs=1e-3)
    for shot in shots:
        assert shot["suggested"], "every shot has a keyframe to paint"
        for suggested in shot["suggested"]:
            assert shot["start"] <= suggested["frame"] <= shot["end"] and suggested["reason"]
        thumbnail = client.get(shot["thumbnail"])
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"


def test_frame_to_paint_is_the_canvas_refs_suggest_writes(client: TestClient, reel) -> None:
    grey, _ = reel
    response = client.get("/api/frames/6.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert 'filename="000006.png"' in response.headers["content-disposition"]
    canvas = decode(response.content)
    info, lumas = read_all_luma(grey)
    assert canvas.shape == (240, 320, 3)
    assert np.array_equal(canvas[..., 0], canvas[..., 2])
    full_range = np.rint(decode_luma(lumas[6], info.code_range) * 255.0)
    assert np.abs(canvas[..., 0] - full_range).max() <= 1
    assert client.get("/api/frames/16.png").status_code == 400


# ---------------------------------------------------------------------------- uploads


def test_a_painted_frame_dropped_in_is_checked_and_used(
    client: TestClient, studio: Studio, reel
) -> None:
    _, refs = reel
    response = upload(
        client, (refs / "000003.png").read_bytes(), "000003.png"
    )  # frame from the name
    assert response.status_code == 200
    painted = response.json()
    assert (painted["frame"], painted["shot"], painted["status"], painted["used"]) == (
        3,
        0,
        "OK",
        True,
    )
    assert (studio.workspace.refs / "000003.png").is_file()
    image = client.get("/api/refs/3/image")
    assert image.status_code == 200 and image.content == (refs / "000003.png").read_bytes()
    shot = client.get("/api/reel").json()["shots"][0]
    assert [p["frame"] for p in shot["painted"]] == [3]


def test_a_painted_image_of_another_frame_is_shown_not_used(
    client: TestClient, studio: Studio, reel
) -> None:
    _, refs = reel
    painted = upload(client, (refs / "000003.png").read_bytes(), "anything.png", frame=13).json()
    assert painted["status"] == "ERROR" and not painted["used"]
    messages = " ".join(f["message"] for f in painted["findings"])
    assert "does not show frame 13" in messages and "frame 3" in messages
    assert not list(studio.workspace.refs.glob("000013.*"))
    assert (studio.workspace.rejected / "000013.png").is_file()
    assert client.get("/api/refs/13/image").status_code == 200  # shown, to see what is wrong
    shown = client.get("/api/reel").json()["shots"][1]["painted"]
    assert [(p["frame"], p["used"]) for p in shown] == [(13, False)]


def test_a_painted_frame_with_altered_tones_is_flagged(client: TestClient, reel) -> None:
    _, refs = reel
    rgb = cv2.cvtColor(cv2.imread(str(refs / "000005.png")), cv2.COLOR_BGR2RGB)
    darker = np.rint(255.0 * (rgb / 255.0) ** 1.8).astype(np.uint8)
    painted = upload(client, png(darker), "000005.png").json()
    assert painted["status"] == "WARN"
    assert any("tones differ" in f["message"] for f in painted["findings"])


@pytest.mark.parametrize(
    ("name", "data", "frame", "status", "says"),
    [
        ("000004.png", b"not a picture at all", None, 400, "not a readable image"),
        ("000004.txt", b"hello", None, 400, "not a reference image"),
        ("painted.png", None, None, 400, "no frame number"),
        ("000099.png", None, None, 400, "outside the reel"),
        ("frame.png", None, -1, 400, "outside the reel"),
    ],
)
def test_bad_uploads_are_refused(client, reel, name, data, frame, status, says) -> None:
    _, refs = reel
    data = data if data is not None else (refs / "000005.png").read_bytes()
    response = upload(client, data, name, frame)
    assert response.status_code == status and says in response.json()["error"]


def test_an_upload_over_the_size_cap_is_refused(client, reel, monkeypatch) -> None:
    _, refs = reel
    monkeypatch.setattr(app_module, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(session_module, "MAX_UPLOAD_BYTES", 1000)
    response = upload(client, (refs / "000005.png").read_bytes(), "000004.png")
    assert response.status_code == 413 and "at most" in response.json()["error"]


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "path",
    [
        "/files/../../grey.mkv",
        "/files/..%2F..%2Fgrey.mkv",
        "/files/%2e%2e/%2e%2e/grey.mkv",
        "/files/thumbs/..%2F..%2Fgrey.mkv",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/thumbs",
        "/files/outside-link",
        "/files/no-such-file.jpg",
    ],
)
def test_files_come_only_from_the_workspace(client: TestClient, studio: Studio, path: str) -> None:
    link = studio.workspace.root / "outside-link"
    if not link.is_symlink():
        link.symlink_to(studio.reel)
    response = client.get(path)
    assert response.status_code == 404
    assert b"\x1a\x45\xdf\xa3" not in response.content  # not the reel (a Matroska header)


def test_workspace_refuses_paths_that_leave_it(tmp_path: Path) -> None:
    reel = tmp_path / "reel.mkv"
    reel.write_bytes(b"x")
    workspace = Workspace.for_reel(reel)
    assert workspace.root == tmp_path / "reel.mkv.studio"
    (workspace.thumbs / "a.jpg").write_bytes(b"y")
    assert workspace.file("thumbs/a.jpg") == workspace.thumbs / "a.jpg"
    for bad in ("../reel.mkv", str(reel), "thumbs/../../reel.mkv", "", "."):
        with pytest.raises(WorkspacePathError):
            workspace.file(bad)


# ---------------------------------------------------------------------------- point hints


def test_point_hints_recolour_the_keyframe(client: TestClient) -> None:
    centre = {"x": 0.5, "y": 0.5}
    plain = decode(client.post("/api/hints/10", json={"hints": []}).content)
    green = client.post("/api/hints/10", json={"hints": [{**centre, "color": "#10c020"}]})
    assert green.status_code == 200 and green.headers["content-type"] == "image/jpeg"
    hinted = decode(green.content).astype(int)
    assert hinted.shape[:2] == (240, 320)  # the preview resolution of a 240-line reel
    r, g, b = hinted[115:125, 155:165].reshape(-1, 3).mean(axis=0)
    assert g > r + 20 and g > b + 20, (r, g, b)
    assert not np.array_equal(plain, decode(green.content))
    grey_levels = np.abs(hinted.mean(axis=-1) - plain.astype(int).mean(axis=-1)).mean()
    assert grey_levels < 12  # the film's tones stay


@pytest.mark.parametrize(
    "hint",
    [{"x": 1.5, "y": 0.5, "color": "#ff0000"}, {"x": 0.5, "y": 0.5, "color": "red"}, {"x": 0.5}],
)
def test_bad_hints_are_refused(client: TestClient, hint: dict) -> None:
    assert client.post("/api/hints/10", json={"hints": [hint]}).status_code == 422
    assert client.post("/api/hints/99", json={"hints": []}).status_code == 400


def test_a_hinted_keyframe_is_saved_as_a_painted_reference(
    client: TestClient, studio: Studio
) -> None:
    hints = [{"x": 0.3, "y": 0.4, "color": "#2040e0"}, {"x": 0.7, "y": 0.6, "color": "#e0a020"}]
    painted = client.post("/api/hints/11/save", json={"hints": hints}).json()
    assert (painted["frame"], painted["origin"], painted["used"]) == (11, "hints", True)
    assert painted["status"] != "ERROR"
    saved = cv2.imread(str(studio.workspace.refs / "000011.png"))
    assert saved.shape == (240, 320, 3) and saved.std(axis=-1).mean() > 2  # coloured, full size
    assert client.post("/api/hints/11/save", json={"hints": []}).status_code == 400


# ---------------------------------------------------------------------------- previews


def test_a_preview_colours_the_shot_with_its_confidence(client: TestClient) -> None:
    started = client.post("/api/previews/0")
    assert started.status_code == 202 and started.json()["total"] == 8
    done = wait_for(lambda: (p := client.get("/api/previews/0").json())["state"] == "done" and p)
    assert done["error"] is None and len(done["frames"]) == 8
    assert [f["frame"] for f in done["frames"]] == list(range(8))
    keyframes = set(done["keyframes"])
    assert keyframes and not done["automatic"]  # frame 3 was painted and checked OK
    by_frame = {f["frame"]: f for f in done["frames"]}
    for frame in keyframes:
        assert by_frame[frame]["confidence"] > 0.99
    after = done["paint_next"]  # refs suggest --add 1 for the shot, frame 3 painted
    assert after["frame"] not in keyframes and after["reason"].startswith(
        f"frame {after['frame']}:"
    )
    assert after["confidence"] == by_frame[after["frame"]]["confidence"]
    first = done["frames"][0]
    for key, kind in (("before", "image/jpeg"), ("after", "image/jpeg"), ("unsure", "image/png")):
        response = client.get(first[key])
        assert response.status_code == 200 and response.headers["content-type"] == kind
    before, after = (
        decode(client.get(first["before"]).content),
        decode(client.get(first["after"]).content),
    )
    assert before.std(axis=-1).mean() < 1 < after.std(axis=-1).mean()


def test_a_preview_of_a_missing_shot_is_refused(client: TestClient) -> None:
    assert client.post("/api/previews/7").status_code == 404
    assert client.get("/api/previews/5").status_code == 404


# ---------------------------------------------------------------------------- renders


def test_a_render_runs_once_with_progress_and_can_resume(
    client: TestClient, studio: Studio
) -> None:
    assert client.post("/api/renders", json={"command": "print"}).status_code == 422
    first = client.post("/api/renders", json={"command": "colorize"})
    assert first.status_code == 202
    job = first.json()
    assert "--resume" in job["argv"] and "--refs" in job["argv"]
    again = client.post("/api/renders", json={"command": "colorize"})  # a second tab, a reload
    assert again.status_code == 409 and again.json()["number"] == job["number"]
    done = wait_for(
        lambda: (s := client.get("/api/renders").json())["state"] != "running" and s, 120
    )
    assert done["state"] == "done", done["log"]
    assert done["total"] == 16 and done["done"] == 16 and done["task"] == "colourising"
    info, _ = read_all_luma(done["output"])
    assert (info.width, info.height) == (320, 240)
    assert Path(done["output"]).parent == studio.workspace.renders
    assert (
        client.post("/api/renders", json={"command": "colorize"}).json()["number"]
        == job["number"] + 1
    )
    wait_for(lambda: client.get("/api/renders").json()["state"] != "running", 120)


def test_a_render_passes_the_cluster_address_through(studio: Studio) -> None:
    from videocolor.studio.jobs import RenderRequest

    argv = studio.renders.argv(
        RenderRequest("handoff", "ray://head:10001"), studio.reel, None, None
    )
    assert argv[argv.index("--cluster") + 1] == "ray://head:10001" and "handoff" in argv
    with pytest.raises(ValueError):
        RenderRequest("colorize", "--evil")


# ---------------------------------------------------------------------------- access


def test_with_a_token_every_request_needs_it(studio: Studio) -> None:
    guarded = TestClient(create_app(studio, token="s3cret"))
    assert guarded.get("/api/reel").status_code == 403
    assert guarded.get("/").status_code == 403
    assert guarded.get("/api/reel?token=wrong").status_code == 403
    assert guarded.get("/api/reel?token=s3cret").status_code == 200
    assert guarded.get("/api/reel", headers={"X-Studio-Token": "s3cret"}).status_code == 200
    assert guarded.get("/static/app.js").status_code == 200  # the package's own files


def test_without_a_token_only_local_addresses_are_answered(client: TestClient) -> None:
    assert client.get("/api/reel", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/reel", headers={"Host": "127.0.0.1:8765"}).status_code == 200


# ---------------------------------------------------------------------------- the command


def test_a_missing_reel_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studio", "missing.mkv", "--no-browser"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["videocolor: error: missing.mkv: no such file"]


def test_a_port_in_use_is_one_error_line(reel, capsys: pytest.CaptureFixture[str]) -> None:
    grey, _ = reel
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["studio", str(grey), "--no-browser", "--port", str(port)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"port {port} on 127.0.0.1 is in use" in err[0]


def test_progress_json_reports_every_task(tmp_path: Path, reel) -> None:
    grey, _ = reel
    progress = tmp_path / "progress.jsonl"
    assert main(["--progress-json", str(progress), "shots", str(grey)]) == 0
    import json

    lines = [json.loads(line) for line in progress.read_text().splitlines()]
    assert lines[0]["task"] == "shots" and lines[-1]["final"] and lines[-1]["done"] == 16
    os.remove(progress)
