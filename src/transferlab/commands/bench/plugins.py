"""The benchmark kinds beyond ``train``: importing this module registers them. A kind with
its own ``table`` renders its own results table."""

from transferlab.commands.bench import curves, peers
from transferlab.commands.bench.export_parity import export_parity, parity_table
from transferlab.commands.bench.runner import KINDS

KINDS.add("export_parity", export_parity, table=parity_table)

__all__ = ["curves", "peers"]
