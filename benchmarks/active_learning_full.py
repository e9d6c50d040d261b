"""Active learning on the full offline MNIST (and MNIST-M): a 50,000-image pool, 2 labels
per class to start, 10 per round up to 300, 3 seeds.

    make data-full
    python benchmarks/active_learning_full.py [--domains mnist mnistm] [--seeds 0 1 2]
        [--strategies random margin ...] [--workers 2]

The loop is ``configs/active/mnist_entropy.yaml`` (a digit CNN trained on the labeled
images only) with the full MNIST's published split: the pool is its 50,000 training images
(the MNIST-M built from them for ``mnistm``), the test its 10,000 test images. To keep a
round short on two CPU cores, and said in the table:

- each round scores a fresh random 10,000 of the unlabeled pool (``active.score_subset``),
  plus the labeled images (BatchBALD's own experiments scored random pool subsets too);
- an epoch is 110 steps of 32 labeled images (``trainer.limit_train_batches``), the same
  training budget per round as on the 3,500-image subset, where an epoch is one pass over
  the unlabeled pool; 3 epochs;
- the checkpoint of each round is chosen on the first 2,016 images of the 10,000-image
  validation split (``trainer.limit_val_batches: 63``), never on the test split.

Loops run ``--workers`` at a time, one CPU thread each; seconds per round are measured
that way. Each finished loop is added to ``benchmarks/results/<output>.json`` at once, so
a long run that is stopped keeps what it finished (``--resume`` skips those).
The table (``.md``) reports, per domain and strategy, accuracy at 20/50/100/200/300 labels,
the labels needed for 90% and 95% (median over seeds), the area under the learning curve
and seconds per round, then checks the issue's goals. Several machines or processes can
share the work: give each its own ``--output`` and join them with ``--merge name ...``
(a loop rerun to a larger budget replaces its shorter run); ``--shared-cpu name ...`` marks
the seconds of parts that ran beside other jobs as upper bounds.
``active_learning_full_<domain>_curves.png`` draws the mean curve of each strategy.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, merged, write  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs/active/mnist_entropy.yaml"
NAME = "active_learning_full"
ORDER = ["random", "margin", "core_set", "badge", "bald", "entropy", "least_confident"]
SHOWN = (20, 50, 100, 200, 300)
SCALE = {"score_subset": 10_000, "limit_train_batches": 110, "limit_val_batches": 63}


def loop_config(domain: str, strategy: str, seed: int, budget: int, work: Path) -> Path:
    config = yaml.safe_load(CONFIG.read_text())
    config["active"] |= {
        "strategy": strategy,
        "budget": budget,
        "query_size": 10,
        "score_subset": SCALE["score_subset"],
        "wandb": False,
        "output": str(work / f"{domain}_{strategy}_{seed}"),
    }
    config["trainer"] |= {
        "limit_train_batches": SCALE["limit_train_batches"],
        "limit_val_batches": SCALE["limit_val_batches"],
    }
    config["data"]["init_args"] |= {"domain": domain, "mnist": "full"}
    if strategy == "bald":  # MC dropout needs dropout: the same net with p = 0.3 before the head
        config["model"]["init_args"]["drop_rate"] = 0.3
    path = work / f"{domain}_{strategy}_{seed}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def one_loop(job: tuple[str, str, int, int, str]) -> dict:
    """A whole loop in a worker process with one CPU thread."""
    import torch

    torch.set_num_threads(1)
    from transferlab.commands.active import main as active

    domain, strategy, seed, budget, work = job
    path = loop_config(domain, strategy, seed, budget, Path(work))
    history = active(["-c", str(path), f"--seed={seed}"]).history
    return {"domain": domain, "strategy": strategy, "seed": seed, "history": history}


def labels_to_reach(history: list[dict], accuracy: float) -> float:
    return next((h["labels"] for h in history if h["test_acc"] >= accuracy), float("inf"))


def summary(runs: list[dict]) -> dict:
    """Per-strategy numbers over its seeds."""
    histories = [run["history"] for run in runs]
    return {
        "seeds": sorted(run["seed"] for run in runs),
        "at": {
            c: statistics.fmean(values) if values else None
            for c in SHOWN
            if (values := [h["test_acc"] for run in histories for h in run if h["labels"] == c])
            or True
        },
        "to_90": statistics.median(labels_to_reach(run, 0.90) for run in histories),
        "to_95": statistics.median(labels_to_reach(run, 0.95) for run in histories),
        "area": statistics.fmean(statistics.fmean(h["test_acc"] for h in run) for run in histories),
        "seconds": statistics.fmean(h["seconds"] for run in histories for h in run),
        "budget": min(run[-1]["labels"] for run in histories),
        "shared_cpu": any(run.get("shared_cpu") for run in runs),
    }


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def labels_text(value: float, budget: int = 300) -> str:
    return f"not within {budget}" if value == float("inf") else f"{value:.0f}"


def goals(numbers: dict[str, dict], domain: str) -> list[str]:
    """The goals, each said as met or not on the domain it was measured on."""
    if "random" not in numbers or len(numbers) < 2:
        return []
    best = min((s for s in numbers if s != "random"), key=lambda s: numbers[s]["to_90"])
    best_90, random_90 = numbers[best]["to_90"], numbers["random"]["to_90"]
    met = best_90 <= 120 and random_90 >= 1.5 * best_90
    lines = [
        f"- {domain}: best strategy to 90%: **{best}**, {labels_text(best_90)} labels; random: "
        f"{labels_text(random_90)} (goal: ≤ 120 and random ≥ 1.5× as many: "
        f"{'met' if met else 'NOT met'}). BatchBALD's paper, 60,000 pool: BALD ~120–145, "
        "BatchBALD ~90."
    ]
    if "core_set" in numbers:
        core, rand = numbers["core_set"], numbers["random"]
        ahead = core["area"] >= rand["area"]
        lines.append(
            f"- {domain}: core-set vs random, area under the curve: {100 * core['area']:.1f} vs "
            f"{100 * rand['area']:.1f} (goal core-set ≥ random: {'met' if ahead else 'NOT met'})."
        )
    return lines


def table(payload: dict) -> str:
    lines = [
        "Pool: the 50,000 training images of the full offline MNIST (or the MNIST-M built "
        "from them); test: the 10,000 test images. Digit CNN trained on the labeled images "
        "only (`configs/active/mnist_entropy.yaml`), 2 labels per class to start, 10 per "
        "round up to 300. Each round scores a fresh random 10,000 of the unlabeled pool; "
        "3 epochs of 110 steps; checkpoint chosen on 2,016 labeled validation images (never "
        "the test split). Test accuracy (%), mean over seeds; labels to reach 90/95%: median "
        f"over seeds. Seconds per round: {payload['workers']} loops side by side, one CPU "
        "thread each.",
        "",
        "| domain | strategy | seeds | "
        + " | ".join(f"@{c}" for c in SHOWN)
        + " | labels for 90% | labels for 95% | area under curve | s / round |",
        "|---|---|---|" + "---|" * (len(SHOWN) + 4),
    ]
    verdicts = []
    for domain in dict.fromkeys(run["domain"] for run in payload["runs"]):
        numbers = {
            strategy: summary(runs)
            for strategy in ORDER
            if (
                runs := [
                    r
                    for r in payload["runs"]
                    if r["domain"] == domain and r["strategy"] == strategy
                ]
            )
        }
        for strategy, n in numbers.items():
            lines.append(
                f"| {domain} | {strategy} | {len(n['seeds'])} | "
                + " | ".join(percent(n["at"][c]) for c in SHOWN)
                + f" | {labels_text(n['to_90'], n['budget'])} "
                f"| {labels_text(n['to_95'], n['budget'])} "
                f"| {100 * n['area']:.1f} | {n['seconds']:.1f}{'*' if n['shared_cpu'] else ''} |"
            )
        verdicts += goals(numbers, domain)
    if any(run.get("shared_cpu") for run in payload["runs"]):
        lines += [
            "",
            "\\* seconds measured while other benchmarks shared the two cores: upper bounds.",
        ]
    return "\n".join([*lines, "", *verdicts])


def save_curves(payload: dict, name: str = NAME) -> None:
    from transferlab.evaluation.plots import save_learning_curves

    for domain in dict.fromkeys(run["domain"] for run in payload["runs"]):
        curves = {}
        for strategy in ORDER:
            runs = [
                r for r in payload["runs"] if (r["domain"], r["strategy"]) == (domain, strategy)
            ]
            if runs:
                counts = [h["labels"] for h in runs[0]["history"]]
                curves[strategy] = [
                    (c, 100 * statistics.fmean(run["history"][i]["test_acc"] for run in runs))
                    for i, c in enumerate(counts)
                ]
        save_learning_curves(curves, RESULTS / f"{name}_{domain}_curves.png")


def loop_key(run: dict) -> tuple:
    return run["domain"], run["strategy"], run["seed"]


def longest_of_each(runs: list[dict]) -> list[dict]:
    """One run per (domain, strategy, seed): a loop rerun to a larger budget replaces the
    shorter one it extends (the same seed gives the same rounds up to the smaller budget)."""
    kept: dict[tuple, dict] = {}
    for run in runs:
        if loop_key(run) not in kept or len(run["history"]) > len(kept[loop_key(run)]["history"]):
            kept[loop_key(run)] = run
    return list(kept.values())


def mark_shared_cpu(runs: list[dict], parts: list[str]) -> list[dict]:
    """Flag the runs found in ``parts`` (same loop, same length): their seconds were timed
    beside other jobs, so the table shows them as upper bounds."""
    timed_beside = {
        (*loop_key(run), len(run["history"]))
        for name in parts
        for run in json.loads((RESULTS / f"{name}.json").read_text())["runs"]
    }
    for run in runs:
        if (*loop_key(run), len(run["history"])) in timed_beside:
            run["shared_cpu"] = True
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", nargs="+", default=["mnist", "mnistm"])
    parser.add_argument("--strategies", nargs="+", default=ORDER)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="keep the loops already done")
    parser.add_argument("--output", default=NAME, help="result name (parallel runs: one each)")
    parser.add_argument("--merge", nargs="+", help="join these results into active_learning_full")
    parser.add_argument(
        "--shared-cpu", nargs="+", default=[], help="merged parts timed beside other jobs"
    )
    args = parser.parse_args()
    if args.merge:
        payload = merged([RESULTS / f"{name}.json" for name in args.merge])
        payload["runs"] = longest_of_each(mark_shared_cpu(payload["runs"], args.shared_cpu))
        write(NAME, payload, table(payload))
        return save_curves(payload)
    from transferlab.data.digits import load_digit_domain

    for domain in args.domains:  # build the caches once, before the workers need them
        load_digit_domain(domain, mnist="full")
    done = json.loads((RESULTS / f"{args.output}.json").read_text())["runs"] if args.resume else []
    finished = {(r["domain"], r["strategy"], r["seed"]) for r in done}
    payload = {"machine": machine(), "args": vars(args), "workers": args.workers, "runs": done}
    with tempfile.TemporaryDirectory() as work:
        jobs = [
            (domain, strategy, seed, args.budget, work)
            for domain in args.domains
            for strategy in args.strategies
            for seed in args.seeds
            if (domain, strategy, seed) not in finished
        ]
        context = multiprocessing.get_context("spawn")
        with context.Pool(args.workers, maxtasksperchild=1) as pool:
            for run in pool.imap_unordered(one_loop, jobs):
                payload["runs"].append(run)
                write(args.output, payload, table(payload))
                save_curves(payload, args.output)


if __name__ == "__main__":
    main()
