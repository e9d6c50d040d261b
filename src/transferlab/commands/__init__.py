"""The top floor: the ``transferlab`` command (:mod:`.entry`) and its subcommands --
LightningCLI's fit / validate / test / predict (:mod:`.cli`), compare, shift, export,
active, explain and predict on image files. Thin: they wire the layers below and print or
write results; nothing below imports them."""
