"""The engine chosen by name, as the CLI's colouring options and the hosts' arguments give it.

:class:`EngineSettings` holds a loaded onnxruntime session, which cannot be sent to another
machine; :class:`EngineOptions` is the few arguments it is built from, so a cluster task builds
the same engine the driver would.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.clip import EngineSettings
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import ReferenceImageError

log = logging.getLogger("videocolor")

EngineName = Literal["auto", "network", "classical"]


def check_refs_given(refs: object, engine: EngineName) -> None:
    """Refuse to colour without references when automatic colour is ruled out."""
    if refs is None and engine == "classical":
        raise ReferenceImageError(
            "no references given: pass --refs DIR with coloured keyframes (automatic colour "
            "needs the network engine: drop --engine classical)"
        )


def engine_for(
    *,
    engine: EngineName = "auto",
    device: str = "auto",
    model: str | Path | None = None,
    work_res: int = 480,
    flow: str = "medium",
    match_every: int = PropagationSettings.match_every,
) -> EngineSettings:
    """The engine's settings, its network loaded unless ``engine`` is classical."""
    network = None
    if engine != "classical":
        network = ColorNetwork(model, device=device)
        log.info("colourisation network on %s (%s)", network.provider, network.model_path.name)
    return EngineSettings(
        work_res,
        PropagationSettings(flow_preset=flow, match_every=match_every),
        network=network,
        finish_with_network=engine == "network",
        device=device,
    )


@dataclass(frozen=True)
class EngineOptions:
    """``--engine``, ``--model``, ``--device``, ``--work-res``, ``--flow`` and ``--match-every``."""

    engine: EngineName
    model: Path | None
    device: str
    work_res: int
    flow: str
    match_every: int

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EngineOptions:
        return cls(args.engine, args.model, args.device, args.work_res, args.flow, args.match_every)

    def build(self) -> EngineSettings:
        """The engine, its network loaded unless classical."""
        return engine_for(**asdict(self))
