"""onnxruntime sessions for the bundled models: which execution providers, and how threads wait."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from videocolor.errors import ModelError


def choose_providers(device: str = "auto") -> list[str]:
    """onnxruntime execution providers for ``device`` (auto | cpu | cuda | tensorrt).

    ``auto`` takes TensorRT, then CUDA, when this onnxruntime build has them, with the CPU always
    last as the fallback; asking for a device the build lacks is an error, not a silent CPU run.
    """
    available = ort.get_available_providers()
    wanted = {
        "auto": ["TensorrtExecutionProvider", "CUDAExecutionProvider"],
        "tensorrt": ["TensorrtExecutionProvider"],
        "cuda": ["CUDAExecutionProvider"],
        "cpu": [],
    }
    if device not in wanted:
        raise ModelError(f"unknown device {device!r}: use auto, cpu, cuda or tensorrt")
    chosen = [p for p in wanted[device] if p in available]
    if device in ("cuda", "tensorrt") and not chosen:
        raise ModelError(
            f"--device {device}: this onnxruntime has only {', '.join(available)}; "
            "install the gpu extra (onnxruntime-gpu) on a machine with CUDA"
        )
    return [*chosen, "CPUExecutionProvider"]


def open_session(model_path: Path, device: str = "auto", threads: int = 0) -> ort.InferenceSession:
    """An onnxruntime session on ``device`` (:func:`choose_providers`) whose threads sleep
    between runs: the engine does OpenCV and numpy work between runs, and spinning threads
    slowed it (and the keyframe matcher 2.3 times) on 2 cores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(model_path), options, providers=choose_providers(device))
    except Exception as error:  # onnxruntime's errors derive from Exception only
        detail = " ".join(str(error).split())  # onnxruntime's messages can span lines
        raise ModelError(f"{model_path}: not a loadable ONNX model ({detail})") from error
