"""Active learning: labels needed and accuracy reached, per query strategy.

    python benchmarks/active_learning.py [--strategies random entropy ...] [--seeds 0]
        [--budget 100] [--query_size 10] [--domain mnist]
    python benchmarks/active_learning.py --semi_supervised   # label propagation each round
    python benchmarks/active_learning.py --adaptation        # DANN, MNIST -> MNIST-M

Runs ``transferlab active`` with ``configs/active/mnist_entropy.yaml`` (a digit CNN trained
on the labeled images only, 2 labels per class to start) once per strategy and seed, the
pool being the training split of the 5,000-digit offline subset (3,500 images) and the test
split its 1,000 test images. Reports accuracy at each label count, the labels needed for 90%
(if reached), the area under the learning curve (mean accuracy over the rounds) and the time
per round. Writes ``benchmarks/results/active_learning.{json,md}`` and
``active_learning_curves.png``. With ``--semi_supervised`` the method is label propagation
on the labeled images and the unlabeled rest of the pool
(``configs/active/mnist_label_propagation_margin.yaml``, 20 labels per round), written to
``active_semi_supervised.{json,md}`` and ``active_semi_supervised_curves.png``. With
``--adaptation`` the pool is the MNIST-M target training split and DANN adapts from labeled
MNIST each round, the queried target labels joining training
(``configs/active/dann_mnist_to_mnistm_margin.yaml``); the same DANN without any target
label is run beside it for each seed. Written to ``active_domain_adaptation.{json,md}``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write  # noqa: E402

from transferlab.commands.active import main as active  # noqa: E402
from transferlab.commands.cli import TransferLabCLI  # noqa: E402
from transferlab.evaluation.plots import save_learning_curves  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs/active/mnist_entropy.yaml"
SEMI_CONFIG = ROOT / "configs/active/mnist_label_propagation_margin.yaml"
DA_CONFIG = ROOT / "configs/active/dann_mnist_to_mnistm_margin.yaml"


def config_of(args) -> Path:
    if args.adaptation:
        return DA_CONFIG
    return SEMI_CONFIG if args.semi_supervised else CONFIG


STRATEGIES = ["random", "least_confident", "margin", "entropy", "bald", "core_set", "badge"]


def run(strategy: str, seed: int, args, work: Path) -> list[dict]:
    config = yaml.safe_load(config_of(args).read_text())
    config["active"] |= {
        "strategy": strategy,
        "budget": args.budget,
        "query_size": args.query_size,
        "output": str(work / f"{strategy}_{seed}"),
    }
    if not args.adaptation:
        config["data"]["init_args"]["domain"] = args.domain
    if strategy == "bald":  # MC dropout needs dropout: the same net with p = 0.3 before the head
        config["model"]["init_args"]["drop_rate"] = 0.3
    path = work / f"{strategy}_{seed}.yaml"
    path.write_text(yaml.safe_dump(config))
    return active(["-c", str(path), f"--seed={seed}"]).history


def without_target_labels(seed: int, work: Path) -> dict:
    """The same DANN fit with no target label at all: the baseline active DA must beat."""
    config = yaml.safe_load(DA_CONFIG.read_text())
    config.pop("active")
    path = work / f"dann_{seed}.yaml"
    path.write_text(yaml.safe_dump(config))
    cli = TransferLabCLI(
        args=[
            "-c",
            str(path),
            f"--seed_everything={seed}",
            "--trainer.logger=false",
            f"--trainer.default_root_dir={work / f'dann_{seed}'}",
        ],
        run=False,
    )
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    best = cli.trainer.checkpoint_callback.best_model_path
    results = cli.trainer.test(
        cli.model, datamodule=cli.datamodule, ckpt_path=best, weights_only=True, verbose=False
    )
    flat = {key: value for metrics in results for key, value in metrics.items()}
    return {"seed": seed, "test_acc": float(flat["test/target_acc"])}


def labels_to_reach(history: list[dict], accuracy: float) -> int | None:
    return next((h["labels"] for h in history if h["test_acc"] >= accuracy), None)


def table(payload: dict) -> str:
    args = payload["args"]
    counts = sorted({h["labels"] for run in payload["runs"] for h in run["history"]})
    shown = [c for c in counts if c in (20, 50, 100, 200, 300) or c == counts[-1]]
    shown = counts if len(counts) <= 6 else shown
    lines = [
        (
            "Pool: the MNIST-M target training split (3,500 images) of MNIST → MNIST-M; test: "
            "the MNIST-M test split. "
            if args.get("adaptation")
            else f"Pool: the {args['domain']} training split of the offline subset; "
            "test: its test split. "
        )
        + (
            "Label propagation on a digit CNN, trained on the labeled images and the unlabeled "
            "rest of the pool (`configs/active/mnist_label_propagation_margin.yaml`), "
            if args.get("semi_supervised")
            else "DANN on a digit CNN, adapting from labeled MNIST, the queried target labels "
            "joining training (`configs/active/dann_mnist_to_mnistm_margin.yaml`), "
            if args.get("adaptation")
            else "Digit CNN trained on the labeled images only "
            "(`configs/active/mnist_entropy.yaml`), "
        )
        + f"2 labels per class to start, {args['query_size']} per round up to {args['budget']}; "
        f"seeds {args['seeds']}; checkpoint selected each round on "
        + (
            "source validation accuracy (no target validation labels). "
            if args.get("adaptation")
            else "the labeled validation split. "
        )
        + "Test accuracy (%), mean over seeds.",
        "",
        "| strategy | "
        + " | ".join(f"@{c}" for c in shown)
        + " | labels for 90% | area under curve "
        "| s / round |",
        "|---|" + "---|" * (len(shown) + 3),
    ]
    for strategy in args["strategies"]:
        runs = [r["history"] for r in payload["runs"] if r["strategy"] == strategy]
        at = {
            c: statistics.fmean(h["test_acc"] for run in runs for h in run if h["labels"] == c)
            for c in shown
        }
        needed = [labels_to_reach(run, 0.9) for run in runs]
        needed_text = (
            f"{statistics.median(needed):.0f}"
            if all(n is not None for n in needed)
            else f"not within {args['budget']}"
        )
        area = statistics.fmean(statistics.fmean(h["test_acc"] for h in run) for run in runs)
        seconds = statistics.fmean(h["seconds"] for run in runs for h in run)
        lines.append(
            f"| {strategy} | "
            + " | ".join(f"{100 * at[c]:.1f}" for c in shown)
            + f" | {needed_text} | {100 * area:.1f} | {seconds:.1f} |"
        )
    if payload.get("baselines"):
        accuracy = statistics.fmean(b["test_acc"] for b in payload["baselines"])
        lines += [
            "",
            f"The same DANN with no target label: {100 * accuracy:.1f}% target test accuracy "
            f"(seeds {[b['seed'] for b in payload['baselines']]}, selected on source validation).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategies", nargs="+", default=STRATEGIES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--query_size", type=int, default=10)
    parser.add_argument("--domain", default="mnist")
    parser.add_argument("--semi_supervised", action="store_true")
    parser.add_argument("--adaptation", action="store_true")
    args = parser.parse_args()
    name = "active_semi_supervised" if args.semi_supervised else "active_learning"
    name = "active_domain_adaptation" if args.adaptation else name
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for seed in args.seeds:
            for strategy in args.strategies:
                history = run(strategy, seed, args, Path(work))
                runs.append({"strategy": strategy, "seed": seed, "history": history})
        baselines = [without_target_labels(s, Path(work)) for s in args.seeds if args.adaptation]
    payload = {"machine": machine(), "args": vars(args), "runs": runs, "baselines": baselines}
    write(name, payload, table(payload))
    curves = {
        strategy: [
            (h["labels"], 100 * h["test_acc"])
            for h in next(r["history"] for r in runs if r["strategy"] == strategy)
        ]
        for strategy in args.strategies
    }
    save_learning_curves(curves, RESULTS / f"{name}_curves.png")


if __name__ == "__main__":
    main()
