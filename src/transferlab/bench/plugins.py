"""The benchmark kinds beyond ``train``: importing this module registers them."""

from transferlab.bench import curves, peers  # noqa: F401
