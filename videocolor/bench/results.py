"""Writing benchmark results as strict JSON that any tool (and a later version) can read back.

A frame reproduced exactly has an infinite PSNR and an empty selection has no mean; strict JSON
has neither ``Infinity`` nor ``NaN``, so every non-finite number is written as ``null``. The file
is written under a temporary name and renamed, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, payload: object) -> Path:
    """Write ``payload`` (dicts, lists, numbers, strings) to ``path`` as indented strict JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(json.dumps(_finite(payload), indent=2, allow_nan=False) + "\n")
    temporary.replace(path)
    return path
