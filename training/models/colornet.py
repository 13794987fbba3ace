"""The hint-conditioned colourisation network: luma + hint chroma + hint confidence → CIELAB ab.

One model serves the three jobs of the product: automatic colour (no hints), user points and
scribbles (sparse hints) and propagation (the engine's warped chroma with its per-pixel
confidence: dense hints with holes and errors). Semantics come from the ImageNet-pretrained
EfficientNet-Lite0 fed the luma as grey RGB; hints enter through their own small pyramid that
joins the decoder at every scale, and a per-pixel gate lets the output copy a trusted hint
exactly instead of re-synthesising it (the gate may open fully for any confidence above 0.001, so
even a hint the engine barely trusts can pass unchanged when the network agrees with it).

Tensor contract (also written into the ONNX metadata by :mod:`export.onnx`):
``luma`` (N,1,H,W) Y' in [0, 1]; ``hint_ab`` (N,2,H,W) CIELAB a/b in their natural units (about
-110..110); ``hint_conf`` (N,1,H,W) in [0, 1], 0 meaning "no hint". Output ``ab`` (N,2,H,W) CIELAB.
H and W are multiples of 32.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.models.efficientnet_lite import efficientnet_lite0

AB_SCALE = 110.0  # a/b are divided by this inside the network so they sit in about [-1, 1]
MULTIPLE = 32  # the encoder's coarsest stride: inputs must be a multiple of it
HINT_PRESENT = 1000.0  # confidence x this, clamped to 1, bounds the gate towards the hint


@dataclass(frozen=True)
class ColorNetConfig:
    decoder_widths: tuple[int, ...] = (128, 96, 64, 48, 32, 24)  # stride 32, 16, 8, 4, 2, 1
    hint_widths: tuple[int, ...] = (16, 24, 32, 48, 64)  # stride 1, 2, 4, 8, 16
    pretrained: bool = True


def conv_bn_relu(inputs: int, outputs: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU(inplace=True),
    )


class DecoderBlock(nn.Module):
    """Upsample the coarser map 2x and mix it with the skips of this scale."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.mix = nn.Sequential(conv_bn_relu(inputs, outputs), conv_bn_relu(outputs, outputs))

    def forward(self, coarse: torch.Tensor, *skips: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(coarse, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.mix(torch.cat([up, *skips], dim=1))


#: Input channels of the hint pyramid: luma, confidence-weighted ab, confidence, and the ab of any
#: present hint however little trusted (so the network can judge a barely trusted fill by its
#: colour instead of seeing nothing there).
HINT_CHANNELS = 6


class HintPyramid(nn.Module):
    """Hint features at strides 1..16 from the :data:`HINT_CHANNELS` hint planes."""

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        layers, inputs = [], HINT_CHANNELS
        for level, width in enumerate(widths):
            layers.append(conv_bn_relu(inputs, width, stride=1 if level == 0 else 2))
            inputs = width
        self.levels = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for level in self.levels:
            x = level(x)
            maps.append(x)
        return maps


class ColorNet(nn.Module):
    """Encoder (EfficientNet-Lite0 features on luma as grey RGB) · hint pyramid · U-Net decoder ·
    gated output."""

    def __init__(self, config: ColorNetConfig = ColorNetConfig()) -> None:
        super().__init__()
        self.config = config
        self.encoder = efficientnet_lite0(pretrained=config.pretrained)
        self.encoder.head = self.encoder.classifier = nn.Identity()  # only features() is used
        enc = self.encoder.feature_channels  # (16, 24, 40, 112, 320) at strides 2..32
        dec, hint = config.decoder_widths, config.hint_widths
        self.hints = HintPyramid(hint)
        self.bottleneck = nn.Sequential(nn.Conv2d(enc[4], dec[0], 1), nn.ReLU(inplace=True))
        self.up16 = DecoderBlock(dec[0] + enc[3] + hint[4], dec[1])
        self.up8 = DecoderBlock(dec[1] + enc[2] + hint[3], dec[2])
        self.up4 = DecoderBlock(dec[2] + enc[1] + hint[2], dec[3])
        self.up2 = DecoderBlock(dec[3] + enc[0] + hint[1], dec[4])
        self.up1 = DecoderBlock(dec[4] + hint[0], dec[5])
        self.head = nn.Conv2d(dec[5], 3, 3, 1, 1)  # a, b and the gate towards the hint
        with torch.no_grad():  # start by trusting hints (gate about 0.95 where there is one)
            self.head.bias[2] = 3.0

    def freeze_encoder(self, frozen: bool = True) -> None:
        for parameter in self.encoder.parameters():
            parameter.requires_grad_(not frozen)

    def forward(
        self, luma: torch.Tensor, hint_ab: torch.Tensor, hint_conf: torch.Tensor
    ) -> torch.Tensor:
        hint = hint_ab / AB_SCALE
        e2, e4, e8, e16, e32 = self.encoder.features((luma * 255.0).expand(-1, 3, -1, -1))
        present = torch.clamp(hint_conf * HINT_PRESENT, 0.0, 1.0)
        planes = [luma, hint * hint_conf, hint_conf, hint * present]
        h1, h2, h4, h8, h16 = self.hints(torch.cat(planes, dim=1))
        x = self.bottleneck(e32)
        x = self.up16(x, e16, h16)
        x = self.up8(x, e8, h8)
        x = self.up4(x, e4, h4)
        x = self.up2(x, e2, h2)
        x = self.up1(x, h1)
        out = self.head(x)
        synthesised = torch.tanh(out[:, :2])
        # Any present hint (confidence >= 1 / HINT_PRESENT) may be copied outright: the engine's
        # filled chroma has confidence near 0 and is often better than what the network would
        # synthesise, and the network sees its colour (``hint * present``) to judge it. The
        # network learns how far to trust a hint; without one the gate shuts.
        gate = torch.sigmoid(out[:, 2:3]) * present
        return (gate * hint + (1.0 - gate) * synthesised) * AB_SCALE
