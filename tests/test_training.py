"""The colourisation network's training pipeline and ONNX export, end to end on real photos.

The smoke config trains a few dozen steps on scikit-image's bundled photos (no shared data
needed) and must lower its validation loss; the checkpoint is then exported and served by the
runtime, which must agree with torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from videocolor.colorizers.network import ColorNetwork

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _module(*args: str) -> subprocess.CompletedProcess:
    """``python -m ARGS`` from the project root, as a user runs training and export."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("smoke")
    done = _module("training.train", "--config", "training/configs/smoke.toml", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    return out, json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def smoke_model(smoke_run: tuple[Path, dict]) -> Path:
    out, _ = smoke_run
    model = out / "smoke.onnx"
    done = _module(
        "export.onnx",
        str(out / "last.pt"),
        "-o",
        str(model),
        "--images",
        str(out / "no-such-folder"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "parity max" in done.stdout
    return model


def test_smoke_training_lowers_validation_loss(smoke_run: tuple[Path, dict]) -> None:
    out, result = smoke_run
    assert result["step"] == 40
    assert result["last_val"] < result["first_val"]
    events = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in events if e["event"] == "val"] == [0, 20, 40]
    assert (out / "loss.png").stat().st_size > 1000
    assert (out / "best.pt").exists()


def test_resume_continues_from_the_checkpoint(smoke_run: tuple[Path, dict]) -> None:
    out, _ = smoke_run
    done = _module(
        "training.train",
        "--config",
        "training/configs/smoke.toml",
        "--out",
        str(out),
        "--resume",
        "--steps",
        "45",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed at step 40" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1])["step"] == 45


def test_export_is_one_opset_17_file_with_its_contract(smoke_model: Path) -> None:
    import onnx

    proto = onnx.load(str(smoke_model), load_external_data=False)
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17
    assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer)
    meta = {p.key: p.value for p in proto.metadata_props}
    for key in (
        "videocolor.version",
        "color_space",
        "input_ranges",
        "working_resolution",
        "trained_on",
    ):
        assert meta[key]
    assert smoke_model.stat().st_size < 20e6


def test_runtime_matches_torch_at_any_multiple_of_32(smoke_run, smoke_model: Path) -> None:
    import torch

    from export.onnx import load_model

    torch_model, _ = load_model(smoke_run[0] / "last.pt")
    network = ColorNetwork(smoke_model, device="cpu")
    rng = np.random.default_rng(1)
    for height, width in ((64, 96), (96, 160)):
        luma = rng.random((height, width), np.float32)
        hint = rng.uniform(-40, 40, (height, width, 2)).astype(np.float32)
        conf = (rng.random((height, width)) > 0.7).astype(np.float32)
        ours = network.raw(luma, hint, conf)
        with torch.no_grad():
            theirs = (
                torch_model(
                    torch.from_numpy(luma)[None, None],
                    torch.from_numpy(hint.transpose(2, 0, 1).copy())[None],
                    torch.from_numpy(conf)[None, None],
                )[0]
                .numpy()
                .transpose(1, 2, 0)
            )
        assert ours.shape == (height, width, 2)
        assert np.abs(ours - theirs).max() < 1e-3


def test_hint_simulation_marks_what_it_degraded() -> None:
    pytest.importorskip("torch")
    from training import data as td

    rng = np.random.default_rng(3)
    photo = td.sample_photos()[1]  # chelsea the cat
    luma, ab = td.luma_and_ab(np.ascontiguousarray(photo[:128, :128]))
    hint, conf = td.point_hints(rng, ab, count=7)
    assert 7 <= (conf > 0).sum() <= 7 * 25 and np.all(hint[conf == 0] == 0)
    for _ in range(5):
        hint, conf = td.dense_hints(rng, luma, ab, -ab)
        error = np.abs(hint - ab).sum(axis=-1)
        trusted, doubted = conf >= 0.7, conf < 0.3
        if trusted.any() and doubted.any():
            assert error[trusted].mean() < error[doubted].mean()
    assert conf.min() >= 0.0 and conf.max() <= 1.0


def test_video_chains_are_the_engines_propagated_frames(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from tests.clips import make_video
    from training import data as td

    clip = make_video(tmp_path / "clip.mp4", frames=12, width=96, height=64)
    frames = td.video_chains([clip], np.random.default_rng(0), (0, 5), lines=48, crop=40)
    # every frame but the keyframes, once per scheme: 11 from frame 0, 12 - 3 or 12 - 2 from
    # keyframes every 5 frames
    assert 11 + 9 <= len(frames["luma"]) <= 11 + 10
    assert frames["luma"].shape[1:] == (40, 40) and frames["hint_ab"].shape[1:] == (40, 40, 2)
    assert frames["luma"].dtype == np.uint8 and frames["hint_conf"].max() > 200
    truth = frames["ab"].astype(float) - 128
    hint = frames["hint_ab"].astype(float) - 128
    assert np.abs(hint - truth).mean() < np.abs(truth).mean()  # the chains carried real colour


def test_a_checkpoint_without_the_present_hint_planes_keeps_its_output() -> None:
    torch = pytest.importorskip("torch")
    from training.models.colornet import ColorNet, ColorNetConfig
    from training.train import widen_hint_input

    torch.manual_seed(0)
    before = ColorNet(ColorNetConfig(pretrained=False)).eval()
    state = before.state_dict()
    key = "hints.levels.0.0.weight"
    with torch.no_grad():
        state[key][:, 4:] = 0  # the planes an older checkpoint did not have contribute nothing
    before.load_state_dict(state)
    older = {**state, key: state[key][:, :4].clone()}
    after = ColorNet(ColorNetConfig(pretrained=False)).eval()
    after.load_state_dict(widen_hint_input(older, after.state_dict()))
    luma, hint = torch.rand(1, 1, 64, 64), torch.randn(1, 2, 64, 64) * 30
    conf = (torch.rand(1, 1, 64, 64) > 0.5).float() * torch.rand(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(before(luma, hint, conf), after(luma, hint, conf))


def test_feature_export_reproduces_the_bundled_matching_model(tmp_path: Path) -> None:
    """``python -m export.features`` writes a parity-checked file that computes what the bundled
    ``matching_features.onnx`` computes, so the shipped model is reproducible from its source."""
    pytest.importorskip("torch")
    from skimage import data as photos

    from videocolor import color
    from videocolor.colorizers.matcher import ReferenceMatcher

    model = tmp_path / "features.onnx"
    done = _module("export.features", "-o", str(model), "--images", str(tmp_path / "none"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "parity max" in done.stdout
    luma = color.rgb_to_luma(photos.coffee().astype(np.float32) / 255.0)
    exported = ReferenceMatcher(model, device="cpu").features(luma)
    bundled = ReferenceMatcher(device="cpu").features(luma)
    assert exported.shape == bundled.shape == (288 // 8, 432 // 8, 152)
    assert np.abs(exported - bundled).max() < 1e-4


def test_matching_head_trains_and_exports_with_its_temperature(tmp_path: Path) -> None:
    """``python -m training.matching`` learns the head from clips (the held-aside clip's matched
    colour gets no worse than the untrained trunk's) and ``export.features --head`` ships it with
    the temperature it learnt, which the runtime matcher then uses."""
    pytest.importorskip("torch")
    from skimage import data as photos

    from tests.clips import make_video, photo_pan
    from videocolor.colorizers.matcher import ReferenceMatcher

    clips = tmp_path / "data" / "video" / "train"
    clips.mkdir(parents=True)
    for name in ("astronaut", "coffee", "chelsea"):
        photo = getattr(photos, name)()
        make_video(
            clips / f"{name}.mp4", frames=10, width=192, height=144, picture=photo_pan(photo, 6)
        )
    run = tmp_path / "run"
    done = _module(
        "training.matching",
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(run),
        "--steps",
        "20",
        "--hidden",
        "16",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["best_val_abs_ab"] <= result["untrained_abs_ab"]
    assert (run / "loss.png").stat().st_size > 0 and (run / "log.jsonl").is_file()

    model = tmp_path / "features.onnx"
    done = _module(
        "export.features",
        "--head",
        str(run / "head.pt"),
        "-o",
        str(model),
        "--images",
        str(tmp_path / "none"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import torch

    learnt = float(torch.load(run / "head.pt", weights_only=True)["head"]["log_temperature"].exp())
    assert learnt != 0.05
    assert ReferenceMatcher(model, device="cpu").temperature == pytest.approx(learnt, rel=1e-5)


def test_recovered_checkpoint_reproduces_the_bundled_network(tmp_path: Path) -> None:
    """``python -m training.recover`` turns the shipped ONNX file back into trainable weights that
    compute what the file computes, and fine-tuning with ``frozen_norm`` keeps computing it
    (batch statistics would not: the recovered batch-norms stand for the identity)."""
    torch = pytest.importorskip("torch")
    from training.models.colornet import ColorNet, ColorNetConfig
    from training.train import training_mode

    checkpoint = tmp_path / "recovered.pt"
    done = _module("training.recover", "-o", str(checkpoint))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "max |torch - onnxruntime|" in done.stdout
    model = ColorNet(ColorNetConfig(pretrained=False))
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    rng = np.random.default_rng(2)
    luma = rng.random((64, 96), np.float32)
    hint = rng.uniform(-40, 40, (64, 96, 2)).astype(np.float32)
    conf = (rng.random((64, 96)) > 0.7).astype(np.float32)
    bundled = ColorNetwork(device="cpu").raw(luma, hint, conf)
    inputs = (
        torch.from_numpy(luma)[None, None],
        torch.from_numpy(hint.transpose(2, 0, 1).copy())[None],
        torch.from_numpy(conf)[None, None],
    )

    def run() -> np.ndarray:
        with torch.no_grad():
            return model(*inputs)[0].numpy().transpose(1, 2, 0)

    training_mode(model, frozen_norm=True)
    assert np.abs(run() - bundled).max() < 1e-3
    training_mode(model)
    assert np.abs(run() - bundled).max() > 1.0
