"""The benchmark kinds beyond ``train``, one module each: importing this package imports
every module in it, and each registers its kinds in ``runner.KINDS``.

A kind measures one run of a spec and returns a JSON-able dict::

    @KINDS.register("compression", table=compression_table, options={"threads": 2})
    def compression(spec, run, overrides, folder) -> dict: ...

``options`` are the kind's settings with their defaults; a spec sets them under
``options:`` (for all rows) or a row's ``options:``, and the kind reads ``run.options``.
A kind with a ``table(spec, runs, figures)`` renders its own results table (and may draw
plots into the ``figures`` folder, named after the spec).
"""

import importlib
import pkgutil

for module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{module.name}")
