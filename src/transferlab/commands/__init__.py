"""The top floor: the ``transferlab`` command (:mod:`.entry`) and its subcommands --
LightningCLI's fit / validate / test (:mod:`.cli`), compare, shift, export, active,
explain, predict on files, and bench (:mod:`.bench`, the benchmark runner). Thin: they
wire the layers below and print or write results; nothing below imports them."""
