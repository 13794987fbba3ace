"""EfficientNet-Lite0: TF padding, encoder features, ONNX export parity, runtime classifier."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from videocolor.bench import classifier as runtime
from videocolor.errors import ModelError

SAMPLE = Path("photos") / "train" / "imagenet_sample"
CLASSES = Path("photos") / "imagenet_classes.tsv"

# torch.export's own pytree code warns about its deprecated LeafSpec; nothing of ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec:FutureWarning")


def _photos(count: int) -> list[np.ndarray] | None:
    """``count`` imagenet_sample photos spread over the classes, or None without the data."""
    data = shared_data()
    if data is None or not (data / SAMPLE).is_dir():
        return None
    paths = runtime.image_files(data / SAMPLE)
    return [runtime.read_rgb(p) for p in paths[:: max(1, len(paths) // count)][:count]]


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("torch")
    from training.models.efficientnet_lite import efficientnet_lite0

    return efficientnet_lite0(pretrained=True).eval()


@pytest.fixture(scope="module")
def onnx_path(model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classifier exported once for the module (the export itself checks parity)."""
    from export.classifier import export_classifier, synthetic_images

    path = tmp_path_factory.mktemp("onnx") / "classifier.onnx"
    export_classifier(path, _photos(4) or synthetic_images(4))
    return path


@pytest.mark.parametrize("kernel", [3, 5])
@pytest.mark.parametrize("stride", [1, 2])
def test_same_padding_matches_tensorflow(kernel: int, stride: int) -> None:
    pytest.importorskip("torch")
    from training.models.efficientnet_lite import same_padding

    for size in range(1, 70):
        before, after = same_padding(size, kernel, stride)
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        assert (before, after) == (total // 2, total - total // 2)
        assert (size + before + after - kernel) // stride + 1 == math.ceil(size / stride)
    assert same_padding(224, 3, 2) == (0, 1)  # the extra pixel goes bottom/right
    assert same_padding(224, 5, 2) == (1, 2)
    assert same_padding(97, 3, 2) == (1, 1)


def test_features_strides_and_channels(model) -> None:
    import torch

    assert model.feature_channels == (16, 24, 40, 112, 320)
    assert model.feature_strides == (2, 4, 8, 16, 32)
    with torch.inference_mode():
        maps = model.features(torch.full((1, 3, 97, 130), 127.0))
    for fmap, channels, stride in zip(
        maps, model.feature_channels, model.feature_strides, strict=True
    ):
        assert fmap.shape == (1, channels, math.ceil(97 / stride), math.ceil(130 / stride))


@pytest.mark.slow
def test_onnx_matches_torch(model, onnx_path: Path) -> None:
    import onnx
    import torch

    images = [*(_photos(2) or []), np.full((300, 200), 90, np.uint8)]
    with torch.inference_mode():
        batch = np.stack([runtime.preprocess(image) for image in images])
        expected = model(torch.from_numpy(batch)).numpy()
    classifier = runtime.ImageNetClassifier(onnx_path)
    assert np.abs(classifier.logits(images, batch_size=2) - expected).max() < 1e-3
    assert classifier.logits(images[:1]).shape == (1, 1000)
    props = {p.key for p in onnx.load(str(onnx_path), load_external_data=False).metadata_props}
    assert {"input", "normalisation", "output", "source_weights"} <= props


@pytest.mark.slow
def test_features_export_with_dynamic_size(model, tmp_path: Path) -> None:
    """The colouriser exports the encoder at any frame size: SAME padding must follow the shape."""
    import onnxruntime as ort
    import torch

    class Features(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = model

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return tuple(self.encoder.features(x))

    dim = torch.export.Dim
    path = tmp_path / "features.onnx"
    torch.onnx.export(
        Features().eval(),
        (torch.full((1, 3, 64, 64), 127.0),),
        str(path),
        dynamo=True,
        verbose=False,
        dynamic_shapes=({2: dim("h", min=2), 3: dim("w", min=2)},),
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for height, width in [(97, 130), (64, 33)]:
        x = torch.from_numpy(np.random.default_rng(height).uniform(0, 255, (1, 3, height, width)))
        x = x.float()
        with torch.inference_mode():
            expected = model.features(x)
        actual = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        for got, want in zip(actual, expected, strict=True):
            assert got.shape == want.shape
            assert np.abs(got - want.numpy()).max() < 1e-3


@pytest.fixture
def photo_data() -> Path:
    """The shared data root; requested before ``onnx_path`` so a skip costs no export."""
    data = shared_data()
    if data is None or not (data / SAMPLE).is_dir():
        pytest.skip("imagenet_sample absent (set VIDEOCOLOR_DATA)")
    return data


@pytest.mark.slow
@pytest.mark.data
def test_accuracy_on_imagenet_sample(photo_data: Path, onnx_path: Path) -> None:
    files = runtime.image_files(photo_data / SAMPLE)
    paths = files[:: len(files) // 50][:50]
    labels = runtime.ImageNetLabels.from_tsv(photo_data / CLASSES)
    scores = runtime.ImageNetClassifier(onnx_path).evaluate(paths, labels)
    assert scores["top1"] >= 0.8, scores


def test_unusable_model_raises_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "absent.onnx"
    with pytest.raises(ModelError, match=f"python -m export.classifier -o {missing}"):
        runtime.ImageNetClassifier(missing)
    monkeypatch.delenv(runtime.MODEL_ENV, raising=False)
    monkeypatch.setattr(runtime, "PACKAGED_MODEL", missing)
    with pytest.raises(ModelError, match=r"`python -m export\.classifier`"):
        runtime.ImageNetClassifier()
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_text("not a model")
    with pytest.raises(ModelError, match="not a loadable ONNX model"):
        runtime.ImageNetClassifier(corrupt)
    monkeypatch.setenv(runtime.MODEL_ENV, str(tmp_path / "elsewhere.onnx"))
    assert runtime.default_model_path() == tmp_path / "elsewhere.onnx"


def test_preprocess_resizes_and_centre_crops() -> None:
    square = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    out = runtime.preprocess(square)
    assert out.dtype == np.float32
    assert np.array_equal(out, square[16:240, 16:240].transpose(2, 0, 1))
    for shape in [(480, 640, 3), (640, 480), (100, 150, 1), (224, 1000, 3)]:
        assert runtime.preprocess(np.zeros(shape, np.uint8)).shape == (3, 224, 224)
    with pytest.raises(ValueError, match="uint8"):
        runtime.preprocess(np.zeros((10, 10, 3), np.float32))


def test_labels_from_tsv(tmp_path: Path) -> None:
    tsv = tmp_path / "classes.tsv"
    tsv.write_text("".join(f"{i}\tn{i:08d}\tclass {i}\n" for i in range(1000)))
    labels = runtime.ImageNetLabels.from_tsv(tsv)
    assert labels.label_of_file("n00000042_some_thing.JPEG") == 42
    assert labels.names[42] == "class 42"
    with pytest.raises(ValueError, match="WordNet id"):
        labels.label_of_file("tench.jpg")
