"""The colourisation network at run time: onnxruntime only, no torch.

One model (trained in ``training/``, exported by ``export/onnx.py``, bundled as
``videocolor/models/colornet.onnx``) turns luma plus optional hint chroma with a per-pixel
confidence into CIELAB ``ab``: with no hints it colours automatically, with a few points it
follows them, and with the propagation engine's warped chroma it fills what the flow could not
carry and corrects what drifted.

The network runs at a modest resolution (at most ``lines`` lines, padded to a multiple of 32) and
its answer comes back to the caller's resolution as a *correction*: the caller's detailed hint
chroma plus the upsampled difference between the network's output and the downsampled hint, so
fine chroma detail that was already right survives and the network only has to be right at its
own scale.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from onnxruntime import InferenceSession

from videocolor.colorizers.runtime import open_session
from videocolor.errors import ModelError

PACKAGED_MODEL = Path(__file__).resolve().parents[1] / "models" / "colornet.onnx"
MODEL_ENV = "VIDEOCOLOR_MODEL"
INPUT_NAMES = ("luma", "hint_ab", "hint_conf")
#: Channels of each input of :data:`INPUT_NAMES`, then of the output (CIELAB a*, b*).
CHANNELS = (1, 2, 1, 2)
MULTIPLE = 32
DEFAULT_LINES = 256
#: The least confidence that still marks a hint as present: the engine's fills can have zero
#: confidence yet be right, and the model shuts its gate towards any hint below 0.001.
PRESENT_CONFIDENCE = 1 / 255


def default_model_path() -> Path:
    """``$VIDEOCOLOR_MODEL`` when set, else the bundled model."""
    env = os.environ.get(MODEL_ENV)
    return Path(env) if env else PACKAGED_MODEL


def network_size(width: int, height: int, lines: int, multiple: int = MULTIPLE) -> tuple[int, int]:
    """(width, height) a network runs at: at most ``lines`` lines, sides multiples of
    ``multiple`` (the colourisation network's: 32)."""
    scale = min(1.0, lines / height)

    def fit(n: float) -> int:
        return max(multiple, round(n * scale / multiple) * multiple)

    return fit(width), fit(height)


def contract_problem(session: InferenceSession) -> str | None:
    """What keeps a session from being a colourisation network, or None: the inputs of
    :data:`INPUT_NAMES` and one ab output, each float (N, C, H, W) with C as in
    :data:`CHANNELS` (sizes the file leaves open are taken on trust)."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    names = tuple(i.name for i in inputs)
    if names != INPUT_NAMES:
        return f"inputs {names}, expected {INPUT_NAMES} (luma, hint ab, hint confidence)"
    if len(outputs) != 1:
        return f"{len(outputs)} outputs, expected 1 (ab)"
    for arg, channels in zip([*inputs, *outputs], CHANNELS, strict=True):
        shape = arg.shape
        fixed = len(shape) == 4 and isinstance(shape[1], int)
        if arg.type != "tensor(float)" or len(shape) != 4 or (fixed and shape[1] != channels):
            return f"{arg.name} is {arg.type} {shape}, expected tensor(float) [N, {channels}, H, W]"
    return None


class ColorNetwork:
    """The bundled (or any compatible) colourisation model in an onnxruntime session."""

    def __init__(
        self, model_path: Path | str | None = None, device: str = "auto", threads: int = 0
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise ModelError(
                f"colourisation model {self.model_path} does not exist; export one with "
                "`python -m export.onnx CHECKPOINT -o PATH` or reinstall videocolor"
            )
        export = "export one with `python -m export.onnx`"
        try:
            self.session = open_session(self.model_path, device, threads)
        except ModelError as error:
            raise ModelError(f"{error}; {export}") from error
        problem = contract_problem(self.session)
        if problem:
            raise ModelError(f"{self.model_path}: not a colourisation model: {problem}; {export}")
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    @property
    def provider(self) -> str:
        """The execution provider that actually runs the model (reported to the user)."""
        return self.session.get_providers()[0]

    def raw(self, luma: np.ndarray, hint_ab: np.ndarray, hint_conf: np.ndarray) -> np.ndarray:
        """The network on one image whose sides are multiples of 32: (H, W) luma in [0, 1],
        (H, W, 2) hint ab, (H, W) confidence → (H, W, 2) ab."""
        feeds = {
            "luma": luma[None, None].astype(np.float32),
            "hint_ab": np.ascontiguousarray(hint_ab.transpose(2, 0, 1)[None], np.float32),
            "hint_conf": hint_conf[None, None].astype(np.float32),
        }
        return self.session.run(None, feeds)[0][0].transpose(1, 2, 0)

    def __call__(
        self,
        luma: np.ndarray,
        hint_ab: np.ndarray | None = None,
        hint_conf: np.ndarray | None = None,
        lines: int = DEFAULT_LINES,
    ) -> np.ndarray:
        """CIELAB ab (H, W, 2) for luma (H, W) in [0, 1] at any size, with optional hints.

        Without hints the colour is automatic. With hints the result is the hint chroma plus the
        network's correction of it (see the module docstring), so trusted detail is kept.
        """
        height, width = luma.shape
        size = network_size(width, height, lines)
        interpolation = cv2.INTER_AREA if size[0] < width else cv2.INTER_LINEAR

        def small(plane: np.ndarray) -> np.ndarray:
            return cv2.resize(
                np.ascontiguousarray(plane, np.float32), size, interpolation=interpolation
            )

        def full(plane: np.ndarray) -> np.ndarray:
            return cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR)

        if hint_ab is None or hint_conf is None:
            no_hint = np.zeros((size[1], size[0]), np.float32)
            return full(self.raw(small(luma), np.dstack([no_hint, no_hint]), no_hint))
        small_hint = small(hint_ab)
        out = self.raw(small(luma), small_hint, small(hint_conf))
        return (hint_ab + full(out - small_hint)).astype(np.float32)
