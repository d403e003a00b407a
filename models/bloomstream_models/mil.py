"""Multi-attention MIL for AML subtyping (SCEMILA / DinoBloom MIL), split for streaming.

The model, as in the brief: for a bag of cell embeddings h_i (D dims),
  attention  a_i = Linear(D,128) -> Tanh -> Linear(128,C)      one logit per class per cell
  pooling    z_c = sum_i softmax_i(a_ic) * h_i                  one pooled vector per class
  head       logit_c = Linear(D,64) -> ReLU -> Linear(64,1) on z_c (a separate head per class)
  output     softmax over the C logits.

The streaming pipeline never sees a whole bag: it runs the *instance part* once per cell, keeps
the per-class running max / weight sum / weighted sum of the embeddings (exact softmax pooling),
and runs the *bag head* on the pooled [C, D] whenever it needs probabilities. So the model is
exported as two ONNX graphs (instance, head) plus the full model for parity checks.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

ATTENTION_HIDDEN = 128
HEAD_HIDDEN = 64
MANIFEST_FORMAT = "bloomstream-mil/1"
OPSET = 17


class MultiAttentionMIL(nn.Module):
    """The model. Embeddings are standardised per dimension (statistics of the training cells)
    inside the attention and the heads: ViT features share a large common component, and SGD on
    unscaled inputs learns slowly. Standardisation is affine and the attention weights of a class
    sum to one, so standardising the pooled vector equals pooling standardised cells: the
    streaming pool can stay on raw embeddings and the graphs carry the statistics."""

    def __init__(self, dim: int, classes: int, att_hidden: int = ATTENTION_HIDDEN,
                 head_hidden: int = HEAD_HIDDEN):
        super().__init__()
        self.dim, self.classes = dim, classes
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.attention = nn.Sequential(nn.Linear(dim, att_hidden), nn.Tanh(), nn.Linear(att_hidden, classes))
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, head_hidden), nn.ReLU(), nn.Linear(head_hidden, 1))
            for _ in range(classes))

    def standardise_with(self, cells: torch.Tensor) -> None:
        """Sets the per-dimension statistics from training cells [N, D]."""
        self.mean.copy_(cells.mean(dim=0))
        self.std.copy_(cells.std(dim=0).clamp_min(1e-6))

    def attend(self, bag: torch.Tensor) -> torch.Tensor:
        """[N, D] -> attention logits [N, C]."""
        return self.attention((bag - self.mean) / self.std)

    def head(self, pooled: torch.Tensor) -> torch.Tensor:
        """[B, C, D] -> class logits [B, C]."""
        z = (pooled - self.mean) / self.std
        return torch.cat([self.heads[c](z[:, c, :]) for c in range(self.classes)], dim=1)

    def pool(self, bag: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """[N, D], [N, C] -> [C, D]: per class, softmax over cells, weighted sum of embeddings."""
        return torch.softmax(attention, dim=0).transpose(0, 1) @ bag

    def forward(self, bag: torch.Tensor) -> torch.Tensor:
        """[N, D] -> class logits [1, C]."""
        return self.head(self.pool(bag, self.attend(bag)).unsqueeze(0))


class InstancePart(nn.Module):
    def __init__(self, mil: MultiAttentionMIL):
        super().__init__()
        self.mil = mil

    def forward(self, embeddings):
        return self.mil.attend(embeddings)


class HeadPart(nn.Module):
    def __init__(self, mil: MultiAttentionMIL):
        super().__init__()
        self.mil = mil

    def forward(self, pooled):
        return self.mil.head(pooled)


# --- data ---------------------------------------------------------------------------------------

@dataclass
class Bag:
    bag_id: str
    label: str
    cells: torch.Tensor  # [N, D] float32


@dataclass
class BagSet:
    bags: List[Bag]
    model_id: str
    dim: int


def load_bags(prefix: Path, metadata: Optional[Path] = None, patient_column: str = "patient_id",
              label_column: str = "bag_label") -> BagSet:
    """Reads `bloomstream embed` output (PREFIX.npy, PREFIX.csv, PREFIX.json) as bags grouped by
    the CSV's `group` column (the patient). The bag label is the rows' `label` (in the AML layout
    `<label>/<patient>/image_<n>.tif` that is the diagnosis) unless a metadata CSV maps patients
    to labels (AML_Hehr ships one; column names are configurable)."""
    prefix = Path(prefix)
    x = np.load(prefix.with_suffix(".npy"))
    meta = json.loads(prefix.with_suffix(".json").read_text())
    with open(prefix.with_suffix(".csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != x.shape[0]:
        raise ValueError(f"{prefix}.csv has {len(rows)} rows for {x.shape[0]} embeddings")
    relabel: Dict[str, str] = {}
    if metadata is not None:
        with open(metadata, newline="") as f:
            for r in csv.DictReader(f):
                if patient_column not in r or label_column not in r:
                    raise ValueError(f"{metadata} needs columns {patient_column!r} and {label_column!r}, has {list(r)}")
                relabel[r[patient_column]] = r[label_column]
    groups: Dict[str, List[int]] = {}
    labels: Dict[str, str] = {}
    for i, r in enumerate(rows):
        g = r.get("group") or ""
        if not g:
            raise ValueError(f"row {i} of {prefix}.csv has no group: bags need a patient/specimen per cell")
        label = relabel.get(g, r.get("label") or "")
        if not label:
            raise ValueError(f"bag {g!r} has no label (give --metadata or label the rows)")
        if labels.setdefault(g, label) != label:
            raise ValueError(f"bag {g!r} has cells labelled {labels[g]!r} and {label!r}")
        groups.setdefault(g, []).append(i)
    bags = [Bag(g, labels[g], torch.from_numpy(x[idx].astype(np.float32))) for g, idx in sorted(groups.items())]
    return BagSet(bags, meta.get("modelId", "unknown"), int(x.shape[1]))


# --- metrics ------------------------------------------------------------------------------------

def balanced_accuracy(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    recalls = [np.mean(pred[y == c] == c) for c in range(n_classes) if np.any(y == c)]
    return float(np.mean(recalls))


def weighted_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    total, score = len(y), 0.0
    for c in range(n_classes):
        support = np.sum(y == c)
        if support == 0:
            continue
        tp = np.sum((pred == c) & (y == c))
        p = tp / max(np.sum(pred == c), 1)
        r = tp / support
        f1 = 0.0 if p + r == 0 else 2 * p * r / (p + r)
        score += f1 * support / total
    return float(score)


def auroc(y_true: np.ndarray, score: np.ndarray) -> float:
    """One-vs-rest AUROC as the Mann-Whitney statistic (ties count half); NaN without both classes."""
    pos, neg = score[y_true == 1], score[y_true == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def metrics(y: np.ndarray, probs: np.ndarray, classes: Sequence[str]) -> Dict[str, object]:
    pred = probs.argmax(axis=1)
    return {
        "balancedAccuracy": balanced_accuracy(y, pred, len(classes)),
        "weightedF1": weighted_f1(y, pred, len(classes)),
        "auroc": {c: auroc((y == i).astype(int), probs[:, i]) for i, c in enumerate(classes)},
    }


# --- training -----------------------------------------------------------------------------------

@dataclass
class TrainConfig:
    folds: int = 5
    lr: float = 1e-3
    momentum: float = 0.9
    max_epochs: int = 150
    patience: int = 20
    validation_fraction: float = 0.2
    seed: int = 0


def stratified_folds(labels: Sequence[int], k: int, seed: int) -> List[List[int]]:
    """Bag indices split into k folds, each class spread evenly (round-robin after a shuffle)."""
    rng = random.Random(seed)
    folds: List[List[int]] = [[] for _ in range(k)]
    by_class: Dict[int, List[int]] = {}
    for i, y in enumerate(labels):
        by_class.setdefault(y, []).append(i)
    offset = 0
    for y in sorted(by_class):
        idx = by_class[y]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(offset + j) % k].append(i)
        offset += len(idx)
    return [sorted(f) for f in folds]


def _split_validation(train_idx: List[int], labels: Sequence[int], fraction: float, seed: int):
    k = max(2, round(1 / fraction))
    parts = stratified_folds([labels[i] for i in train_idx], k, seed)
    val = set(train_idx[j] for j in parts[0])
    return [i for i in train_idx if i not in val], sorted(val)


def _loss(model, bags: List[Bag], y: List[int], idx: List[int]) -> float:
    model.eval()
    with torch.no_grad():
        losses = [nn.functional.cross_entropy(model(bags[i].cells), torch.tensor([y[i]])).item() for i in idx]
    return float(np.mean(losses)) if losses else float("nan")


def fit(bags: List[Bag], y: List[int], n_classes: int, train_idx: List[int], cfg: TrainConfig,
        seed: int) -> Tuple[MultiAttentionMIL, Dict[str, object]]:
    """SGD with momentum, one bag per step, early stopping on a stratified validation split of
    the training bags (the bloomstream protocol, ours; neither SCEMILA's nor DinoBloom's); returns
    the model of the best validation epoch."""
    torch.manual_seed(seed)
    fit_idx, val_idx = _split_validation(train_idx, y, cfg.validation_fraction, seed)
    model = MultiAttentionMIL(bags[0].cells.shape[1], n_classes)
    model.standardise_with(torch.cat([bags[i].cells for i in fit_idx]))
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    rng = random.Random(seed)
    best, best_state, since, epochs = math.inf, None, 0, 0
    for epoch in range(cfg.max_epochs):
        model.train()
        order = list(fit_idx)
        rng.shuffle(order)
        for i in order:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(bags[i].cells), torch.tensor([y[i]]))
            loss.backward()
            opt.step()
        val = _loss(model, bags, y, val_idx)
        epochs = epoch + 1
        if val < best - 1e-6:
            best, since = val, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= cfg.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return model, {"epochs": epochs, "bestValidationLoss": best}


def predict(model: MultiAttentionMIL, bags: List[Bag], idx: List[int]) -> np.ndarray:
    with torch.no_grad():
        return np.stack([torch.softmax(model(bags[i].cells), dim=1)[0].numpy() for i in idx])


def cross_validate(bag_set: BagSet, classes: List[str], cfg: TrainConfig) -> Dict[str, object]:
    y = [classes.index(b.label) for b in bag_set.bags]
    folds = stratified_folds(y, cfg.folds, cfg.seed)
    probs = np.zeros((len(y), len(classes)))
    per_fold = []
    for k, test_idx in enumerate(folds):
        train_idx = [i for i in range(len(y)) if i not in set(test_idx)]
        model, info = fit(bag_set.bags, y, len(classes), train_idx, cfg, cfg.seed + k)
        probs[test_idx] = predict(model, bag_set.bags, test_idx)
        m = metrics(np.array(y)[test_idx], probs[test_idx], classes)
        m["accuracy"] = float(np.mean(probs[test_idx].argmax(axis=1) == np.array(y)[test_idx]))
        per_fold.append({"fold": k, "bags": len(test_idx), **info, **m})
    overall = metrics(np.array(y), probs, classes)
    return {"protocol": "bloomstream", "folds": per_fold, "summary": summarise_folds(per_fold), "pooled": overall}


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and standard deviation (numpy's default, ddof=0, as DinoBloom's MIL script prints)."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std())}


def summarise_folds(per_fold: List[Dict[str, object]], keys=("accuracy", "balancedAccuracy", "weightedF1")
                    ) -> Dict[str, Dict[str, float]]:
    """Per-fold metrics averaged: {metric: {mean, std}}."""
    return {k: mean_std([f[k] for f in per_fold]) for k in keys if all(k in f for f in per_fold)}


# --- the DinoBloom protocol (wbc_mil.py) ----------------------------------------------------------

@dataclass
class DinoBloomConfig:
    """The training protocol of marrlab/DinoBloom's dinov2/eval/miccai/wbc_mil.py: SGD lr 1e-3,
    momentum 0.9, Nesterov; CosineAnnealingLR(T_max=150) stepped after every bag (one bag per
    step); at most 150 epochs; early stopping after 20 epochs without a lower validation loss;
    KFold(4, shuffle=True) over the training bags for train/validation; 5 repeats; every fold's
    best model is tested on a separate test set. No standardisation of the embeddings."""
    lr: float = 1e-3
    momentum: float = 0.9
    max_epochs: int = 150
    patience: int = 20
    folds: int = 4
    repeats: int = 5
    seed: int = 0


def kfold_shuffled(n: int, k: int, rng: np.random.Generator) -> List[Tuple[List[int], List[int]]]:
    """scikit-learn's KFold(k, shuffle=True): a permutation cut into k parts, the first n % k one
    longer (the reference leaves it unseeded; here the permutation comes from ``rng``)."""
    perm = rng.permutation(n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    out, start = [], 0
    for size in sizes:
        val = sorted(int(i) for i in perm[start:start + size])
        start += size
        out.append(([i for i in range(n) if i not in set(val)], val))
    return out


def fit_dinobloom(bags: List[Bag], y: List[int], n_classes: int, train_idx: List[int], val_idx: List[int],
                  cfg: DinoBloomConfig, seed: int) -> Tuple[MultiAttentionMIL, Dict[str, object]]:
    """One fold of wbc_mil.py's run_wbc_mil.train_fold. Where the reference keeps
    ``self.model.state_dict()`` (live references to the weights, so it ends up testing the last
    epoch's model), this keeps a copy of the best validation epoch's weights, as it intends."""
    torch.manual_seed(seed)
    model = MultiAttentionMIL(bags[0].cells.shape[1], n_classes)  # mean 0, std 1: raw embeddings
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.max_epochs)
    rng = random.Random(seed)
    best, best_state, counter, epochs = math.inf, None, 0, 0
    for epoch in range(cfg.max_epochs):
        model.train()
        order = list(train_idx)
        rng.shuffle(order)
        for i in order:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(bags[i].cells), torch.tensor([y[i]]))
            loss.backward()
            opt.step()
            sched.step()
        val = _loss(model, bags, y, val_idx)
        epochs = epoch + 1
        # EarlyStopping(patience=20, min_delta=0): an epoch counts as better only below the best.
        if val < best:
            best = val
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            counter = 0
        else:
            counter += 1
            if counter >= cfg.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return model, {"epochs": epochs, "bestValidationLoss": best}


def dinobloom_protocol(train_set: BagSet, test_set: BagSet, classes: List[str], cfg: DinoBloomConfig
                       ) -> Tuple[MultiAttentionMIL, Dict[str, object]]:
    """Repeats x folds runs, each tested on the test set; returns the model with the lowest
    validation loss and the per-fold metrics with their mean and standard deviation."""
    y = [classes.index(b.label) for b in train_set.bags]
    y_test = np.array([classes.index(b.label) for b in test_set.bags])
    test_idx = list(range(len(test_set.bags)))
    rng = np.random.default_rng(cfg.seed)
    per_fold: List[Dict[str, object]] = []
    best_model, best_val = None, math.inf
    for repeat in range(cfg.repeats):
        for fold, (train_idx, val_idx) in enumerate(kfold_shuffled(len(y), cfg.folds, rng)):
            seed = cfg.seed + 1000 * repeat + fold
            model, info = fit_dinobloom(train_set.bags, y, len(classes), train_idx, val_idx, cfg, seed)
            probs = predict(model, test_set.bags, test_idx)
            pred = probs.argmax(axis=1)
            m = {"accuracy": float(np.mean(pred == y_test)), **metrics(y_test, probs, classes)}
            per_fold.append({"repeat": repeat, "fold": fold, "trainBags": len(train_idx), "validationBags": len(val_idx),
                             **info, **m})
            if info["bestValidationLoss"] < best_val:
                best_val, best_model = info["bestValidationLoss"], model
    return best_model, {"protocol": "dinobloom", "testBags": len(test_idx), "folds": per_fold,
                        "summary": summarise_folds(per_fold)}


def stratified_holdout(labels: Sequence[int], fraction: float, seed: int) -> Tuple[List[int], List[int]]:
    """A seeded, class-stratified held-out set: round(fraction * n_c) bags of each class c."""
    rng = random.Random(seed)
    by_class: Dict[int, List[int]] = {}
    for i, y in enumerate(labels):
        by_class.setdefault(y, []).append(i)
    test: List[int] = []
    for y in sorted(by_class):
        idx = list(by_class[y])
        rng.shuffle(idx)
        test += idx[:max(1, round(fraction * len(idx)))] if len(idx) > 1 else []
    test_set = set(test)
    return [i for i in range(len(labels)) if i not in test_set], sorted(test)


# --- export -------------------------------------------------------------------------------------

def golden_bag(n: int, dim: int) -> torch.Tensor:
    """A deterministic bag Java can rebuild: x[i, d] = (float) sin(0.37 * i + 0.11 * d)."""
    i = torch.arange(n, dtype=torch.float64)[:, None]
    d = torch.arange(dim, dtype=torch.float64)[None, :]
    return torch.sin(0.37 * i + 0.11 * d).to(torch.float32)


def _export(module: nn.Module, dummy: torch.Tensor, path: Path, input_name: str, output_name: str,
            dynamic: Dict[str, Dict[int, str]]) -> None:
    with torch.no_grad():
        torch.onnx.export(module, (dummy,), str(path), export_params=True, opset_version=OPSET,
                          do_constant_folding=True, input_names=[input_name], output_names=[output_name],
                          dynamic_axes=dynamic)
    import onnx
    onnx.checker.check_model(str(path))


def sha256(path: Path) -> str:
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(model: MultiAttentionMIL, out: Path, *, model_id: str, embedding_model_id: str,
           classes: List[str], control_class: str, training: Dict[str, object]) -> Dict[str, object]:
    """Writes OUT.instance.onnx, OUT.head.onnx, OUT.full.onnx, OUT.golden.json and the manifest
    OUT.json (format bloomstream-mil/1)."""
    model.eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    d, c = model.dim, model.classes
    files = {
        "instance": out.parent / (out.name + ".instance.onnx"),
        "head": out.parent / (out.name + ".head.onnx"),
        "full": out.parent / (out.name + ".full.onnx"),
    }
    _export(InstancePart(model), torch.zeros(3, d), files["instance"], "embeddings", "attention",
            {"embeddings": {0: "cells"}, "attention": {0: "cells"}})
    _export(HeadPart(model), torch.zeros(2, c, d), files["head"], "pooled", "logits",
            {"pooled": {0: "batch"}, "logits": {0: "batch"}})
    _export(model, torch.zeros(3, d), files["full"], "embeddings", "logits",
            {"embeddings": {0: "cells"}})
    bag = golden_bag(37, d)
    with torch.no_grad():
        attention = model.attend(bag)
        logits = model(bag)[0]
    golden = {
        "bagFormula": "x[i, d] = (float) sin(0.37 * i + 0.11 * d), i = 0..36, d = 0..D-1 "
                      "(Java: (float) Math.sin(0.37 * i + 0.11 * d))",
        "attention": [[float(v) for v in row] for row in attention.tolist()],
        "logits": [float(v) for v in logits.tolist()],
    }
    golden_path = out.parent / (out.name + ".golden.json")
    golden_path.write_text(json.dumps(golden, indent=1) + "\n")
    manifest = {
        "format": MANIFEST_FORMAT,
        "modelId": model_id,
        "embeddingModelId": embedding_model_id,
        "classes": classes,
        "controlClass": control_class,
        "embeddingDim": d,
        "numClasses": c,
        "architecture": {"attention": f"Linear({d},{ATTENTION_HIDDEN})-Tanh-Linear({ATTENTION_HIDDEN},{c})",
                         "head": f"per class Linear({d},{HEAD_HIDDEN})-ReLU-Linear({HEAD_HIDDEN},1)",
                         "value": "embedding"},
        "instance": {"file": files["instance"].name, "input": "embeddings", "output": "attention",
                     "sha256": sha256(files["instance"])},
        "head": {"file": files["head"].name, "input": "pooled", "output": "logits",
                 "sha256": sha256(files["head"])},
        "full": {"file": files["full"].name, "input": "embeddings", "output": "logits",
                 "sha256": sha256(files["full"])},
        "golden": golden_path.name,
        "training": training,
    }
    (out.parent / (out.name + ".json")).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
