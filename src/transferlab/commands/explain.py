"""``transferlab explain --ckpt CKPT --images DIR_OR_FILES --method gradcam|lime|shap``,
or ``transferlab explain --ckpt CKPT --texts FILE.csv|.jsonl`` for a model trained on text.

Writes ``explanations.png`` (each image, then per model its heat map with the predicted
class and probability) and ``explanations.json`` (per image and model: class,
probability; per model: the honesty checks of :mod:`transferlab.explain.checks` with
``--checks``). ``--compare CKPT`` adds more models on the same images, e.g. the
source-only model beside the adapted one on target images. Every input is checked before
any work starts (image paths, unreadable files, the Grad-CAM layer, checkpoints of a
method that has no classifier, input sizes that differ), and the files are written only
once everything has been computed.

With ``--texts`` it writes ``explanations.html``: each text with its predicted class and
its words highlighted by integrated gradients over the token embeddings (the default) or
by LIME (``--method lime``; :mod:`transferlab.explain.text`), and ``explanations.json``
with the same numbers.
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

TEXT_METHODS = ("integrated_gradients", "lime")  # the first is the default


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


def explain_texts(args) -> Path:
    """``--texts``: integrated gradients over tokens or LIME over words, as highlighted
    text in HTML."""
    from transferlab.backbones.text import FROZEN_MULTILINGUAL, load_tokenizer
    from transferlab.data.text import read_rows, tokenize
    from transferlab.explain.text import html_page, integrated_gradients, lime, words

    method = args.method or TEXT_METHODS[0]
    if method not in TEXT_METHODS:
        raise ValueError(f"texts are explained with --method {' or '.join(TEXT_METHODS)}")
    if args.compare or args.checks:
        raise ValueError("--compare and --checks explain images; give one text model alone")
    network, info = load_network(args.ckpt)
    spec = info.get("input") or {}
    if "tokenizer" not in spec:
        raise ValueError(f"{args.ckpt} was not trained on text; use --images")
    if spec["tokenizer"] == FROZEN_MULTILINGUAL:
        raise ValueError(
            f"{args.ckpt} reads {FROZEN_MULTILINGUAL} embeddings, made outside the network: "
            "there are no words in it to attribute (explain a minilm or hf: model)"
        )
    texts = [t for t, _ in read_rows(Path(args.texts), args.text_column, None)]
    texts = texts[: args.max_images]
    ids = tokenize(texts, spec["tokenizer"], spec["max_length"])
    with torch.no_grad():
        probabilities = network.eval()(ids).softmax(1)
    confidence, predicted = probabilities.max(1)
    tokenizer = load_tokenizer(spec["tokenizer"])
    explainer = integrated_gradients if method == "integrated_gradients" else lime
    scores = explainer(network, ids, predicted, tokenizer)
    names = info.get("class_names") or [str(i) for i in range(info["num_classes"])]
    rows = [
        {
            "text": text,
            "predicted": names[int(predicted[i])],
            "probability": round(float(confidence[i]), 4),
            "words": [(w, round(s, 4)) for w, s in words(tokenizer, ids[i], scores[i])],
        }
        for i, text in enumerate(texts)
    ]
    output = Path(args.output)
    title = f"{method}: {Path(args.ckpt).name}"
    page = html_page(rows, output / "explanations.html", title, method)
    record = {"method": method, "texts": rows}
    (output / "explanations.json").write_text(json.dumps(record, indent=1))
    print(f"wrote {page} and {output / 'explanations.json'}")
    return output


def main(argv: list[str] | None = None) -> Path:
    parser = command_parser("explain", __doc__)
    parser.add_argument("--ckpt", required=True, help="checkpoint or network file")
    parser.add_argument("--compare", nargs="*", default=[], help="more models, same images")
    parser.add_argument(
        "--images", nargs="+", default=None, help="folders, image files or glob patterns"
    )
    parser.add_argument("--texts", type=str | None, default=None, help="a .csv or .jsonl file")
    parser.add_argument("--text_column", default="text", help="the texts' column or key")
    parser.add_argument(
        "--method",
        choices=sorted({*EXPLAINERS.names(), *TEXT_METHODS}),
        default=None,
        help="images: gradcam (default), lime, shap; texts: integrated_gradients (default), lime",
    )
    parser.add_argument(
        "--layer", type=str | None, default=None, help="Grad-CAM layer (default: the last)"
    )
    parser.add_argument("--max_images", type=int, default=8, help="images or texts at most")
    parser.add_argument("--checks", action="store_true", help="randomisation + deletion")
    parser.add_argument("--output", default="explanations")
    args = parse(parser, argv)
    if (args.images is None) == (args.texts is None):
        raise ValueError("give --images or --texts (one of them)")
    if args.texts is not None:
        return explain_texts(args)
    args.method = args.method or "gradcam"
    if args.method == "integrated_gradients":
        raise ValueError("--method integrated_gradients explains texts: give --texts")

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
