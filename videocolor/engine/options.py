"""The colouring options that decide the engine, as a value another process can rebuild from.

:class:`EngineSettings` holds a loaded onnxruntime session, which cannot be sent to another
machine; :class:`EngineOptions` is the few arguments it is built from, so a cluster task builds
the same engine the driver would.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.clip import EngineSettings
from videocolor.engine.settings import PropagationSettings


@dataclass(frozen=True)
class EngineOptions:
    """``--engine``, ``--model``, ``--device``, ``--work-res``, ``--flow`` and ``--match-every``."""

    engine: str
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
        network = None if self.engine == "classical" else ColorNetwork(self.model, self.device)
        return EngineSettings(
            self.work_res,
            PropagationSettings(flow_preset=self.flow, match_every=self.match_every),
            network=network,
            finish_with_network=self.engine == "network",
            device=self.device,
        )
