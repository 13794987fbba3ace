"""The registry of colourisation methods the benchmarks can run, by name.

A *video* method colours one clip (one shot)::

    (lumas: Sequence[Y' float32 (H, W) in [0, 1]],
     references: dict[position -> RGB float32 (H, W, 3) in [0, 1]],
     matrix: "bt601" | "bt709" | "bt2020") -> Iterable[Cb/Cr float32 (H, W, 2), normalised]

one chroma frame per luma frame, in order: the product's own interface
(:func:`videocolor.engine.clip.colorize_clip`), so the product and the baselines are measured
through one code path. An *image* method colours one photo::

    (luma: Y' float32 (H, W) in [0, 1], hint_ab: CIELAB ab (H, W, 2) or None,
     hint_mask: float32 (H, W) in {0, 1} or None) -> CIELAB ab float32 (H, W, 2)

Image methods return ``ab`` because that is what a colourisation network predicts (the product's
network is the image method ``videocolor``); the bench turns it into Cb/Cr with the photo's luma
(:func:`videocolor.bench.render.compose_ab`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from videocolor.bench.baselines import global_transfer, gray, gray_image, hints_fill, warp_only
from videocolor.color import Matrix
from videocolor.errors import VideocolorError

if TYPE_CHECKING:
    from videocolor.colorizers.network import ColorNetwork

VideoMethod = Callable[[Sequence[np.ndarray], dict[int, np.ndarray], Matrix], Iterable[np.ndarray]]
ImageMethod = Callable[[np.ndarray, np.ndarray | None, np.ndarray | None], np.ndarray]

#: The product colouriser's name, the video default.
PRODUCT = "videocolor"


@functools.cache
def _network() -> ColorNetwork:
    """The bundled network, loaded once and only when a method needs it."""
    from videocolor.colorizers.network import ColorNetwork

    return ColorNetwork()


def product(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterable[np.ndarray]:
    """The product colouriser with its default settings: propagation along flow with colour
    matched to the keyframes and the classical fill, the network colouring clips without
    references.

    Imported on first use: the baselines then run (and the bench imports) whatever state the
    engine is in, and a baseline-only run does not load it at all.
    """
    from videocolor.engine.clip import EngineSettings, colorize_clip

    return colorize_clip(lumas, references, matrix, EngineSettings(network=_network()))


def flow_only(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterable[np.ndarray]:
    """The product without matching frames to their keyframes (``--match-every 0``): flow
    chains and the classical fill alone, the engine of the previous version."""
    from videocolor.engine.clip import EngineSettings, colorize_clip
    from videocolor.engine.settings import PropagationSettings

    settings = EngineSettings(network=_network(), propagation=PropagationSettings(match_every=0))
    return colorize_clip(lumas, references, matrix, settings)


def network_finished(
    lumas: Sequence[np.ndarray], references: dict[int, np.ndarray], matrix: Matrix
) -> Iterable[np.ndarray]:
    """The product with the network also finishing every propagated frame (``--engine
    network``)."""
    from videocolor.engine.clip import EngineSettings, colorize_clip

    settings = EngineSettings(network=_network(), finish_with_network=True)
    return colorize_clip(lumas, references, matrix, settings)


#: Confidence given to chroma the classical fill spread from user points before the network
#: sees it: as barely trusted as the engine's filled holes, which the network learned to judge.
SPREAD_CONFIDENCE = 0.02


def network_image(
    luma: np.ndarray, hint_ab: np.ndarray | None, hint_mask: np.ndarray | None
) -> np.ndarray:
    """The colourisation network on a photo: automatic without hints. With user points, the
    classical fill spreads them first and the network finishes the result, as the video engine
    does with propagated chroma (the network alone nearly ignores sparse points, see its card)."""
    if hint_ab is None or hint_mask is None or not hint_mask.any():
        return _network()(luma)
    spread = hints_fill(luma, hint_ab, hint_mask)
    confidence = np.maximum(hint_mask.astype(np.float32), SPREAD_CONFIDENCE)
    return _network()(luma, spread, confidence)


VIDEO_METHODS: dict[str, VideoMethod] = {
    PRODUCT: product,
    "videocolor-flow": flow_only,
    "videocolor-net": network_finished,
    "gray": gray,
    "global-transfer": global_transfer,
    "warp-only": warp_only,
}

#: The product's video methods as a user runs them: the ``videocolor colorize`` flags that give
#: each the settings of its function above (``bench video --through ffv1|h264``). Baselines have
#: no CLI and run in-process whatever the mode.
CLI_FLAGS: dict[str, tuple[str, ...]] = {
    PRODUCT: (),
    "videocolor-flow": ("--match-every", "0"),
    "videocolor-net": ("--engine", "network"),
}

IMAGE_METHODS: dict[str, ImageMethod] = {
    PRODUCT: network_image,
    "gray": gray_image,
    "hints-fill": hints_fill,
}

#: What ``bench images`` runs without ``--method``: every image method registered.
DEFAULT_IMAGE_METHODS = tuple(IMAGE_METHODS)


def method_names(
    values: Sequence[str] | None, registry: Mapping[str, object], default: Sequence[str]
) -> list[str]:
    """Method names from repeated and/or comma-separated ``--method`` values, in order, once each.

    ``values`` None or empty gives ``default``; an unknown name is an error that lists the known.
    """
    names = [name.strip() for value in values or () for name in value.split(",") if name.strip()]
    names = list(dict.fromkeys(names or default))
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise VideocolorError(
            f"unknown method {', '.join(unknown)}; choose from {', '.join(registry)}"
        )
    return names
