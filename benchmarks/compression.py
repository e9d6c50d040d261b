"""Pruning, quantization and export of a trained digit CNN, every number measured.

    python benchmarks/compression.py [--domains mnist mnistm] [--epochs 10] [--threads 2]

For each domain: a digit CNN trained on it (source-only config, the domain as the labeled
source, checkpoint selected on its validation split), then each row below made from that
checkpoint the way a user would (``transferlab fit`` configs for what needs training,
``transferlab export``'s functions for the rest), and measured on the domain's test split:
accuracy, parameters, weight sparsity, file size (plain and gzip-compressed: pruned zeros
only save space once compressed), and latency at batch 1 and 64 with
``torch.utils.benchmark`` at ``--threads`` threads. PyTorch rows are timed eager and, for
"compiled" and the int8 rows, lowered by Inductor with freezing (int8 kernels only appear
then); ONNX rows in ONNX Runtime. Writes ``benchmarks/results/compression.{json,md}`` and
``compression_sparsity.png``. One seed: sizes and latencies do not depend on it.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import QUIET, RESULTS, machine, write  # noqa: E402

from transferlab.commands.compare import run_config  # noqa: E402
from transferlab.data import DigitDomains  # noqa: E402
from transferlab.deploy.channel_pruning import prune_channels  # noqa: E402
from transferlab.deploy.measure import accuracy, file_megabytes, latency_ms  # noqa: E402
from transferlab.deploy.network import load_network, save_network  # noqa: E402
from transferlab.deploy.onnx_runtime import (  # noqa: E402
    export_onnx,
    quantize_onnx,
    run_session,
    session,
)
from transferlab.deploy.quantize import lowered, quantize, save_program  # noqa: E402
from transferlab.evaluation.model_size import count_parameters, weight_sparsity  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAIN = str(ROOT / "configs/source_only/mnist_to_mnistm.yaml")
PRUNE = str(ROOT / "configs/pruning/mnist_digit_cnn_90.yaml")
QAT = str(ROOT / "configs/quantization/mnist_digit_cnn_qat.yaml")
EFFICIENTNET = str(ROOT / "configs/fine_tuning/digits_to_mnist.yaml")  # ImageNet weights, 64 px
OTHER = {"mnist": "mnistm", "mnistm": "mnist"}
SPARSITIES = (0.5, 0.8, 0.9, 0.95)
CHANNEL_RATIOS = (0.3, 0.5)


def domains(domain: str) -> list[str]:
    return [f"--data.init_args.source={domain}", f"--data.init_args.target={OTHER[domain]}"]


def train(config: str, domain: str, root: Path, name: str, epochs: int, *overrides: str):
    return run_config(
        config,
        overrides=[
            *QUIET,
            *domains(domain),
            f"--trainer.max_epochs={epochs}",
            f"--trainer.default_root_dir={root}",
            f"--run_name={name}",
            *overrides,
        ],
    )


def gzip_megabytes(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1e6


class Row:
    """Measures one model: ``predict`` for accuracy, ``timed`` for latency, ``file`` for size."""

    def __init__(self, args, test_batches) -> None:
        self.args, self.test = args, test_batches
        self.shape = tuple(test_batches[0][0].shape[1:])
        self.rows: list[dict] = []

    def add(self, label, network, file: Path, predict=None, timed=None, **extra) -> dict:
        predict = network if predict is None else predict
        timed = predict if timed is None else timed  # (a compiled module has no truth value)
        row = {
            "row": label,
            "accuracy": 100 * accuracy(predict, self.test),
            "parameters": count_parameters(network),
            "sparsity": weight_sparsity(network),
            "file_mb": file_megabytes(file),
            "gzip_mb": gzip_megabytes(file),
            **{
                f"latency_ms_b{batch}": latency_ms(
                    timed, torch.randn(batch, *self.shape), self.args.threads
                )
                for batch in (1, 64)
            },
            **extra,
        }
        print(f"  {label}: {row}", flush=True)
        self.rows.append(row)
        return row


def onnx_predictor(path: Path, threads: int):
    onnx_session = session(path, threads=threads)
    return lambda images: run_session(onnx_session, images)


def test_data(domain: str, image_size: int = 28):
    """The domain's test batches and two batches of unlabeled training images (calibration)."""
    data = DigitDomains(
        source=domain, target=OTHER[domain], num_workers=0, batch_size=256, image_size=image_size
    )
    data.setup("fit")
    test = list(data.eval_dataloader("source", "test"))
    calibration = list(itertools.islice(data.eval_dataloader("source", "train", False), 2))
    return test, calibration


def measure_float_and_int8(measured: Row, network, info, name: str, work: Path, calibration):
    """The rows every model gets: float32 eager and compiled, int8 by torchao and by ONNX
    Runtime. Returns the ONNX float32 file."""
    example = measured.test[0][0][:2]
    measured.add("fp32 eager", network, save_network(network, work / f"{name}.pt", info))
    measured.add("fp32 compiled", network, work / f"{name}.pt", timed=lowered(network))
    for mode in ("dynamic", "static"):
        int8 = quantize(network, mode, example, calibration if mode == "static" else None)
        file = save_program(int8, example, work / f"{name}_{mode}.pt2")
        measured.add(f"int8 {mode} (torchao PT2E, compiled)", int8, file, timed=lowered(int8))
    onnx = export_onnx(network, example, work / f"{name}.onnx")
    predict = onnx_predictor(onnx, measured.args.threads)
    measured.add("ONNX fp32 (ONNX Runtime)", network, onnx, predict=predict)
    for mode in ("dynamic", "static"):
        file = quantize_onnx(onnx, work / f"{name}_{mode}.int8.onnx", mode, calibration)
        predict = onnx_predictor(file, measured.args.threads)
        measured.add(f"ONNX int8 {mode} (ONNX Runtime)", network, file, predict=predict)
    return onnx


def measure_efficientnet(args, work: Path) -> list[dict]:
    """EfficientNet-Lite0 (offline ImageNet weights) fine-tuned on MNIST-M at 64 px: the
    float and int8 rows, 90% magnitude pruning and 30% of the channels removed, each
    fine-tuned about as long as the base model was (fewer rows than the digit CNN: each
    fine-tuning run costs minutes here)."""
    test, calibration = test_data("mnistm", image_size=64)
    measured = Row(args, test)
    epochs = args.efficientnet_epochs
    base = train(EFFICIENTNET, "mnistm", work, "efficientnet", epochs)
    network, info = load_network(base.checkpoint_path)
    measure_float_and_int8(measured, network, info, "efficientnet", work, calibration)
    init = f"--model.init_args.init_from={base.checkpoint_path}"
    pruning = (
        '--trainer.callbacks=[{"class_path": "transferlab.callbacks.GlobalMagnitudePruning",'
        f' "init_args": {{"sparsity": 0.9, "pruning_epochs": {epochs}}}}}]'
    )
    run = train(EFFICIENTNET, "mnistm", work, "efficientnet_sparse", epochs + 1, pruning, init)
    sparse, _ = load_network(run.checkpoint_path)
    file = save_network(sparse, work / "efficientnet_sparse.pt", info)
    measured.add("unstructured 90%", sparse, file)
    slim, _ = load_network(base.checkpoint_path)
    prune_channels(slim, 0.3, test[0][0][:2])
    start = save_network(slim, work / "efficientnet_slim_start.pt", info)
    run = train(
        EFFICIENTNET,
        "mnistm",
        work,
        "efficientnet_slim",
        epochs,
        f"--model.init_args.init_from={start}",
    )
    slim, _ = load_network(run.checkpoint_path)
    file = save_network(slim, work / "efficientnet_slim.pt", info)
    measured.add("structured 30% of channels", slim, file)
    measured.add("structured 30%, compiled", slim, file, timed=lowered(slim))
    for row in measured.rows:
        row["domain"] = "EfficientNet-Lite0 (ImageNet weights) on mnistm at 64 px"
    return measured.rows


def measure_domain(domain: str, args, work: Path) -> list[dict]:
    test, calibration = test_data(domain)
    example = test[0][0][:2]
    measured = Row(args, test)
    base = train(TRAIN, domain, work, f"{domain}_base", args.epochs)
    network, info = load_network(base.checkpoint_path)
    measure_float_and_int8(measured, network, info, domain, work, calibration)

    run = train(
        QAT, domain, work, f"{domain}_qat", 3, f"--model.init_args.init_from={base.checkpoint_path}"
    )
    qat, _ = load_network(run.checkpoint_path)
    file = save_program(qat, example, work / f"{domain}_qat.pt2")
    measured.add("int8 QAT (torchao PT2E, compiled)", qat, file, timed=lowered(qat))

    for sparsity in SPARSITIES:
        pruning = (
            '--trainer.callbacks=[{"class_path": "transferlab.callbacks.GlobalMagnitudePruning",'
            f' "init_args": {{"sparsity": {sparsity}, "pruning_epochs": 3}}}}]'
        )
        run = train(
            PRUNE,
            domain,
            work,
            f"{domain}_sparse{sparsity}",
            6,
            pruning,
            f"--model.init_args.init_from={base.checkpoint_path}",
        )
        sparse, _ = load_network(run.checkpoint_path)
        file = save_network(sparse, work / f"{domain}_sparse{sparsity}.pt", info)
        measured.add(f"unstructured {sparsity:.0%}", sparse, file)

    pruned_networks = {}
    for ratio in CHANNEL_RATIOS:
        slim, _ = load_network(base.checkpoint_path)
        prune_channels(slim, ratio, example)
        start = save_network(slim, work / f"{domain}_channels{ratio}_start.pt", info)
        run = train(
            TRAIN,
            domain,
            work,
            f"{domain}_channels{ratio}",
            5,
            "--model.init_args.lr_scheduler=null",
            f"--model.init_args.init_from={start}",
        )
        slim, _ = load_network(run.checkpoint_path)
        pruned_networks[ratio] = slim
        file = save_network(slim, work / f"{domain}_channels{ratio}.pt", info)
        measured.add(f"structured {ratio:.0%} of channels", slim, file)
        measured.add(f"structured {ratio:.0%}, compiled", slim, file, timed=lowered(slim))

    slim = pruned_networks[0.5]
    slim_onnx = export_onnx(slim, example, work / f"{domain}_slim.onnx")
    file = quantize_onnx(slim_onnx, work / f"{domain}_slim.int8.onnx", "static", calibration)
    measured.add(
        "structured 50% + ONNX int8 static", slim, file, predict=onnx_predictor(file, args.threads)
    )
    int8 = quantize(slim, "static", example, calibration)
    file = save_program(int8, example, work / f"{domain}_slim_static.pt2")
    measured.add(
        "structured 50% + int8 static (torchao, compiled)", int8, file, timed=lowered(int8)
    )
    for row in measured.rows:
        row["domain"] = f"digit CNN on {domain}"
    return measured.rows


def goals(rows: list[dict]) -> list[str]:
    """The issue's goals, each checked against the measured rows of one domain."""
    by = {r["row"]: r for r in rows}
    fp32 = by["fp32 eager"]
    lines = []

    def say(goal: str, reached: bool, detail: str) -> None:
        lines.append(f"- {goal}: {'reached' if reached else '**not reached**'} ({detail})")

    def change(row: dict) -> str:
        return f"{row['accuracy'] - fp32['accuracy']:+.2f} points"

    if "unstructured 90%" in by:
        drop = fp32["accuracy"] - by["unstructured 90%"]["accuracy"]
        say(
            "≥ 90% sparsity with ≤ 0.3 points drop",
            drop <= 0.3,
            f"{change(by['unstructured 90%'])} at 90%",
        )
    if "structured 50% of channels" in by:
        slim, slim_c = by["structured 50% of channels"], by["structured 50%, compiled"]
        speed = fp32["latency_ms_b64"] / slim["latency_ms_b64"]
        speed_c = by["fp32 compiled"]["latency_ms_b64"] / slim_c["latency_ms_b64"]
        drop = fp32["accuracy"] - slim["accuracy"]
        say(
            "50% of channels: ≥ 1.5× faster, ≤ 0.5 points drop",
            max(speed, speed_c) >= 1.5 and drop <= 0.5,
            f"{speed:.2f}× eager, {speed_c:.2f}× compiled at batch 64, {change(slim)}",
        )
    int8_rows = [
        r
        for r in rows
        if "int8" in r["row"] and "structured" not in r["row"] and "QAT" not in r["row"]
    ]
    best = min(int8_rows, key=lambda r: r["latency_ms_b64"])
    float_reference = (
        by["ONNX fp32 (ONNX Runtime)"] if "ONNX" in best["row"] else by["fp32 compiled"]
    )
    smaller = fp32["file_mb"] / best["file_mb"]
    faster = float_reference["latency_ms_b64"] / best["latency_ms_b64"]
    drop = fp32["accuracy"] - best["accuracy"]
    say(
        "int8: ≥ 3.5× smaller, ≤ 0.5 points drop, ≥ 1.5× faster at batch 64 (best backend)",
        smaller >= 3.5 and drop <= 0.5 and faster >= 1.5,
        f"fastest int8 is {best['row']}: {smaller:.2f}× smaller, {faster:.2f}× faster than "
        f"{float_reference['row']}, {change(best)}",
    )
    if "int8 QAT (torchao PT2E, compiled)" in by:
        qat = by["int8 QAT (torchao PT2E, compiled)"]
        say("QAT: ≤ 0.2 points drop", fp32["accuracy"] - qat["accuracy"] <= 0.2, change(qat))
    if "structured 50% + ONNX int8 static" not in by:
        return lines
    both = min(
        by["structured 50% + ONNX int8 static"]["file_mb"],
        by["structured 50% + int8 static (torchao, compiled)"]["file_mb"],
    )
    say(
        "prune + quantize ≥ 10× smaller",
        fp32["file_mb"] / both >= 10,
        f"{fp32['file_mb'] / both:.1f}× smaller than the fp32 network file",
    )
    return lines


def table(payload: dict) -> str:
    lines = [
        f"Digit CNN trained {payload['args']['epochs']} epochs, EfficientNet-Lite0 fine-tuned "
        f"{payload['args']['efficientnet_epochs']}, on the 5,000-digit subset, one seed; "
        f"latency at {payload['args']['threads']} CPU threads (median, torch.utils.benchmark); "
        "accuracy on the domain's test split; sizes are of the file each row writes. The "
        "pruned rows fine-tune the trained model further (6 epochs unstructured, 5 "
        "structured), QAT 3 epochs; the fp32 and post-training int8 rows have only the "
        "base training, so a pruned row can score above fp32.",
    ]
    for domain in dict.fromkeys(r["domain"] for r in payload["rows"]):
        rows = [r for r in payload["rows"] if r["domain"] == domain]
        eager, compiled = rows[0], rows[1]
        lines += [
            "",
            f"**{domain}**",
            "",
            "| model | accuracy | parameters | sparsity | file MB | gzip MB | ms @1 | ms @64 "
            "| × fp32 eager @64 | × fp32 compiled @64 |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            ms = r["latency_ms_b64"]
            lines.append(
                f"| {r['row']} | {r['accuracy']:.2f} | {r['parameters']:,} | {r['sparsity']:.1%} "
                f"| {r['file_mb']:.3f} | {r['gzip_mb']:.3f} | {r['latency_ms_b1']:.3f} "
                f"| {ms:.2f} | {eager['latency_ms_b64'] / ms:.2f} "
                f"| {compiled['latency_ms_b64'] / ms:.2f} |"
            )
        lines += ["", *goals(rows)]
    return "\n".join(lines)


def plot(payload: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.5))
    for domain in dict.fromkeys(r["domain"] for r in payload["rows"]):
        rows = [r for r in payload["rows"] if r["domain"] == domain]
        if not any(r["row"].startswith("unstructured") for r in rows):
            continue
        dense = [r for r in rows if r["row"] == "fp32 eager"]
        sparse = dense + [r for r in rows if r["row"].startswith("unstructured")]
        axis.plot(
            [100 * r["sparsity"] for r in sparse],
            [r["accuracy"] for r in sparse],
            "o-",
            label=f"{domain}: unstructured",
        )
        slim = dense + [r for r in rows if r["row"].endswith("of channels")]
        removed = [100 * (1 - r["parameters"] / dense[0]["parameters"]) for r in slim]
        axis.plot(removed, [r["accuracy"] for r in slim], "s--", label=f"{domain}: structured")
    axis.set_xlabel("weights removed or zero (%)")
    axis.set_ylabel("test accuracy (%)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(RESULTS / "compression_sparsity.png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", nargs="+", default=["mnist", "mnistm"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--efficientnet_epochs", type=int, default=2, help="0: leave it out")
    parser.add_argument("--table_only", action="store_true", help="rewrite the .md and .png")
    parser.add_argument(
        "--efficientnet_only",
        action="store_true",
        help="measure EfficientNet-Lite0 again and replace only its rows in the results",
    )
    args = parser.parse_args()
    if args.table_only:
        payload = json.loads((RESULTS / "compression.json").read_text())
        write("compression", payload, table(payload))
        plot(payload)
        return
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if args.efficientnet_only:
            stored = json.loads((RESULTS / "compression.json").read_text())
            rows += [r for r in stored["rows"] if r["domain"].startswith("digit CNN")]
        else:
            for domain in args.domains:
                rows += measure_domain(domain, args, Path(work))
        if args.efficientnet_epochs:
            rows += measure_efficientnet(args, Path(work))
    kept = {k: stored["args"][k] for k in ("domains", "epochs")} if args.efficientnet_only else {}
    payload = {"machine": machine(), "args": {**vars(args), **kept}, "rows": rows}
    write("compression", payload, table(payload))
    plot(payload)


if __name__ == "__main__":
    main()
