"""``transferlab explain --ckpt CKPT --images DIR_OR_FILES --method gradcam|lime|shap``.

Writes ``explanations.png`` (each image, then per model its heat map with the predicted
class and probability) and ``explanations.json`` (per image and model: class,
probability; per model: the honesty checks of :mod:`transferlab.explain.checks` with
``--checks``). ``--compare CKPT`` adds more models on the same images, e.g. the
source-only model beside the adapted one on target images. Every input is checked before
any work starts (image paths, unreadable files, the Grad-CAM layer, checkpoints of a
method that has no classifier, input sizes that differ), and the files are written only
once everything has been computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from transferlab.commands.options import command_parser, parse
from transferlab.commands.predict import resolve_images
from transferlab.data.image_folders import (
    UNLABELED,
    FolderImages,
    find_unreadable,
    folder_transform,
    unreadable_message,
)
from transferlab.deploy.network import load_network
from transferlab.explain.attributions import EXPLAINERS
from transferlab.explain.checks import deletion_insertion, randomization_check
from transferlab.explain.grid import check_layer, explain_networks, save_grid


def load_models(paths: list[str]) -> tuple[dict[str, torch.nn.Module], dict]:
    """Networks by display name, and the input spec they share."""
    networks, specs, names = {}, {}, None
    for path in paths:
        network, info = load_network(path)
        spec = info.get("input")
        if not spec or "image_size" not in spec:
            raise ValueError(f"{path} does not record its input size; retrain it with this version")
        name = f"{info.get('method', 'network')} ({Path(path).stem})"
        while name in networks:
            name += "'"
        networks[name], specs[path] = network, spec
        names = names or info.get("class_names") or [str(i) for i in range(info["num_classes"])]
    if len({json.dumps(s, sort_keys=True) for s in specs.values()}) > 1:
        raise ValueError(f"the checkpoints expect different inputs: {specs}")
    return networks, {"spec": next(iter(specs.values())), "class_names": names}


def load_images(patterns: list[str], spec: dict, limit: int) -> tuple[list[Path], torch.Tensor]:
    files = resolve_images(patterns)[:limit]
    bad = find_unreadable(files)
    if bad:
        raise ValueError(unreadable_message(bad))
    transform = folder_transform(spec["image_size"], spec["mean"], spec["std"], augment=False)
    dataset = FolderImages(files, [UNLABELED] * len(files), transform)
    return files, torch.stack([dataset[i][0] for i in range(len(files))])


def main(argv: list[str] | None = None) -> Path:
    parser = command_parser("explain", __doc__)
    parser.add_argument("--ckpt", required=True, help="checkpoint or network file")
    parser.add_argument("--compare", nargs="*", default=[], help="more models, same images")
    parser.add_argument(
        "--images", required=True, nargs="+", help="folders, image files or glob patterns"
    )
    parser.add_argument("--method", choices=EXPLAINERS.names(), default="gradcam")
    parser.add_argument(
        "--layer", type=str | None, default=None, help="Grad-CAM layer (default: the last)"
    )
    parser.add_argument("--max_images", type=int, default=8)
    parser.add_argument("--checks", action="store_true", help="randomisation + deletion")
    parser.add_argument("--output", default="explanations")
    args = parse(parser, argv)

    networks, loaded = load_models([args.ckpt, *args.compare])
    spec, names = loaded["spec"], loaded["class_names"]
    check_layer(networks, args.method, spec["image_size"], args.layer)
    files, images = load_images(args.images, spec, args.max_images)
    rows = explain_networks(networks, images, args.method, names, args.layer)
    checks = {}
    if args.checks:
        options = {"layer": args.layer} if args.method == "gradcam" else {}

        def explainer(network, batch, classes):
            return EXPLAINERS.get(args.method)(network, batch, classes, **options)

        for row, network in zip(rows, networks.values(), strict=True):
            checks[row["name"]] = {
                "randomization": randomization_check(explainer, network, images, row["predicted"]),
                **deletion_insertion(network, images, row["predicted"], row["maps"]),
            }
    output = Path(args.output)
    grid = save_grid(rows, images, spec, output / "explanations.png", f"{args.method}")
    record = {
        "method": args.method,
        "layer": args.layer,
        "models": [row["name"] for row in rows],
        "images": [
            {
                "file": str(file),
                **{
                    row["name"]: {
                        "predicted": names[int(row["predicted"][i])],
                        "probability": round(float(row["probability"][i]), 4),
                    }
                    for row in rows
                },
            }
            for i, file in enumerate(files)
        ],
        "checks": checks,
    }
    (output / "explanations.json").write_text(json.dumps(record, indent=1))
    print(f"wrote {grid} and {output / 'explanations.json'}")
    return output
