"""Meta-learning on episodes. ``base.EpisodicModule`` holds the episode loop;
``inner_loop`` is MAML's pure ``torch.func`` adaptation (no Lightning) and ``sinusoid``
the paper's regression check built on it."""

from transferlab.methods.meta.base import EpisodicModule
from transferlab.methods.meta.maml import MAML, SupportSetBaseline
from transferlab.methods.meta.protonet import ProtoNet

__all__ = [
    "EpisodicModule",
    "MAML",
    "ProtoNet",
    "SupportSetBaseline",
]
