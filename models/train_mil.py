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

protocols (--protocol):
  bloomstream (default, ours): stratified k-fold cross-validation over all bags; each fold is
    trained with SGD (momentum 0.9, no Nesterov, constant lr, one bag per step) on standardised
    embeddings, with early stopping on a stratified 20% validation split of its training bags.
    The exported model is then trained the same way on all bags.
  dinobloom: DinoBloom's wbc_mil.py. SGD lr 1e-3, momentum 0.9, Nesterov; CosineAnnealingLR
    (T_max = --max-epochs) stepped after every bag; early stopping after 20 epochs without a
    lower validation loss; KFold(4, shuffle) over the training bags, 5 repeats; each of the 20
    models is tested on a separate test set (--test-embeddings, or a seeded stratified 20% of
    the bags held out). Raw embeddings. The exported model is the one with the lowest
    validation loss. Unlike the reference, the test bags are never also training bags.
Both report accuracy, balanced accuracy, weighted F1 and per-class AUROC per fold, and the
mean ± std over folds (numpy's std, ddof 0).

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
    p.add_argument("--protocol", choices=("bloomstream", "dinobloom"), default="bloomstream",
                   help="training protocol, see below (default: %(default)s)")
    p.add_argument("--test-embeddings", type=Path, metavar="PREFIX",
                   help="dinobloom: the test bags (default: hold out a stratified --test-fraction)")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="dinobloom: share of bags held out as test set without --test-embeddings "
                        "(default: %(default)s)")
    p.add_argument("--repeats", type=int, default=5, help="dinobloom: repeats of the 4 folds (default: %(default)s)")
    p.add_argument("--folds", type=int, help="cross-validation folds (default: 5 bloomstream, 4 dinobloom)")
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
    print(f"{len(bag_set.bags)} bags, {sum(len(b.cells) for b in bag_set.bags)} cells, D={bag_set.dim}, "
          f"classes {classes}, embeddings from {bag_set.model_id}")
    if a.protocol == "dinobloom":
        return dinobloom(a, bag_set, classes)
    cfg = mil.TrainConfig(folds=a.folds or 5, lr=a.lr, max_epochs=a.max_epochs, patience=a.patience, seed=a.seed)
    cv = mil.cross_validate(bag_set, classes, cfg)
    pooled = cv["pooled"]
    print(f"protocol bloomstream, {cfg.folds}-fold CV, per fold mean ± std: " + summary_line(cv["summary"]))
    print(f"  pooled over folds: balanced accuracy {pooled['balancedAccuracy']:.3f}, "
          f"weighted F1 {pooled['weightedF1']:.3f}, AUROC " +
          ", ".join(f"{c} {v:.3f}" for c, v in pooled["auroc"].items()))
    y = [classes.index(b.label) for b in bag_set.bags]
    model, info = mil.fit(bag_set.bags, y, len(classes), list(range(len(y))), cfg, cfg.seed + 1000)
    training = {
        "protocol": "bloomstream",
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


def summary_line(summary) -> str:
    names = {"accuracy": "accuracy", "balancedAccuracy": "balanced accuracy", "weightedF1": "weighted F1"}
    return ", ".join(f"{names[k]} {v['mean']:.3f} ± {v['std']:.3f}" for k, v in summary.items())


def dinobloom(a, bag_set, classes) -> int:
    if a.folds not in (None, 4) or a.patience != 20 or a.lr != 1e-3:
        print("note: --folds/--patience/--lr differ from wbc_mil.py's 4/20/1e-3", file=sys.stderr)
    cfg = mil.DinoBloomConfig(lr=a.lr, max_epochs=a.max_epochs, patience=a.patience, folds=a.folds or 4,
                              repeats=a.repeats, seed=a.seed)
    if a.test_embeddings is not None:
        test_set = mil.load_bags(a.test_embeddings, a.metadata, a.patient_column, a.label_column)
        overlap = {b.bag_id for b in test_set.bags} & {b.bag_id for b in bag_set.bags}
        if overlap:
            print(f"error: bags {sorted(overlap)[:5]} are in both the training and the test set", file=sys.stderr)
            return 2
        train_set, test_source = bag_set, str(a.test_embeddings)
    else:
        y = [classes.index(b.label) for b in bag_set.bags]
        train_idx, test_idx = mil.stratified_holdout(y, a.test_fraction, a.seed)
        train_set = mil.BagSet([bag_set.bags[i] for i in train_idx], bag_set.model_id, bag_set.dim)
        test_set = mil.BagSet([bag_set.bags[i] for i in test_idx], bag_set.model_id, bag_set.dim)
        test_source = f"stratified {a.test_fraction:.0%} held out (seed {a.seed})"
    if not test_set.bags:
        print("error: the test set is empty", file=sys.stderr)
        return 2
    model, result = mil.dinobloom_protocol(train_set, test_set, classes, cfg)
    print(f"protocol dinobloom, {cfg.repeats} x {cfg.folds} folds, {len(train_set.bags)} training bags, "
          f"{len(test_set.bags)} test bags; per fold mean ± std: " + summary_line(result["summary"]))
    training = {
        "protocol": "dinobloom",
        "data": str(a.embeddings), "test": test_source, "bags": len(train_set.bags),
        "optimizer": f"SGD lr {cfg.lr} momentum {cfg.momentum} nesterov, CosineAnnealingLR(T_max={cfg.max_epochs}) "
                     "stepped per bag, one bag per step",
        "earlyStopping": f"patience {cfg.patience} epochs on KFold({cfg.folds}) validation bags",
        "seed": cfg.seed, "result": result,
    }
    model_id = a.model_id or f"mil-{a.out.name}"
    manifest = mil.export(model, a.out, model_id=model_id, embedding_model_id=bag_set.model_id, classes=classes,
                          control_class=a.control_class, training=training)
    print(f"wrote {a.out}.json ({manifest['modelId']}) and its three ONNX graphs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
