"""ONNX export (``torch.onnx.export(dynamo=True)``), its parity check in ONNX Runtime, and
ONNX Runtime's own int8 quantization: the deployment path that needs no PyTorch at all."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn

INPUT, OUTPUT = "images", "logits"


def export_onnx(network: nn.Module, example: torch.Tensor, path: str | Path) -> Path:
    """Write ``network`` as ONNX with a dynamic batch axis."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        network.eval(),
        (example,),
        str(path),
        input_names=[INPUT],
        output_names=[OUTPUT],
        dynamo=True,
        dynamic_shapes=({0: "batch"},),
        external_data=False,  # one self-contained file: what gets shipped and measured
        verbose=False,
    )
    return path


def session(path: str | Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_session(onnx_session: ort.InferenceSession, images: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(onnx_session.run(None, {INPUT: images.numpy()})[0])


class _Batches(CalibrationDataReader):
    def __init__(self, batches: Iterable[torch.Tensor]) -> None:
        self._batches = iter(batches)

    def get_next(self) -> dict | None:
        images = next(self._batches, None)
        return None if images is None else {INPUT: images.numpy().astype(np.float32)}


def quantize_onnx(
    source: str | Path,
    target: str | Path,
    mode: str,
    calibration: Iterable[torch.Tensor] | None = None,
) -> Path:
    """ONNX Runtime int8: ``dynamic`` (weights int8, activation scales per batch) or
    ``static`` (QDQ format, activation scales from ``calibration`` batches)."""
    source, target = Path(source), Path(target)
    prepared = target.with_suffix(".prep.onnx")
    quant_pre_process(str(source), str(prepared))
    try:
        if mode == "dynamic":
            quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8)
        elif mode == "static":
            if calibration is None:
                raise ValueError("static ONNX quantization needs calibration images")
            quantize_static(
                str(prepared),
                str(target),
                _Batches(calibration),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
            )
        else:
            raise ValueError(f"unknown ONNX quantization mode {mode!r}: dynamic or static")
    finally:
        prepared.unlink(missing_ok=True)
    return target
