"""Copy the tables that the benchmark scripts wrote into README.md, between markers.

    python benchmarks/update_readme.py

A block ``<!-- results:NAME -->`` ... ``<!-- /results:NAME -->`` in the README is replaced
by ``benchmarks/results/NAME.md``, so every number in the README comes from a script.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    for name in re.findall(r"<!-- results:(\w+) -->", text):
        result = RESULTS / f"{name}.md"
        table = (
            result.read_text().strip()
            if result.exists()
            else f"_Not measured yet: no `benchmarks/results/{name}.md`._"
        )
        pattern = re.compile(rf"(<!-- results:{name} -->).*?(<!-- /results:{name} -->)", re.S)
        text = pattern.sub(lambda m, t=table: f"{m.group(1)}\n{t}\n{m.group(2)}", text)
    readme.write_text(text)


if __name__ == "__main__":
    main()
