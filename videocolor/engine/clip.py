"""The colouriser for one shot: working resolution in, full-resolution chroma out.

Frames are scaled to the working resolution (at most ``work_lines`` lines), references are turned
into CIELAB chroma there, :func:`videocolor.engine.shot.propagate_shot` carries them through the
shot, and the chroma is converted to Cb/Cr and brought back to full resolution guided by the
full-resolution luma (:func:`guided_upsample`), so edges follow the film, not the working grid.
With ``finish_with_network`` each frame's fused chroma and confidence pass through the network
before the upsampling (:func:`network_finish`); without references the network colours a
keyframe that is then propagated.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from videocolor import color
from videocolor.color import Matrix
from videocolor.colorizers.matcher import shared_matcher
from videocolor.colorizers.network import DEFAULT_LINES, PRESENT_CONFIDENCE, ColorNetwork
from videocolor.engine.candidate import Candidate
from videocolor.engine.fill import guided_upsample
from videocolor.engine.prior import ColourPrior, NetworkPrior, Prior
from videocolor.engine.settings import PropagationSettings
from videocolor.engine.shot import Finish, classical_finish, propagate_shot


@dataclass(frozen=True)
class EngineSettings:
    """How the engine colours a shot: its working resolution, the propagation's knobs, and what
    the colourisation network does (it colours shots without references,
    :func:`automatic_keyframe`, and gives the fill its fallback colour,
    :class:`videocolor.engine.prior.NetworkPrior`)."""

    work_lines: int = 480  # working resolution: flow and fill need no more
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    network: ColorNetwork | None = None  # None: classical fill only, references required
    network_lines: int = DEFAULT_LINES  # resolution the network colours a keyframe at
    finish_lines: int = 160  # resolution it finishes frames at: its corrections there are coarse
    finish_with_network: bool = False  # the network finishes every frame: half the speed
    device: str = "auto"  # where the keyframe matcher runs (colorizers.matcher)


def network_finish(network: ColorNetwork, lines: int) -> Finish:
    """The finishing step that hands each frame's fused chroma and confidence to the network."""

    def finish(luma: np.ndarray, fused: Candidate | None, prior: Prior) -> np.ndarray:
        if fused is None:
            return network(luma, lines=lines)
        confidence = np.maximum(fused.confidence, PRESENT_CONFIDENCE)  # every pixel has a colour
        return network(luma, fused.ab, confidence, lines=lines)

    return finish


def work_size(width: int, height: int, work_lines: int) -> tuple[int, int]:
    """(width, height) at the working resolution: at most ``work_lines`` lines, aspect kept."""
    if height <= work_lines:
        return width, height
    scale = work_lines / height
    return max(2, round(width * scale)), work_lines


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] < image.shape[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def reference_chroma(rgb: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(luma, Lab ab) of a reference image at the working size; RGB float in [0, 1]."""
    small = resize(np.ascontiguousarray(rgb, dtype=np.float32), size)
    return color.rgb_to_luma(small), color.rgb_to_lab(small)[..., 1:]


#: How much the network trusts an exemplar's luma-to-colour statistics as a hint: as little as a
#: filled hole in training, so they nudge the automatic colour rather than dictate it.
EXEMPLAR_CONFIDENCE = 0.15


def exemplar_prior(exemplars: Sequence[np.ndarray], size: tuple[int, int]) -> ColourPrior:
    """The luma-to-chroma prior of exemplar images (RGB in [0, 1]) seen at the working size."""
    pairs = [reference_chroma(rgb, size) for rgb in exemplars]
    return ColourPrior([p[0] for p in pairs], [p[1] for p in pairs])


def automatic_keyframe(
    luma: np.ndarray, settings: EngineSettings, exemplars: Sequence[np.ndarray] = ()
) -> np.ndarray:
    """RGB in [0, 1] for one frame (working-resolution luma) coloured by the network alone, or
    nudged towards the exemplar images' colour for each luma level when there are any."""
    if settings.network is None:
        raise ValueError("automatic colour needs the colourisation network")
    hint = conf = None
    if exemplars:
        hint = exemplar_prior(exemplars, (luma.shape[1], luma.shape[0]))(luma)
        conf = np.full(luma.shape, EXEMPLAR_CONFIDENCE, np.float32)
    ab = settings.network(luma, hint, conf, lines=settings.network_lines)
    return color.lab_to_rgb(np.dstack([color.luma_to_lightness(luma), ab]))


class WorkingLumas(Sequence[np.ndarray]):
    """A shot's frames at the working size, made when asked for and kept for the last few.

    The engine walks a shot one frame at a time (backward from its last keyframe, then forward)
    and looks back only a step or two, and the smoother hands frames out up to twice its
    lookahead behind the walk, so a window of that many frames serves it; what it keeps of its
    keyframes it holds itself. A copy of the whole shot made up front would cost memory (or disk)
    in proportion to the shot, and first-touch page faults cost more than converting a frame when
    it is asked for.
    """

    def __init__(self, lumas: Sequence[np.ndarray], size: tuple[int, int], cached: int) -> None:
        """``cached``: how many frames to keep."""
        self._lumas, self._size, self._cached = lumas, size, cached
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._lumas)

    def __getitem__(self, index: int) -> np.ndarray:  # type: ignore[override]
        index = range(len(self))[index]  # negative indices and bounds as a list has them
        small = self._cache.get(index)
        if small is None:
            luma = np.ascontiguousarray(self._lumas[index], dtype=np.float32)
            small = resize(luma, self._size)
            self._cache[index] = small
            if len(self._cache) > self._cached:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return small


def propagate_working(
    lumas: Sequence[np.ndarray],
    keyframes: dict[int, np.ndarray],
    ref_lumas: Sequence[np.ndarray],
    settings: EngineSettings,
    finish: Finish | None = None,
) -> Iterator[np.ndarray]:
    """CIELAB ab of every frame of one shot at the working resolution, as the engine makes it.

    ``lumas``: the shot at the working size; ``keyframes``: position → ab there; ``ref_lumas``:
    the keyframes' lumas, in the same order. The fill's fallback colour comes from the network
    when there is one (:class:`videocolor.engine.prior.NetworkPrior`), frames are matched to the
    keyframes when ``settings.propagation.match_every`` is on, and ``finish`` (default: the
    classical one, or the network's with ``settings.finish_with_network``) turns each frame's
    fused candidate into its chroma. Training uses this too, so the network learns from the
    very chains the product hands it.
    """
    prior: Prior
    if settings.network is not None:  # it knows what new things look like; the table does not
        prior = NetworkPrior(settings.network)
    else:
        prior = ColourPrior(list(ref_lumas), list(keyframes.values()))
    if finish is None:
        finish = classical_finish
        if settings.network is not None and settings.finish_with_network:
            finish = network_finish(settings.network, settings.finish_lines)
    matched = None
    if settings.propagation.match_every:
        matcher = shared_matcher(settings.device)
        memory = matcher.memory(ref_lumas, list(keyframes.values()))

        def matched(index: int, chain: Candidate) -> np.ndarray:
            return matcher(lumas[index], memory, (chain.ab, chain.confidence))

    return propagate_shot(lumas, keyframes, prior, settings.propagation, finish, matched)


def colorize_clip(
    lumas: Sequence[np.ndarray],
    references: dict[int, np.ndarray],
    matrix: Matrix = "bt709",
    settings: EngineSettings = EngineSettings(),
    exemplars: Sequence[np.ndarray] = (),
) -> Iterator[np.ndarray]:
    """Normalised Cb/Cr (H, W, 2) for each frame of one shot.

    ``lumas``: the shot's Y' frames in [0, 1] at full resolution (any sequence, read one frame
    at a time, a few times each, never written); ``references``: position in the shot → RGB
    float image in [0, 1] (any size: resized to the frame). With no reference the network
    colours the middle frame (:func:`automatic_keyframe`, guided by ``exemplars``) and that frame
    is propagated like a painted one, so automatic colour is as steady as painted colour.
    """
    height, width = lumas[0].shape
    size = work_size(width, height, settings.work_lines)
    small = WorkingLumas(lumas, size, 2 * settings.propagation.smooth_lookahead + 4)
    if not references:
        key = len(lumas) // 2
        references = {key: automatic_keyframe(small[key], settings, exemplars)}
    keyframes, ref_lumas = {}, []
    for index, rgb in references.items():
        ref_luma, ab = reference_chroma(rgb, size)
        keyframes[index] = ab
        ref_lumas.append(small[index] if 0 <= index < len(small) else ref_luma)
    chroma = propagate_working(small, keyframes, ref_lumas, settings)
    for index, ab in enumerate(chroma):
        cbcr = color.lab_chroma_to_cbcr(small[index], ab, matrix)
        if size == (width, height):  # working resolution is full resolution
            yield cbcr
        else:
            yield guided_upsample(cbcr, small[index], lumas[index])
