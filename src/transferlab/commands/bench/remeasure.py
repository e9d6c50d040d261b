"""What a re-measured table replaced, kept in its results file and said under its table.

Rendering reads the previous results file before it writes the new one. A stored run whose
row and seed the previous file held from another commit replaces that run; the pair (old and
new headline number, old and new commit) is kept under ``replaced`` in the results file, and
later renders carry it forward, so how a table moved when it was measured again is data the
harness wrote, not a sentence typed into the docs."""

from __future__ import annotations

import statistics

from transferlab.commands.bench.provenance import commit_of, short_commit


def headline(run: dict) -> tuple[str, float] | None:
    """What a run is compared by and its value in %: its target test accuracy, or an
    active-learning loop's test accuracy after its last round; None for a run without
    either (a timing)."""
    if run.get("target_test_acc") is not None:
        return "target test acc", 100 * run["target_test_acc"]
    history = run.get("history")
    if history and history[-1].get("test_acc") is not None:
        return "test acc after the last round", 100 * history[-1]["test_acc"]
    return None


def replaced(previous: dict[str, dict], current: dict[str, dict], kept: dict) -> dict:
    """``kept`` (the previous file's record of replaced runs) updated with every run of
    ``current`` whose key ``previous`` held from another commit, both with a headline."""
    found = dict(kept)
    for key, run in current.items():
        old = previous.get(key)
        if old is None or commit_of(old) == commit_of(run):
            continue
        before, after = headline(old), headline(run)
        if before is None or after is None or before[0] != after[0]:
            continue
        found[key] = {
            "label": run["label"],
            "task": run["task"],
            "seed": run["seed"],
            "metric": after[0],
            "old": round(before[1], 4),
            "new": round(after[1], 4),
            "old_commit": commit_of(old),
            "new_commit": commit_of(run),
        }
    return found


def replaced_note(pairs: dict) -> str:
    """One paragraph under the table: how many runs replaced which commit's, and how they
    moved seed for seed (mean, both extremes, how many repeated exactly)."""
    if not pairs:
        return ""
    moved = sorted(pairs.values(), key=lambda p: p["new"] - p["old"])
    differences = [p["new"] - p["old"] for p in moved]
    old_commits = ", ".join(sorted({short_commit(p["old_commit"]) for p in moved}))
    metrics = " / ".join(sorted({p["metric"] for p in moved}))
    exact = sum(abs(d) < 1e-6 for d in differences)

    def where(p: dict) -> str:
        task = "" if p["task"] == "-" else f"{p['task']}, "
        return f"{task}{p['label']}, seed {p['seed']}"

    return (
        f"Measured again: {len(moved)} runs replace the runs of the same rows and seeds in an "
        f"earlier results file (commit {old_commits}). Seed for seed, new minus old "
        f"({metrics}, in points): mean {statistics.mean(differences):+.2f}, "
        f"from {differences[0]:+.2f} ({where(moved[0])}) to {differences[-1]:+.2f} "
        f"({where(moved[-1])}); {exact} of {len(moved)} repeated exactly."
    )
