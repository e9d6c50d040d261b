"""transferlab: knowledge-reuse methods as Lightning modules, configured in YAML.

The floors, top to bottom (a module imports only its own floor or lower; see
``tests/test_layers.py``): ``commands``; ``methods``, ``active``, ``explain``, ``deploy``;
``data``, ``evaluation``, ``callbacks``, ``shift``; ``losses``, ``backbones``,
``schedules``, ``checkpoints``; ``registry``, ``paths``.
"""

__version__ = "0.1.0"
