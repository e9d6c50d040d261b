"""The console entry points, the top floor: ``transferlab`` (LightningCLI),
``transferlab-compare`` and ``transferlab-shift``. Thin: they wire the layers below and
print or write results; nothing below imports them."""
