"""The benchmarks on generated clips and photos: JSON schema, hand-checked scores, baselines,
reports, speed. Real data (DAVIS) is optional and skipped when absent."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from tests.clips import make_video, pattern_rgb
from videocolor.bench import endtoend
from videocolor.bench.data import find_clips, read_clip
from videocolor.bench.hints import sample_hints
from videocolor.bench.methods import CLI_FLAGS, VIDEO_METHODS, method_names
from videocolor.bench.metrics import temporal
from videocolor.bench.motion import InputMotion
from videocolor.bench.protocol import parse_protocol
from videocolor.bench.render import luma_codes
from videocolor.bench.video import VideoBench, run_video_bench
from videocolor.cli import main
from videocolor.errors import VideocolorError

METRIC_KEYS = {
    "psnr",
    "ssim",
    "qssim",
    "auc_ab",
    "auc_rgb",
    "cdc",
    "warp_error",
    "colorfulness",
    "fps",
}
TOP_KEYS = {"protocol", "dataset", "method", "clips", "pooled", "pooled_excl_refs", "speed"}
CLIP_KEYS = {"name", "frames"} | METRIC_KEYS
SPEED_KEYS = {"fps", "frames", "seconds", "peak_rss_mb"}
FRAMES = 8

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="the end-to-end bench needs the ffmpeg and ffprobe binaries",
)


def _write_frames(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for index, rgb in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:05d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Two clips: a folder of PNG frames and an H.264 file, 64x48."""
    root = tmp_path / "data"
    _write_frames(root / "pattern", [pattern_rgb(i, 64, 48) for i in range(FRAMES)])
    make_video(root / "movie.mp4", frames=FRAMES)
    return root


@pytest.fixture
def tinted(tmp_path: Path) -> Path:
    """One clip with a strong orange cast, where one global colour is already most of the truth."""
    tint = np.array([1.0, 0.7, 0.35])
    frames = [np.clip(pattern_rgb(i, 64, 48) * tint, 0, 255).astype(np.uint8) for i in range(6)]
    return _write_frames(tmp_path / "tinted" / "orange", frames).parent


def _run_json(args: list[str], out: Path) -> object:
    assert main(["-q", *args, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_video_json_schema_and_report(dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report = tmp_path / "report"
    results = _run_json(
        [
            "bench",
            "video",
            "--data",
            str(dataset),
            "--protocol",
            "ref0",
            "--method",
            "gray,global-transfer",
            "--method",
            "warp-only",
            "--report",
            str(report),
        ],
        tmp_path / "out.json",
    )
    assert [r["method"] for r in results] == ["gray", "global-transfer", "warp-only"]
    for result in results:
        assert result.keys() >= TOP_KEYS
        assert result["protocol"] == "ref0" and result["dataset"] == "data"
        assert result["psnr_convention"] == "mean of per-frame PSNR"
        assert [c["name"] for c in result["clips"]] == ["movie", "pattern"]
        for clip in result["clips"]:
            assert clip.keys() >= CLIP_KEYS and clip["frames"] == FRAMES
        assert result["pooled"].keys() >= METRIC_KEYS
        assert result["pooled_excl_refs"].keys() >= METRIC_KEYS
        assert result["pooled"]["frames"] == 2 * FRAMES
        assert result["pooled_excl_refs"]["frames"] == 2 * (FRAMES - 1)
        assert result["speed"].keys() >= SPEED_KEYS and result["speed"]["frames"] == 2 * FRAMES
        assert result["speed"]["peak_rss_mb"] > 0
    gray, _, warp_only = (r["pooled"] for r in results)
    assert gray["colorfulness"] == 0.0
    assert warp_only["psnr"] > gray["psnr"]
    text = (report / "report.md").read_text()
    assert "warp-only" in text and "sheets/pattern.png" in text
    for clip in ("movie", "pattern"):
        sheet = cv2.imread(str(report / "sheets" / f"{clip}.png"))
        assert sheet is not None and sheet.shape[0] > 5 * 48  # original, grey and 3 methods
        assert (report / "plots" / f"{clip}_psnr.png").stat().st_size > 0


def test_gray_psnr_is_the_hand_computed_one(dataset: Path, tmp_path: Path) -> None:
    result = _run_json(
        ["bench", "video", "--data", str(dataset), "--protocol", "ref0", "--method", "gray"],
        tmp_path / "gray.json",
    )
    assert isinstance(result, dict)  # one method: one object, not a list
    clip = next(c for c in result["clips"] if c["name"] == "pattern")
    for index in (0, 5):
        bgr = cv2.imread(str(dataset / "pattern" / f"{index:05d}.png"))
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        unit = rgb.astype(np.float32) / np.float32(255)
        luma = 0.299 * unit[..., 0] + 0.587 * unit[..., 1] + 0.114 * unit[..., 2]
        grey = np.repeat(np.rint(luma * 255)[..., None], 3, axis=2)  # BT.601, zero chroma
        mse = np.mean((grey - rgb.astype(np.float64)) ** 2)
        assert clip["psnr_frames"][index] == pytest.approx(10 * np.log10(255**2 / mse), abs=1e-9)
    assert clip["psnr"] == pytest.approx(np.mean(clip["psnr_frames"]))


def test_global_transfer_beats_gray_on_a_tinted_clip(tinted: Path) -> None:
    bench = run_video_bench(
        tinted, parse_protocol("ref0"), ["gray", "global-transfer"], progress=False
    )
    gray, transfer = (bench.scores[name][0] for name in ("gray", "global-transfer"))
    assert transfer.summary()["psnr"] > gray.summary()["psnr"] + 2.0
    assert transfer.summary(exclude_refs=True)["auc_ab"] > gray.summary()["auc_ab"]


def _bench_clip(
    dataset: Path, protocol: str, methods: list[str], clip: str, frames: int, through: str
) -> VideoBench:
    """``bench video`` on the first ``frames`` frames of one clip, without progress bars."""
    return run_video_bench(
        dataset,
        parse_protocol(protocol),
        methods,
        clips=[clip],
        max_frames=frames,
        progress=False,
        through=through,
    )


def test_product_method_runs_through_the_bench(dataset: Path) -> None:
    bench = _bench_clip(dataset, "every:3", ["videocolor", "gray"], "pattern", 5, "memory")
    product, gray = bench.scores["videocolor"][0], bench.scores["gray"][0]
    assert product.references == {0, 3} and len(product.frames) == 5
    assert product.summary()["psnr"] > gray.summary()["psnr"]
    assert product.seconds > 0


@needs_ffmpeg
def test_ffv1_path_runs_the_cli_and_agrees_with_memory(dataset: Path, tmp_path: Path) -> None:
    args = ["bench", "video", "--data", str(dataset), "--clips", "pattern", "--max-frames", "5"]
    results = _run_json(
        [*args, "--protocol", "ref0", "--method", "videocolor,gray"], tmp_path / "ffv1.json"
    )
    product, gray = results
    assert product["through"] == "ffv1"  # the default: the user's path
    assert gray["through"] == "memory"  # a baseline has no CLI
    assert product["pooled"]["frames"] == 5 and product["speed"]["seconds"] > 0
    memory = _bench_clip(dataset, "ref0", ["videocolor"], "pattern", 5, "memory")
    in_process = memory.scores["videocolor"][0].summary()["psnr"]
    assert product["pooled"]["psnr"] == pytest.approx(in_process, abs=0.05)
    assert product["pooled"]["psnr"] > gray["pooled"]["psnr"] + 5


@needs_ffmpeg
def test_h264_path_without_references(dataset: Path, tmp_path: Path) -> None:
    bench = _bench_clip(dataset, "auto", ["videocolor", "gray"], "movie", 4, "h264")
    product, gray = bench.scores["videocolor"][0], bench.scores["gray"][0]
    assert len(product.frames) == 4 and not product.references
    assert product.summary()["colorfulness"] > gray.summary()["colorfulness"] == 0.0


@needs_ffmpeg
def test_a_failing_cli_run_is_an_error_with_its_message(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # A flag table out of step with the CLI: the colorize run itself fails.
    monkeypatch.setitem(CLI_FLAGS, "videocolor", ("--match-every", "-1"))
    args = ["bench", "video", "--data", str(dataset), "--clips", "pattern", "--max-frames", "2"]
    assert main(["-q", *args, "--protocol", "ref0", "--json", str(tmp_path / "x.json")]) == 1
    error = capsys.readouterr().err
    assert "clip pattern, method videocolor: `python -m videocolor -q colorize" in error
    assert "exited with 2" in error and "--match-every: must be 0 or more" in error
    assert not (tmp_path / "x.json").exists()


@needs_ffmpeg
def test_unreadable_grey_file_and_unknown_matrix_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "grey.mkv"
    text.write_text("not a video\n")
    files = endtoend.ClipFiles(tmp_path, text, None)
    with pytest.raises(VideocolorError, match=r"exited with 1: videocolor: error: .*grey\.mkv"):
        endtoend.run_cli(endtoend.colorize_command(files, tmp_path / "out.mkv", []))
    fcc = tmp_path / "fcc.mkv"
    source = ["-f", "lavfi", "-i", "testsrc=size=32x24:rate=1", "-frames:v", "1"]
    tags = ["-colorspace", "fcc", "-color_range", "pc"]
    encode = ["-c:v", "ffv1", "-pix_fmt", "yuv444p", *tags, str(fcc)]
    subprocess.run(["ffmpeg", "-v", "error", *source, *encode], check=True)
    with pytest.raises(VideocolorError, match="colour matrix 'fcc'"):
        endtoend.read_rgb(fcc)


def test_protocols() -> None:
    assert parse_protocol("ref0").reference_indices(5) == [0]
    assert parse_protocol("every:2").reference_indices(5) == [0, 2, 4]
    assert parse_protocol("every:2").name == "every:2"
    assert parse_protocol("auto").reference_indices(5) == []
    for bad in ("every:0", "every:x", "ref1", ""):
        with pytest.raises(VideocolorError):
            parse_protocol(bad)


def test_auto_protocol_leaves_reference_baselines_grey(dataset: Path) -> None:
    bench = run_video_bench(
        dataset, parse_protocol("auto"), ["gray", "warp-only", "global-transfer"], progress=False
    )
    psnrs = {name: scores[0].summary()["psnr"] for name, scores in bench.scores.items()}
    assert psnrs["warp-only"] == psnrs["gray"] == psnrs["global-transfer"]


def test_method_names() -> None:
    assert method_names(["gray,warp-only", "gray"], VIDEO_METHODS, ["videocolor"]) == [
        "gray",
        "warp-only",
    ]
    assert method_names(None, VIDEO_METHODS, ["videocolor"]) == ["videocolor"]
    with pytest.raises(VideocolorError, match="unknown method nope"):
        method_names(["nope"], VIDEO_METHODS, [])


def test_bad_clip_name_is_one_line_error(dataset: Path, tmp_path: Path, capsys) -> None:
    args = ["bench", "video", "--data", str(dataset), "--protocol", "ref0", "--clips", "nope"]
    assert main([*args, "--json", str(tmp_path / "x.json")]) == 1
    assert "no clip named nope" in capsys.readouterr().err


def test_clips_from_folders_and_video_files(dataset: Path) -> None:
    entries = find_clips(dataset)
    assert [(e.name, e.frames) for e in entries] == [("movie", FRAMES), ("pattern", FRAMES)]
    decoded = read_clip(dataset / "movie.mp4", 3).astype(int)
    assert decoded.shape == (3, 48, 64, 3)
    assert np.abs(decoded[1] - pattern_rgb(1, 64, 48)).mean() < 8  # H.264 4:2:0, right matrix


def test_shared_motion_equals_the_warp_error_metric(dataset: Path) -> None:
    rgb = read_clip(dataset / "pattern")
    grey = [luma_codes(frame, "bt601") for frame in rgb]
    outputs = [np.roll(frame, index, axis=1) for index, frame in enumerate(rgb)]
    np.testing.assert_array_equal(
        InputMotion(grey).pair_errors(outputs), temporal.warp_error_pairs(outputs, grey)
    )


# --------------------------------------------------------------------------------- photos


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Three real photos named after (fake) WordNet ids, with a matching class table."""
    folder = tmp_path / "photos" / "test" / "set"
    folder.mkdir(parents=True)
    for number, name in enumerate(("astronaut", "chelsea", "coffee"), start=1):
        rgb = getattr(skimage.data, name)()
        small = cv2.resize(
            rgb, (rgb.shape[1] // 4, rgb.shape[0] // 4), interpolation=cv2.INTER_AREA
        )
        path = folder / f"n{number:08d}_{name}.png"
        cv2.imwrite(str(path), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    table = "\n".join(f"{i}\tn{i:08d}\tclass {i}" for i in range(1000))
    (tmp_path / "photos" / "imagenet_classes.tsv").write_text(table + "\n")
    return folder


def test_images_with_hints(photos: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report = tmp_path / "report"
    results = _run_json(
        ["bench", "images", "--data", str(photos), "--hints", "30", "--report", str(report)],
        tmp_path / "images.json",
    )
    network, gray, fill = results
    assert [r["method"] for r in results] == ["videocolor", "gray", "hints-fill"]
    for result in results:
        assert result["mode"] == "hints" and result["hints"] == 30
        assert [row["name"] for row in result["images"]] == [
            "n00000001_astronaut",
            "n00000002_chelsea",
            "n00000003_coffee",
        ]
        keys = {"images", "psnr", "ssim", "qssim", "auc_ab", "auc_rgb", "colorfulness"}
        assert keys <= result["pooled"].keys()
        if result["semantic"] is None:  # the classifier ONNX is generated, not shipped
            assert "classifier" in result["semantic_note"]
        else:
            semantic = result["semantic"]
            assert {"original", "grey", "colorized", "gap_recovered"} <= semantic.keys()
            for key, (low, high) in semantic["gap_recovered_95"].items():
                gap = semantic["gap_recovered"][key]
                assert gap is None or low <= gap <= high  # JSON writes nan as null
            assert set(semantic["original"]) == {"top1", "top5"}
    assert fill["pooled"]["psnr"] > gray["pooled"]["psnr"]
    assert fill["pooled"]["auc_ab"] > gray["pooled"]["auc_ab"]
    assert network["pooled"]["psnr"] > gray["pooled"]["psnr"]
    assert gray["pooled"]["colorfulness"] == 0.0
    assert "hints-fill" in (report / "report.md").read_text()
    assert cv2.imread(str(report / "sheets" / "photos.png")) is not None


def test_images_without_wordnet_ids_skip_semantics(photos: Path, tmp_path: Path) -> None:
    for path in photos.iterdir():
        path.rename(path.with_name(path.name.split("_", 1)[1]))
    result = _run_json(
        ["bench", "images", "--data", str(photos), "--method", "gray"], tmp_path / "auto.json"
    )
    assert result["mode"] == "auto" and result["semantic"] is None
    assert "WordNet id" in result["semantic_note"]


def test_hints_are_reproducible_patches() -> None:
    true_ab = np.random.default_rng(1).normal(0, 20, (40, 50, 2)).astype(np.float32)
    first, again = sample_hints(true_ab, 7, "a.png"), sample_hints(true_ab, 7, "a.png")
    np.testing.assert_array_equal(first.mask, again.mask)
    assert 9 <= first.mask.sum() <= 7 * 9  # 3x3 patches, possibly overlapping
    inside = first.mask > 0
    np.testing.assert_array_equal(first.ab[inside], true_ab[inside])
    assert not first.ab[~inside].any()
    assert not np.array_equal(sample_hints(true_ab, 7, "b.png").mask, first.mask)


# ---------------------------------------------------------------------------------- speed


def test_speed_bench(dataset: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "speed.json"
    args = ["bench", "speed", "--data", str(dataset / "pattern"), "--sizes", "64x48,96x64"]
    assert main([*args, "--frames", "6", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "end_to_end" in table and "96x64" in table
    result = json.loads(out.read_text())
    assert [clip["size"] for clip in result["clips"]] == ["64x48", "96x64"]
    for clip in result["clips"]:
        assert clip["frames"] == 6
        stages = {"decode", "flow", "network", "fill_upsample", "encode", "floor", "end_to_end"}
        stages |= {"end_to_end_network"}
        assert all(clip["fps"][stage] > 0 for stage in stages)
        assert clip["peak_rss_mb"] > 0


# ------------------------------------------------------------------------------ real data


@pytest.mark.data
def test_davis_gray_baseline_is_in_the_published_range(data_dir: Path) -> None:
    davis = data_dir / "video" / "davis2016_val_480p"
    if not davis.is_dir():
        pytest.skip("DAVIS-2016 validation clips absent")
    bench = run_video_bench(
        davis, parse_protocol("ref0"), ["gray"], clips=["blackswan"], max_frames=3, progress=False
    )
    scores = bench.scores["gray"][0]
    assert 18 < scores.summary()["psnr"] < 30  # ~22 dB on blackswan
    assert len(scores.frames) == 3 and bench.dataset == "davis2016_val_480p"
