#!/usr/bin/python3
"""scikit-learn oracle for `evaluate --protocol dinobloom` (DinoBloomProtocolOracleTest).

Runs the cell-typing protocol of DinoBloom's dinov2/eval/miccai/general_patch_eval.py on
`bloomstream embed` output: StratifiedKFold(5) (or a fixed split), KNeighborsClassifier(k) for
k = 1 and 20 with its defaults, LogisticRegression(C=1/(100/(D*K)), max_iter=1000,
multi_class="multinomial", solver="lbfgs"), and accuracy, balanced accuracy and weighted F1 per
fold. Like the reference, the features are float64 (it reads them through Python lists) and the
labels are encoded in sorted order.

usage: dinobloom_sklearn.py PREFIX OUT.json [TRAIN_LIST TEST_LIST]
"""

import csv
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier


def metrics(y, pred):
    return {
        "accuracy": accuracy_score(y, pred),
        "balancedAccuracy": balanced_accuracy_score(y, pred),
        "weightedF1": f1_score(y, pred, average="weighted"),
    }


def read_list(path):
    out = []
    with open(path) as f:
        for line in f:
            t = line.strip()
            if t and not t.startswith("#"):
                out.append(t.split(",")[0].strip('"').strip())
    if path.endswith(".csv"):
        out = out[1:]
    return out


def main():
    prefix, out = sys.argv[1], sys.argv[2]
    x = np.load(prefix + ".npy").astype(np.float64)
    with open(prefix + ".csv", newline="") as f:
        rows = list(csv.DictReader(f))
    keep = [i for i, r in enumerate(rows) if (r.get("label") or "").strip()]
    x = x[keep]
    ids = [rows[i]["cell_id"] for i in keep]
    names = np.array([rows[i]["label"].strip() for i in keep])
    classes = sorted(set(names))
    y = np.array([classes.index(n) for n in names])
    if len(sys.argv) > 3:
        index = {c: i for i, c in enumerate(ids)}
        train = np.array([index[e] for e in read_list(sys.argv[3])])
        test = np.array([index[e] for e in read_list(sys.argv[4])])
        folds = [(train, test)]
    else:
        folds = list(StratifiedKFold(n_splits=5).split(X=np.arange(len(y)), y=y))
    result = {"sklearn": sklearn.__version__, "classes": classes, "folds": []}
    warnings.simplefilter("ignore")
    for train, test in folds:
        fold = {"test": [ids[i] for i in test]}
        for k in (1, 20):
            knn = KNeighborsClassifier(n_neighbors=k).fit(x[train], y[train])
            pred = knn.predict(x[test])
            fold[f"knn-{k}"] = {"predicted": [classes[p] for p in pred], **metrics(y[test], pred)}
        m, c = x.shape[1], len(np.unique(y[train]))
        lr = LogisticRegression(C=1 / (100 / (m * c)), max_iter=1000, multi_class="multinomial",
                                solver="lbfgs").fit(x[train], y[train])
        pred = lr.predict(x[test])
        fold["linear"] = {"predicted": [classes[p] for p in pred], "iterations": int(lr.n_iter_[0]),
                          **metrics(y[test], pred)}
        result["folds"].append(fold)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
