"""What the benchmark-kind tests share: a budget of a few batches, and a spec run and
rendered end to end in the test's working folder."""

import json
from pathlib import Path

from transferlab.commands.bench.command import main

TINY = [
    "--trainer.limit_train_batches=3",
    "--trainer.limit_val_batches=2",
    "--trainer.max_epochs=1",
    "--trainer.logger=false",
]
TINY_TESTS = [*TINY, "--trainer.limit_test_batches=2"]


def run_and_render(path: Path) -> tuple[list[dict], str]:
    """``transferlab bench run`` and ``render`` of the spec at ``path``: its stored runs and
    its table."""
    main(["run", str(path)])
    main(["render", str(path)])
    results = Path("benchmarks/results") / Path(path).stem
    runs = json.loads(results.with_suffix(".json").read_text())["runs"]
    return runs, results.with_suffix(".md").read_text()
