"""Evaluation beyond accuracy: plots, label-free model-selection validators, retrieval
metrics, and the bias fix for a class a distilled student never saw."""
