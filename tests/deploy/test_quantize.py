"""int8 through torchao's PT2E flow and through ONNX Runtime; ONNX parity."""

import pytest
import torch
from torch import nn

from transferlab.deploy.measure import parity
from transferlab.deploy.onnx_runtime import export_onnx, quantize_onnx, run_session, session
from transferlab.deploy.quantize import load_program, quantize, save_program
from transferlab.evaluation.inference import accuracy, infer


def test_static_int8_keeps_the_accuracy_and_its_file_reloads(trained, digits, tmp_path):
    network, _, _ = trained
    int8 = quantize(network, "static", digits["images"][:2], digits["calibration"])
    assert abs(accuracy(int8, digits["test"]) - accuracy(network, digits["test"])) <= 0.01
    path = save_program(int8, digits["images"][:2], tmp_path / "model.pt2")
    float_path = save_program(network, digits["images"][:2], tmp_path / "float.pt2")
    assert path.stat().st_size < 0.4 * float_path.stat().st_size
    assert torch.equal(load_program(path)(digits["images"]), int8(digits["images"]))


def test_calibration_sets_the_activation_scales(trained, digits):
    network, _, _ = trained
    example = digits["images"][:2]
    real = quantize(network, "static", example, digits["calibration"])
    blank = quantize(network, "static", example, [torch.zeros_like(digits["images"][:64])])
    difference = (real(digits["images"]) - blank(digits["images"])).abs().max()
    assert difference > 0.5


def test_static_int8_without_calibration_and_dynamic_int8_without_linear_layers_are_refused(
    trained, digits
):
    network, _, _ = trained
    with pytest.raises(ValueError, match="needs calibration images"):
        quantize(network, "static", digits["images"][:2])
    convolutions = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match="Linear layers only.*Conv2d"):
        quantize(convolutions, "dynamic", digits["images"][:2])


def test_onnx_matches_pytorch_at_any_batch_size_and_its_int8_file_is_smaller(
    trained, digits, tmp_path
):
    network, _, _ = trained
    path = export_onnx(network, digits["images"][:2], tmp_path / "model.onnx")
    onnx = session(path)
    for batch in (1, 7):
        images = digits["images"][:batch]
        assert run_session(onnx, images).shape == (batch, 10)
    ours = infer(lambda x: run_session(onnx, x), digits["test"])["logits"]
    theirs = infer(network, digits["test"])["logits"]
    agreement = parity(theirs, ours)
    assert agreement["top1_agreement"] >= 0.999 and agreement["max_abs_logit_difference"] < 1e-3
    int8 = quantize_onnx(path, tmp_path / "model.int8.onnx", "static", digits["calibration"])
    assert int8.stat().st_size < 0.3 * path.stat().st_size
    quantized = session(int8)
    assert accuracy(lambda x: run_session(quantized, x), digits["test"]) >= (
        accuracy(network, digits["test"]) - 0.02
    )
