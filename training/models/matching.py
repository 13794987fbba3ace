"""The keyframe matcher's feature network: a frozen ImageNet trunk and a small trained head.

The trunk (the first five stages of the ImageNet-pretrained EfficientNet-Lite0, the colourisation
network's encoder) knows *what kind of thing* each place of a frame shows. Its features were
trained to classify photos, not to find the same object again in another frame; the head is a
residual correction learnt for exactly that (:mod:`training.matching`). It starts as zero, so an
untrained head gives the trunk's features unchanged, and its output keeps the trunk's layout:
two groups (stride 8, stride 16 upsampled), each of unit length per position, so the runtime's
bound on a similarity (at most 2) holds either way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.models.efficientnet_lite import INPUT_MEAN, INPUT_STD, efficientnet_lite0
from videocolor.colorizers.matcher import DEFAULT_TEMPERATURE

#: Channels of the trunk's stride-8 and stride-16 maps.
GROUPS = (40, 112)
CHANNELS = sum(GROUPS)


def normalise_groups(features: torch.Tensor) -> torch.Tensor:
    """Each channel group of ``features`` (N, C, H, W) scaled to unit length per position."""
    return torch.cat([F.normalize(g, dim=1) for g in features.split(GROUPS, dim=1)], dim=1)


class MatchingTrunk(nn.Module):
    """Luma (N, 1, H, W) in [0, 1] → unit-normalised stride-8 ⊕ stride-16 ImageNet features."""

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        encoder = efficientnet_lite0(pretrained=pretrained)
        self.stem, self.stages = encoder.stem, encoder.stages[:5]

    def forward(self, luma: torch.Tensor) -> torch.Tensor:
        x = self.stem(((luma * 255.0 - INPUT_MEAN) / INPUT_STD).expand(-1, 3, -1, -1))
        fine = self.stages[2](self.stages[1](self.stages[0](x)))
        coarse = self.stages[4](self.stages[3](fine))
        coarse = F.interpolate(coarse, size=fine.shape[2:], mode="bilinear", align_corners=False)
        return normalise_groups(torch.cat([fine, coarse], dim=1))


class MatchingHead(nn.Module):
    """Trunk features → features for correspondence: ``x + b(relu(a(x)))``, groups renormalised.

    ``a`` is 3x3, so each position sees its neighbours (24 pixels at the matcher's 288 lines):
    on DAVIS-2016 ref0 (the engine's colour only, every clip) the 3x3 head gained 0.15 dB over
    the untrained trunk and a 1x1 head 0.12 (though it matched held-aside clips a little better:
    |Δab| 1.84 vs 1.85), for about 4 and 0.6 ms more per matched frame. A projection to
    fewer channels trained from scratch (cheaper attention) matched worse on held-aside clips
    (|Δab| 1.94 vs 1.78 after 400 steps). ``log_temperature`` is the attention's temperature,
    learnt with it.
    """

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.a = nn.Conv2d(CHANNELS, hidden, 3, padding=1)
        self.b = nn.Conv2d(hidden, CHANNELS, 1)
        nn.init.zeros_(self.b.weight)
        nn.init.zeros_(self.b.bias)
        # starts at the untrained matcher's temperature
        self.log_temperature = nn.Parameter(torch.tensor(DEFAULT_TEMPERATURE).log())

    @property
    def temperature(self) -> float:
        return float(self.log_temperature.detach().exp())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return normalise_groups(features + self.b(F.relu(self.a(features))))


class MatchingFeatures(nn.Module):
    """Trunk and head as one graph: what ``matching_features.onnx`` computes."""

    def __init__(self, head: MatchingHead | None = None, pretrained: bool = True) -> None:
        super().__init__()
        self.trunk = MatchingTrunk(pretrained)
        self.head = head if head is not None else MatchingHead()

    def forward(self, luma: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(luma))
