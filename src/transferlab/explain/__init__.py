"""Explanations: where a classifier looks (Grad-CAM, LIME, SHAP through captum) and
whether the maps are about the model (randomisation and deletion / insertion checks)."""

from transferlab.explain.attributions import EXPLAINERS, explain, gradcam, lime, shap
from transferlab.explain.callback import ExplanationGrid
from transferlab.explain.checks import deletion_insertion, randomization_check

__all__ = [
    "EXPLAINERS",
    "ExplanationGrid",
    "deletion_insertion",
    "explain",
    "gradcam",
    "lime",
    "randomization_check",
    "shap",
]
