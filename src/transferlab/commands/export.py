"""``transferlab export --ckpt CKPT``: a trained classifier as a small, fast, verified file.

    transferlab export --ckpt runs/SourceOnly_mnist_to_mnistm/version_0/checkpoints/last.ckpt
    transferlab export --ckpt CKPT --format onnx --quantize static --calibration 512
    transferlab export --ckpt CKPT --prune_channels 0.5 --format torch_export --quantize static

Steps, in order, each optional: remove a share of the channels (Torch-Pruning; the pruned
network is written as ``network.pt``, rebuildable with ``weights_only=True``), quantize to
int8 (torchao PT2E for ``torch_export``, ONNX Runtime for ``onnx``), write the file, and
measure it beside the float32 network it came from: parameters, weight sparsity, file
size, latency at batch 1 and 64, accuracy on the source and target test splits, and
agreement with the float32 network's predictions. ``report.json`` lands beside the file.

The data (for calibration and accuracy) come from the run's ``config.yaml`` next to the
checkpoint's folder, or ``--data`` (a run config or a ``configs/data/*.yaml``).
Calibration images are unlabeled training images of ``--calibration_domain``.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import lightning as L
import torch
import yaml
from jsonargparse import ArgumentParser, Namespace

from transferlab import checkpoints
from transferlab.commands.options import command_parser, parse
from transferlab.deploy.channel_pruning import prune_channels
from transferlab.deploy.formats import EXPORT_FORMATS
from transferlab.deploy.measure import file_megabytes, latency_ms, parity
from transferlab.deploy.network import load_network, save_network
from transferlab.deploy.quantize import float_layers_left
from transferlab.evaluation.inference import infer
from transferlab.evaluation.model_size import count_parameters, weight_sparsity


def parse_args(argv: list[str] | None = None) -> Namespace:
    parser = command_parser("export", __doc__)
    parser.add_argument("--ckpt", required=True, help="a transferlab checkpoint or network.pt")
    parser.add_argument("--format", choices=EXPORT_FORMATS.names(), default="onnx")
    parser.add_argument("--quantize", choices=("none", "dynamic", "static"), default="none")
    parser.add_argument("--calibration", type=int, default=512, help="images for static int8")
    parser.add_argument("--calibration_domain", choices=("source", "target"), default="target")
    parser.add_argument("--prune_channels", type=float, default=0.0, help="share, in (0, 1)")
    parser.add_argument(
        "--data", type=str | None, help="YAML with the data (default: the run's config.yaml)"
    )
    parser.add_argument("--output", type=str | None, help="folder for the file and report.json")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for latency")
    parser.add_argument("--no_latency", action="store_true", help="skip the latency timing")
    parser.add_argument(
        "--test_batches",
        type=int | None,
        help="measure on the first N batches of each labeled test split (default: all)",
    )
    args = parse(parser, argv)
    if args.test_batches is not None and args.test_batches < 1:
        raise ValueError(f"--test_batches must be at least 1, got {args.test_batches}")
    if args.quantize != "none" and not EXPORT_FORMATS.entry(args.format).quantizes:
        can = " or ".join(entry.name for entry in EXPORT_FORMATS if entry.quantizes)
        raise ValueError(f"--format {args.format} holds float weights; quantize with {can}")
    if not 0 <= args.prune_channels < 1:
        raise ValueError(f"--prune_channels must be in [0, 1), got {args.prune_channels}")
    return args


def data_config(args: Namespace) -> Path | None:
    if args.data:
        path = Path(args.data)
        if not path.is_file():
            raise FileNotFoundError(f"--data {path} does not exist")
        return path
    beside_run = Path(args.ckpt).resolve().parent.parent / "config.yaml"
    return beside_run if beside_run.is_file() else None


def build_data(path: Path) -> L.LightningDataModule:
    """The DataModule of a run config (its ``data:`` section) or of a data preset."""
    config = yaml.safe_load(path.read_text())
    section = config.get("data", config) if isinstance(config, dict) else None
    if not isinstance(section, dict) or "class_path" not in section:
        raise ValueError(f"{path} has no data section with a class_path")
    parser = ArgumentParser()
    parser.add_subclass_arguments(L.LightningDataModule, "data")
    return parser.instantiate_classes(parser.parse_object({"data": section})).data


def calibration_batches(data, domain: str, count: int) -> list[torch.Tensor]:
    loader = data.eval_dataloader(domain, "train", labeled=False)
    batches, seen = [], 0
    for images in loader:
        batches.append(images[: count - seen])
        seen += len(batches[-1])
        if seen >= count:
            break
    return batches


def labeled_test_loaders(data, limit: int | None = None) -> dict[str, list]:
    """Test batches of each domain that has labels (the first ``limit`` of them), loaded
    once and reused by every model."""
    loaders = {}
    for domain, loader in data.eval_loaders("test").items():
        first = next(iter(loader), None)
        if isinstance(first, list | tuple):
            loaders[domain] = list(itertools.islice(loader, limit))
    return loaders


def example_input(info: dict, data) -> torch.Tensor:
    """Two inputs of the network's shape: images, or a text network's token ids (real
    texts, so that its attention mask is not empty)."""
    recorded = info.get("input") or {}
    if "tokenizer" in recorded:
        from transferlab.data.text import tokenize

        texts = ["an example text to trace the network with", "another one"]
        return tokenize(texts, recorded["tokenizer"], int(recorded["max_length"]))
    size = recorded.get("image_size") or getattr(data, "image_size", None)
    if size is None:
        raise ValueError("the checkpoint records no input size; give --data")
    return torch.zeros(2, 3, int(size), int(size))


def run(argv: list[str] | None = None) -> dict:
    """Export as the command line says; returns the report."""
    args = parse_args(argv)
    if checkpoints.written_by(args.ckpt) == "QuantizationAwareTraining" and (
        args.format != "torch_export" or args.quantize != "none" or args.prune_channels
    ):
        raise ValueError(
            f"{args.ckpt} is a quantization-aware-trained checkpoint: it converts to int8 "
            "itself, so export it with --format torch_export alone (no --quantize or "
            "--prune_channels)"
        )
    network, info = load_network(args.ckpt)  # clear errors for a missing or foreign file
    config = data_config(args)
    if args.quantize == "static" and config is None:
        raise ValueError(
            "static quantization needs calibration images: give --data (a run config or "
            "configs/data/*.yaml), or use --quantize dynamic"
        )
    data = build_data(config) if config is not None else None
    if data is not None:
        data.setup("fit")
    example = example_input(info, data)
    output = Path(args.output or Path(args.ckpt).resolve().parent / "export")
    output.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()  # set for the export, given back after it
    torch.set_num_threads(args.threads)
    try:
        return export_and_report(args, network, info, data, example, output)
    finally:
        torch.set_num_threads(threads)


def export_and_report(args, network, info: dict, data, example, output: Path) -> dict:
    """Prune, write and read back the file, measure it, and write ``report.json``."""
    # what the written model is compared with: the float32 network (a QAT checkpoint has
    # none: its training graph was fake-quantized, compare with its test accuracy)
    reference = None if isinstance(network, torch.fx.GraphModule) else network
    if args.prune_channels:
        network = copy.deepcopy(network)  # pruned in place; the float32 one stays the reference
        report_pruning = prune_channels(network, args.prune_channels, example)
        save_network(
            network, output / "network.pt", {**info, "pruned_channels": args.prune_channels}
        )
    else:
        report_pruning = {}
    calibration = (
        calibration_batches(data, args.calibration_domain, args.calibration)
        if args.quantize == "static"
        else None
    )
    path, predict, timed = write_model(args, network, example, calibration, output, info)

    report = {
        "checkpoint": str(args.ckpt),
        "format": args.format,
        "quantize": args.quantize,
        "file": str(path),
        "file_mb": file_megabytes(path),
        "parameters": count_parameters(network),
        "weight_sparsity": weight_sparsity(network),
        "float_layers_left": float_layers_left(network, args.quantize)
        if args.quantize != "none"
        else [],
        **report_pruning,
        "test_batches": args.test_batches or "all",
        **measure(args, reference, predict, timed, example, data),
    }
    (output / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"wrote {path} and {output / 'report.json'}")
    return report


def write_model(args, network, example, calibration, output: Path, info: dict):
    """Write the requested file and read it back (see :mod:`transferlab.deploy.formats`)."""
    writer = EXPORT_FORMATS.get(args.format)
    return writer(network, example, calibration, output, info, args.quantize, args.threads)


def measure(args, reference, predict, timed, example, data) -> dict:
    """Accuracy and agreement with the float32 network on the labeled test splits, and
    latency at batch 1 and 64."""
    results = {}
    if data is not None:
        for domain, batches in labeled_test_loaders(data, args.test_batches).items():
            ours = infer(predict, batches)
            labels = ours.pop("labels")
            ours = ours["logits"]
            results[f"{domain}_test_acc"] = float((ours.argmax(1) == labels).float().mean())
            if reference is None:
                continue
            theirs = infer(reference, batches)["logits"]
            results[f"{domain}_test_acc_float32"] = float(
                (theirs.argmax(1) == labels).float().mean()
            )
            results[f"{domain}_parity"] = parity(theirs, ours)
    if not args.no_latency:
        for batch in (1, 64):
            images = torch.randn(batch, *example.shape[1:])
            results[f"latency_ms_batch{batch}"] = latency_ms(timed, images, args.threads)
    return results


def main(argv: list[str] | None = None) -> None:
    run(argv)


if __name__ == "__main__":
    main()
