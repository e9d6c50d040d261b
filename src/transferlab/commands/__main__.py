"""``python -m transferlab.commands``: the ``transferlab`` command."""

from transferlab.commands.entry import main

main()
