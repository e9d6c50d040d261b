"""Export formats by name: each writes a network to a file and reads it back.

A writer takes ``(network, example, calibration, output, info, quantize, threads)`` and
returns the file, the function that runs what was written (images -> logits), and the
function to time (a ``torch.export`` program is timed as Inductor lowers it, since its
int8 kernels only appear then). An entry declares whether the format can hold int8
(``quantizes``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from transferlab.deploy.network import save_network
from transferlab.deploy.onnx_runtime import export_onnx, quantize_onnx, run_session, session
from transferlab.deploy.quantize import load_program, lowered, quantize, save_program
from transferlab.registry import Registry

EXPORT_FORMATS = Registry("export format")


@EXPORT_FORMATS.register("onnx", quantizes=True)
def write_onnx(network, example, calibration, output: Path, info, quantize_mode, threads):
    path = export_onnx(network, example, output / "model.onnx")
    if quantize_mode != "none":
        path = quantize_onnx(path, output / "model.int8.onnx", quantize_mode, calibration)
    onnx_session = session(path, threads=threads)

    def predict(images: torch.Tensor) -> torch.Tensor:
        return run_session(onnx_session, images)

    return path, predict, predict


@EXPORT_FORMATS.register("torch_export", quantizes=True)
def write_torch_export(network, example, calibration, output: Path, info, quantize_mode, threads):
    module = network
    if quantize_mode != "none":
        module = quantize(network, quantize_mode, example, calibration)
    path = save_program(module, example, output / "model.pt2")
    program = load_program(path)
    return path, program, lowered(program)


@EXPORT_FORMATS.register("network", quantizes=False)
def write_network(network, example, calibration, output: Path, info, quantize_mode, threads):
    path = save_network(network, output / "network.pt", info)
    return path, network, network
