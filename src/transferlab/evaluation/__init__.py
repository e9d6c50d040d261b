"""Evaluation beyond accuracy: model selection (``selection``: the oracle, source validation
or a label-free validator, as one object, and per-domain accuracy), the label-free
validators' registry (``validators``), the one inference helper (``inference``: logits,
probabilities, features, dropout passes), retrieval metrics, plots, test reports, and the
bias fix for a class a distilled student never saw."""
