"""What ``transferlab test`` writes besides its numbers: ``report_<checkpoint>/report.md``.

Beside the checkpoint's run folder (or in the test run's folder without a checkpoint):
per labeled test domain a confusion matrix, per-class precision / recall / F1 and the
calibration error with a reliability diagram (:mod:`transferlab.evaluation.report`), and a
Grad-CAM grid of the first target test images (:mod:`transferlab.explain`); the same
pictures and numbers go to W&B when a W&B logger is attached.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import WandbLogger

from transferlab.evaluation.inference import infer
from transferlab.evaluation.report import write_report
from transferlab.explain.grid import explain_networks, save_grid

EXPLAINED_IMAGES = 8


def report_folder(checkpoint: str | None, run_dir: Path) -> Path:
    if not checkpoint or checkpoint in ("best", "last"):
        return run_dir / "report"
    path = Path(checkpoint).resolve()
    return path.parent.parent / f"report_{path.stem}"


def explanation_grid(model, datamodule, folder: Path) -> Path | None:
    """Grad-CAM of the first target test images (source if the target has none)."""
    splits = getattr(datamodule, "splits", {})
    test = splits.get("target", {}).get("test") or splits.get("source", {}).get("test")
    network = model.deployable_network()
    if test is None or network is None or not len(test):
        return None
    items = [test[i] for i in range(min(EXPLAINED_IMAGES, len(test)))]
    images = torch.stack([item[0] if isinstance(item, tuple | list) else item for item in items])
    names = model.class_names or [str(i) for i in range(model.num_classes)]
    rows = explain_networks(
        {type(model).__name__: network}, images.to(model.device), "gradcam", names
    )
    spec = model.input_spec or {"mean": [0.5] * 3, "std": [0.5] * 3}
    return save_grid(rows, images, spec, folder / "explanations.png", "Grad-CAM, target test")


def write_test_report(
    trainer: L.Trainer, model, datamodule, checkpoint: str | None, run_dir: Path
) -> Path | None:
    """The report of the test just run; ``None`` for a method without one classifier
    network (metric learning, episodic meta-learning), which is said on the console."""
    if model.deployable_network() is None or not hasattr(datamodule, "eval_loaders"):
        print(f"no test report: {type(model).__name__} has no single classifier network")
        return None
    folder = report_folder(checkpoint, run_dir)
    model.eval()
    domains = {}
    for domain, loader in datamodule.eval_loaders("test").items():
        if isinstance(next(iter(loader)), list | tuple):  # labeled: there is something to count
            outputs = infer(model, loader, ("probabilities",), device=model.device)
            domains[domain] = outputs["probabilities"], outputs["labels"]
    classes = list(getattr(datamodule, "classes", None) or model.class_names)
    folder.mkdir(parents=True, exist_ok=True)
    with torch.enable_grad():
        grid = explanation_grid(model, datamodule, folder)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")}
    run = {
        "method": type(model).__name__,
        "checkpoint": checkpoint,
        "config": str(run_dir / "config.yaml"),
        "protocol": model.selection_protocol,
        "metrics": metrics,
    }
    report = write_report(folder, domains, classes, run, grid)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            pictures = sorted(str(p) for p in folder.glob("*.png"))
            logger.log_image(
                key="test_report", images=pictures, caption=[Path(p).stem for p in pictures]
            )
    print(f"test report: {report}")
    return report
