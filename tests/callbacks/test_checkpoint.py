"""last.ckpt is the final epoch's weights even when the selection score got worse."""

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from transferlab.callbacks import SelectionCheckpoint


class ScoreGetsWorse(L.LightningModule):
    """A tiny regression whose logged score is best at epoch 0 and falls after."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        inputs, targets = batch
        return nn.functional.mse_loss(self.layer(inputs), targets)

    def validation_step(self, batch, batch_idx):
        self.log("score", -float(self.current_epoch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_last_checkpoint_holds_the_final_epoch(tmp_path):
    data = TensorDataset(torch.randn(16, 2), torch.randn(16, 1))
    checkpoint = SelectionCheckpoint(
        dirpath=tmp_path, monitor="score", mode="max", save_last=True, filename="best-{epoch}"
    )
    model = ScoreGetsWorse()
    trainer = L.Trainer(
        max_epochs=3,
        callbacks=[checkpoint],
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, DataLoader(data, batch_size=8), DataLoader(data, batch_size=8))

    last = torch.load(tmp_path / "last.ckpt", weights_only=True)
    assert last["epoch"] == 2 and last["global_step"] == trainer.global_step == 6
    assert torch.equal(last["state_dict"]["layer.weight"], model.layer.weight)
    best = torch.load(checkpoint.best_model_path, weights_only=True)
    assert best["epoch"] == 0  # selection is unchanged: the best score's epoch
