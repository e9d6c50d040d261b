"""Evaluation beyond accuracy: plots and (later) label-free model-selection validators."""
