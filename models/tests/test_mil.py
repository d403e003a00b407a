"""The MIL trainer: it must recover a planted signal, and its ONNX graphs must equal PyTorch."""

import csv
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

import onnx_ref
from bloomstream_models import mil


def planted_bags(n_per_class=12, dim=16, seed=0):
    """Bags of N(0,1) cells; in class A bags 20% of cells are shifted +3 along axis 0, in class B
    along axis 1; control bags have no such cells. Only a few cells per bag carry the signal: the
    model has to attend to them."""
    rng = np.random.default_rng(seed)
    bags = []
    for label, axis in (("A", 0), ("B", 1), ("control", None)):
        for k in range(n_per_class):
            n = int(rng.integers(40, 80))
            x = rng.normal(size=(n, dim)).astype(np.float32)
            if axis is not None:
                marked = rng.choice(n, size=n // 5, replace=False)
                x[marked, axis] += 3.0
            bags.append(mil.Bag(f"{label}-{k}", label, torch.from_numpy(x)))
    return mil.BagSet(bags, "test-embedder", dim)


def test_training_recovers_a_planted_signal():
    bags = planted_bags()
    classes = ["A", "B", "control"]
    cfg = mil.TrainConfig(folds=3, lr=5e-3, max_epochs=40, patience=8, seed=1)
    cv = mil.cross_validate(bags, classes, cfg)
    assert cv["pooled"]["balancedAccuracy"] >= 0.9, cv["pooled"]
    assert all(v >= 0.9 for v in cv["pooled"]["auroc"].values()), cv["pooled"]["auroc"]
    # Attention goes to the marked cells: the A-head attends most to cells shifted along axis 0.
    y = [classes.index(b.label) for b in bags.bags]
    model, _ = mil.fit(bags.bags, y, 3, list(range(len(y))), cfg, 7)
    bag = bags.bags[0].cells  # an A bag
    top = torch.topk(model.attend(bag)[:, 0], 5).indices
    assert (bag[top, 0] > 1.5).float().mean() >= 0.8


def test_metrics_on_a_case_checked_by_hand():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    # recalls 1/2, 1, 1/2 -> 2/3
    assert mil.balanced_accuracy(y, pred, 3) == pytest.approx(2 / 3)
    # per class F1: c0 p=1/2 r=1/2 -> 1/2; c1 p=2/3 r=1 -> 0.8; c2 p=1 r=1/2 -> 2/3; equal supports
    assert mil.weighted_f1(y, pred, 3) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert mil.auroc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.8, 0.8])) == pytest.approx(0.875)


def test_folds_are_stratified_and_disjoint():
    labels = [0] * 10 + [1] * 5 + [2] * 5
    folds = mil.stratified_folds(labels, 5, seed=3)
    assert sorted(i for f in folds for i in f) == list(range(20))
    for f in folds:
        assert [labels[i] for i in f].count(0) == 2
        assert [labels[i] for i in f].count(1) == 1


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = mil.MultiAttentionMIL(24, 4)
    out = tmp_path_factory.mktemp("mil") / "mil-test"
    manifest = mil.export(model, out, model_id="mil-test", embedding_model_id="emb", classes=["a", "b", "c", "control"],
                          control_class="control", training={})
    return model, out, manifest


def test_onnx_graphs_equal_pytorch(exported):
    model, out, manifest = exported
    bag = mil.golden_bag(37, 24)
    inst = onnx.load(str(out.parent / manifest["instance"]["file"]))
    head = onnx.load(str(out.parent / manifest["head"]["file"]))
    full = onnx.load(str(out.parent / manifest["full"]["file"]))
    with torch.no_grad():
        a = model.attend(bag)
        pooled = model.pool(bag, a).unsqueeze(0)
        logits = model(bag)
    (a_onnx,) = onnx_ref.run(inst, {"embeddings": bag})
    (l_onnx,) = onnx_ref.run(head, {"pooled": pooled})
    (f_onnx,) = onnx_ref.run(full, {"embeddings": bag})
    assert torch.allclose(a_onnx, a, atol=1e-5)
    assert torch.allclose(l_onnx, logits, atol=1e-5)
    assert torch.allclose(f_onnx, logits, atol=1e-5)
    golden = json.loads((out.parent / manifest["golden"]).read_text())
    assert np.allclose(np.array(golden["logits"]), logits[0].numpy(), atol=1e-6)


def test_streaming_pooling_equals_the_full_model(exported):
    """The decomposition the Java side relies on: running max / sums, in any order."""
    model, _, _ = exported
    bag = mil.golden_bag(200, 24) * 3
    with torch.no_grad():
        a = model.attend(bag).double()
        h = bag.double()
        m = torch.full((4,), -float("inf"), dtype=torch.float64)
        s = torch.zeros(4, dtype=torch.float64)
        z = torch.zeros(4, 24, dtype=torch.float64)
        for i in torch.randperm(200).tolist():
            new = torch.maximum(m, a[i])
            r = torch.exp(m - new)
            w = torch.exp(a[i] - new)
            s = s * r + w
            z = z * r[:, None] + w[:, None] * h[i][None, :]
            m = new
        streamed = model.head((z / s[:, None]).float().unsqueeze(0))
        assert torch.allclose(streamed, model(bag), atol=1e-5)


def test_manifest_shape(exported):
    _, out, manifest = exported
    assert manifest["format"] == "bloomstream-mil/1"
    assert manifest["embeddingDim"] == 24 and manifest["numClasses"] == 4
    assert manifest["classes"][-1] == manifest["controlClass"] == "control"
    assert manifest["instance"]["input"] == "embeddings" and manifest["head"]["input"] == "pooled"
    g = onnx.load(str(out.parent / manifest["head"]["file"]))
    dims = [d.dim_param or d.dim_value for d in g.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 4, 24]


def test_loads_embed_output_as_bags_and_relabels_from_metadata(tmp_path):
    x = np.arange(5 * 3, dtype=np.float32).reshape(5, 3)
    np.save(tmp_path / "e.npy", x)
    (tmp_path / "e.json").write_text(json.dumps({"modelId": "m", "dim": 3}))
    with open(tmp_path / "e.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "cell_id", "path", "label", "group"])
        for i, (label, group) in enumerate([("NPM1", "p1"), ("NPM1", "p1"), ("control", "p2"), ("control", "p2"), ("control", "p2")]):
            w.writerow([i, f"c{i}", f"x/{i}.tif", label, group])
    bags = mil.load_bags(tmp_path / "e")
    assert [(b.bag_id, b.label, tuple(b.cells.shape)) for b in bags.bags] == [("p1", "NPM1", (2, 3)), ("p2", "control", (3, 3))]
    assert bags.model_id == "m"
    (tmp_path / "meta.csv").write_text("patient_id,bag_label\np1,PML::RARA\n")
    relabelled = mil.load_bags(tmp_path / "e", tmp_path / "meta.csv")
    assert [b.label for b in relabelled.bags] == ["PML::RARA", "control"]
    rows = (tmp_path / "e.csv").read_text().replace(",p2\n", ",\n", 1)
    (tmp_path / "e.csv").write_text(rows)
    with pytest.raises(ValueError, match="no group"):
        mil.load_bags(tmp_path / "e")


def test_dinobloom_protocol_runs_repeats_times_folds_and_averages_per_fold(tmp_path):
    """wbc_mil.py's protocol at toy size: every fold's model is tested on the separate test set and
    the summary is the mean and (ddof 0) std of the per-fold metrics."""
    train, test = planted_bags(n_per_class=8, seed=4), planted_bags(n_per_class=3, seed=5)
    test = mil.BagSet([mil.Bag("test-" + b.bag_id, b.label, b.cells) for b in test.bags], test.model_id, test.dim)
    classes = ["A", "B", "control"]
    cfg = mil.DinoBloomConfig(lr=3e-2, max_epochs=15, patience=5, folds=4, repeats=2, seed=2)
    model, result = mil.dinobloom_protocol(train, test, classes, cfg)
    folds = result["folds"]
    assert len(folds) == 8 and {(f["repeat"], f["fold"]) for f in folds} == {(r, k) for r in range(2) for k in range(4)}
    assert all(f["trainBags"] + f["validationBags"] == 24 and f["validationBags"] == 6 for f in folds)
    bal = [f["balancedAccuracy"] for f in folds]
    assert result["summary"]["balancedAccuracy"]["mean"] == pytest.approx(np.mean(bal))
    assert result["summary"]["balancedAccuracy"]["std"] == pytest.approx(np.std(bal))
    assert float(model.mean.abs().max()) == 0.0 and float((model.std - 1).abs().max()) == 0.0  # raw embeddings
    assert result["summary"]["balancedAccuracy"]["mean"] >= 0.6


def test_dinobloom_schedule_and_optimiser_follow_wbc_mil():
    """Nesterov SGD and a cosine schedule stepped per bag, as wbc_mil.py."""
    bags = planted_bags(n_per_class=2, seed=6)
    y = [0, 0, 1, 1, 2, 2]
    cfg = mil.DinoBloomConfig(max_epochs=3, patience=20)
    seen = {}
    real_sgd = torch.optim.SGD

    def spy(params, **kw):
        seen.update(kw)
        return real_sgd(params, **kw)

    torch.optim.SGD = spy
    try:
        _, info = mil.fit_dinobloom(bags.bags, y, 3, [0, 2, 4, 5], [1, 3], cfg, 0)
    finally:
        torch.optim.SGD = real_sgd
    assert seen == {"lr": 1e-3, "momentum": 0.9, "nesterov": True}
    assert info["epochs"] == 3


def test_kfold_shuffled_partitions_like_sklearn():
    folds = mil.kfold_shuffled(10, 4, np.random.default_rng(0))
    assert [len(v) for _, v in folds] == [3, 3, 2, 2]
    assert sorted(i for _, v in folds for i in v) == list(range(10))
    for train, val in folds:
        assert sorted(train + val) == list(range(10))
