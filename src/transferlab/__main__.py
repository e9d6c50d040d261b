"""``python -m transferlab``: the ``transferlab`` command."""

from transferlab.commands.entry import main

main()
