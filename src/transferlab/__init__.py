"""transferlab: knowledge-reuse methods as Lightning modules, configured in YAML."""

__version__ = "0.1.0"
