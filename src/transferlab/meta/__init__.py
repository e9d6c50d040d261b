"""Meta-learning on ``torch.func``: MAML's inner loop as a pure function of parameters."""

from transferlab.meta.maml import adapt, maml_task_loss

__all__ = ["adapt", "maml_task_loss"]
