#!/usr/bin/python3
"""Train the multi-attention MIL (SCEMILA / DinoBloom MIL) on bags of cell embeddings and export it
in bloomstream's streaming MIL format.

Run with Debian's interpreter: /usr/bin/python3 models/train_mil.py --help
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bloomstream_models import mil  # noqa: E402

EPILOG = """\
input: the output of `./bloomstream embed DIR --out PREFIX` (PREFIX.npy, .csv, .json), where every
row has a `group` (the patient: one bag) and the bag label comes from the rows' `label` or from a
metadata CSV. For the published AML_Hehr layout (<label>/<patient>/image_<n>.tif plus metadata.csv):
  ./bloomstream embed /data/AML_Hehr --model dinobloom-s.onnx --out build/aml
  /usr/bin/python3 models/train_mil.py --embeddings build/aml --metadata /data/AML_Hehr/metadata.csv \\
      --out build/mil-dinobloom-s

protocol: stratified k-fold cross-validation (reported: balanced accuracy, weighted F1, per-class
AUROC), each fold trained with SGD (momentum 0.9, one bag per step) and early stopping on a
stratified validation split of its training bags; the exported model is then trained the same way
on all bags.

outputs (for --out DIR/STEM): STEM.instance.onnx (embeddings [N,D] -> attention [N,C]),
STEM.head.onnx (pooled [B,C,D] -> logits [B,C]), STEM.full.onnx (embeddings [N,D] -> logits [1,C],
for parity checks), STEM.golden.json and the manifest STEM.json (format bloomstream-mil/1).
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="train_mil.py", description=__doc__.splitlines()[0], epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--embeddings", type=Path, metavar="PREFIX",
                        help="bloomstream embed output prefix (PREFIX.npy/.csv/.json)")
    source.add_argument("--random-weights", action="store_true",
                        help="no training: export an untrained model with seeded random weights (for "
                             "benchmarks and plumbing tests; needs --dim, --embedding-model-id, --classes)")
    p.add_argument("--dim", type=int, help="with --random-weights: the embedding width D")
    p.add_argument("--embedding-model-id", help="with --random-weights: the embedder's modelId")
    p.add_argument("--metadata", type=Path, metavar="CSV",
                   help="optional patient -> bag label table (e.g. AML_Hehr's metadata.csv)")
    p.add_argument("--patient-column", default="patient_id", help="patient column in --metadata (default: %(default)s)")
    p.add_argument("--label-column", default="bag_label", help="label column in --metadata (default: %(default)s)")
    p.add_argument("--classes", help="comma-separated class order (default: sorted labels)")
    p.add_argument("--control-class", default="control",
                   help="the label meaning 'no subtype', never alerted on (default: %(default)s)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default: %(default)s)")
    p.add_argument("--lr", type=float, default=1e-3, help="SGD learning rate (default: %(default)s)")
    p.add_argument("--max-epochs", type=int, default=150, help="epoch limit (default: %(default)s)")
    p.add_argument("--patience", type=int, default=20,
                   help="early stopping: epochs without validation-loss improvement (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for folds, init and order (default: %(default)s)")
    p.add_argument("--model-id", help="id written into alerts and reports (default: mil-<out stem>)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR/STEM", help="output prefix")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.random_weights:
        if not (a.dim and a.embedding_model_id and a.classes):
            print("error: --random-weights needs --dim, --embedding-model-id and --classes", file=sys.stderr)
            return 2
        import torch
        torch.manual_seed(a.seed)
        classes = a.classes.split(",")
        model = mil.MultiAttentionMIL(a.dim, len(classes))
        manifest = mil.export(model, a.out, model_id=a.model_id or f"mil-random-d{a.dim}-seed{a.seed}",
                              embedding_model_id=a.embedding_model_id, classes=classes,
                              control_class=a.control_class, training={"kind": "random", "seed": a.seed})
        print(f"wrote {a.out}.json ({manifest['modelId']}), untrained")
        return 0
    bag_set = mil.load_bags(a.embeddings, a.metadata, a.patient_column, a.label_column)
    labels = sorted({b.label for b in bag_set.bags})
    classes = a.classes.split(",") if a.classes else labels
    missing = set(labels) - set(classes)
    if missing:
        print(f"error: labels {sorted(missing)} are not in --classes", file=sys.stderr)
        return 2
    if a.control_class not in classes:
        print(f"error: control class {a.control_class!r} not among {classes}", file=sys.stderr)
        return 2
    cfg = mil.TrainConfig(folds=a.folds, lr=a.lr, max_epochs=a.max_epochs, patience=a.patience, seed=a.seed)
    print(f"{len(bag_set.bags)} bags, {sum(len(b.cells) for b in bag_set.bags)} cells, D={bag_set.dim}, "
          f"classes {classes}, embeddings from {bag_set.model_id}")
    cv = mil.cross_validate(bag_set, classes, cfg)
    pooled = cv["pooled"]
    print(f"{cfg.folds}-fold CV: balanced accuracy {pooled['balancedAccuracy']:.3f}, "
          f"weighted F1 {pooled['weightedF1']:.3f}, AUROC " +
          ", ".join(f"{c} {v:.3f}" for c, v in pooled["auroc"].items()))
    y = [classes.index(b.label) for b in bag_set.bags]
    model, info = mil.fit(bag_set.bags, y, len(classes), list(range(len(y))), cfg, cfg.seed + 1000)
    training = {
        "data": str(a.embeddings), "bags": len(bag_set.bags),
        "bagsPerClass": {c: y.count(i) for i, c in enumerate(classes)},
        "optimizer": f"SGD lr {cfg.lr} momentum {cfg.momentum}, one bag per step",
        "earlyStopping": f"patience {cfg.patience} epochs on a {cfg.validation_fraction:.0%} stratified validation split",
        "seed": cfg.seed, "final": info, "crossValidation": cv,
    }
    model_id = a.model_id or f"mil-{a.out.name}"
    manifest = mil.export(model, a.out, model_id=model_id, embedding_model_id=bag_set.model_id, classes=classes,
                          control_class=a.control_class, training=training)
    print(f"wrote {a.out}.json ({manifest['modelId']}) and its three ONNX graphs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
