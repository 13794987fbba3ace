"""Where tasks may run and where they ran: the resources a task asks for, the per-node summary.

Every task asks for ``--task-cpus`` CPUs. When the engine uses the network and the cluster has
GPUs, a task also asks for a share of one (``--gpu-share``, a fraction, so several tasks share
a GPU): Ray then places it on a GPU node and hands it the device. A node that declares a GPU
but whose onnxruntime has no CUDA provider runs the network on its CPU, which is reported once
per node rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from videocolor.cluster.tasks import TaskResult
from videocolor.engine.options import EngineOptions


def task_resources(
    engine: EngineOptions, *, cpus: float, gpu_share: float, cluster_gpus: float
) -> dict[str, float]:
    """``num_cpus`` and, for network tasks on a cluster with GPUs, ``num_gpus``."""
    resources = {"num_cpus": cpus}
    uses_network = engine.engine != "classical" and engine.device != "cpu"
    if uses_network and gpu_share > 0 and cluster_gpus > 0:
        resources["num_gpus"] = gpu_share
    return resources


@dataclass
class NodeTally:
    """What one node did for a job."""

    node_id: str
    ip: str
    labels: dict[str, float] = field(default_factory=dict)  # the resources it declared
    tasks: int = 0
    shots: int = 0
    frames: int = 0
    seconds: float = 0.0
    processes: set[int] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    given_gpu: bool = False

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        labels = ", ".join(f"{name} {value:g}" for name, value in sorted(self.labels.items()))
        network = f"; network on {', '.join(sorted(self.providers))}" if self.providers else ""
        return (
            f"node {self.node_id[:8]} ({self.ip}{'; ' + labels if labels else ''}): "
            f"{self.tasks} tasks, {self.shots} shots, {self.frames} frames in {self.seconds:.1f} s "
            f"of task time ({self.frames_per_s:.1f} frames/s, {len(self.processes)} "
            f"processes){network}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "node_id": self.node_id,
            "ip": self.ip,
            "resources": self.labels,
            "tasks": self.tasks,
            "shots": self.shots,
            "frames": self.frames,
            "task_seconds": round(self.seconds, 2),
            "processes": sorted(self.processes),
            "providers": sorted(self.providers),
            "given_gpu": self.given_gpu,
        }


def declared_resources(nodes: Iterable[dict]) -> dict[str, dict[str, float]]:
    """Each live node's declared CPUs, GPUs and custom labels (from ``ray.nodes()``)."""
    found = {}
    for node in nodes:
        if node.get("Alive"):
            kept = {
                name: value
                for name, value in node.get("Resources", {}).items()
                if not name.startswith(("node:", "memory", "object_store_memory", "accelerator"))
            }
            found[node["NodeID"]] = kept
    return found


def tally(results: Sequence[TaskResult], labels: dict[str, dict[str, float]]) -> list[NodeTally]:
    """The results grouped by node, in the order nodes first finished a task."""
    nodes: dict[str, NodeTally] = {}
    for result in results:
        node = nodes.setdefault(
            result.node_id,
            NodeTally(result.node_id, result.node_ip, labels.get(result.node_id, {})),
        )
        node.tasks += 1
        node.shots += len(result.shots) - len(result.skipped)
        node.frames += result.frames
        node.seconds += result.seconds
        node.processes.add(result.pid)
        if result.provider:
            node.providers.add(result.provider)
        node.given_gpu = node.given_gpu or bool(result.gpu_ids)
    return list(nodes.values())


def gpu_fallback(result: TaskResult) -> str | None:
    """One line when Ray gave a task a GPU but its node's onnxruntime ran the network on the CPU."""
    if result.gpu_ids and result.provider == "CPUExecutionProvider":
        gpus = ", ".join(result.gpu_ids)
        return (
            f"node {result.node_id[:8]} ({result.node_ip}) was given GPU {gpus} by Ray, but its "
            "onnxruntime has no CUDA provider: the network runs on its CPU "
            "(install videocolor[gpu] there)"
        )
    return None
