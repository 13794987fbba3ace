"""Recover a trainable checkpoint of the colourisation network from its exported ONNX file.

``python -m training.recover [MODEL.onnx] -o CHECKPOINT.pt``

The export folds every batch-norm into the convolution before it, so the ONNX file holds each
convolution's folded weight and bias and nothing else. Read back in the network's own execution
order, each folded pair becomes the convolution's weight and a batch-norm that adds the folded
bias and otherwise passes its input unchanged (mean 0, variance 1 - eps, scale 1). In eval mode
the recovered network computes exactly what the file does; a fine-tuning run must keep those
batch-norms in eval mode (``frozen_norm`` in the training config), since statistics of a batch
would replace the identity they stand for. This is how a shipped model can be fine-tuned when
its training checkpoint is gone. The checkpoint is written only once torch reproduces
onnxruntime within the export's tolerance (:func:`export.onnx.check_parity`) on real photos.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from export.onnx import PARITY_TOLERANCE, ParityError, check_parity, parity_images
from training.models.colornet import ColorNet, ColorNetConfig
from training.train import save_checkpoint
from videocolor.colorizers.network import default_model_path


def folded_convolutions(path: Path) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """(weight, bias) of every Conv node of an ONNX file, in graph order (the traced order)."""
    model = onnx.load(str(path))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convolutions = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            bias = tensors[node.input[2]] if len(node.input) > 2 else None
            convolutions.append((tensors[node.input[1]], bias))
    return convolutions


def execution_order(model: ColorNet) -> list[nn.Module]:
    """The model's convolutions and batch-norms in the order a forward pass runs them."""
    order: list[nn.Module] = []
    hooks = [
        module.register_forward_hook(lambda module, *_: order.append(module))
        for module in model.modules()
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d))
    ]
    with torch.no_grad():
        model(torch.zeros(1, 1, 64, 64), torch.zeros(1, 2, 64, 64), torch.zeros(1, 1, 64, 64))
    for hook in hooks:
        hook.remove()
    return order


def recover(path: Path) -> ColorNet:
    """A ColorNet in eval mode whose weights are those folded into the ONNX file at ``path``."""
    model = ColorNet(ColorNetConfig(pretrained=False)).eval()
    modules = execution_order(model)
    convolutions = [m for m in modules if isinstance(m, nn.Conv2d)]
    folded = folded_convolutions(path)
    if len(folded) != len(convolutions):
        raise ValueError(f"{path}: {len(folded)} convolutions, the network has {len(convolutions)}")
    following = {id(a): b for a, b in itertools.pairwise(modules)}
    with torch.no_grad():
        for conv, (weight, bias) in zip(convolutions, folded, strict=True):
            if tuple(conv.weight.shape) != weight.shape:
                raise ValueError(f"{path}: weight {weight.shape} where {conv} expects another")
            conv.weight.copy_(torch.tensor(weight))
            norm = following.get(id(conv))
            bias = torch.tensor(bias) if bias is not None else torch.zeros(weight.shape[0])
            if conv.bias is not None:
                conv.bias.copy_(bias)
            elif isinstance(norm, nn.BatchNorm2d):  # the identity plus the folded bias
                norm.running_mean.zero_()
                norm.running_var.fill_(1.0 - norm.eps)
                norm.weight.fill_(1.0)
                norm.bias.copy_(bias)
            else:
                raise ValueError(f"{path}: {conv} has neither a bias nor a batch-norm after it")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recover", description=__doc__)
    parser.add_argument("model", nargs="?", type=Path, default=None, help="default: the bundled")
    parser.add_argument("-o", "--output", type=Path, required=True, help="checkpoint to write")
    args = parser.parse_args(argv)
    path = args.model or default_model_path()
    model = recover(path)
    try:  # the export's own check: no-hint, point and dense inputs from real photos
        worst = check_parity(model, path, parity_images(None))
    except ParityError as error:
        print(f"error: {path}: the recovered weights do not reproduce it: {error}", file=sys.stderr)
        return 1
    print(f"max |torch - onnxruntime| = {worst:.2e} (tolerance {PARITY_TOLERANCE})")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.output, model=model.state_dict(), step=0, recovered_from=str(path))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
