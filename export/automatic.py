"""Derive the single-input automatic-colour model from the bundled colourisation network.

``python -m export.automatic [-o PATH]``

Hosts that run an ONNX file on a clip's planes (``core.ort.Model`` of vs-mlrt in VapourSynth)
feed every input from a clip, and the colourisation network has three: luma, hint ab and hint
confidence. Automatic colour is the network with no hint, so this file is the same graph and
weights with the two hint inputs replaced by zeros made inside the graph from the luma's shape:
one input ``luma`` (N,1,H,W) Y' in [0, 1], one output ``ab`` (N,2,H,W) CIELAB a*, b*, H and W
multiples of 32. It is written only once onnxruntime gives exactly what the three-input model
gives with zero hints, and the same source always gives the same bytes (the tests rebuild it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from videocolor.colorizers.network import INPUT_NAMES, MULTIPLE, PACKAGED_MODEL

AUTOMATIC_MODEL = PACKAGED_MODEL.with_name("colornet_automatic.onnx")
PARITY_SIZES = ((64, 96), (256, 352))  # (height, width), multiples of MULTIPLE


def automatic_graph(source: onnx.ModelProto) -> onnx.ModelProto:
    """``source`` (inputs luma, hint_ab, hint_conf) with the hints made zero inside the graph."""
    model = onnx.ModelProto()
    model.CopyFrom(source)
    graph = model.graph
    luma, hint_ab, hint_conf = INPUT_NAMES
    kept = [i for i in graph.input if i.name == luma]
    del graph.input[:]
    graph.input.extend(kept)
    zeros = [
        helper.make_node("Shape", [luma], ["automatic_shape"]),
        helper.make_node(
            "ConstantOfShape",
            ["automatic_shape"],
            [hint_conf],
            value=helper.make_tensor("zero", onnx.TensorProto.FLOAT, [1], [0.0]),
        ),
        helper.make_node("Concat", [hint_conf, hint_conf], [hint_ab], axis=1),
    ]
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend([*zeros, *nodes])  # the graph must stay topologically sorted
    props = {p.key: p.value for p in model.metadata_props}
    props.update(
        {
            "videocolor.model": "colornet_automatic",
            "derived_from": f"{PACKAGED_MODEL.name}: the same weights, hint inputs fixed at zero",
            "input_ranges": json.dumps({"luma": "[0, 1]"}),
            "output": "ab (N,2,H,W) CIELAB a*, b*: automatic colour",
        }
    )
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def parity(automatic: Path, source: Path) -> float:
    """Largest |difference| in ab between the two models on luma ramps and noise, no hints."""
    rng = np.random.default_rng(0)
    one = ort.InferenceSession(str(automatic), providers=["CPUExecutionProvider"])
    three = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    worst = 0.0
    for height, width in PARITY_SIZES:
        ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :].repeat(height, 0)
        luma = np.clip(ramp + rng.normal(0, 0.1, (height, width)), 0, 1).astype(np.float32)
        luma = luma[None, None]
        zero = np.zeros_like(luma)
        ours = one.run(None, {"luma": luma})[0]
        feeds = dict(zip(INPUT_NAMES, (luma, np.concatenate([zero, zero], 1), zero), strict=True))
        worst = max(worst, float(np.abs(ours - three.run(None, feeds)[0]).max()))
    return worst


def build(output: Path, source: Path = PACKAGED_MODEL) -> Path:
    """Write the automatic model of ``source`` to ``output`` once it matches ``source``."""
    model = automatic_graph(onnx.load(str(source)))
    with tempfile.TemporaryDirectory(dir=output.parent) as folder:
        candidate = Path(folder) / output.name
        onnx.save(model, str(candidate), save_as_external_data=False)
        worst = parity(candidate, source)
        if worst != 0.0:
            raise RuntimeError(f"{candidate.name} differs from {source.name} by {worst:.2e}")
        candidate.replace(output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export.automatic", description=__doc__)
    parser.add_argument("-o", "--output", type=Path, default=AUTOMATIC_MODEL)
    parser.add_argument("--source", type=Path, default=PACKAGED_MODEL)
    args = parser.parse_args(argv)
    path = build(args.output, args.source)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB; H, W multiples of {MULTIPLE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
